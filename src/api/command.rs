//! The vendor commands the emulator serves, looked up from `{service}/{command}`, and dispatch.

use std::net::IpAddr;
use std::sync::Arc;

use axum::response::Response;

use super::{account, group};
use crate::domain::json::Object;
use crate::emulator::Shared;
use crate::error::VendorError;
use crate::store::AppState;

/// The group service.
pub const GROUP_SERVICE: &str = "group_open_http_svc";
/// The account service.
pub const ACCOUNT_SERVICE: &str = "im_open_login_svc";

/// Vendor services that exist but that the emulator does not serve yet (for a clearer ErrorInfo).
const OTHER_VENDOR_SERVICES: &[&str] = &[
    "openim",
    "profile",
    "sns",
    "all_member_push",
    "openconfigsvr",
    "ConfigSvc",
    "openim_dirty_words",
    "im_msg_audit_mgr",
    "recentcontact",
    "bot_account_mgr",
    "official_account_open_http_svc",
    "chat_room_open_http_svc",
];

/// One vendor command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    /// `group_open_http_svc/create_group`.
    CreateGroup,
    /// `group_open_http_svc/get_group_info`.
    GetGroupInfo,
    /// `group_open_http_svc/get_group_member_info`.
    GetGroupMemberInfo,
    /// `group_open_http_svc/destroy_group`.
    DestroyGroup,
    /// `group_open_http_svc/get_appid_group_list`.
    GetAppidGroupList,
    /// `im_open_login_svc/account_import`.
    AccountImport,
    /// `im_open_login_svc/multiaccount_import`.
    MultiaccountImport,
    /// `im_open_login_svc/account_check`.
    AccountCheck,
    /// `im_open_login_svc/account_delete`.
    AccountDelete,
}

const ALL: [Command; 9] = [
    Command::CreateGroup,
    Command::GetGroupInfo,
    Command::GetGroupMemberInfo,
    Command::DestroyGroup,
    Command::GetAppidGroupList,
    Command::AccountImport,
    Command::MultiaccountImport,
    Command::AccountCheck,
    Command::AccountDelete,
];

/// A request that passed the common layer: the app, the caller and the JSON body.
#[derive(Debug)]
pub struct Call {
    /// The emulator.
    pub emu: Shared,
    /// The app's state.
    pub app: Arc<AppState>,
    /// The caller's `identifier`.
    pub identifier: String,
    /// The request body, a JSON object.
    pub body: Object,
    /// The caller's address, when known.
    pub client_ip: Option<IpAddr>,
}

impl Command {
    /// The command word as the vendor spells it.
    pub fn name(self) -> &'static str {
        match self {
            Self::CreateGroup => "create_group",
            Self::GetGroupInfo => "get_group_info",
            Self::GetGroupMemberInfo => "get_group_member_info",
            Self::DestroyGroup => "destroy_group",
            Self::GetAppidGroupList => "get_appid_group_list",
            Self::AccountImport => "account_import",
            Self::MultiaccountImport => "multiaccount_import",
            Self::AccountCheck => "account_check",
            Self::AccountDelete => "account_delete",
        }
    }

    /// The command with this word, in any service (command words are unique across services).
    pub fn by_name(name: &str) -> Option<Self> {
        ALL.iter().copied().find(|c| c.name() == name)
    }

    /// Every command word the emulator serves.
    pub fn names() -> impl Iterator<Item = &'static str> {
        ALL.iter().map(|c| c.name())
    }

    /// The service the command belongs to.
    pub fn service(self) -> &'static str {
        match self {
            Self::AccountImport
            | Self::MultiaccountImport
            | Self::AccountCheck
            | Self::AccountDelete => ACCOUNT_SERVICE,
            _ => GROUP_SERVICE,
        }
    }

    /// Finds the command of a `/v4/{service}/{command}` path: 60008 for an unknown service, 10003
    /// for an unknown group command, 60008 for an unknown command of another service.
    pub fn lookup(service: &str, command: &str) -> Result<Self, VendorError> {
        if let Some(c) = ALL
            .iter()
            .find(|c| c.service() == service && c.name() == command)
        {
            return Ok(*c);
        }
        match service {
            GROUP_SERVICE => Err(VendorError::InvalidCommand(format!(
                "{service}/{command} is not a command tim-emulator serves; it serves create_group, get_group_info, get_group_member_info, destroy_group and get_appid_group_list"
            ))),
            ACCOUNT_SERVICE => Err(VendorError::UnknownService(format!(
                "{service}/{command} is not a command tim-emulator serves; it serves account_import, multiaccount_import, account_check and account_delete"
            ))),
            s if OTHER_VENDOR_SERVICES.contains(&s) => Err(VendorError::UnknownService(format!(
                "service {s:?} exists in the vendor API but tim-emulator does not serve it"
            ))),
            s => Err(VendorError::UnknownService(format!(
                "service {s:?} is not a vendor service name"
            ))),
        }
    }

    /// Checks that the caller is an App admin (10007 for groups, 70403 for accounts), then runs.
    pub async fn run(self, call: Call) -> Result<Response, VendorError> {
        let is_admin = call.app.policy().is_admin(&call.identifier);
        if !is_admin {
            return Err(if self.service() == GROUP_SERVICE {
                VendorError::PermissionDenied(format!(
                    "identifier {:?} is not an App admin of this app; group commands need an admin",
                    call.identifier
                ))
            } else {
                VendorError::AccountNotAdmin(call.identifier)
            });
        }
        match self {
            Self::CreateGroup => group::create_group::handle(call).await,
            Self::GetGroupInfo => group::get_group_info::handle(call),
            Self::GetGroupMemberInfo => group::get_group_member_info::handle(call),
            Self::DestroyGroup => group::destroy_group::handle(call),
            Self::GetAppidGroupList => group::get_appid_group_list::handle(call),
            Self::AccountImport => account::account_import::handle(call),
            Self::MultiaccountImport => account::multiaccount_import::handle(call),
            Self::AccountCheck => account::account_check::handle(call),
            Self::AccountDelete => account::account_delete::handle(call),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_gives_the_spec_codes_for_unknown_routes() {
        let table = [
            (
                "group_open_http_svc",
                "create_group",
                Ok(Command::CreateGroup),
            ),
            (
                "im_open_login_svc",
                "account_check",
                Ok(Command::AccountCheck),
            ),
            ("group_open_http_svc", "nope", Err(10003)),
            ("group_open_http_svc", "account_import", Err(10003)),
            ("im_open_login_svc", "create_group", Err(60008)),
            ("openim", "sendmsg", Err(60008)),
            ("nosuch", "create_group", Err(60008)),
        ];
        for (svc, cmd, want) in table {
            assert_eq!(
                Command::lookup(svc, cmd).map_err(|e| e.code()),
                want,
                "{svc}/{cmd}"
            );
        }
    }
}
