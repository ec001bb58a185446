//! `im_open_login_svc`: one file per command, named as the vendor names it.

pub mod account_check;
pub mod account_delete;
pub mod account_import;
pub mod multiaccount_import;

use serde_json::Value;

use crate::domain::account::check_user_id;
use crate::domain::json::{FieldTypeError, Object, item_object, opt_array, opt_str};
use crate::error::VendorError;
use crate::rules::RulesProfile;

/// A field type error of an account command is 70402.
pub(crate) fn type_error(e: FieldTypeError) -> VendorError {
    VendorError::AccountParam(e.to_string())
}

/// The batch list `field` of a body: an array of 1 to the profile's batch limit (70402).
pub(crate) fn batch<'a>(
    body: &'a Object,
    field: &str,
    rules: &RulesProfile,
) -> Result<&'a [Value], VendorError> {
    let items = opt_array(body, field).map_err(type_error)?;
    let items = items.ok_or_else(|| VendorError::AccountParam(format!("{field} is required")))?;
    let max = rules.account_batch_max;
    if items.is_empty() || items.len() > max {
        return Err(VendorError::AccountParam(format!(
            "{field} has {} items; give 1 to {max}",
            items.len()
        )));
    }
    Ok(items)
}

/// The `UserID`s of `[{"UserID": ...}]` items, each checked (70402).
pub(crate) fn user_ids<'a>(
    items: &'a [Value],
    field: &str,
    rules: &RulesProfile,
) -> Result<Vec<&'a str>, VendorError> {
    let mut ids = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let o = item_object(item, field, i).map_err(type_error)?;
        let label = format!("{field}[{i}].UserID");
        let id = opt_str(o, "UserID").map_err(type_error)?.unwrap_or("");
        check_user_id(id, &label, rules)?;
        ids.push(id);
    }
    Ok(ids)
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
