//! `POST /_emulator/reset`: a clean slate in one call (issue 14), as `POST /__admin/reset` is in
//! WireMock and `POST /moto-api/reset` in moto.
//!
//! - no parameter: everything. The state goes back to the seed (`--seed-file` and the config's
//!   declared accounts; empty without them), and the request journal, the fault rules, the
//!   callback delivery log and the clock (back to its start setting) are cleared;
//! - `?scope=state`: only the state of every app, back to the seed (the journal, faults,
//!   callback log and clock stay);
//! - `?sdkappid=N`: only that app's state, back to its part of the seed.
//!
//! Assigned GroupIds continue across every kind of reset: a stale ID from before never names a
//! new group (see [`crate::store::Store`]).

use axum::Json;
use axum::extract::{RawQuery, State};
use serde_json::{Value, json};

use super::reply::{ControlError, query_pairs, sdkappid_param};
use crate::emulator::Shared;

/// What a reset covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    Everything,
    State,
    App(u64),
}

/// Resets what the query says and answers what was reset.
pub async fn post(
    State(emu): State<Shared>,
    RawQuery(query): RawQuery,
) -> Result<Json<Value>, ControlError> {
    let scope = scope(&query_pairs(query.as_deref()))?;
    let seeded = !emu.baseline.is_empty();
    let done = match scope {
        Scope::Everything => emu.reset_all().map(|_| {
            json!({
                "reset": "all",
                "cleared": ["state", "journal", "faults", "callbacks", "clock"],
                "seeded": seeded,
            })
        }),
        Scope::State => emu
            .restore_baseline()
            .map(|_| json!({ "reset": "state", "seeded": seeded })),
        Scope::App(id) => emu
            .reset_app(id)
            .map(|()| json!({ "reset": "app", "sdkappid": id, "seeded": seeded })),
    };
    let answer = done
        // The seed was checked at start, so a failure here is not the caller's fault.
        .map_err(|e| ControlError::internal(format!("the seed could not be restored: {e}")))?;
    tracing::info!(?scope, seeded, "reset");
    Ok(Json(answer))
}

fn scope(pairs: &[(String, String)]) -> Result<Scope, ControlError> {
    let sdkappid = sdkappid_param(pairs)?;
    let named = pairs
        .iter()
        .find(|(k, _)| k == "scope")
        .map(|(_, v)| v.as_str());
    match (named, sdkappid) {
        (None | Some("app"), Some(id)) => Ok(Scope::App(id)),
        (None | Some("all"), None) => Ok(Scope::Everything),
        (Some("state"), None) => Ok(Scope::State),
        (Some(other), _) => Err(ControlError::bad_request(format!(
            "scope {other:?} is not one of: all (the default: state, journal, faults, callback log, clock), state (every app's state), or give sdkappid=N alone for one app"
        ))),
    }
}
