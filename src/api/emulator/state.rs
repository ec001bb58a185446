//! `GET /_emulator/state` exports the whole state as the state document; `PUT` replaces the
//! whole state with one, all or nothing (a refused document changes nothing and answers 400).

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use serde_json::{Value, json};

use super::reply::{ControlError, body_bytes};
use crate::emulator::Shared;
use crate::snapshot::{StateDocument, parse_document};

/// The largest state document `PUT` reads (emulator choice: 256 MiB).
pub const MAX_STATE_BYTES: usize = 256 << 20;

/// The whole state.
pub async fn get(State(emu): State<Shared>) -> Json<StateDocument> {
    Json(emu.export_state())
}

/// Replaces the whole state with the body's document.
pub async fn put(State(emu): State<Shared>, body: Body) -> Result<Json<Value>, ControlError> {
    let bytes = body_bytes(body, MAX_STATE_BYTES).await?;
    let doc = parse_document(&bytes)
        .map_err(|e| ControlError::bad_request(format!("state refused, nothing changed: {e}")))?;
    let apps = doc.apps.len();
    let groups: usize = doc.apps.iter().map(|a| a.groups.len()).sum();
    emu.import_state(doc)
        .map_err(|e| ControlError::bad_request(format!("state refused, nothing changed: {e}")))?;
    Ok(Json(
        json!({ "imported": { "apps": apps, "groups": groups } }),
    ))
}
