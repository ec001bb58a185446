//! tim-emulator: a local emulator of Tencent Cloud IM's server REST API.
//!
//! Point server code at `http://127.0.0.1:PORT` instead of the cloud and get the answers, error
//! codes and side effects the cloud would give, starting with
//! `POST /v4/group_open_http_svc/create_group`.
//!
//! # Layout
//!
//! - [`config`]: the command line (clap), every flag with an environment variable.
//! - [`config_file`]: the TOML file of configured apps.
//! - [`api`]: HTTP only. [`api::common`] is the common layer of SPEC §1 (it runs each request
//!   in its own task, so it completes even if the client leaves, and turns a handler panic into
//!   10002); [`api::command`] defines what a vendor command is ([`api::command::VendorCommand`]:
//!   service, command word, rate class, serde request type, handler); [`api::registry`] is the
//!   one list of served commands that lookup, dispatch, error texts, fault rules and the
//!   README's endpoint table read; one file per command (`api/group/create_group.rs`, ...);
//!   [`api::emulator`] is the `/_emulator/` control plane.
//! - [`domain`]: the vendor's rules as pure functions and validated types: the stored group
//!   model ([`domain::group`], [`domain::members`]), typed-request errors ([`domain::wire`]),
//!   create_group's conversion, custom data, the GroupId form.
//! - [`rules`]: the numbers of a rules profile, as data.
//! - [`diagnose`]: the shared diagnoses of ErrorInfo (lengths in bytes and characters, group
//!   types of another profile, limits that differ in today's service).
//! - [`apps`]: which apps exist and what each allows.
//! - [`store`]: all state, sharded, behind short synchronous methods: per app, accounts, groups
//!   (read and changed in place under the shard lock) and the member → groups index.
//! - [`clock`]: the one clock every time comes from, movable through `/_emulator/clock`.
//! - [`callback`]: callbacks to the app backend and their delivery log.
//! - [`error`]: the one vendor error enum.
//! - [`usersig`]: UserSig verification and minting.
//! - [`journal`], [`faults`]: the request journal and fault injection behind the control plane.
//! - [`metrics`]: the Prometheus metrics of `GET /_emulator/metrics` (atomics on the request
//!   path, everything else read at scrape time).
//! - [`snapshot`]: the state document (export and all-or-nothing import).
//! - [`persist`]: the `--state-file` (load at start, atomic save at shutdown and periodically).
//! - [`seed`]: the `--seed-file` and the config's declared accounts, what a reset returns to,
//!   and the full reset.
//! - [`text`]: cutting kept text to a byte cap at a character boundary.
//! - [`embed`]: the emulator inside a Rust test ([`Emulator::builder`] → [`EmulatorHandle`]).
//! - [`ready`]: the start line and the ready record (`--ready-file`, `TIM_EMULATOR_READY` on
//!   stdout) that tells a harness the bound URLs.
//! - [`tls`]: HTTPS on a second port: a given PEM certificate and key, or a CA and leaf
//!   generated at start (issue 14).
//! - [`healthcheck`]: the `tim-emulator healthcheck` probe for container health checks.
//! - [`server`]: the accept loop ([`serve`], and [`serve_tls`] for the HTTPS port): HTTP/1.1
//!   connections with the idle, header and body timeouts, and the graceful stop.

pub mod api;
pub mod apps;
pub mod callback;
pub mod clock;
pub mod config;
pub mod config_file;
pub mod diagnose;
pub mod domain;
pub mod embed;
pub mod emulator;
pub mod error;
pub mod faults;
pub mod healthcheck;
pub mod journal;
pub mod metrics;
pub mod persist;
pub mod ready;
pub mod rules;
pub mod seed;
pub mod server;
pub mod snapshot;
pub mod store;
pub mod text;
pub mod tls;
pub mod usersig;

use axum::Router;

pub use clock::Clock;
pub use embed::{EmulatorBuilder, EmulatorHandle};
pub use emulator::{Emulator, FieldNames, Settings, Shared};
pub use server::{serve, serve_tls};

/// The whole HTTP application for `state`.
pub fn build_app(state: Shared) -> Router {
    api::router(state)
}

/// Completes on Ctrl-C (SIGINT) or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
