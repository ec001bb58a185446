//! `im_open_login_svc`: one file per command, named as the vendor names it.

pub mod account_check;
pub mod account_delete;
pub mod account_import;
pub mod kick;
pub mod multiaccount_import;

use serde::Deserialize;

use crate::api::command::{Call, Service};
use crate::domain::account::check_user_id;
use crate::error::VendorError;
use crate::rules::RulesProfile;

/// One `{"UserID": ...}` item of a batch.
#[derive(Debug, Deserialize)]
#[allow(non_snake_case)]
pub struct UserItem {
    /// The account.
    UserID: Option<String>,
}

/// The batch list `field`: present, with 1 to the profile's batch limit items (70402).
pub(crate) fn batch<T>(
    call: &Call,
    items: Option<Vec<T>>,
    field: &str,
) -> Result<Vec<T>, VendorError> {
    let items = call.required(items, field, Service::Account)?;
    let max = call.rules().account_batch_max;
    if items.is_empty() || items.len() > max {
        return Err(VendorError::AccountParam(format!(
            "{field} has {} items; give 1 to {max}",
            items.len()
        )));
    }
    Ok(items)
}

/// The `UserID`s of `[{"UserID": ...}]` items, each checked (70402).
pub(crate) fn user_ids(
    items: Vec<UserItem>,
    field: &str,
    rules: &RulesProfile,
) -> Result<Vec<String>, VendorError> {
    let mut ids = Vec::with_capacity(items.len());
    for (i, item) in items.into_iter().enumerate() {
        let id = item.UserID.unwrap_or_default();
        check_user_id(&id, &format!("{field}[{i}].UserID"), rules)?;
        ids.push(id);
    }
    Ok(ids)
}

/// The account a request names by `UserID` or by the legacy `Identifier` (`UserID` wins when
/// both are sent), with the field it came from; 70402 when neither is sent.
pub(crate) fn user_id_or_identifier(
    call: &Call,
    user_id: Option<String>,
    identifier: Option<String>,
) -> Result<(&'static str, String), VendorError> {
    match (user_id, identifier) {
        (Some(id), _) => Ok(("UserID", id)),
        (None, Some(id)) => Ok(("Identifier", id)),
        (None, None) => {
            let missing = crate::domain::wire::missing("UserID", &call.body);
            Err(Service::Account.field_error(format!(
                "{missing} (the legacy name Identifier is accepted too)"
            )))
        }
    }
}

/// One per-account result of account_check and account_delete.
#[derive(serde::Serialize)]
#[allow(non_snake_case)]
pub(crate) struct ResultItem<'a> {
    pub ResultCode: u32,
    pub ResultInfo: &'a str,
    pub UserID: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub AccountStatus: Option<&'static str>,
}
