//! The state document: every app's accounts and groups as one JSON value, shared by
//! `GET`/`PUT /_emulator/state` and the `--state-file`.
//!
//! Vendor data keeps the vendor's field names (`UserID`, `GroupId`, `Owner_Account`,
//! `MemberList`, ...), so a group reads like a `get_group_info` entry; the emulator's own keys
//! (`version`, `apps`, `sdkappid`, `next_assigned_id`) are snake_case. Unknown keys are refused,
//! so a typo in a hand-written file is an error rather than silently lost data. Custom values are
//! JSON strings, so any byte sequence a request could store (`"\u0000"` included) survives.

mod document;
mod export;
mod import;
mod stream;

pub use document::{AccountDoc, AppDoc, StateDocument, VERSION};
pub use export::write_document;
pub use import::ImportError;

use std::io::Read;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use crate::domain::json::type_name;
use crate::emulator::Emulator;
use crate::store::AppState;

impl Emulator {
    /// The whole state as a document in memory, apps by sdkappid, groups in creation order.
    /// Saves and `GET /_emulator/state` stream it instead ([`write_document`]).
    pub fn export_state(&self) -> StateDocument {
        StateDocument {
            version: VERSION,
            apps: self
                .store
                .all_apps()
                .iter()
                .map(|a| export_app(a))
                .collect(),
        }
    }

    /// Replaces the whole state with `doc`, or changes nothing and says what is wrong: the
    /// document is validated and built into fresh apps before the store is touched.
    pub fn import_state(&self, doc: StateDocument) -> Result<Imported, ImportError> {
        let _one_at_a_time = one_import_at_a_time();
        let apps = import::build(doc, self, self.clock.now_secs())?;
        Ok(self.replace_state(apps))
    }

    /// Replaces the whole state with the JSON document `reader` yields, or changes nothing and
    /// says what is wrong (naming the place: `apps[0].groups[2]: ...`). The document is parsed
    /// and built into fresh apps as it is read, so neither its text nor a list of its groups
    /// is held whole; the store is touched only once all of it is valid. Blocking: call it
    /// from a blocking thread.
    pub fn import_from_reader(&self, reader: impl Read) -> Result<Imported, ImportError> {
        let _one_at_a_time = one_import_at_a_time();
        let apps = stream::read(reader, self, self.clock.now_secs())?;
        Ok(self.replace_state(apps))
    }

    /// Replaces one app's state with the one app of `doc` (a reset of that app back to the
    /// seed), or changes nothing and says what is wrong.
    pub(crate) fn import_app(&self, doc: StateDocument) -> Result<(), ImportError> {
        let _one_at_a_time = one_import_at_a_time();
        for app in import::build(doc, self, self.clock.now_secs())? {
            self.store.replace_app(app);
        }
        Ok(())
    }

    fn replace_state(&self, apps: Vec<Arc<AppState>>) -> Imported {
        let imported = Imported {
            apps: apps.len(),
            groups: apps.iter().map(|a| a.group_count()).sum(),
        };
        self.store.replace_all(apps);
        imported
    }
}

/// Whether `doc` would be accepted by [`Emulator::import_state`], without storing it (the seed
/// is checked at start this way).
pub fn check_document(doc: StateDocument, emu: &Emulator) -> Result<(), ImportError> {
    import::build(doc, emu, emu.clock.now_secs()).map(drop)
}

/// What an import stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Imported {
    /// Apps in the document.
    pub apps: usize,
    /// Groups in the document, over all apps.
    pub groups: usize,
}

/// One import at a time: two at once could interleave their apps (issue 11 C), and each holds
/// a whole new state in memory while it is built.
fn one_import_at_a_time() -> MutexGuard<'static, ()> {
    static IMPORTING: Mutex<()> = Mutex::new(());
    IMPORTING.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Parses a state document from JSON text, straight from the bytes (no intermediate JSON tree,
/// so an import's peak memory stays near the document's own size). The top level must be an
/// object (serde would otherwise read `[]` as an empty document and an import of it would wipe
/// the state), and a key given twice is refused rather than silently overwritten
/// (`{"apps":[…],"apps":[]}` would otherwise wipe everything).
pub fn parse_document(bytes: &[u8]) -> Result<StateDocument, String> {
    match bytes.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'{') => {}
        None => return Err("the document is empty; a state document is a JSON object".into()),
        Some(_) => {
            let value: serde_json::Value =
                serde_json::from_slice(bytes).map_err(|e| format!("not valid JSON: {e}"))?;
            return Err(format!(
                "a state document is a JSON object, not {}",
                type_name(&value)
            ));
        }
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let doc = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let at = e.path().to_string();
        format!("{at}: {}", e.into_inner())
    })?;
    de.end()
        .map_err(|e| format!("not valid JSON after the document: {e}"))?;
    Ok(doc)
}

fn export_app(app: &AppState) -> AppDoc {
    AppDoc {
        sdkappid: app.sdkappid(),
        next_assigned_id: app.assigned_id_counter(),
        accounts: app
            .accounts()
            .into_iter()
            .map(|(id, a)| AccountDoc::from_account(id, a))
            .collect(),
        groups: app.groups(),
    }
}
