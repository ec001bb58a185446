//! HTTP only: routing, the vendor envelope, the common layer, and one file per vendor command.

pub mod account;
pub mod body;
pub mod command;
pub mod common;
pub mod emulator;
pub mod envelope;
pub mod group;
pub mod registry;

use axum::Router;

use crate::emulator::Shared;

/// Every route: the control plane under `/_emulator/`, and everything else through
/// [`common::fallback`], which serves `/v4/...` as the vendor API (the common layer reads
/// `{service}/{command}` itself, so no path parameters are extracted per request) and answers
/// any other path in the vendor envelope.
pub fn router(state: Shared) -> Router {
    Router::new()
        .merge(emulator::router(state.clone()))
        .fallback(common::fallback)
        .with_state(state)
}
