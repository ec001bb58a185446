//! The state document: every app's accounts and groups as one JSON value, shared by
//! `GET`/`PUT /_emulator/state` and the `--state-file`.
//!
//! Vendor data keeps the vendor's field names (`UserID`, `GroupId`, `Owner_Account`,
//! `MemberList`, ...), so a group reads like a `get_group_info` entry; the emulator's own keys
//! (`version`, `apps`, `sdkappid`, `next_assigned_id`) are snake_case. Unknown keys are refused,
//! so a typo in a hand-written file is an error rather than silently lost data. Custom values are
//! JSON strings, so any byte sequence a request could store (`"\u0000"` included) survives.

mod document;
mod import;

pub use document::{AccountDoc, AppDoc, GroupDoc, MemberDoc, StateDocument, VERSION};
pub use import::ImportError;

use crate::emulator::Emulator;
use crate::store::AppState;

impl Emulator {
    /// The whole state as a document, apps by sdkappid, groups in creation order.
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
    pub fn import_state(&self, doc: StateDocument) -> Result<(), ImportError> {
        let apps = import::build(doc, self)?;
        self.store.replace_all(apps);
        Ok(())
    }
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
        groups: app.groups().iter().map(GroupDoc::from_group).collect(),
    }
}
