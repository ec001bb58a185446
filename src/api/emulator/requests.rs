//! `GET /_emulator/requests`: the request journal, oldest first, filtered by `sdkappid`,
//! `command` and `failed=true`; `DELETE` clears it.

use std::sync::Arc;

use axum::Json;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use serde::Serialize;

use super::reply::{ControlError, query_pairs, sdkappid_param};
use crate::emulator::Shared;
use crate::journal::{Entry, Filter};

/// The journal answer.
#[derive(Serialize)]
pub struct Journal {
    capacity: usize,
    count: usize,
    entries: Vec<Arc<Entry>>,
}

/// The entries that match the query's filters.
pub async fn get(
    State(emu): State<Shared>,
    RawQuery(query): RawQuery,
) -> Result<Json<Journal>, ControlError> {
    let filter = parse_filter(query.as_deref())?;
    let entries = emu.journal.read(&filter);
    Ok(Json(Journal {
        capacity: emu.journal.capacity(),
        count: entries.len(),
        entries,
    }))
}

/// Clears the journal.
pub async fn delete(State(emu): State<Shared>) -> StatusCode {
    emu.journal.clear();
    StatusCode::NO_CONTENT
}

fn parse_filter(query: Option<&str>) -> Result<Filter, ControlError> {
    let pairs = query_pairs(query);
    let failed_only = match pairs.iter().find(|(k, _)| k == "failed") {
        None => false,
        Some((_, v)) if v == "true" => true,
        Some((_, v)) if v == "false" => false,
        Some((_, v)) => {
            return Err(ControlError::bad_request(format!(
                "failed must be true or false, not {v:?}"
            )));
        }
    };
    Ok(Filter {
        sdkappid: sdkappid_param(&pairs)?,
        command: pairs
            .iter()
            .find(|(k, _)| k == "command")
            .map(|(_, v)| v.clone()),
        failed_only,
    })
}
