//! `GET /_emulator/health`: liveness with version and uptime, and whether the periodic
//! state-file saves work.
//!
//! Always 200 while the server answers (it is a liveness probe). `status` is `"ok"`, or
//! `"degraded"` while the last `--save-interval` save failed; then `save_failure` says which
//! file, the error and when (`failed_at_ms`, unix milliseconds), until a later save succeeds.

use axum::Json;
use axum::extract::State;
use serde::Serialize;

use crate::emulator::Shared;
use crate::persist::SaveFailure;

/// The health answer.
#[derive(Serialize)]
pub struct Health {
    status: &'static str,
    version: &'static str,
    uptime_seconds: f64,
    rules_profile: &'static str,
    configured_apps: Vec<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    save_failure: Option<SaveFailure>,
}

/// Answers 200 as soon as the server accepts requests.
pub async fn get(State(emu): State<Shared>) -> Json<Health> {
    let save_failure = emu.saves.failure();
    Json(Health {
        status: if save_failure.is_some() {
            "degraded"
        } else {
            "ok"
        },
        version: env!("CARGO_PKG_VERSION"),
        uptime_seconds: emu.uptime_seconds(),
        rules_profile: emu.rules.name,
        configured_apps: emu.apps.configured_ids(),
        save_failure,
    })
}
