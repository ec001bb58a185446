//! The one list of vendor commands the emulator serves. Lookup and dispatch, the lists of served
//! commands in 10003/60008 ErrorInfo, fault-rule validation, the journal and the README's
//! endpoint table all read it, so they cannot drift apart. Adding a command is one new file
//! (with its [`VendorCommand`](super::command::VendorCommand) declaration) and one line here.

use super::command::{Command, Service, command};
use super::{account, group};
use crate::error::VendorError;

/// Every served command, group commands first, each once.
pub static COMMANDS: &[Command] = &[
    command::<group::create_group::CreateGroup>(),
    command::<group::get_group_info::GetGroupInfo>(),
    command::<group::get_group_member_info::GetGroupMemberInfo>(),
    command::<group::modify_group_base_info::ModifyGroupBaseInfo>(),
    command::<group::destroy_group::DestroyGroup>(),
    command::<group::get_appid_group_list::GetAppidGroupList>(),
    command::<group::add_group_member::AddGroupMember>(),
    command::<group::delete_group_member::DeleteGroupMember>(),
    command::<group::modify_group_member_info::ModifyGroupMemberInfo>(),
    command::<group::change_group_owner::ChangeGroupOwner>(),
    command::<group::get_joined_group_list::GetJoinedGroupList>(),
    command::<group::get_role_in_group::GetRoleInGroup>(),
    command::<group::forbid_send_msg::ForbidSendMsg>(),
    command::<group::get_group_muted_account::GetGroupMutedAccount>(),
    command::<group::get_group_shutted_uin::GetGroupShuttedUin>(),
    command::<group::import_group::ImportGroup>(),
    command::<group::import_group_member::ImportGroupMember>(),
    command::<group::send_group_msg::SendGroupMsg>(),
    command::<group::import_group_msg::ImportGroupMsg>(),
    command::<group::set_unread_msg_num::SetUnreadMsgNum>(),
    command::<group::group_msg_get_simple::GroupMsgGetSimple>(),
    command::<group::group_msg_recall::GroupMsgRecall>(),
    command::<group::delete_group_msg_by_sender::DeleteGroupMsgBySender>(),
    command::<group::send_group_system_notification::SendGroupSystemNotification>(),
    command::<group::get_online_member_num::GetOnlineMemberNum>(),
    command::<account::account_import::AccountImport>(),
    command::<account::multiaccount_import::MultiaccountImport>(),
    command::<account::account_check::AccountCheck>(),
    command::<account::account_delete::AccountDelete>(),
    command::<account::kick::Kick>(),
];

/// Vendor services that exist but that the emulator does not serve (for a clearer ErrorInfo).
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

/// The commands of `service`.
pub fn of(service: Service) -> impl Iterator<Item = &'static Command> {
    COMMANDS.iter().filter(move |c| c.service == service)
}

/// The command with this word, in any service (command words are unique across services).
pub fn by_name(name: &str) -> Option<&'static Command> {
    COMMANDS.iter().find(|c| c.name == name)
}

/// Every served command word.
pub fn names() -> impl Iterator<Item = &'static str> {
    COMMANDS.iter().map(|c| c.name)
}

/// The words of `service`, joined for messages (`a, b and c`).
fn served_list(service: Service) -> String {
    let names: Vec<&str> = of(service).map(|c| c.name).collect();
    match names.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        _ => names.join(""),
    }
}

/// Finds the command of a `/v4/{service}/{command}` path: 60008 for an unknown service, 10003
/// for an unknown group command, 60008 for an unknown command of another service (SPEC §1).
pub fn lookup(service: &str, command: &str) -> Result<&'static Command, VendorError> {
    if let Some(c) = COMMANDS
        .iter()
        .find(|c| c.name == command && c.service.name() == service)
    {
        return Ok(c);
    }
    let known = Service::ALL.into_iter().find(|s| s.name() == service);
    let unserved = |s: Service| {
        format!(
            "{service}/{command} is not a command tim-emulator serves; it serves {}",
            served_list(s)
        )
    };
    match known {
        Some(s @ Service::Group) => Err(VendorError::InvalidCommand(unserved(s))),
        Some(s) => Err(VendorError::UnknownService(unserved(s))),
        None if OTHER_VENDOR_SERVICES.contains(&service) => {
            Err(VendorError::UnknownService(format!(
                "service {service:?} exists in the vendor API but tim-emulator does not serve it"
            )))
        }
        None => Err(VendorError::UnknownService(format!(
            "service {service:?} is not a vendor service name"
        ))),
    }
}

/// The README's endpoint table rows for the vendor commands, one per command.
pub fn endpoint_table() -> String {
    COMMANDS
        .iter()
        .map(|c| format!("| `POST /v4/{}` | {} |\n", c.path(), c.summary))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_gives_the_spec_codes_for_unknown_routes() {
        let table = [
            ("group_open_http_svc", "create_group", Ok("create_group")),
            ("im_open_login_svc", "account_check", Ok("account_check")),
            ("group_open_http_svc", "nope", Err(10003)),
            ("group_open_http_svc", "account_import", Err(10003)),
            ("im_open_login_svc", "create_group", Err(60008)),
            ("openim", "sendmsg", Err(60008)),
            ("nosuch", "create_group", Err(60008)),
        ];
        for (svc, cmd, want) in table {
            assert_eq!(
                lookup(svc, cmd).map(|c| c.name).map_err(|e| e.code()),
                want,
                "{svc}/{cmd}"
            );
        }
    }

    #[test]
    fn every_command_is_declared_once() {
        let mut names: Vec<&str> = names().collect();
        let n = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), n, "a command word is registered twice");
    }

    #[test]
    fn unknown_command_messages_list_the_served_ones() {
        let e = lookup("group_open_http_svc", "nope").expect_err("unknown");
        for c in of(Service::Group) {
            assert!(e.to_string().contains(c.name), "{e}");
        }
    }

    #[test]
    fn the_readme_endpoint_table_is_the_registry() {
        let readme = include_str!("../../README.md");
        let table = endpoint_table();
        assert!(
            readme.contains(&table),
            "README.md's endpoint table is out of date; its vendor rows must be exactly:\n{table}"
        );
    }
}
