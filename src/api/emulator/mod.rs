//! The control plane under `/_emulator/`: plain JSON and ordinary HTTP status codes.

mod callbacks;
mod health;

use axum::Router;
use axum::routing::get;

use crate::emulator::Shared;

/// The control-plane routes.
pub fn router() -> Router<Shared> {
    Router::new()
        .route(
            "/_emulator/health",
            get(health::get).fallback(method_not_allowed),
        )
        .route(
            "/_emulator/callbacks",
            get(callbacks::list)
                .delete(callbacks::clear)
                .fallback(method_not_allowed),
        )
}

async fn method_not_allowed(method: axum::http::Method) -> impl axum::response::IntoResponse {
    let body = serde_json::json!({"error": format!("method {method} is not allowed here")});
    (axum::http::StatusCode::METHOD_NOT_ALLOWED, axum::Json(body))
}
