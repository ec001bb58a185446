//! `im_open_login_svc/multiaccount_import`: imports up to 100 accounts at once, in either of
//! the vendor's two request forms: `Accounts` (UserIDs; SPEC §4) or `AccountList` (objects with
//! a profile; spec §23.1). `AccountList` wins when both are sent.

use axum::response::Response;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::batch;
use crate::api::command::{Call, Service, VendorCommand};
use crate::api::envelope;
use crate::domain::account::{check_profile_value, check_user_id};
use crate::domain::wire;
use crate::error::VendorError;

/// `multiaccount_import` (SPEC §4, spec §23.1).
pub struct MultiaccountImport;

/// The multiaccount_import body. Both lists stay raw JSON until one is chosen, so a malformed
/// `Accounts` does not matter when `AccountList` wins.
#[derive(Debug, Deserialize)]
#[allow(non_snake_case)]
pub struct Request {
    /// The old form: UserIDs, 1 to 100.
    Accounts: Option<Value>,
    /// The new form: `{UserID, Nick?, FaceUrl?}` objects, 1 to 100.
    AccountList: Option<Value>,
}

/// One `AccountList` item.
#[derive(Debug, Deserialize)]
#[allow(non_snake_case)]
struct AccountItem {
    UserID: Option<String>,
    Nick: Option<String>,
    FaceUrl: Option<String>,
}

#[derive(Serialize)]
#[allow(non_snake_case)]
struct Answer {
    FailAccounts: Vec<String>,
}

impl VendorCommand for MultiaccountImport {
    const SERVICE: Service = Service::Account;
    const NAME: &'static str = "multiaccount_import";
    const SUMMARY: &'static str = "`Accounts` or `AccountList` with `Nick`/`FaceUrl` (1–100; `AccountList` wins); invalid IDs come back in `FailAccounts`";
    type Request = Request;

    /// Imports every valid item; the invalid UserIDs are listed in `FailAccounts`. With
    /// `Accounts` an existing account keeps its profile; with `AccountList` it is updated with
    /// the item's `Nick` and `FaceUrl`, as account_import does.
    async fn handle(call: Call, request: Request) -> Result<Response, VendorError> {
        let fail = match (request.AccountList, request.Accounts) {
            (Some(list), _) => import_list(&call, &list)?,
            (None, Some(ids)) => import_ids(&call, &ids)?,
            (None, None) => {
                return Err(VendorError::AccountParam(format!(
                    "{}; send AccountList ([{{\"UserID\", \"Nick\", \"FaceUrl\"}}]) or Accounts ([UserID])",
                    wire::missing("AccountList", &call.body)
                )));
            }
        };
        Ok(envelope::ok(Answer { FailAccounts: fail }))
    }
}

/// The `Accounts` form: each valid ID imported unless it already is (its profile stays).
fn import_ids(call: &Call, ids: &Value) -> Result<Vec<String>, VendorError> {
    let ids: Vec<String> = typed(ids, "Accounts")?;
    let ids = batch(call, Some(ids), "Accounts")?;
    let mut fail = Vec::new();
    let mut valid = Vec::new();
    for id in ids {
        if check_user_id(&id, "UserID", call.rules()).is_err() {
            fail.push(id);
        } else {
            valid.push((id, None));
        }
    }
    call.app.import_batch(valid)?;
    Ok(fail)
}

/// The `AccountList` form: each item with a valid `UserID` imported or updated, in order (a
/// repeated UserID is imported, then updated). An item that breaks a rule is listed in
/// `FailAccounts` and the others are imported (spec §23.1): a `UserID` missing, empty or too
/// long, an item that is not an object, or a `Nick`/`FaceUrl` that is not a string or is longer
/// than 500 bytes (account_import's 40601); it is listed by its `UserID` when that is a string,
/// else as "".
fn import_list(call: &Call, list: &Value) -> Result<Vec<String>, VendorError> {
    let items: Vec<Value> = typed(list, "AccountList")?;
    let items = batch(call, Some(items), "AccountList")?;
    let mut fail = Vec::new();
    let mut valid = Vec::new();
    for raw in &items {
        let item = match wire::from_value::<AccountItem>(raw, "AccountList[]") {
            Ok(item) => item,
            Err(_) => {
                let id = raw.get("UserID").and_then(Value::as_str).unwrap_or("");
                fail.push(id.to_string());
                continue;
            }
        };
        let id = item.UserID.unwrap_or_default();
        let rules = call.rules();
        let (nick, face_url) = (
            item.Nick.unwrap_or_default(),
            item.FaceUrl.unwrap_or_default(),
        );
        let valid_item = check_user_id(&id, "UserID", rules)
            .and_then(|()| check_profile_value(&nick, "Nick", rules))
            .and_then(|()| check_profile_value(&face_url, "FaceUrl", rules));
        if valid_item.is_err() {
            fail.push(id);
        } else {
            valid.push((id, Some((nick, face_url))));
        }
    }
    call.app.import_batch(valid)?;
    Ok(fail)
}

/// `value` as the list `T`, or 70402 naming the path (`AccountList[2].Nick must be a string`).
fn typed<T: serde::de::DeserializeOwned>(value: &Value, field: &str) -> Result<T, VendorError> {
    wire::from_value(value, field).map_err(|e| VendorError::AccountParam(e.to_string()))
}
