//! `group_open_http_svc/get_joined_group_list`: the groups one account belongs to (spec §17).
//!
//! The list comes from the store's member → groups index, never from a walk over the app's
//! groups, so its cost follows the account's groups, not the app's. Each group is then read
//! once to filter it (type, huge groups, Private activation, spec §17.4) and to find the
//! member's `JoinTime`, which orders the list; only the page asked for is built.

use axum::response::Response;
use serde::{Deserialize, Serialize};

use super::get_group_info::{BaseInfo, Filter, View, base_info, listed, spelled};
use crate::api::command::{Call, Service, VendorCommand};
use crate::api::envelope;
use crate::domain::group::{Group, GroupType, Member, Role};
use crate::domain::wire::Int;
use crate::error::VendorError;
use crate::store::AppState;

/// `get_joined_group_list` (spec §17).
pub struct GetJoinedGroupList;

/// The largest answer the command sends; a longer one is 10018 (spec §17.3; the vendor's
/// "1 MB", see [`envelope::ANSWER_MAX_BYTES`]).
pub(crate) const ANSWER_MAX_BYTES: usize = envelope::ANSWER_MAX_BYTES;

/// The get_joined_group_list body (spec §17.1).
#[derive(Debug, Deserialize)]
#[allow(non_snake_case)]
pub struct Request {
    /// Whose groups.
    Member_Account: Option<String>,
    /// 1: also list AVChatRoom and BChatRoom groups.
    WithHugeGroups: Option<Int>,
    /// 1: also list Private groups not yet activated.
    WithNoActiveGroups: Option<Int>,
    /// Page size, 0..=5000; absent or 0 means all.
    Limit: Option<Int>,
    /// Groups to skip.
    Offset: Option<Int>,
    /// Only groups of this type.
    GroupType: Option<String>,
    /// Which fields each item carries.
    ResponseFilter: Option<ResponseFilter>,
    /// 1: topic communities (needs `GroupType` Community).
    SupportTopic: Option<Int>,
}

/// get_joined_group_list's `ResponseFilter`.
#[derive(Debug, Deserialize)]
#[allow(non_snake_case)]
struct ResponseFilter {
    GroupBaseInfoFilter: Option<Vec<String>>,
    SelfInfoFilter: Option<Vec<String>>,
}

/// A request whose values passed the rules of spec §17.1.
#[derive(Debug)]
pub(crate) struct Query {
    account: String,
    huge: bool,
    inactive: bool,
    limit: usize,
    offset: usize,
    kind: Option<GroupType>,
    /// `None`: items hold only `GroupId`.
    fields: Option<Fields>,
}

/// What a `ResponseFilter` asks for.
#[derive(Debug)]
struct Fields {
    base: Filter,
    /// `SelfInfoFilter`; `None` leaves `SelfInfo` out.
    self_info: Option<Vec<String>>,
}

#[derive(Serialize)]
#[allow(non_snake_case)]
pub(crate) struct Answer {
    TotalCount: usize,
    GroupIdList: Vec<Item>,
}

/// One listed group.
#[derive(Serialize)]
#[allow(non_snake_case)]
struct Item {
    GroupId: String,
    #[serde(flatten)]
    base: Option<BaseInfo>,
    #[serde(skip_serializing_if = "Option::is_none")]
    SelfInfo: Option<SelfInfo>,
}

/// The member's own fields in one group (`SelfInfoFilter`, spec §17.1).
#[derive(Serialize, Default)]
#[allow(non_snake_case)]
struct SelfInfo {
    #[serde(skip_serializing_if = "Option::is_none")]
    Role: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    JoinTime: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    MsgFlag: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    MsgSeq: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    UnreadMsgNum: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    NameCard: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    MuteUntil: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ShutUpUntil: Option<u64>,
}

impl VendorCommand for GetJoinedGroupList {
    const SERVICE: Service = Service::Group;
    const NAME: &'static str = "get_joined_group_list";
    const SUMMARY: &'static str = "read from the member index; `WithHugeGroups`, `WithNoActiveGroups` (Private activation), `Limit` (0..=5000), `Offset`, `GroupType`, `ResponseFilter` (`GroupBaseInfoFilter`, `SelfInfoFilter` with `UnreadMsgNum`); `TotalCount`; 10018 over 1 MiB";
    type Request = Request;

    /// Lists `Member_Account`'s groups by join time (then GroupId), the page asked for, with
    /// `TotalCount` counting every match; an account that is not imported has none.
    async fn handle(call: Call, request: Request) -> Result<Response, VendorError> {
        let query = Query::parse(&call, request)?;
        let answer = if call.is_imported(&query.account) {
            list(&call.app, &query, &View::of(&call))
        } else {
            Answer {
                TotalCount: 0,
                GroupIdList: Vec::new(),
            }
        };
        envelope::ok_at_most(answer, ANSWER_MAX_BYTES).ok_or_else(|| {
            VendorError::AnswerTooLarge(format!(
                "the answer would be larger than {ANSWER_MAX_BYTES} bytes (1 MiB); ask for a page with Limit and Offset, or for fewer fields in ResponseFilter"
            ))
        })
    }
}

impl Query {
    /// Checks the request's values in the order of spec §17.1's table.
    fn parse(call: &Call, r: Request) -> Result<Self, VendorError> {
        let account = call.required(r.Member_Account, "Member_Account", Service::Group)?;
        if account.is_empty() {
            return Err(bad("Member_Account must not be empty"));
        }
        let huge = flag(r.WithHugeGroups, "WithHugeGroups")?;
        let inactive = flag(r.WithNoActiveGroups, "WithNoActiveGroups")?;
        let max = call.rules().joined_list_max_limit;
        let limit = match count(r.Limit, "Limit")? {
            n if n > max as usize => {
                return Err(bad(&format!(
                    "Limit is {n}; at most {max} groups come back in one call (0 or no Limit: all)"
                )));
            }
            0 => usize::MAX,
            n => n,
        };
        let offset = count(r.Offset, "Offset")?;
        let type_name = r.GroupType.filter(|t| !t.is_empty());
        let kind = match type_name.as_deref() {
            None => None,
            Some(t) => Some(call.rules().group_type(t).map(|r| r.kind).ok_or_else(|| {
                bad(&format!(
                    "GroupType {t:?} is not a group type; use one of {}",
                    call.rules().type_names()
                ))
            })?),
        };
        let fields = r.ResponseFilter.map(|f| Fields {
            base: Filter::for_joined(f.GroupBaseInfoFilter.unwrap_or_default()),
            self_info: f.SelfInfoFilter,
        });
        if flag(r.SupportTopic, "SupportTopic")? && type_name.as_deref() != Some("Community") {
            return Err(bad(
                "SupportTopic 1 lists topic communities and needs GroupType \"Community\"; this rules profile has no Community groups, so send SupportTopic 0 or leave it out",
            ));
        }
        Ok(Self {
            account,
            huge,
            inactive,
            limit,
            offset,
            kind,
            fields,
        })
    }

    /// Whether `group`, where the account is `member`, is listed (spec §17.1, §17.4).
    fn shows(&self, group: &Group, member: &Member) -> bool {
        let t = group.group_type;
        let type_ok = match self.kind {
            Some(kind) => t == kind,
            None => self.huge || !matches!(t, GroupType::AVChatRoom | GroupType::BChatRoom),
        };
        let active_ok = group.activated || self.inactive || member.role == Role::Owner;
        type_ok && active_ok
    }
}

fn bad(msg: &str) -> VendorError {
    VendorError::InvalidParameter(msg.to_string())
}

/// A `0`/`1` switch; absent is 0.
fn flag(n: Option<Int>, field: &str) -> Result<bool, VendorError> {
    match n.map(|n| n.0) {
        None | Some(0) => Ok(false),
        Some(1) => Ok(true),
        Some(n) => Err(bad(&format!("{field} is {n}; send 0 or 1"))),
    }
}

/// A count that must not be negative; absent is 0.
fn count(n: Option<Int>, field: &str) -> Result<usize, VendorError> {
    match n.map(|n| n.0) {
        None => Ok(0),
        Some(n) if n >= 0 => Ok(usize::try_from(n).unwrap_or(usize::MAX)),
        Some(n) => Err(bad(&format!("{field} is {n}; it must not be negative"))),
    }
}

/// The answer for `q`: the groups of the member index that `q` shows, ordered by the member's
/// `JoinTime` then `GroupId`, the page `Offset..Offset+Limit` built in full.
pub(crate) fn list(app: &AppState, q: &Query, view: &View) -> Answer {
    let mut matches: Vec<(u64, String)> = app
        .joined_groups(&q.account)
        .into_iter()
        .filter_map(|id| {
            let join_time = app.with_group(&id, |g| {
                let m = g.members.get(&q.account)?;
                q.shows(g, m).then_some(m.join_time)
            })??;
            Some((join_time, id))
        })
        .collect();
    matches.sort_unstable();
    let total = matches.len();
    let items = matches
        .into_iter()
        .skip(q.offset)
        .take(q.limit)
        .filter_map(|(_, id)| app.with_group(&id, |g| item(g, q, view)).flatten())
        .collect();
    Answer {
        TotalCount: total,
        GroupIdList: items,
    }
}

/// The item of `g` (`None` if the account left it since it was counted).
fn item(g: &Group, q: &Query, view: &View) -> Option<Item> {
    let m = g.members.get(&q.account)?;
    let Some(fields) = &q.fields else {
        return Some(Item {
            GroupId: g.id.to_string(),
            base: None,
            SelfInfo: None,
        });
    };
    Some(Item {
        GroupId: g.id.to_string(),
        base: Some(base_info(g, &fields.base, view)),
        SelfInfo: fields
            .self_info
            .as_deref()
            .map(|f| self_info(g, m, f, view)),
    })
}

/// The member's fields `names` asks for (either spelling of `MuteUntil`; others ignored).
fn self_info(g: &Group, m: &Member, names: &[String], view: &View) -> SelfInfo {
    let f = |name: &str| listed(names, name);
    let muted = g.muted_until(m.account(), view.now());
    let (mute_until, shut_up_until) = spelled(f("MuteUntil"), view.names(), muted);
    SelfInfo {
        Role: f("Role").then_some(m.role.as_str()),
        JoinTime: f("JoinTime").then_some(m.join_time),
        MsgFlag: f("MsgFlag").then_some(m.msg_flag.as_str()),
        MsgSeq: f("MsgSeq").then_some(m.msg_seq),
        UnreadMsgNum: f("UnreadMsgNum").then(|| g.unread_for(m.account(), view.chatroom_unread())),
        NameCard: f("NameCard").then(|| m.name_card().to_string()),
        MuteUntil: mute_until,
        ShutUpUntil: shut_up_until,
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::apps::{AppPolicy, Limits};
    use crate::emulator::FieldNames;
    use crate::rules::DEFAULT;

    fn app() -> AppState {
        let policy = AppPolicy::zero_config(Limits::from_profile(&DEFAULT));
        AppState::new(1, Arc::new(policy), &DEFAULT, 7)
    }

    fn group(id: &str, members: &[(&str, u64)]) -> Group {
        let mut g = Group::new(GroupType::Public, "g".into());
        g.id = id.into();
        for (a, t) in members {
            g.members.push(Member::new(a.to_string(), Role::Member, *t));
        }
        g
    }

    fn query(account: &str) -> Query {
        Query {
            account: account.into(),
            huge: false,
            inactive: false,
            limit: usize::MAX,
            offset: 0,
            kind: None,
            fields: None,
        }
    }

    fn ids(a: &Answer) -> Vec<&str> {
        a.GroupIdList.iter().map(|i| i.GroupId.as_str()).collect()
    }

    fn view() -> View {
        View::new(1, 0, FieldNames::Both)
    }

    #[test]
    fn the_list_is_read_from_the_member_index_not_from_a_scan_of_the_groups() {
        let app = app();
        for i in 0..5_000 {
            let g = group(&format!("other{i}"), &[("someone", 1)]);
            app.restore_group(g).expect("free ID");
        }
        app.restore_group(group("mine", &[("anna", 5)]))
            .expect("free ID");
        // A member the index does not know: pushed with the change record thrown away.
        app.update_group("other7", |g| {
            g.members.push(Member::new("anna", Role::Member, 1));
            g.members.take_changes();
            Ok(())
        })
        .expect("group exists");
        let a = list(&app, &query("anna"), &view());
        assert_eq!(ids(&a), ["mine"], "only what the index lists");
        assert_eq!(a.TotalCount, 1);
    }

    #[test]
    fn groups_come_by_join_time_then_group_id_and_total_ignores_the_page() {
        let app = app();
        for (id, t) in [("c", 5), ("b", 9), ("a", 9), ("d", 1)] {
            app.restore_group(group(id, &[("anna", t)])).expect("ok");
        }
        let all = list(&app, &query("anna"), &view());
        assert_eq!(ids(&all), ["d", "c", "a", "b"]);
        let page = list(
            &app,
            &Query {
                limit: 2,
                offset: 1,
                ..query("anna")
            },
            &view(),
        );
        assert_eq!((ids(&page), page.TotalCount), (vec!["c", "a"], 4));
    }
}
