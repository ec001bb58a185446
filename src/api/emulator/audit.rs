//! The log line of a control-plane action (issue 14 item 1): every request that may change
//! something (any method but `GET` and `HEAD`: reset, state import, faults, clock, clears) is
//! logged at `info` with its method, path, query and answer status, so a log shows why a test
//! saw an empty state or an injected error. Reads are logged at `debug`.

use axum::extract::Request;
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;

/// Runs the endpoint, then logs the action.
pub async fn log(req: Request, next: Next) -> Response {
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let query = req.uri().query().unwrap_or("").to_owned();
    let resp = next.run(req).await;
    let status = resp.status().as_u16();
    if method == Method::GET || method == Method::HEAD {
        tracing::debug!(%method, path, query, status, "control-plane read");
    } else {
        tracing::info!(%method, path, query, status, "control-plane action");
    }
    resp
}
