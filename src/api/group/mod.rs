//! `group_open_http_svc`: one file per command, named as the vendor names it.

pub mod create_group;
pub mod destroy_group;
pub mod get_appid_group_list;
pub mod get_group_info;
pub mod get_group_member_info;

use crate::api::command::{Call, Service};
use crate::callback::Origin;
use crate::error::VendorError;

/// The required `GroupId` of a request (10004 when missing or empty).
pub(crate) fn required_group_id(call: &Call, id: Option<String>) -> Result<String, VendorError> {
    match call.required(id, "GroupId", Service::Group)? {
        id if id.is_empty() => Err(VendorError::InvalidParameter(
            "GroupId is required and must not be empty".into(),
        )),
        id => Ok(id),
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
