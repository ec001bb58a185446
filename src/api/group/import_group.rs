//! `group_open_http_svc/import_group`: a group migrated from another system (spec §21). It takes
//! create_group's fields and rules, plus the group's old `CreateTime`, and leaves out what a
//! migration must not trigger: no quota, no sensitive-word check, no callbacks.

use axum::response::Response;
use serde::{Deserialize, Serialize};

use super::ensure_imported;
use crate::api::command::{Call, Service, VendorCommand};
use crate::api::envelope;
use crate::domain::create_group::{self, NewGroup};
use crate::domain::custom_data::CustomItem;
use crate::domain::group::GroupType;
use crate::domain::wire::Int;
use crate::error::VendorError;

/// `import_group` (spec §21).
pub struct ImportGroup;

const NAME: &str = "import_group";

/// The import_group body: create_group's fields (SPEC §3.1) without `MemberList` and
/// `AppMemberDefinedData` (members come through import_group_member; both are ignored as
/// unknown fields), plus `CreateTime` and `SupportTopic`.
#[derive(Debug, Deserialize)]
#[allow(non_snake_case)]
pub struct Request {
    /// The owner.
    Owner_Account: Option<String>,
    /// The group type (AVChatRoom/BChatRoom: 10007).
    Type: Option<String>,
    /// A custom ID.
    GroupId: Option<String>,
    /// The name.
    Name: Option<String>,
    /// The introduction.
    Introduction: Option<String>,
    /// The notification.
    Notification: Option<String>,
    /// The avatar URL.
    FaceUrl: Option<String>,
    /// The member cap.
    MaxMemberCount: Option<Int>,
    /// How applications to join are handled.
    ApplyJoinOption: Option<String>,
    /// Group custom data.
    AppDefinedData: Option<Vec<CustomItem>>,
    /// When the group was created in the old system (unix seconds, 1..=now); absent = now.
    CreateTime: Option<Int>,
    /// Topics on (1) or off (0); 1 needs a Community group.
    SupportTopic: Option<Int>,
}

#[derive(Serialize)]
struct Imported {
    #[serde(rename = "GroupId")]
    group_id: String,
}

impl VendorCommand for ImportGroup {
    const SERVICE: Service = Service::Group;
    const NAME: &'static str = NAME;
    const SUMMARY: &'static str = "create_group's rules plus `CreateTime` (1..=now); 10007 for AVChatRoom/BChatRoom, 10021 for a used ID; no quota, no callbacks";
    type Request = Request;

    /// Imports a group (spec §21.2): create_group's field checks, then `CreateTime`,
    /// `SupportTopic` and the type rule, then the owner and the ID; stored atomically with
    /// `CreateTime`, `LastInfoTime` and the owner's `JoinTime` all at the given time.
    async fn handle(call: Call, request: Request) -> Result<Response, VendorError> {
        let (created, support_topic) = (request.CreateTime, request.SupportTopic);
        let mut new = create_group::parse(
            request.into_create_group(),
            &call.body,
            call.rules(),
            call.app.policy(),
        )?;
        let created = create_time(created, call.now())?;
        check_support_topic(support_topic, new.group.group_type)?;
        check_type(&new)?;
        new.group.creator = call.identifier.as_str().into();
        new.group.activated =
            new.group.group_type != GroupType::Private || call.emu.private_groups_start_active;
        if let Some(owner) = &new.group.owner {
            ensure_imported(&call, "Owner_Account", owner)?;
        }
        if let Some(id) = &new.custom_id
            && call.app.group_exists(id)
        {
            return Err(VendorError::GroupIdInUse(id.clone()));
        }
        let group_id = call.app.insert_unmetered(new, created)?;
        Ok(envelope::ok(Imported { group_id }))
    }
}

impl Request {
    /// create_group's request with the same fields; no members.
    fn into_create_group(self) -> create_group::Request {
        create_group::Request {
            Owner_Account: self.Owner_Account,
            Type: self.Type,
            GroupId: self.GroupId,
            Name: self.Name,
            Introduction: self.Introduction,
            Notification: self.Notification,
            FaceUrl: self.FaceUrl,
            MaxMemberCount: self.MaxMemberCount,
            ApplyJoinOption: self.ApplyJoinOption,
            AppDefinedData: self.AppDefinedData,
            AppMemberDefinedData: None,
            MemberList: None,
            ..create_group::Request::default()
        }
    }
}

/// `CreateTime`: 1..=now (10004 otherwise, emulator choice, spec §21.1); now when absent.
fn create_time(given: Option<Int>, now: u64) -> Result<u64, VendorError> {
    match given.map(|t| t.0) {
        None => Ok(now),
        Some(t) if t >= 1 && t <= i128::from(now) => Ok(t as u64),
        Some(t) => Err(VendorError::InvalidParameter(format!(
            "CreateTime is {t}; it must be a unix time in seconds from 1 up to now ({now})"
        ))),
    }
}

/// `SupportTopic`: 0 or 1, and 1 only for Community groups, which only the `current` profile
/// has (spec §21.1, §40.2 #9; 10004, emulator choice).
fn check_support_topic(given: Option<Int>, kind: GroupType) -> Result<(), VendorError> {
    match given.map(|t| t.0) {
        None | Some(0) => Ok(()),
        Some(1) if kind == GroupType::Community => Ok(()),
        Some(1) => Err(VendorError::InvalidParameter(format!(
            "SupportTopic 1 is for Community groups only, not {kind}; leave SupportTopic out or send 0"
        ))),
        Some(t) => Err(VendorError::InvalidParameter(format!(
            "SupportTopic is {t}; it must be 0 or 1"
        ))),
    }
}

/// AVChatRoom and BChatRoom groups cannot be imported (spec §10.2, §21.1: 10007).
fn check_type(new: &NewGroup) -> Result<(), VendorError> {
    let t = new.group.group_type;
    if matches!(t, GroupType::AVChatRoom | GroupType::BChatRoom) {
        return Err(VendorError::PermissionDenied(format!(
            "{NAME} does not take {t} groups; import Private, Public or ChatRoom groups, or create a {t} group with create_group"
        )));
    }
    Ok(())
}
