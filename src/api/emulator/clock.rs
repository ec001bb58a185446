//! `GET /_emulator/clock` shows the emulator's clock; `POST` moves it, so a test can expire a
//! UserSig, roll the daily quota over to the next China day or let a mute run out without
//! waiting. The body holds exactly one of:
//!
//! - `{"set_ms": 1700000000000}`: freeze the clock at that unix time in milliseconds
//!   (add `"frozen": false` to let it run from there);
//! - `{"advance_ms": 86400000}`: move it forward (or back, when negative), keeping its mode;
//! - `{"real": true}`: back to the system clock.
//!
//! Both answer the clock's new status (`now_ms`, `now`, `mode`, `offset_ms`).

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use serde::Deserialize;

use super::reply::{ControlError, json_body};
use crate::clock::ClockStatus;
use crate::emulator::Shared;

/// The largest body `POST` reads.
const MAX_BODY: usize = 4 << 10;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Move {
    set_ms: Option<u64>,
    frozen: Option<bool>,
    advance_ms: Option<i64>,
    real: Option<bool>,
}

/// The clock's time and mode.
pub async fn get(State(emu): State<Shared>) -> Json<ClockStatus> {
    Json(emu.clock.status())
}

/// Moves the clock as the body says (400 when it says nothing, or more than one thing).
pub async fn post(
    State(emu): State<Shared>,
    body: Body,
) -> Result<Json<ClockStatus>, ControlError> {
    let m: Move = json_body(body, MAX_BODY).await?;
    let clock = &emu.clock;
    match (m.set_ms, m.advance_ms, m.real) {
        (Some(at), None, None) => clock.set(at, m.frozen.unwrap_or(true)),
        (None, Some(delta), None) if m.frozen.is_none() => clock.advance(delta),
        (None, None, Some(true)) if m.frozen.is_none() => clock.real(),
        _ => {
            return Err(ControlError::bad_request(
                "give exactly one of {\"set_ms\": unix ms (optionally with \"frozen\": false)}, {\"advance_ms\": ms} or {\"real\": true}",
            ));
        }
    }
    tracing::info!(status = ?clock.status(), "clock moved");
    Ok(Json(clock.status()))
}
