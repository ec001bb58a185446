//! The black-box suites, compiled as one test binary (one link instead of one per file). Each
//! module is one suite; run one with `cargo test --test suite create_group::`.
//!
//! `tests/quiet_logs.rs` stays a binary of its own: it installs a process-wide log subscriber.

mod common;

mod accounts;
mod bad_input;
mod callbacks;
mod cli;
mod clock;
mod common_layer;
mod configured_app;
mod connections;
mod contention;
mod control_plane;
mod create_group;
mod current_groups;
mod diagnoses;
mod embedding;
mod fixtures;
mod fuzz;
mod group_imports;
mod group_members;
mod group_profile;
mod group_queries;
mod group_reads;
mod https;
mod inspector;
mod messages_admin;
mod messages_history;
mod messages_import;
mod messages_send;
mod namespaces;
mod observability;
mod persistence;
mod profile_messages;
mod profiles;
mod readme;
mod resets;
mod smoke;
mod soak;
mod vendor_limits;
