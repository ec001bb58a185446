//! The state a reset returns to (issue 14): the read-only `--seed-file` (a state document, the
//! format of `GET /_emulator/state`) with the accounts the config file declares
//! (`accounts = [...]` in `[[apps]]`) added, and the full reset that clears everything else.
//!
//! At start the state file wins when it exists (it is the read-write copy of the last run; the
//! declared accounts it lacks are added), otherwise the seed is loaded. Either way the seed is
//! checked at start, so a bad seed stops startup rather than the first reset.

use std::path::Path;

use crate::apps::Apps;
use crate::emulator::Emulator;
use crate::snapshot::{AccountDoc, AppDoc, ImportError, Imported, StateDocument, VERSION};

/// What a reset returns to: `None` is the empty state.
#[derive(Debug, Clone, Default)]
pub struct Baseline {
    doc: Option<StateDocument>,
}

impl Baseline {
    /// The seed document (if any) with the accounts `apps` declare added to their apps; a
    /// declared account the seed already lists keeps the seed's entry.
    pub fn new(seed: Option<StateDocument>, apps: &Apps) -> Self {
        let mut doc = seed.unwrap_or(StateDocument {
            version: VERSION,
            apps: Vec::new(),
        });
        for sdkappid in apps.configured_ids() {
            let Ok(policy) = apps.policy(sdkappid) else {
                continue;
            };
            if policy.accounts.is_empty() {
                continue;
            }
            let app = app_doc_mut(&mut doc, sdkappid);
            for account in &policy.accounts {
                if !app.accounts.iter().any(|a| a.UserID == account.UserID) {
                    app.accounts.push(account.clone());
                }
            }
        }
        let empty = doc.apps.is_empty();
        Self {
            doc: (!empty).then_some(doc),
        }
    }

    /// Whether a reset returns to the empty state.
    pub fn is_empty(&self) -> bool {
        self.doc.is_none()
    }

    /// The whole baseline document (empty when there is none).
    fn document(&self) -> StateDocument {
        self.doc.clone().unwrap_or(StateDocument {
            version: VERSION,
            apps: Vec::new(),
        })
    }

    /// The baseline of one app, as a document of that app alone (`None`: the app starts empty).
    fn app_document(&self, sdkappid: u64) -> Option<StateDocument> {
        let doc = self.doc.as_ref()?;
        let app = doc.apps.iter().find(|a| a.sdkappid == sdkappid)?;
        Some(StateDocument {
            version: doc.version,
            apps: vec![app.clone()],
        })
    }
}

fn app_doc_mut(doc: &mut StateDocument, sdkappid: u64) -> &mut AppDoc {
    let at = match doc.apps.iter().position(|a| a.sdkappid == sdkappid) {
        Some(i) => i,
        None => {
            doc.apps.push(AppDoc {
                sdkappid,
                next_assigned_id: 0,
                accounts: Vec::new(),
                groups: Vec::new(),
            });
            doc.apps.len() - 1
        }
    };
    &mut doc.apps[at]
}

/// Reads and parses the seed file at `path` (the state document format; checked against the
/// apps only when the emulator is built).
pub fn read_seed_file(path: &Path) -> Result<StateDocument, String> {
    let bytes = std::fs::read(path)
        .map_err(|e| format!("seed file {}: cannot be read: {e}", path.display()))?;
    crate::snapshot::parse_document(&bytes)
        .map_err(|e| format!("seed file {}: {e}", path.display()))
}

/// Where the state came from at start (see [`Emulator::load_start_state`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartState {
    /// The `--state-file`, which existed.
    StateFile,
    /// The seed (the `--seed-file` and the declared accounts).
    Seed,
    /// Nothing to load: the empty state.
    Empty,
}

impl StartState {
    /// A word for the start log line.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::StateFile => "state file",
            Self::Seed => "seed",
            Self::Empty => "empty",
        }
    }
}

impl Emulator {
    /// Loads the state to start with: the state file when given and present (plus the declared
    /// accounts it lacks), else the seed. The seed is checked in both cases; errors name the
    /// file and the place in it.
    pub fn load_start_state(&self, state_file: Option<&Path>) -> Result<StartState, String> {
        self.check_baseline()?;
        if let Some(path) = state_file
            && crate::persist::load(path, self)?
        {
            self.add_declared_accounts()
                .map_err(|e| format!("the config's accounts: {e}"))?;
            return Ok(StartState::StateFile);
        }
        if self.baseline.is_empty() {
            return Ok(StartState::Empty);
        }
        self.restore_baseline()
            .map_err(|e| format!("the seed (--seed-file and the config's accounts): {e}"))?;
        Ok(StartState::Seed)
    }

    /// Builds the baseline without storing it: whether a reset could return to it.
    fn check_baseline(&self) -> Result<(), String> {
        if self.baseline.is_empty() {
            return Ok(());
        }
        crate::snapshot::check_document(self.baseline.document(), self)
            .map_err(|e| format!("the seed (--seed-file and the config's accounts): {e}"))
    }

    /// Makes the whole state the baseline (the empty state when there is none).
    pub fn restore_baseline(&self) -> Result<Imported, ImportError> {
        if self.baseline.is_empty() {
            self.store.reset(None);
            return Ok(Imported { apps: 0, groups: 0 });
        }
        self.import_state(self.baseline.document())
    }

    /// Returns one app to its baseline: empty, or as the seed has it.
    pub fn reset_app(&self, sdkappid: u64) -> Result<(), ImportError> {
        match self.baseline.app_document(sdkappid) {
            None => self.store.reset(Some(sdkappid)),
            Some(doc) => self.import_app(doc)?,
        }
        Ok(())
    }

    /// The full reset (issue 14): the state back to the baseline, and the request journal,
    /// fault rules and callback delivery log emptied, and the clock back to its start setting
    /// (the system clock unless `--clock-start`/`--clock-frozen` said otherwise). The clock
    /// moves first, so times the seed leaves out are filled in from the start time.
    pub fn reset_all(&self) -> Result<Imported, ImportError> {
        self.clock.restart();
        self.faults.clear();
        self.journal.clear();
        self.callbacks.log().clear();
        self.restore_baseline()
    }

    /// Imports the declared accounts an app lacks (after a state-file load).
    fn add_declared_accounts(&self) -> Result<(), String> {
        for sdkappid in self.apps.configured_ids() {
            let policy = self.apps.policy(sdkappid).map_err(|e| e.to_string())?;
            if policy.accounts.is_empty() {
                continue;
            }
            let app = self.store.app(sdkappid, policy);
            for a in &policy.accounts {
                if app.with_account(&a.UserID, |_| ()).is_none() {
                    app.import(&a.UserID, account_of(a))
                        .map_err(|e| format!("{}: {e}", a.UserID))?;
                }
            }
        }
        Ok(())
    }
}

fn account_of(a: &AccountDoc) -> crate::domain::account::Account {
    crate::domain::account::Account {
        nick: a.Nick.clone(),
        face_url: a.FaceUrl.clone(),
        kicked_at: a.kicked_at,
    }
}
