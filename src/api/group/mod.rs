//! `group_open_http_svc`: one file per command, named as the vendor names it.

pub mod create_group;
pub mod destroy_group;
pub mod get_appid_group_list;
pub mod get_group_info;
pub mod get_group_member_info;

use crate::api::command::Call;
use crate::callback::Origin;
use crate::domain::json::FieldTypeError;
use crate::error::VendorError;

/// A field type error of a group command is 10004.
pub(crate) fn type_error(e: FieldTypeError) -> VendorError {
    VendorError::InvalidParameter(e.to_string())
}

/// Reads the required string `GroupId` of a body (10004 when missing, empty or not a string).
pub(crate) fn required_group_id(body: &crate::domain::json::Object) -> Result<&str, VendorError> {
    match crate::domain::json::opt_str(body, "GroupId").map_err(type_error)? {
        Some(id) if !id.is_empty() => Ok(id),
        _ => Err(VendorError::InvalidParameter(
            "GroupId is required and must not be empty".into(),
        )),
    }
}

/// Where the callbacks of `call` come from: its app, the app's callback settings, its caller.
pub(crate) fn callback_origin(call: &Call) -> Origin<'_> {
    Origin {
        sdkappid: call.app.sdkappid(),
        config: call.app.policy().callback.as_ref(),
        client_ip: call.client_ip,
    }
}
