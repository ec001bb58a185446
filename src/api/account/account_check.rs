//! `im_open_login_svc/account_check`: whether accounts are imported.

use axum::response::Response;
use serde::{Deserialize, Serialize};

use super::{ResultItem, UserItem, batch, user_ids};
use crate::api::command::{Call, Service, VendorCommand};
use crate::api::envelope;
use crate::error::VendorError;

/// `account_check` (SPEC §4).
pub struct AccountCheck;

/// The account_check body.
#[derive(Debug, Deserialize)]
#[allow(non_snake_case)]
pub struct Request {
    /// The accounts to check, 1 to 100.
    CheckItem: Option<Vec<UserItem>>,
}

#[derive(Serialize)]
#[allow(non_snake_case)]
struct Answer<'a> {
    ResultItem: Vec<ResultItem<'a>>,
}

impl VendorCommand for AccountCheck {
    const SERVICE: Service = Service::Account;
    const NAME: &'static str = "account_check";
    const SUMMARY: &'static str = "`CheckItem` (1–100); `AccountStatus` `Imported`/`NotImported`";
    type Request = Request;

    /// Answers `Imported` or `NotImported` for each `CheckItem` (admins count as imported).
    async fn handle(call: Call, request: Request) -> Result<Response, VendorError> {
        let items = batch(&call, request.CheckItem, "CheckItem")?;
        let ids = user_ids(items, "CheckItem", call.rules())?;
        let result = ids
            .iter()
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
}
