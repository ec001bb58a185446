//! `im_open_login_svc/kick`: ends an account's client logins (spec §23). The emulator has no
//! client logins, so it records when the account was kicked, for the state export and the
//! control plane; REST calls are not affected.

use axum::response::Response;
use serde::Deserialize;

use super::user_id_or_identifier;
use crate::api::command::{Call, Service, VendorCommand};
use crate::api::envelope::{self, NoFields};
use crate::error::VendorError;

/// `kick` (spec §23).
pub struct Kick;

/// The kick body.
#[derive(Debug, Deserialize)]
#[allow(non_snake_case)]
pub struct Request {
    /// The account.
    UserID: Option<String>,
    /// The legacy name of `UserID` (timsdk and DOBYTE send it); `UserID` wins when both come.
    Identifier: Option<String>,
}

impl VendorCommand for Kick {
    const SERVICE: Service = Service::Account;
    const NAME: &'static str = "kick";
    const SUMMARY: &'static str =
        "`UserID` (or the legacy `Identifier`); 70107 when not imported; records `kicked_at`";
    type Request = Request;

    /// Records `kicked_at = now` for `UserID` (or `Identifier`): 70402 when missing or empty,
    /// 70107 when not imported (admins count as imported).
    async fn handle(call: Call, request: Request) -> Result<Response, VendorError> {
        let (field, id) = user_id_or_identifier(&call, request.UserID, request.Identifier)?;
        if id.is_empty() {
            return Err(VendorError::AccountParam(format!(
                "{field} must not be empty; name the account to kick"
            )));
        }
        if call.emu.auto_import_accounts {
            call.app.import_if_new(&id)?;
        }
        if !call.app.kick(&id, call.now())? {
            return Err(VendorError::AccountNotImported(id));
        }
        Ok(envelope::ok(NoFields {}))
    }
}
