//! `im_open_login_svc/account_delete`: deletes imported accounts.

use axum::response::Response;
use serde::{Deserialize, Serialize};

use super::{ResultItem, UserItem, batch, user_ids};
use crate::api::command::{Call, Service, VendorCommand};
use crate::api::envelope;
use crate::error::VendorError;

/// The per-account code for an account that was not imported.
const NOT_IMPORTED: (u32, &str) = (70107, "Err_TLS_PT_Open_Login_Account_Not_Exist");
/// The per-account code for an App admin (emulator choice: admins come from configuration).
const IS_ADMIN: (u32, &str) = (
    70403,
    "App admins come from configuration and cannot be deleted",
);

/// `account_delete` (SPEC §4).
pub struct AccountDelete;

/// The account_delete body.
#[derive(Debug, Deserialize)]
#[allow(non_snake_case)]
pub struct Request {
    /// The accounts to delete, 1 to 100.
    DeleteItem: Option<Vec<UserItem>>,
}

#[derive(Serialize)]
#[allow(non_snake_case)]
struct Answer<'a> {
    ResultItem: Vec<ResultItem<'a>>,
}

impl VendorCommand for AccountDelete {
    const SERVICE: Service = Service::Account;
    const NAME: &'static str = "account_delete";
    const SUMMARY: &'static str =
        "`DeleteItem` (1–100); per-account `ResultCode` (70107 when not imported)";
    type Request = Request;

    /// Deletes each `DeleteItem`; 70107 in its result when it was not imported.
    async fn handle(call: Call, request: Request) -> Result<Response, VendorError> {
        let items = batch(&call, request.DeleteItem, "DeleteItem")?;
        let ids = user_ids(items, "DeleteItem", call.rules())?;
        let result = ids
            .iter()
            .map(|id| {
                let (code, info) = if call.app.policy().is_admin(id) {
                    IS_ADMIN
                } else if call.app.delete_account(id) {
                    (0, "")
                } else {
                    NOT_IMPORTED
                };
                ResultItem {
                    ResultCode: code,
                    ResultInfo: info,
                    UserID: id,
                    AccountStatus: None,
                }
            })
            .collect();
        Ok(envelope::ok(Answer { ResultItem: result }))
    }
}
