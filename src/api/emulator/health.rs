//! `GET /_emulator/health`: liveness with version and uptime.

use axum::Json;
use axum::extract::State;
use serde::Serialize;

use crate::emulator::Shared;

/// The health answer.
#[derive(Serialize)]
pub struct Health {
    status: &'static str,
    version: &'static str,
    uptime_seconds: f64,
    rules_profile: &'static str,
    configured_apps: Vec<u64>,
}

/// Answers 200 as soon as the server accepts requests.
pub async fn get(State(emu): State<Shared>) -> Json<Health> {
    Json(Health {
        status: "ok",
        version: env!("CARGO_PKG_VERSION"),
        uptime_seconds: emu.uptime_seconds(),
        rules_profile: emu.rules.name,
        configured_apps: emu.apps.configured_ids(),
    })
}
