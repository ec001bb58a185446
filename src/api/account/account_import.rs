//! `im_open_login_svc/account_import`: imports one account, or updates its profile.

use axum::response::Response;

use super::type_error;
use crate::api::command::Call;
use crate::api::envelope::{self, NoFields};
use crate::domain::account::{Account, check_user_id};
use crate::domain::json::opt_str;
use crate::error::VendorError;

/// Imports `UserID` (or the legacy `Identifier`) with optional `Nick` and `FaceUrl`.
pub fn handle(call: Call) -> Result<Response, VendorError> {
    let body = &call.body;
    let user_id = opt_str(body, "UserID").map_err(type_error)?;
    let legacy = opt_str(body, "Identifier").map_err(type_error)?;
    let (field, id) = match (user_id, legacy) {
        (Some(id), _) => ("UserID", id),
        (None, Some(id)) => ("Identifier", id),
        (None, None) => return Err(VendorError::AccountParam("UserID is required".into())),
    };
    check_user_id(id, field, call.emu.rules)?;
    let nick = opt_str(body, "Nick").map_err(type_error)?.unwrap_or("");
    let face_url = opt_str(body, "FaceUrl").map_err(type_error)?.unwrap_or("");
    call.app.import(
        id,
        Account {
            nick: nick.to_string(),
            face_url: face_url.to_string(),
        },
    );
    Ok(envelope::ok(NoFields {}))
}
