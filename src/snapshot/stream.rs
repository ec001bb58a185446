//! Reading a state document from a byte stream and building its apps as it goes (issue 11 C):
//! each account and group is checked and stored in its fresh app as soon as it is parsed, so
//! neither the document's text nor a list of its groups is ever held whole. A 600k-group
//! import once peaked at 6 GB; now the peak is the new state plus a few buffers.
//!
//! The checks are [`super::import`]'s, item by item. The shape is the one
//! [`super::StateDocument`] derives (unknown and repeated keys refused; `version` and
//! `next_assigned_id` optional), with one difference in order only: an app's accounts and
//! groups are streamed when its `sdkappid` comes first (as the emulator writes it) and kept
//! until the end of the app otherwise.

use std::collections::HashSet;
use std::fmt;
use std::io::Read;
use std::sync::Arc;

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use super::document::AccountDoc;
use super::import::{self, ImportError};
use crate::domain::group::Group;
use crate::emulator::Emulator;
use crate::store::AppState;

/// Parses the JSON document `reader` yields and builds its apps; `now` (unix seconds) fills
/// absent times. The error names the place (`apps[0].groups[2]: ...`).
pub(super) fn read(
    reader: impl Read,
    emu: &Emulator,
    now: u64,
) -> Result<Vec<Arc<AppState>>, ImportError> {
    let mut de = serde_json::Deserializer::from_reader(reader);
    let mut track = serde_path_to_error::Track::new();
    let apps = Document { emu, now }
        .deserialize(serde_path_to_error::Deserializer::new(&mut de, &mut track))
        .map_err(|e| ImportError(format!("{}: {e}", track.path())))?;
    de.end()
        .map_err(|e| ImportError(format!("not valid JSON after the document: {e}")))?;
    Ok(apps)
}

fn refuse<E: de::Error>(e: ImportError) -> E {
    E::custom(e.0)
}

/// Sets `seen`, or says `key` is repeated.
fn once<E: de::Error>(seen: &mut bool, key: &'static str) -> Result<(), E> {
    if std::mem::replace(seen, true) {
        return Err(E::duplicate_field(key));
    }
    Ok(())
}

#[derive(Deserialize)]
#[serde(field_identifier, rename_all = "snake_case")]
enum DocumentKey {
    Version,
    Apps,
}

#[derive(Deserialize)]
#[serde(field_identifier, rename_all = "snake_case")]
enum AppKey {
    Sdkappid,
    NextAssignedId,
    Accounts,
    Groups,
}

/// The whole document: `{"version": 1, "apps": [...]}`.
#[derive(Clone, Copy)]
struct Document<'a> {
    emu: &'a Emulator,
    now: u64,
}

impl<'de> DeserializeSeed<'de> for Document<'_> {
    type Value = Vec<Arc<AppState>>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Document<'_> {
    type Value = Vec<Arc<AppState>>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a state document (a JSON object)")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let (mut version, mut apps) = (false, None);
        while let Some(key) = map.next_key()? {
            match key {
                DocumentKey::Version => {
                    once(&mut version, "version")?;
                    import::check_version(map.next_value()?).map_err(refuse)?;
                }
                DocumentKey::Apps => {
                    if apps.is_some() {
                        return Err(de::Error::duplicate_field("apps"));
                    }
                    apps = Some(map.next_value_seed(Apps(self))?);
                }
            }
        }
        Ok(apps.unwrap_or_default())
    }
}

/// `apps`: each app built as it is read.
struct Apps<'a>(Document<'a>);

impl<'de> DeserializeSeed<'de> for Apps<'_> {
    type Value = Vec<Arc<AppState>>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Apps<'_> {
    type Value = Vec<Arc<AppState>>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of apps")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let Document { emu, now } = self.0;
        let mut seen = HashSet::new();
        let mut apps = Vec::new();
        while let Some(app) = seq.next_element_seed(App {
            emu,
            now,
            seen: &mut seen,
        })? {
            apps.push(app);
        }
        Ok(apps)
    }
}

/// One app: `{"sdkappid": ..., "next_assigned_id": ..., "accounts": [...], "groups": [...]}`.
struct App<'a, 's> {
    emu: &'a Emulator,
    now: u64,
    seen: &'s mut HashSet<u64>,
}

impl<'de> DeserializeSeed<'de> for App<'_, '_> {
    type Value = Arc<AppState>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

/// What an app's keys gave so far: items that came before `sdkappid` wait in the lists.
#[derive(Default)]
struct AppParts {
    app: Option<AppState>,
    next_assigned_id: Option<u64>,
    accounts: (bool, Vec<AccountDoc>),
    groups: (bool, Vec<Group>),
}

impl<'de> Visitor<'de> for App<'_, '_> {
    type Value = Arc<AppState>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an app (a JSON object)")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let (emu, now) = (self.emu, self.now);
        let mut p = AppParts::default();
        while let Some(key) = map.next_key()? {
            match key {
                AppKey::Sdkappid => {
                    if p.app.is_some() {
                        return Err(de::Error::duplicate_field("sdkappid"));
                    }
                    let id = map.next_value()?;
                    p.app = Some(import::new_app(id, emu, self.seen).map_err(refuse)?);
                }
                AppKey::NextAssignedId => {
                    if p.next_assigned_id.is_some() {
                        return Err(de::Error::duplicate_field("next_assigned_id"));
                    }
                    p.next_assigned_id = Some(map.next_value()?);
                }
                AppKey::Accounts => {
                    once(&mut p.accounts.0, "accounts")?;
                    match &p.app {
                        Some(app) => map.next_value_seed(Each(AccountItem { app }))?,
                        None => p.accounts.1 = map.next_value()?,
                    }
                }
                AppKey::Groups => {
                    once(&mut p.groups.0, "groups")?;
                    match &p.app {
                        Some(app) => map.next_value_seed(Each(GroupItem { app, emu, now }))?,
                        None => p.groups.1 = map.next_value()?,
                    }
                }
            }
        }
        let app = p.app.ok_or_else(|| de::Error::missing_field("sdkappid"))?;
        for (i, a) in p.accounts.1.into_iter().enumerate() {
            import::add_account(&app, a).map_err(|e| refuse(e.at(format!("accounts[{i}]"))))?;
        }
        for (i, g) in p.groups.1.into_iter().enumerate() {
            import::add_group(&app, g, emu, now)
                .map_err(|e| refuse(e.at(format!("groups[{i}]"))))?;
        }
        app.restore_assigned_id_counter(p.next_assigned_id.unwrap_or(0));
        Ok(Arc::new(app))
    }
}

/// A JSON array whose items are each handled by the item seed as soon as they are read.
struct Each<S>(S);

impl<'de, S: DeserializeSeed<'de, Value = ()> + Copy> DeserializeSeed<'de> for Each<S> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de, S: DeserializeSeed<'de, Value = ()> + Copy> Visitor<'de> for Each<S> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(self.0)?.is_some() {}
        Ok(())
    }
}

/// One account, checked and stored.
#[derive(Clone, Copy)]
struct AccountItem<'a> {
    app: &'a AppState,
}

impl<'de> DeserializeSeed<'de> for AccountItem<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        let account = AccountDoc::deserialize(d)?;
        import::add_account(self.app, account).map_err(refuse)
    }
}

/// One group, checked and stored.
#[derive(Clone, Copy)]
struct GroupItem<'a> {
    app: &'a AppState,
    emu: &'a Emulator,
    now: u64,
}

impl<'de> DeserializeSeed<'de> for GroupItem<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        let group = Group::deserialize(d)?;
        import::add_group(self.app, group, self.emu, self.now).map_err(refuse)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::Settings;
    use crate::emulator::Emulator;
    use crate::snapshot::StateDocument;

    fn group(id: &str) -> serde_json::Value {
        json!({"GroupId": id, "Type": "Public", "Name": "n", "Owner_Account": "o",
               "MemberList": [{"Member_Account": "o", "Role": "Owner"}, {"Member_Account": "m"}]})
    }

    fn streamed(doc: &str) -> Result<Emulator, String> {
        let emu = std::sync::Arc::into_inner(Emulator::new(Settings::zero_config()))
            .expect("the only handle");
        emu.import_from_reader(doc.as_bytes())
            .map_err(|e| e.to_string())?;
        Ok(emu)
    }

    #[test]
    fn a_streamed_import_stores_what_an_in_memory_one_does_whatever_the_key_order() {
        let doc = json!({"apps": [
            {"groups": [group("b"), group("a")], "accounts": [{"UserID": "o"}],
             "next_assigned_id": 4, "sdkappid": 7},
            {"sdkappid": 8, "accounts": [{"UserID": "x", "Nick": "n"}], "groups": [group("c")]},
        ], "version": 1});
        let whole = Emulator::new(Settings::zero_config());
        let parsed: StateDocument = serde_json::from_value(doc.clone()).expect("a document");
        whole.import_state(parsed).expect("imported");
        let emu = streamed(&doc.to_string()).expect("imported");
        assert_eq!(emu.export_state(), whole.export_state());
        assert_eq!(emu.export_state().apps[0].next_assigned_id, 4);
    }

    #[test]
    fn a_refused_document_names_the_place() {
        let long = "x".repeat(31);
        let table = [
            (json!([]).to_string(), "a state document"),
            (
                r#"{"apps":[],"apps":[]}"#.to_string(),
                "duplicate field `apps`",
            ),
            (
                r#"{"version":1,"version":1}"#.to_string(),
                "duplicate field `version`",
            ),
            (
                json!({"version": 2}).to_string(),
                "version 2 is not supported",
            ),
            (json!({"colour": 1}).to_string(), "unknown field `colour`"),
            (
                json!({"apps": [{"groups": []}]}).to_string(),
                "missing field `sdkappid`",
            ),
            (
                json!({"apps": [{"sdkappid": 5}, {"sdkappid": 5}]}).to_string(),
                "apps[1]: sdkappid 5 is listed twice",
            ),
            // Streamed (sdkappid first, as the emulator writes): the path names the item.
            (
                r#"{"apps":[{"sdkappid":5,"accounts":[{"UserID":"a"},{"UserID":"a"}]}]}"#
                    .to_string(),
                "apps[0].accounts[1]: UserID \"a\" is listed twice",
            ),
            (
                format!(
                    r#"{{"apps":[{{"sdkappid":5,"groups":[{},{{"GroupId":"h","Type":"Public","Name":"{long}"}}]}}]}}"#,
                    group("g")
                ),
                "apps[0].groups[1]: Name is 31 bytes",
            ),
            // Kept until the app's end (json! sorts keys: sdkappid comes last).
            (
                json!({"apps": [{"groups": [group("g"), group("g")], "sdkappid": 5}]}).to_string(),
                "apps[0]: groups[1]: GroupId \"g\" is listed twice",
            ),
            (format!("{} x", json!({"apps": []})), "after the document"),
        ];
        for (doc, want) in table {
            let e = streamed(&doc)
                .err()
                .unwrap_or_else(|| panic!("{doc} was taken"));
            assert!(e.contains(want), "{doc}: {e}");
        }
    }
}
