//! The serde shape of the state document (see the module above for the conventions).

use serde::{Deserialize, Serialize};

use crate::domain::account::Account;
use crate::domain::group::Group;

/// The document version this emulator writes and reads.
pub const VERSION: u32 = 1;

fn version() -> u32 {
    VERSION
}

/// The whole state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StateDocument {
    /// Format version; absent means [`VERSION`].
    #[serde(default = "version")]
    pub version: u32,
    /// Every app, by sdkappid.
    #[serde(default)]
    pub apps: Vec<AppDoc>,
}

/// One app's state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppDoc {
    /// The app.
    pub sdkappid: u64,
    /// How many assigned group IDs the app has drawn; new IDs continue after it.
    #[serde(default)]
    pub next_assigned_id: u64,
    /// Imported accounts. Admins come from the app's policy and are listed only once kicked,
    /// to carry their `kicked_at` (spec §23).
    #[serde(default)]
    pub accounts: Vec<AccountDoc>,
    /// Groups, in creation order: the stored group model itself ([`Group`]).
    #[serde(default)]
    pub groups: Vec<Group>,
}

/// One imported account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(non_snake_case)]
pub struct AccountDoc {
    /// The account's UserID.
    pub UserID: String,
    /// Nickname.
    #[serde(default)]
    pub Nick: String,
    /// Avatar URL.
    #[serde(default)]
    pub FaceUrl: String,
    /// When the account was last kicked (unix seconds), if ever.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kicked_at: Option<u64>,
}

impl AccountDoc {
    /// The document form of a stored account.
    pub fn from_account(id: String, a: Account) -> Self {
        Self {
            UserID: id,
            Nick: a.nick,
            FaceUrl: a.face_url,
            kicked_at: a.kicked_at,
        }
    }
}
