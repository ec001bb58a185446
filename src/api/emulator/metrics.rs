//! `GET /_emulator/metrics`: Prometheus metrics in the OpenMetrics text format (see
//! [`crate::metrics`] for what is counted and how). Behind the same guard as the rest of the
//! control plane: with `--admin-token`, a scraper sends `Authorization: Bearer <token>`
//! (Prometheus: `authorization: {credentials: …}` in the scrape config).

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;

use crate::emulator::Shared;
use crate::metrics::{CONTENT_TYPE, Metrics};

/// The metrics text. The store counts are read on a blocking thread: counting messages visits
/// every group.
pub async fn get(State(emu): State<Shared>) -> impl IntoResponse {
    let text = tokio::task::spawn_blocking(move || Metrics::render(&emu))
        .await
        .unwrap_or_else(|e| format!("# the metrics could not be read: {e}\n# EOF\n"));
    ([(header::CONTENT_TYPE, CONTENT_TYPE)], text)
}
