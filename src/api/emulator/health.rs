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
    /// Apps holding state (a group or an account stored; see `store::slots`).
    stored_apps: usize,
    /// The cap on zero-config apps holding state (`--max-apps`); null when there is none.
    max_apps: Option<usize>,
    /// The edition of `rules_profile` (null for the default profile, which has none).
    edition: Option<&'static str>,
    /// Each configured app's profile and edition (spec §40.1).
    app_profiles: Vec<AppProfile>,
    #[serde(skip_serializing_if = "Option::is_none")]
    save_failure: Option<SaveFailure>,
}

/// One configured app's rules profile and edition.
#[derive(Serialize)]
pub struct AppProfile {
    sdkappid: u64,
    rules_profile: &'static str,
    edition: Option<&'static str>,
}

/// Answers 200 as soon as the server accepts requests.
pub async fn get(State(emu): State<Shared>) -> Json<Health> {
    let (stored_apps, max_apps) = emu.store.app_count();
    let save_failure = emu.saves.failure();
    Json(Health {
        status: if save_failure.is_some() {
            "degraded"
        } else {
            "ok"
        },
        version: env!("CARGO_PKG_VERSION"),
        uptime_seconds: emu.uptime_seconds(),
        rules_profile: emu.apps.zero_config_rules().name,
        configured_apps: emu.apps.configured_ids(),
        stored_apps,
        max_apps,
        edition: emu.apps.zero_config_rules().edition.map(|e| e.as_str()),
        app_profiles: emu
            .apps
            .configured_ids()
            .into_iter()
            .filter_map(|id| {
                let rules = emu.apps.policy(id).ok()?.rules;
                Some(AppProfile {
                    sdkappid: id,
                    rules_profile: rules.name,
                    edition: rules.edition.map(|e| e.as_str()),
                })
            })
            .collect(),
        save_failure,
    })
}
