//! `im_open_login_svc/multiaccount_import`: imports up to 100 accounts at once.

use axum::response::Response;
use serde::{Deserialize, Serialize};

use super::batch;
use crate::api::command::{Call, Service, VendorCommand};
use crate::api::envelope;
use crate::domain::account::check_user_id;
use crate::error::VendorError;

/// `multiaccount_import` (SPEC §4).
pub struct MultiaccountImport;

/// The multiaccount_import body.
#[derive(Debug, Deserialize)]
#[allow(non_snake_case)]
pub struct Request {
    /// The accounts, 1 to 100.
    Accounts: Option<Vec<String>>,
}

#[derive(Serialize)]
#[allow(non_snake_case)]
struct Answer {
    FailAccounts: Vec<String>,
}

impl VendorCommand for MultiaccountImport {
    const SERVICE: Service = Service::Account;
    const NAME: &'static str = "multiaccount_import";
    const SUMMARY: &'static str = "`Accounts` (1–100); invalid IDs come back in `FailAccounts`";
    type Request = Request;

    /// Imports every valid ID of `Accounts` (an existing account keeps its profile); the invalid
    /// ones are listed in `FailAccounts`.
    async fn handle(call: Call, request: Request) -> Result<Response, VendorError> {
        let rules = call.emu.rules;
        let ids = batch(&call, request.Accounts, "Accounts")?;
        let mut fail = Vec::new();
        for id in ids {
            if check_user_id(&id, "UserID", rules).is_err() {
                fail.push(id);
            } else {
                call.app.import_if_new(&id);
            }
        }
        Ok(envelope::ok(Answer { FailAccounts: fail }))
    }
}
