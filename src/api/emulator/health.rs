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
    /// Apps holding state (a group or an account stored; see `store::slots`).
    stored_apps: usize,
    /// The cap on zero-config apps holding state (`--max-apps`); null when there is none.
    max_apps: Option<usize>,
}

/// Answers 200 as soon as the server accepts requests.
pub async fn get(State(emu): State<Shared>) -> Json<Health> {
    let (stored_apps, max_apps) = emu.store.app_count();
    Json(Health {
        status: "ok",
        version: env!("CARGO_PKG_VERSION"),
        uptime_seconds: emu.uptime_seconds(),
        rules_profile: emu.rules.name,
        configured_apps: emu.apps.configured_ids(),
        stored_apps,
        max_apps,
    })
}
