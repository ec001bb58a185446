//! Running the emulator inside a Rust test (issue 14), in the spirit of wiremock-rs's
//! `MockServer::start()`: [`Emulator::builder`] configures one, [`EmulatorBuilder::start`]
//! serves it on `127.0.0.1:0` in the test's runtime, and the [`EmulatorHandle`] it returns gives
//! the base URL, UserSigs, the control plane as plain method calls (reset, state export and
//! import, clock, faults, journal, callback log) and stops the server when dropped.
//!
//! The project's own test suite starts every emulator through here.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use tokio::sync::oneshot;

use crate::apps::{AppPolicy, Apps, Limits};
use crate::emulator::{Emulator, Settings, Shared};
use crate::faults::{FaultRule, FaultSpec};
use crate::journal::{Entry, Filter};
use crate::rules::{Edition, RulesProfile};
use crate::snapshot::{ImportError, Imported, StateDocument};

/// How long the UserSigs [`EmulatorHandle::usersig`] mints stay valid: 180 days, in seconds.
pub const USERSIG_EXPIRE: u64 = 180 * 86_400;

/// The sdkappid of a builder given a secret key but no sdkappid.
pub const DEFAULT_SDKAPPID: u64 = 1_400_000_000;

/// Why an embedded emulator did not start: a bad rules profile, an address that cannot be
/// bound, or a seed that is not a valid state document for the apps.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the emulator did not start: {0}")]
pub struct StartError(pub String);

/// Configures an embedded emulator; made by [`Emulator::builder`].
#[derive(Debug, Clone)]
pub struct EmulatorBuilder {
    settings: Settings,
    listen: SocketAddr,
    sdkappid: Option<u64>,
    key: Option<String>,
    profile: Option<String>,
    unlimited: bool,
}

impl Emulator {
    /// A builder of an emulator served in the current tokio runtime (see [`crate::embed`]).
    /// Without `sdkappid`/`secret_key` every sdkappid is accepted and UserSigs are not checked
    /// (zero-config); the ID seed is fixed (7) so a test sees the same GroupIds every run.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use tim_emulator::Emulator;
    /// use serde_json::{Value, json};
    ///
    /// let emu = Emulator::builder()
    ///     .sdkappid(1400000000)
    ///     .secret_key("a-test-key")
    ///     .rules_profile("current")
    ///     .start()
    ///     .await?;
    /// // What an app server would call, with a real UserSig for the App admin.
    /// let url = emu.vendor_url("group_open_http_svc/create_group", "administrator");
    /// let created: Value = reqwest::Client::new()
    ///     .post(url)
    ///     .json(&json!({"Type": "Public", "Name": "team"}))
    ///     .send()
    ///     .await?
    ///     .json()
    ///     .await?;
    /// assert_eq!(created["ErrorCode"], 0, "{created}");
    /// assert_eq!(emu.export_state().apps[0].groups.len(), 1);
    ///
    /// emu.advance_clock_ms(86_400_000); // tomorrow, China time quotas included
    /// emu.reset()?; // state, journal, faults, callback log and clock, in one call
    /// assert!(emu.export_state().apps.is_empty());
    /// # Ok(())
    /// # }
    /// ```
    pub fn builder() -> EmulatorBuilder {
        let mut settings = Settings::zero_config();
        settings.id_seed = Some(7);
        EmulatorBuilder {
            settings,
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            sdkappid: None,
            key: None,
            profile: None,
            unlimited: false,
        }
    }
}

impl EmulatorBuilder {
    /// Serve only this app (70020 for any other); its UserSigs are checked when a secret key
    /// is given too.
    pub fn sdkappid(mut self, sdkappid: u64) -> Self {
        self.sdkappid = Some(sdkappid);
        self
    }

    /// The app's secret key: UserSigs are verified with it ([`EmulatorHandle::usersig`] mints
    /// them). Without [`Self::sdkappid`] the app is [`DEFAULT_SDKAPPID`].
    pub fn secret_key(mut self, key: impl Into<String>) -> Self {
        self.key = Some(key.into());
        self
    }

    /// The rules profile by name (`default`, `current`, ...; see `--rules-profile`); an
    /// unknown name makes [`Self::start`] fail.
    pub fn rules_profile(mut self, name: impl Into<String>) -> Self {
        self.profile = Some(name.into());
        self
    }

    /// The seed of assigned GroupIds (7 unless set).
    pub fn id_seed(mut self, seed: u64) -> Self {
        self.settings.id_seed = Some(seed);
        self
    }

    /// No throttle or quota (`--no-limits`), for tests that make many calls quickly.
    pub fn no_limits(mut self) -> Self {
        self.unlimited = true;
        self
    }

    /// The state to start with and that [`EmulatorHandle::reset`] returns to (`--seed-file`).
    pub fn seed(mut self, doc: StateDocument) -> Self {
        self.settings.seed = Some(doc);
        self
    }

    /// An admin token the control plane's HTTP endpoints then require (`--admin-token`).
    pub fn admin_token(mut self, token: impl Into<String>) -> Self {
        self.settings.admin_token = Some(token.into());
        self
    }

    /// Every setting at once, as the command line would give them; [`Self::sdkappid`],
    /// [`Self::secret_key`], [`Self::rules_profile`] and [`Self::no_limits`] still apply on top.
    pub fn settings(mut self, settings: Settings) -> Self {
        self.settings = settings;
        self
    }

    /// Where to listen (default `127.0.0.1:0`, a free port).
    pub fn listen(mut self, addr: SocketAddr) -> Self {
        self.listen = addr;
        self
    }

    /// Binds, loads the seed and serves in a task of the current tokio runtime.
    pub async fn start(self) -> Result<EmulatorHandle, StartError> {
        let (settings, app) = self.resolve()?;
        let listener = tokio::net::TcpListener::bind(self.listen)
            .await
            .map_err(|e| StartError(format!("cannot listen on {}: {e}", self.listen)))?;
        let addr = listener
            .local_addr()
            .map_err(|e| StartError(e.to_string()))?;
        let state = Emulator::new(settings);
        state.load_start_state(None).map_err(StartError)?;
        let (tx, rx) = oneshot::channel::<()>();
        let served = state.clone();
        tokio::spawn(async move {
            let _ = crate::serve(listener, served, async {
                let _ = rx.await;
            })
            .await;
        });
        Ok(EmulatorHandle {
            addr,
            state,
            sdkappid: app.as_ref().map_or(DEFAULT_SDKAPPID, |(id, _)| *id),
            key: app.and_then(|(_, key)| key),
            shutdown: Some(tx),
        })
    }

    /// The settings with the builder's app, profile and limits applied.
    #[allow(clippy::type_complexity)]
    fn resolve(&self) -> Result<(Settings, Option<(u64, Option<String>)>), StartError> {
        let mut settings = self.settings.clone();
        if let Some(name) = &self.profile {
            settings.rules = RulesProfile::select(name, Edition::Ultimate).ok_or_else(|| {
                StartError(format!(
                    "unknown rules profile {name:?}; valid: {}",
                    crate::rules::PROFILE_CHOICES
                ))
            })?;
        }
        let rules = settings.rules;
        let limits = if self.unlimited {
            Limits::UNLIMITED
        } else {
            Limits::from_profile(rules)
        };
        let app = match (self.sdkappid, &self.key) {
            (None, None) => None,
            (id, key) => Some((id.unwrap_or(DEFAULT_SDKAPPID), key.clone())),
        };
        if let Some((id, key)) = &app {
            let mut policy = AppPolicy::zero_config(limits);
            policy.key = key.clone();
            policy.rules = rules;
            policy.messages =
                crate::apps::MessageRules::new(rules, &crate::apps::LimitOverrides::default());
            settings.apps = Apps::configured(HashMap::from([(*id, policy)]), limits);
        } else if self.profile.is_some() || self.unlimited {
            settings.apps = Apps::zero_config(limits);
        }
        if self.profile.is_some() || self.unlimited {
            settings.apps.set_zero_config_rules(rules, limits);
        }
        Ok((settings, app))
    }
}

/// A running embedded emulator; the server stops when this is dropped.
#[derive(Debug)]
pub struct EmulatorHandle {
    addr: SocketAddr,
    state: Shared,
    sdkappid: u64,
    key: Option<String>,
    shutdown: Option<oneshot::Sender<()>>,
}

impl EmulatorHandle {
    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`, what an app server is pointed at instead of the cloud.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The app of [`EmulatorBuilder::sdkappid`] ([`DEFAULT_SDKAPPID`] when none was given).
    pub fn sdkappid(&self) -> u64 {
        self.sdkappid
    }

    /// A UserSig of `identifier` for the app, valid for [`USERSIG_EXPIRE`] from the
    /// emulator's clock; without a secret key any text is accepted and this is `test-sig`.
    pub fn usersig(&self, identifier: &str) -> String {
        match &self.key {
            Some(key) => crate::usersig::mint(
                self.sdkappid,
                key,
                identifier,
                self.state.clock.now_secs(),
                USERSIG_EXPIRE,
                None,
            ),
            None => "test-sig".to_string(),
        }
    }

    /// The full URL of a vendor command (`group_open_http_svc/create_group`) called as
    /// `identifier` on the app, with a fresh UserSig and the other common parameters.
    pub fn vendor_url(&self, command: &str, identifier: &str) -> String {
        let sig: String =
            form_urlencoded::byte_serialize(self.usersig(identifier).as_bytes()).collect();
        let who: String = form_urlencoded::byte_serialize(identifier.as_bytes()).collect();
        format!(
            "{}/v4/{command}?sdkappid={}&identifier={who}&usersig={sig}&random=12345&contenttype=json",
            self.base_url(),
            self.sdkappid
        )
    }

    /// The shared state itself, for what the helpers here do not cover.
    pub fn state(&self) -> &Shared {
        &self.state
    }

    /// The full reset of `POST /_emulator/reset`: state back to the seed, journal, fault
    /// rules, callback log and clock cleared.
    pub fn reset(&self) -> Result<Imported, ImportError> {
        self.state.reset_all()
    }

    /// The whole state as a document (`GET /_emulator/state`).
    pub fn export_state(&self) -> StateDocument {
        self.state.export_state()
    }

    /// Replaces the whole state (`PUT /_emulator/state`), all or nothing.
    pub fn import_state(&self, doc: StateDocument) -> Result<Imported, ImportError> {
        self.state.import_state(doc)
    }

    /// The emulator's time, unix milliseconds.
    pub fn now_ms(&self) -> u64 {
        self.state.clock.now_ms()
    }

    /// Sets the clock to `at_ms` (unix ms), frozen there or running from there.
    pub fn set_clock_ms(&self, at_ms: u64, frozen: bool) {
        self.state.clock.set(at_ms, frozen);
    }

    /// Moves the clock by `delta_ms` (negative goes back).
    pub fn advance_clock_ms(&self, delta_ms: i64) {
        self.state.clock.advance(delta_ms);
    }

    /// Installs a fault rule (`POST /_emulator/faults`); `None` when the rule table is full.
    pub fn add_fault(&self, spec: FaultSpec) -> Option<Arc<FaultRule>> {
        self.state.faults.add(spec).ok()
    }

    /// Removes every fault rule.
    pub fn clear_faults(&self) {
        self.state.faults.clear();
    }

    /// The request journal, oldest first (`GET /_emulator/requests`).
    pub fn journal(&self) -> Vec<Arc<Entry>> {
        self.state.journal.read(&Filter::default())
    }

    /// The callback delivery log, oldest first (`GET /_emulator/callbacks`).
    pub fn callbacks(&self) -> Vec<Arc<crate::callback::log::Delivery>> {
        self.state.callbacks.log().snapshot(None)
    }

    /// Stops the server now (dropping the handle does the same).
    pub fn stop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

impl Drop for EmulatorHandle {
    fn drop(&mut self) {
        self.stop();
    }
}
