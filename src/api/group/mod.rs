//! `group_open_http_svc`: one file per command, named as the vendor names it, and the pieces
//! they share: the group lookup of spec §10.3, the type rules of §10.2, per-member results.

pub mod add_group_member;
pub mod change_group_owner;
pub mod create_group;
pub mod delete_group_member;
pub mod delete_group_msg_by_sender;
pub mod destroy_group;
pub mod forbid_send_msg;
pub mod get_appid_group_list;
pub mod get_group_info;
pub mod get_group_member_info;
pub mod get_group_muted_account;
pub mod get_group_shutted_uin;
pub mod get_joined_group_list;
pub mod get_online_member_num;
pub mod get_role_in_group;
pub mod group_msg_get_simple;
pub mod group_msg_recall;
pub mod import_group;
pub mod import_group_member;
pub mod import_group_msg;
pub mod modify_group_base_info;
pub mod modify_group_member_info;
pub(crate) mod msg;
pub mod send_group_msg;
pub mod send_group_system_notification;
pub mod set_unread_msg_num;

use serde::Serialize;

use crate::api::command::{Call, Service};
use crate::callback::Origin;
use crate::domain::group::{Group, GroupType};
use crate::domain::group_id;
use crate::error::VendorError;

/// The `GroupId` of a request, checked as spec §10.3 steps 1 and 2: 10004 when missing (a
/// wrong type is already 10004 from the typed request), 10015 when no group could have it.
/// Step 3 (10010 for an unknown group) is the store's: `with_group` / `update_group`.
pub(crate) fn group_id(call: &Call, id: Option<String>) -> Result<String, VendorError> {
    let id = call.required(id, "GroupId", Service::Group)?;
    group_id::check_form(&id, call.rules())?;
    Ok(id)
}

/// The type rule of spec §10.2: `Err(refusal)` when `command` does not apply to `group`'s type.
/// `code` builds the error (10007 `PermissionDenied` or 10004 `InvalidParameter`).
pub(crate) fn allow_types(
    command: &str,
    group: &Group,
    refused: &[GroupType],
    code: fn(String) -> VendorError,
) -> Result<(), VendorError> {
    if refused.contains(&group.group_type) {
        return Err(code(format!(
            "{command} does not apply to {} groups (group {:?})",
            group.group_type, group.id
        )));
    }
    Ok(())
}

/// `Silence`: absent, 0 or 1 (10004 otherwise; emulator choice); `one` says what 1 means for
/// the command, in the ErrorInfo.
pub(crate) fn check_silence(
    silence: Option<crate::domain::wire::Int>,
    one: &str,
) -> Result<(), VendorError> {
    match silence.map(|n| n.0) {
        None | Some(0 | 1) => Ok(()),
        Some(n) => Err(VendorError::InvalidParameter(format!(
            "Silence is {n}; it must be 0 (tell the group) or 1 ({one})"
        ))),
    }
}

/// One per-member result of add_group_member and import_group_member.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[allow(non_snake_case)]
pub(crate) struct MemberResult {
    /// The account.
    pub Member_Account: String,
    /// 0 failed, 1 added, 2 already a member (3, pending, is never answered).
    pub Result: u8,
}

/// 10004 unless `account` is imported (or the emulator accepts any account); `field` names the
/// request field in the message.
pub(crate) fn ensure_imported(call: &Call, field: &str, account: &str) -> Result<(), VendorError> {
    if call.is_imported(account) {
        return Ok(());
    }
    Err(VendorError::InvalidParameter(format!(
        "{field} {account:?} is not an imported account; import it first with im_open_login_svc/account_import, or start the emulator with --auto-import-accounts"
    )))
}

/// The operator callbacks report: `From_Account` when given (it must be imported: 10004),
/// else the calling admin (spec §24).
pub(crate) fn operator(call: &Call, from: Option<String>) -> Result<String, VendorError> {
    match from.filter(|f| !f.is_empty()) {
        Some(f) => {
            ensure_imported(call, "From_Account", &f)?;
            Ok(f)
        }
        None => Ok(call.identifier.clone()),
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
