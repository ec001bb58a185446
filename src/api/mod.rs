//! HTTP only: routing, the vendor envelope, the common layer, and one file per vendor command.

pub mod account;
pub mod command;
pub mod common;
pub mod emulator;
pub mod envelope;
pub mod group;

use axum::Router;
use axum::routing::any;

use crate::emulator::Shared;

/// Every route: the vendor API under `/v4/`, the control plane under `/_emulator/`, and a
/// fallback that answers in the vendor envelope.
pub fn router(state: Shared) -> Router {
    Router::new()
        .route("/v4/{service}/{command}", any(common::vendor))
        .merge(emulator::router())
        .fallback(common::fallback)
        .with_state(state)
}
