//! Writing the state document straight from the store into any writer (the state file's
//! buffered file writer, or the body of `GET /_emulator/state`), without building the document
//! in memory first (issue 11 C: a 600k-group state once took 21.5 s and gigabytes to save).
//!
//! The document's frame (`{"version":…,"apps":[{"sdkappid":…,…,"groups":[…]}]}`) is written here;
//! every account and group inside it is written by serde with the same types the import reads
//! ([`AccountDoc`], [`crate::domain::group::Group`]), so the output is exactly what
//! `serde_json::to_writer(&emu.export_state())` would give (a test holds the two together).
//!
//! Locks: a group is serialized into a small scratch buffer under its shard's read lock (the
//! same short hold as any read request), and the buffer is written out after the lock is let
//! go, so a slow disk never holds up a request. A save that runs while requests change the
//! state writes each group as it was when it was reached; groups created after the save began
//! are in the next one.

use std::io::{self, Write};

use super::document::{AccountDoc, VERSION};
use crate::emulator::Emulator;
use crate::store::AppState;

/// Writes `emu`'s whole state as one compact JSON document (apps by sdkappid, accounts by
/// UserID, groups in creation order), then a newline.
pub fn write_document<W: Write + ?Sized>(emu: &Emulator, out: &mut W) -> io::Result<()> {
    write!(out, "{{\"version\":{VERSION},\"apps\":[")?;
    let mut scratch = Vec::with_capacity(4096);
    for (i, app) in emu.store.all_apps().iter().enumerate() {
        if i > 0 {
            out.write_all(b",")?;
        }
        write_app(app, out, &mut scratch)?;
    }
    out.write_all(b"]}\n")
}

fn write_app<W: Write + ?Sized>(
    app: &AppState,
    out: &mut W,
    scratch: &mut Vec<u8>,
) -> io::Result<()> {
    write!(
        out,
        "{{\"sdkappid\":{},\"next_assigned_id\":{},\"accounts\":[",
        app.sdkappid(),
        app.assigned_id_counter()
    )?;
    let mut first = true;
    for id in app.account_ids() {
        // Accounts are small: copied out under the lock, written after it.
        let Some(account) = app.account(&id) else {
            continue; // deleted since the list was taken
        };
        separate(out, &mut first)?;
        serde_json::to_writer(&mut *out, &AccountDoc::from_account(id, account))?;
    }
    out.write_all(b"],\"groups\":[")?;
    let mut first = true;
    for id in app.group_ids() {
        scratch.clear();
        match app.with_group(&id, |g| serde_json::to_writer(&mut *scratch, g)) {
            Some(written) => written?,
            None => continue, // destroyed since the list was taken
        }
        separate(out, &mut first)?;
        out.write_all(scratch)?;
    }
    out.write_all(b"]}")
}

fn separate<W: Write + ?Sized>(out: &mut W, first: &mut bool) -> io::Result<()> {
    if !std::mem::take(first) {
        out.write_all(b",")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::Settings;
    use crate::emulator::Emulator;
    use crate::snapshot::{StateDocument, parse_document};

    fn sample() -> StateDocument {
        let member = |a: &str| json!({"Member_Account": a, "Role": "Member", "NameCard": "c\u{0}"});
        let group = |id: &str| {
            json!({"GroupId": id, "Type": "Public", "Name": format!("n {id}"),
                   "AppDefinedData": [{"Key": "k", "Value": "v\"\\\n"}],
                   "MemberList": [{"Member_Account": "leckie", "Role": "Owner"},
                                  member("ana"), member("bo")],
                   "Owner_Account": "leckie"})
        };
        let doc = json!({"version": 1, "apps": [
            {"sdkappid": 1400000002, "next_assigned_id": 3,
             "accounts": [{"UserID": "z"}, {"UserID": "a", "Nick": "ä", "kicked_at": 5}],
             "groups": [group("g2"), group("g1"), group("ç")]},
            {"sdkappid": 1400000001, "accounts": [], "groups": []},
        ]});
        serde_json::from_value(doc).expect("a valid document")
    }

    #[test]
    fn the_streamed_document_is_the_export_serialized_and_imports_back_as_it_was() {
        let emu = Emulator::new(Settings::zero_config());
        emu.import_state(sample()).expect("imported");
        let mut streamed = Vec::new();
        super::write_document(&emu, &mut streamed).expect("written");
        let mut whole = serde_json::to_vec(&emu.export_state()).expect("serialized");
        whole.push(b'\n');
        assert_eq!(
            String::from_utf8_lossy(&streamed),
            String::from_utf8_lossy(&whole)
        );
        let back = Emulator::new(Settings::zero_config());
        back.import_state(parse_document(&streamed).expect("parses"))
            .expect("the emulator takes back what it wrote");
        assert_eq!(back.export_state(), emu.export_state());
    }

    #[test]
    fn an_empty_state_is_a_valid_document() {
        let emu = Emulator::new(Settings::zero_config());
        let mut out = Vec::new();
        super::write_document(&emu, &mut out).expect("written");
        assert_eq!(out, b"{\"version\":1,\"apps\":[]}\n");
        assert_eq!(parse_document(&out).expect("parses").apps, vec![]);
    }
}
