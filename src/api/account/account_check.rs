//! `im_open_login_svc/account_check`: whether accounts are imported.

use axum::response::Response;
use serde::Serialize;

use super::{ResultItem, batch, user_ids};
use crate::api::command::Call;
use crate::api::envelope;
use crate::error::VendorError;

#[derive(Serialize)]
#[allow(non_snake_case)]
struct Answer<'a> {
    ResultItem: Vec<ResultItem<'a>>,
}

/// Answers `Imported` or `NotImported` for each `CheckItem` (admins count as imported).
pub fn handle(call: Call) -> Result<Response, VendorError> {
    let items = batch(&call.body, "CheckItem", call.emu.rules)?;
    let ids = user_ids(items, "CheckItem", call.emu.rules)?;
    let result = ids
        .into_iter()
        .map(|id| ResultItem {
            ResultCode: 0,
            ResultInfo: "",
            UserID: id,
            AccountStatus: Some(if call.app.is_imported(id) {
                "Imported"
            } else {
                "NotImported"
            }),
        })
        .collect();
    Ok(envelope::ok(Answer { ResultItem: result }))
}
