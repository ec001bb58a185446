//! The control plane under `/_emulator/`: plain JSON and ordinary HTTP status codes, one file
//! per concern. Refusals answer `{"error": "..."}` (see `reply`) and change nothing.

mod audit;
mod callbacks;
mod clock;
mod faults;
mod groups;
mod guard;
mod health;
pub mod index;
mod metrics;
mod reply;
mod requests;
mod reset;
mod state;
mod ui;

use axum::Router;
use axum::routing::{MethodRouter, delete, get, post};

use crate::emulator::Shared;

/// The control-plane routes, behind a guard (admin token, Origin, Host; see `guard.rs`).
pub fn router(state: Shared) -> Router<Shared> {
    Router::new()
        .route("/_emulator", strict(get(index::list)))
        .route("/_emulator/openapi.json", strict(get(index::openapi)))
        .route("/_emulator/health", strict(get(health::get)))
        .route("/_emulator/metrics", strict(get(metrics::get)))
        .route("/_emulator/reset", strict(post(reset::post)))
        .route("/_emulator/ui", strict(get(ui::get)))
        .route(
            "/_emulator/clock",
            strict(get(clock::get).post(clock::post)),
        )
        .route("/_emulator/state", strict(get(state::get).put(state::put)))
        .route(
            "/_emulator/requests",
            strict(get(requests::get).delete(requests::delete)),
        )
        .route(
            "/_emulator/faults",
            strict(
                get(faults::get)
                    .post(faults::post)
                    .delete(faults::delete_all),
            ),
        )
        .route("/_emulator/faults/{id}", strict(delete(faults::delete_one)))
        .route(
            "/_emulator/callbacks",
            strict(get(callbacks::list).delete(callbacks::clear)),
        )
        .route(
            "/_emulator/apps/{sdkappid}/groups/{group_id}/messages",
            strict(get(groups::messages)),
        )
        .route(
            "/_emulator/apps/{sdkappid}/groups/{group_id}/members",
            strict(get(groups::members)),
        )
        .route(
            "/_emulator/apps/{sdkappid}/groups/{group_id}/notifications",
            strict(get(groups::notifications)),
        )
        .route(
            "/_emulator/apps/{sdkappid}/groups/{group_id}/mute",
            strict(post(groups::mute)),
        )
        .route(
            "/_emulator/apps/{sdkappid}/groups/{group_id}/online",
            strict(post(groups::online)),
        )
        .route_layer(axum::middleware::from_fn_with_state(state, guard::guard))
        .route_layer(axum::middleware::from_fn(audit::log))
}

/// `route` answering 405 in JSON for the methods it does not serve.
fn strict(route: MethodRouter<Shared>) -> MethodRouter<Shared> {
    route.fallback(method_not_allowed)
}

async fn method_not_allowed(method: axum::http::Method) -> impl axum::response::IntoResponse {
    let body = serde_json::json!({"error": format!("method {method} is not allowed here")});
    (axum::http::StatusCode::METHOD_NOT_ALLOWED, axum::Json(body))
}
