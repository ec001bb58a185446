//! The vendor's rules as pure functions and validated types: no HTTP, no I/O, no locks.
//!
//! Wire bodies arrive as JSON objects; the functions here convert them once into validated
//! values (or the exact vendor error), and handlers never look at raw JSON after that.

pub mod account;
pub mod create_group;
pub mod custom_data;
pub mod group;
pub mod group_id;
pub mod json;
pub mod members;
pub mod message;
pub mod wire;
