//! The emulator's shared state: settings, apps and the store, behind one `Arc` for every handler.

use std::sync::Arc;
use std::time::Instant;

use crate::apps::Apps;
use crate::callback::Callbacks;
use crate::clock::Clock;
use crate::faults::Faults;
use crate::journal::{self, Journal};
use crate::rules::RulesProfile;
use crate::store::Store;

/// What the emulator is started with (the library's view of the command line).
#[derive(Debug, Clone)]
pub struct Settings {
    /// The rules profile.
    pub rules: &'static RulesProfile,
    /// The apps (zero-config or configured).
    pub apps: Apps,
    /// The seed of assigned group IDs; `None` picks a random one.
    pub id_seed: Option<u64>,
    /// Accept any account as imported.
    pub auto_import_accounts: bool,
    /// The emulator's clock (every time it reads; see [`crate::clock`]).
    pub clock: Clock,
    /// Entries the request journal keeps (0 keeps none).
    pub journal_size: usize,
    /// Which spellings reads answer with (spec §11.1).
    pub field_names: FieldNames,
    /// Private groups start active instead of waiting for their first message (spec §17.4).
    pub private_groups_start_active: bool,
    /// When set, every control-plane endpoint but health needs `Authorization: Bearer <token>`.
    pub admin_token: Option<String>,
    /// How long a request body may take to arrive (60002 and a closed connection beyond).
    pub body_timeout: std::time::Duration,
    /// How long a request's head (request line and headers) may take from its first byte; the
    /// connection is closed without an answer beyond (see [`crate::server`]).
    pub header_timeout: std::time::Duration,
    /// How long a connection may wait for the first byte of a request, from the accept or the
    /// previous answer; it is closed beyond (see [`crate::server`]).
    pub idle_timeout: std::time::Duration,
    /// The byte bounds of the callback delivery log and after-event queue.
    pub callback_bounds: crate::callback::Bounds,
    /// Messages each group keeps in history, 0 = unlimited (`--history-per-group`).
    pub history_per_group: usize,
    /// The most zero-config apps that may hold state at once (70020 for one more; 0 = no cap;
    /// configured apps are never capped). See [`crate::store::slots`].
    pub max_apps: usize,
    /// The `--seed-file` document: loaded at start (unless the state file exists) and what a
    /// reset returns to, with the config's declared accounts (see [`crate::seed`]).
    pub seed: Option<crate::snapshot::StateDocument>,
}

/// The default of `--history-per-group`: messages each group keeps (emulator choice: enough
/// for a week of a busy group at well under 100 MB).
pub const DEFAULT_HISTORY_PER_GROUP: usize = 100_000;

/// Which spelling of renamed read fields answers carry (spec §11.1): `MuteAllMember` /
/// `ShutUpAllMember`, `MuteUntil` / `ShutUpUntil`. Requests accept both whatever this says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FieldNames {
    /// Both spellings with the same value, and `OnlineMemberNum: 0` (the default).
    #[default]
    Both,
    /// Only today's names (`MuteAllMember`, `MuteUntil`).
    Current,
    /// Only the pre-2022 names (`ShutUpAllMember`, `ShutUpUntil`), and `OnlineMemberNum: 0`.
    Legacy,
}

impl FieldNames {
    /// Whether today's names are sent.
    pub fn current(self) -> bool {
        self != Self::Legacy
    }

    /// Whether the pre-2022 names (and `OnlineMemberNum`) are sent.
    pub fn legacy(self) -> bool {
        self != Self::Current
    }
}

impl Settings {
    /// Zero-config settings with the default profile and its limits.
    pub fn zero_config() -> Self {
        let rules = &crate::rules::DEFAULT;
        Self {
            rules,
            apps: Apps::zero_config(crate::apps::Limits::from_profile(rules)),
            id_seed: None,
            auto_import_accounts: false,
            clock: Clock::system(),
            journal_size: journal::DEFAULT_CAPACITY,
            field_names: FieldNames::Both,
            private_groups_start_active: false,
            admin_token: None,
            body_timeout: std::time::Duration::from_secs(10),
            header_timeout: std::time::Duration::from_secs(10),
            idle_timeout: std::time::Duration::from_secs(60),
            callback_bounds: crate::callback::Bounds::default(),
            history_per_group: DEFAULT_HISTORY_PER_GROUP,
            max_apps: crate::store::slots::DEFAULT_MAX_APPS,
            seed: None,
        }
    }
}

/// Everything a request can reach.
#[derive(Debug)]
pub struct Emulator {
    /// The rules profile.
    pub rules: &'static RulesProfile,
    /// The apps and their policies.
    pub apps: Apps,
    /// All state.
    pub store: Store,
    /// Accept any account as imported.
    pub auto_import_accounts: bool,
    /// Which spellings reads answer with.
    pub field_names: FieldNames,
    /// Private groups start active.
    pub private_groups_start_active: bool,
    /// The control plane's bearer token, if one is required.
    pub admin_token: Option<String>,
    /// How long a request body may take to arrive.
    pub body_timeout: std::time::Duration,
    /// How long a request's head may take from its first byte.
    pub header_timeout: std::time::Duration,
    /// How long a connection may wait for a request's first byte.
    pub idle_timeout: std::time::Duration,
    /// Messages each group keeps in history (0 = unlimited).
    pub history_per_group: usize,
    /// The address `serve` listens on, once it does (for the control plane's Host check).
    listening: std::sync::OnceLock<std::net::SocketAddr>,
    /// The address `serve_tls` listens on, once it does (issue 14: HTTPS on a second port).
    listening_https: std::sync::OnceLock<std::net::SocketAddr>,
    /// The emulator's clock: CreateTime, JoinTime, quotas, UserSig expiry, callback and
    /// journal times all read it.
    pub clock: Clock,
    /// Callbacks to app backends: the HTTP client, the after-event queue, the delivery log.
    pub callbacks: Callbacks,
    /// The request journal.
    pub journal: Journal,
    /// The fault-injection rules.
    pub faults: Faults,
    /// The outcome of the periodic state-file saves, for the health endpoint.
    pub saves: crate::persist::SaveHealth,
    /// What a reset returns to (the seed file and the declared accounts).
    pub(crate) baseline: crate::seed::Baseline,
    started: Instant,
    /// The request counters behind `GET /_emulator/metrics` (issue 14).
    pub metrics: crate::metrics::Metrics,
}

/// The handle handlers share.
pub type Shared = Arc<Emulator>;

impl Emulator {
    /// A new emulator with empty state; [`Self::load_start_state`] then loads the seed or the
    /// state file.
    pub fn new(settings: Settings) -> Shared {
        let seed = settings.id_seed.unwrap_or_else(random_seed);
        let max_apps =
            (!settings.apps.is_configured() && settings.max_apps > 0).then_some(settings.max_apps);
        let baseline = crate::seed::Baseline::new(settings.seed, &settings.apps);
        Arc::new(Self {
            baseline,
            rules: settings.rules,
            store: Store::new(seed, max_apps),
            apps: settings.apps,
            auto_import_accounts: settings.auto_import_accounts,
            field_names: settings.field_names,
            private_groups_start_active: settings.private_groups_start_active,
            admin_token: settings.admin_token.filter(|t| !t.is_empty()),
            body_timeout: settings.body_timeout,
            header_timeout: settings.header_timeout,
            idle_timeout: settings.idle_timeout,
            history_per_group: settings.history_per_group,
            listening: std::sync::OnceLock::new(),
            listening_https: std::sync::OnceLock::new(),
            callbacks: Callbacks::new(settings.clock.clone(), settings.callback_bounds),
            clock: settings.clock,
            journal: Journal::new(settings.journal_size),
            faults: Faults::default(),
            saves: crate::persist::SaveHealth::default(),
            started: Instant::now(),
            metrics: crate::metrics::Metrics::default(),
        })
    }

    /// Records the address the emulator serves on (set once, by [`crate::serve`]).
    pub fn set_listening(&self, addr: std::net::SocketAddr) {
        let _ = self.listening.set(addr);
    }

    /// Records the address the emulator serves HTTPS on (set once, by [`crate::server::serve_tls`]).
    pub fn set_listening_https(&self, addr: std::net::SocketAddr) {
        let _ = self.listening_https.set(addr);
    }

    /// The address the plain HTTP port is bound to, once [`crate::serve`] runs.
    pub fn http_addr(&self) -> Option<std::net::SocketAddr> {
        self.listening.get().copied()
    }

    /// The address the HTTPS port is bound to, once [`crate::server::serve_tls`] runs; `None`
    /// without `--https-listen`.
    pub fn https_addr(&self) -> Option<std::net::SocketAddr> {
        self.listening_https.get().copied()
    }

    /// Whether the emulator listens on loopback addresses only: the HTTP address is loopback,
    /// and so is the HTTPS one when there is one.
    pub fn listens_on_loopback(&self) -> bool {
        self.listening.get().is_some_and(|a| a.ip().is_loopback())
            && self
                .listening_https
                .get()
                .is_none_or(|a| a.ip().is_loopback())
    }

    /// Seconds since the emulator was built.
    pub fn uptime_seconds(&self) -> f64 {
        self.started.elapsed().as_secs_f64()
    }
}

fn random_seed() -> u64 {
    use std::hash::{BuildHasher, RandomState};
    RandomState::new().hash_one(std::time::SystemTime::now())
}
