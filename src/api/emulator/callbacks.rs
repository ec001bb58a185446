//! `GET /_emulator/callbacks` lists recent callback deliveries (oldest first, optionally of one
//! `?sdkappid=`) with the log's and the queue's bounds; `DELETE /_emulator/callbacks` forgets
//! them.

use std::sync::Arc;

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use crate::callback::log::{Delivery, LOG_CAPACITY};
use crate::callback::queue::QUEUE_CAPACITY;
use crate::emulator::Shared;

/// The optional filter of the listing.
#[derive(Debug, Deserialize)]
pub struct Filter {
    sdkappid: Option<u64>,
}

/// The listing: the deliveries, what the log holds against its bounds, the queue's bounds
/// and how many after-events it dropped.
#[derive(Serialize)]
pub struct Listing {
    deliveries: Vec<Arc<Delivery>>,
    log_capacity: usize,
    log_bytes: usize,
    log_byte_capacity: usize,
    body_byte_capacity: usize,
    queue_capacity: usize,
    queue_byte_capacity: usize,
    dropped: u64,
}

/// The answer to a clear.
#[derive(Serialize)]
pub struct Cleared {
    cleared: usize,
}

/// The kept deliveries, in the order they finished (oldest first), with the drop counter;
/// 400 with a JSON error when `sdkappid` is not a number.
pub async fn list(
    State(emu): State<Shared>,
    filter: Result<Query<Filter>, QueryRejection>,
) -> Response {
    let Ok(Query(f)) = filter else {
        let body = serde_json::json!({"error": "sdkappid must be a positive integer"});
        return (StatusCode::BAD_REQUEST, Json(body)).into_response();
    };
    let (log, bounds) = (emu.callbacks.log(), emu.callbacks.bounds());
    Json(Listing {
        deliveries: log.snapshot(f.sdkappid),
        log_capacity: LOG_CAPACITY,
        log_bytes: log.bytes(),
        log_byte_capacity: bounds.log_bytes,
        body_byte_capacity: bounds.log_body_bytes,
        queue_capacity: QUEUE_CAPACITY,
        queue_byte_capacity: bounds.queue_bytes,
        dropped: emu.callbacks.dropped(),
    })
    .into_response()
}

/// Forgets every kept delivery (the drop counter stays).
pub async fn clear(State(emu): State<Shared>) -> Json<Cleared> {
    Json(Cleared {
        cleared: emu.callbacks.log().clear(),
    })
}
