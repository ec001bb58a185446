//! `im_open_login_svc/multiaccount_import`: imports up to 100 accounts at once.

use axum::response::Response;
use serde::Serialize;

use super::{batch, type_error};
use crate::api::command::Call;
use crate::api::envelope;
use crate::domain::account::{Account, check_user_id};
use crate::domain::json::item_str;
use crate::error::VendorError;

#[derive(Serialize)]
#[allow(non_snake_case)]
struct Answer<'a> {
    FailAccounts: Vec<&'a str>,
}

/// Imports every valid ID of `Accounts`; the invalid ones are listed in `FailAccounts`.
pub fn handle(call: Call) -> Result<Response, VendorError> {
    let rules = call.emu.rules;
    let items = batch(&call.body, "Accounts", rules)?;
    let ids: Vec<&str> = items
        .iter()
        .enumerate()
        .map(|(i, v)| item_str(v, "Accounts", i).map_err(type_error))
        .collect::<Result<_, _>>()?;
    let mut fail = Vec::new();
    for id in ids {
        if check_user_id(id, "UserID", rules).is_err() {
            fail.push(id);
        } else if !call.app.is_imported(id) {
            call.app.import(id, Account::default());
        }
    }
    Ok(envelope::ok(Answer { FailAccounts: fail }))
}
