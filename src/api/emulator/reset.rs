//! `POST /_emulator/reset`: forget every app's accounts and groups, or one app's with
//! `?sdkappid=`. The journal and fault rules are left alone (they have their own `DELETE`).

use axum::Json;
use axum::extract::{RawQuery, State};
use serde_json::{Value, json};

use super::reply::{ControlError, query_pairs, sdkappid_param};
use crate::emulator::Shared;

/// Resets the state and says what was reset.
pub async fn post(
    State(emu): State<Shared>,
    RawQuery(query): RawQuery,
) -> Result<Json<Value>, ControlError> {
    let sdkappid = sdkappid_param(&query_pairs(query.as_deref()))?;
    emu.store.reset(sdkappid);
    Ok(Json(match sdkappid {
        Some(id) => json!({ "reset": "app", "sdkappid": id }),
        None => json!({ "reset": "all" }),
    }))
}
