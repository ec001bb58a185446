//! `im_open_login_svc/account_import`: imports one account, or updates its profile.

use axum::response::Response;
use serde::Deserialize;

use super::user_id_or_identifier;
use crate::api::command::{Call, Service, VendorCommand};
use crate::api::envelope::{self, NoFields};
use crate::domain::account::{check_profile_value, check_user_id};
use crate::error::VendorError;

/// `account_import` (SPEC §4).
pub struct AccountImport;

/// The account_import body.
#[derive(Debug, Deserialize)]
#[allow(non_snake_case)]
pub struct Request {
    /// The account.
    UserID: Option<String>,
    /// The legacy name of `UserID` (two real SDKs send it).
    Identifier: Option<String>,
    /// Nickname.
    Nick: Option<String>,
    /// Avatar URL.
    FaceUrl: Option<String>,
}

impl VendorCommand for AccountImport {
    const SERVICE: Service = Service::Account;
    const NAME: &'static str = "account_import";
    const SUMMARY: &'static str =
        "`UserID` (or the legacy `Identifier`), `Nick`, `FaceUrl`; importing again updates";
    type Request = Request;

    /// Imports `UserID` (or the legacy `Identifier`) with optional `Nick` and `FaceUrl` (each
    /// at most 500 bytes, else 40601).
    async fn handle(call: Call, request: Request) -> Result<Response, VendorError> {
        let (field, id) = user_id_or_identifier(&call, request.UserID, request.Identifier)?;
        let rules = call.rules();
        check_user_id(&id, field, rules)?;
        let nick = request.Nick.unwrap_or_default();
        let face_url = request.FaceUrl.unwrap_or_default();
        check_profile_value(&nick, "Nick", rules)?;
        check_profile_value(&face_url, "FaceUrl", rules)?;
        call.app.import_batch(vec![(id, Some((nick, face_url)))])?;
        Ok(envelope::ok(NoFields {}))
    }
}
