//! The command line: every flag has a `TIM_EMULATOR_…` environment variable, and each doc
//! comment here is the `--help` text.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, Subcommand, ValueEnum};

use crate::apps::{Apps, CallbackConfig, LimitOverrides, Limits};
use crate::callback::events::ALL_EVENTS;
use crate::clock::Clock;
use crate::emulator::{FieldNames, Settings};
use crate::rules::{Edition, RulesProfile};

/// The address the emulator listens on when none is given.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8269";

/// Every callback command, the default of `--callback-events`.
/// A local emulator of Tencent Cloud IM's server REST API.
///
/// With no flags it serves every sdkappid on 127.0.0.1:8269, trusts any non-empty usersig, and
/// treats `administrator` and `admin` as App admins.
#[derive(Debug, Clone, Parser)]
#[command(name = "tim-emulator", version, about, long_about = None, after_help = crate::api::emulator::index::help_text())]
pub struct Config {
    /// What to do; serving is the default.
    #[command(subcommand)]
    pub command: Option<Command>,

    /// Address to listen on (use 0.0.0.0:8269 in a container).
    #[arg(long, env = "TIM_EMULATOR_LISTEN", default_value = DEFAULT_LISTEN, global = true)]
    pub listen: SocketAddr,

    /// Seed of assigned group IDs; the same seed gives the same ID sequence on every run.
    #[arg(long, env = "TIM_EMULATOR_ID_SEED")]
    pub id_seed: Option<u64>,

    /// Start the emulator's clock at this unix time in milliseconds (it runs from there; see
    /// also --clock-frozen). Every time the emulator reads comes from this clock: CreateTime,
    /// JoinTime, the daily quota's China day, UserSig expiry, callback times. Move it later with
    /// POST /_emulator/clock.
    #[arg(long, env = "TIM_EMULATOR_CLOCK_START")]
    pub clock_start: Option<u64>,

    /// Freeze the clock (at --clock-start, or at the start time) until POST /_emulator/clock
    /// moves it.
    #[arg(long, env = "TIM_EMULATOR_CLOCK_FROZEN", value_parser = clap::builder::BoolishValueParser::new())]
    pub clock_frozen: bool,

    /// Which spelling of renamed read fields answers carry: both (MuteAllMember and
    /// ShutUpAllMember, MuteUntil and ShutUpUntil, plus OnlineMemberNum), current or legacy.
    /// Requests accept both spellings whatever this says.
    /// Default: the config file's top-level `field_names`, else both.
    #[arg(long, env = "TIM_EMULATOR_FIELD_NAMES", value_enum)]
    pub field_names: Option<FieldNames>,

    /// Private groups start active; by default one stays inactive (hidden from members other
    /// than the owner in get_joined_group_list) until its first message. The config file's
    /// top-level `private_groups_start_active = true` does the same.
    #[arg(long, env = "TIM_EMULATOR_PRIVATE_GROUPS_START_ACTIVE", value_parser = clap::builder::BoolishValueParser::new())]
    pub private_groups_start_active: bool,

    /// After SIGTERM/SIGINT, how long requests in flight may take to finish before the
    /// connections still open are closed and the state is saved (milliseconds). A second signal
    /// cuts the wait short.
    #[arg(long, env = "TIM_EMULATOR_SHUTDOWN_GRACE_MS", default_value_t = 3000)]
    pub shutdown_grace_ms: u64,

    /// How long a request body may take to arrive, in milliseconds; a client that stops
    /// sending mid-body gets 60002 and its connection is closed.
    #[arg(long, env = "TIM_EMULATOR_BODY_TIMEOUT_MS", default_value_t = 10_000)]
    pub body_timeout_ms: u64,

    /// How long a request's head (request line and headers) may take from its first byte, in
    /// milliseconds (1 to 86400000); a client still sending it then is disconnected without an
    /// answer.
    #[arg(long, env = "TIM_EMULATOR_HEADER_TIMEOUT_MS", default_value_t = 10_000, value_parser = connection_timeout_ms())]
    pub header_timeout_ms: u64,

    /// How long a connection may wait for the first byte of a request, from the connect or the
    /// previous answer (keep-alive), in milliseconds (1 to 86400000); an idle connection is
    /// closed then.
    #[arg(long, env = "TIM_EMULATOR_IDLE_TIMEOUT_MS", default_value_t = 60_000, value_parser = connection_timeout_ms())]
    pub idle_timeout_ms: u64,

    /// Require `Authorization: Bearer <token>` on every /_emulator/ endpoint but health.
    #[arg(long, env = "TIM_EMULATOR_ADMIN_TOKEN", hide_env_values = true)]
    pub admin_token: Option<String>,

    /// Accept any account as imported (skips the 10004 "not imported" checks).
    #[arg(long, env = "TIM_EMULATOR_AUTO_IMPORT_ACCOUNTS", value_parser = clap::builder::BoolishValueParser::new())]
    pub auto_import_accounts: bool,

    /// Rules profile: the table of limits and group types to enforce: `default` (the seed's
    /// create_group page) or `current` (today's service, by --edition). A configured app may
    /// name its own (`rules_profile` in its `[[apps]]` table).
    #[arg(long, env = "TIM_EMULATOR_RULES_PROFILE", default_value = "default")]
    pub rules_profile: String,

    /// Edition whose numbers the `current` profile uses: trial (aliases free, developer), pro,
    /// ultimate (alias flagship), enterprise. The default profile ignores it.
    #[arg(long, env = "TIM_EMULATOR_EDITION", default_value = "ultimate")]
    pub edition: String,

    /// create_group calls per second per app (60007 beyond; 0 = unlimited). Default: the profile's (100).
    #[arg(long, env = "TIM_EMULATOR_CREATE_GROUP_PER_SECOND")]
    pub create_group_per_second: Option<u32>,

    /// Calls per second per app of every other command (0 = unlimited). Default: the profile's (200).
    #[arg(long, env = "TIM_EMULATOR_OTHER_PER_SECOND")]
    pub other_per_second: Option<u32>,

    /// Group creations per app per China day, BChatRoom not counted (10006 beyond; 0 = unlimited). Default: 10000.
    #[arg(long, env = "TIM_EMULATOR_DAILY_GROUP_CREATIONS")]
    pub daily_group_creations: Option<u32>,

    /// Most MemberList items of one add_group_member (10005 beyond; 0 = unlimited). Default: 500.
    #[arg(long, env = "TIM_EMULATOR_ADD_GROUP_MEMBER_BATCH")]
    pub add_group_member_batch: Option<u32>,

    /// Most MemberToDel_Account items of one delete_group_member (10004 beyond; 0 = unlimited). Default: 500.
    #[arg(long, env = "TIM_EMULATOR_DELETE_GROUP_MEMBER_BATCH")]
    pub delete_group_member_batch: Option<u32>,

    /// Most MemberList items of one import_group_member (10005 beyond; 0 = unlimited). Default: 300.
    #[arg(long, env = "TIM_EMULATOR_IMPORT_GROUP_MEMBER_BATCH")]
    pub import_group_member_batch: Option<u32>,

    /// Most groups one account may belong to (10037 beyond). Default: 0, off.
    #[arg(long, env = "TIM_EMULATOR_GROUPS_PER_USER")]
    pub groups_per_user: Option<u32>,

    /// Messages per second per group (10023 beyond; 0 = unlimited). Default: 40.
    #[arg(long, env = "TIM_EMULATOR_GROUP_MSGS_PER_SECOND")]
    pub group_msgs_per_second: Option<u32>,

    /// Messages each group keeps in history; older ones are dropped and read as holes
    /// (0 = unlimited). Default: 100000.
    #[arg(long, env = "TIM_EMULATOR_HISTORY_PER_GROUP", default_value_t = crate::emulator::DEFAULT_HISTORY_PER_GROUP)]
    pub history_per_group: usize,

    /// BChatRoom groups that may exist per app (10006 beyond; 0 = unlimited). Default: 5.
    #[arg(long, env = "TIM_EMULATOR_BCHATROOM_MAX")]
    pub bchatroom_max: Option<u32>,

    /// The most zero-config apps (sdkappids) that may hold state at once: an app holds state
    /// once a group or an account is stored in it, and a request that would store into one app
    /// more answers 70020. Reads and refused requests never create an app. 0 = no cap.
    /// Configured apps (--config) are not capped.
    #[arg(long, env = "TIM_EMULATOR_MAX_APPS", default_value_t = crate::store::slots::DEFAULT_MAX_APPS)]
    pub max_apps: usize,

    /// Turn every throttle and quota off (for load tests); overrides the four limit flags.
    #[arg(long, env = "TIM_EMULATOR_NO_LIMITS", value_parser = clap::builder::BoolishValueParser::new())]
    pub no_limits: bool,

    /// Log level: off, error, warn, info, debug or trace, or a filter list such as
    /// `info,tim_emulator=debug`; anything else is refused. RUST_LOG, when set, wins.
    #[arg(
        long,
        env = "TIM_EMULATOR_LOG_LEVEL",
        default_value = "info",
        global = true,
        value_parser = parse_log_level
    )]
    pub log_level: String,

    /// Log format.
    #[arg(long, env = "TIM_EMULATOR_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text, global = true)]
    pub log_format: LogFormat,

    /// TOML file of configured apps (keys, admins, custom fields, limits, callbacks).
    #[arg(long, env = "TIM_EMULATOR_CONFIG", global = true)]
    pub config: Option<PathBuf>,

    /// State file: imported at startup when it exists (a corrupt file stops startup), written
    /// atomically at graceful shutdown (SIGTERM, SIGINT) and every --save-interval seconds.
    #[arg(long, env = "TIM_EMULATOR_STATE_FILE")]
    pub state_file: Option<PathBuf>,

    /// Seed file: a state document (the format of GET /_emulator/state), read-only, loaded at
    /// start unless the --state-file exists, and what POST /_emulator/reset returns to.
    #[arg(long, env = "TIM_EMULATOR_SEED_FILE")]
    pub seed_file: Option<PathBuf>,

    /// Also save the state file every this many seconds (0 = only at shutdown).
    #[arg(long, env = "TIM_EMULATOR_SAVE_INTERVAL", default_value_t = 0)]
    pub save_interval: u64,

    /// Requests the journal (GET /_emulator/requests) keeps; 0 keeps none.
    #[arg(long, env = "TIM_EMULATOR_JOURNAL_SIZE", default_value_t = crate::journal::DEFAULT_CAPACITY)]
    pub journal_size: usize,
    /// Callback URL of zero-config apps (http or https); no callbacks when absent. Configured
    /// apps use their own `[apps.callback]` instead.
    #[arg(long, env = "TIM_EMULATOR_CALLBACK_URL")]
    pub callback_url: Option<String>,

    /// Callback commands to send (comma-separated), e.g.
    /// Group.CallbackBeforeCreateGroup,Group.CallbackAfterNewMemberJoin. Default: every one.
    #[arg(long, env = "TIM_EMULATOR_CALLBACK_EVENTS", value_delimiter = ',')]
    pub callback_events: Option<Vec<String>>,

    /// Callback auth token: adds `RequestTime` and `Sign = hex(sha256(token + RequestTime))`.
    #[arg(long, env = "TIM_EMULATOR_CALLBACK_TOKEN")]
    pub callback_token: Option<String>,

    /// How long a callback is awaited, in milliseconds (1 to 10000).
    #[arg(long, env = "TIM_EMULATOR_CALLBACK_TIMEOUT_MS", default_value_t = 2000)]
    pub callback_timeout_ms: u64,

    /// Bytes the callback delivery log (GET /_emulator/callbacks) keeps of each body of a
    /// delivery, the one sent and the answer; longer ones are cut and marked
    /// (`request_body_truncated`, `request_body_bytes`, and the same for `response_body`).
    #[arg(long, env = "TIM_EMULATOR_CALLBACK_LOG_BODY_BYTES", default_value_t = crate::callback::DEFAULT_LOG_BODY_BYTES)]
    pub callback_log_body_bytes: usize,

    /// Bytes the callback delivery log holds in all; the oldest deliveries are forgotten first
    /// (it keeps at most 1,000 either way; 0 keeps none).
    #[arg(long, env = "TIM_EMULATOR_CALLBACK_LOG_BYTES", default_value_t = crate::callback::DEFAULT_LOG_BYTES)]
    pub callback_log_bytes: usize,

    /// Body bytes of the after-callbacks waiting to be sent; one that would go beyond is dropped,
    /// counted and logged, as one beyond 1,024 waiting is.
    #[arg(long, env = "TIM_EMULATOR_CALLBACK_QUEUE_BYTES", default_value_t = crate::callback::DEFAULT_QUEUE_BYTES)]
    pub callback_queue_bytes: usize,

    /// Refuse a creation (10016) when the before-create callback fails (timeout, transport
    /// error, non-200, not JSON) instead of letting it go on (the vendor default).
    #[arg(long, env = "TIM_EMULATOR_CALLBACK_FAIL_CLOSED", value_parser = clap::builder::BoolishValueParser::new())]
    pub callback_fail_closed: bool,

    /// Once listening, write the bound URLs as JSON to this file (atomically: a temporary file
    /// renamed into place), e.g. `{"http":"http://127.0.0.1:PORT","control":"…/_emulator","pid":…}`,
    /// so a test harness started with `--listen 127.0.0.1:0` learns the port. The same JSON is
    /// printed on stdout after `TIM_EMULATOR_READY ` whatever the log level.
    #[arg(long, env = "TIM_EMULATOR_READY_FILE")]
    pub ready_file: Option<PathBuf>,

    /// Also serve HTTPS on this address (a second port; the plain one stays), e.g.
    /// 127.0.0.1:8270, or port 0 for any free port. The certificate is --tls-cert/--tls-key, or
    /// one generated at start (see --tls-ca-out).
    #[arg(long, env = "TIM_EMULATOR_HTTPS_LISTEN", value_name = "ADDR")]
    pub https_listen: Option<SocketAddr>,

    /// The HTTPS certificate chain, a PEM file (leaf first); needs --tls-key.
    #[arg(long, env = "TIM_EMULATOR_TLS_CERT", value_name = "PATH", requires_all = ["tls_key", "https_listen"])]
    pub tls_cert: Option<PathBuf>,

    /// The HTTPS private key, a PEM file (PKCS#8, RSA or EC); needs --tls-cert.
    #[arg(long, env = "TIM_EMULATOR_TLS_KEY", value_name = "PATH", requires_all = ["tls_cert", "https_listen"])]
    pub tls_key: Option<PathBuf>,

    /// Without --tls-cert: write the CA certificate that signs the generated HTTPS certificate
    /// to this file (PEM, replaced atomically at every start), for clients to trust.
    #[arg(
        long,
        env = "TIM_EMULATOR_TLS_CA_OUT",
        value_name = "PATH",
        requires = "https_listen",
        conflicts_with = "tls_cert"
    )]
    pub tls_ca_out: Option<PathBuf>,

    /// Without --tls-cert: names the generated HTTPS certificate is valid for besides
    /// localhost, 127.0.0.1 and ::1 (comma-separated DNS names or IP addresses, e.g. the
    /// compose service name).
    #[arg(
        long,
        env = "TIM_EMULATOR_TLS_NAMES",
        value_name = "NAMES",
        value_delimiter = ',',
        requires = "https_listen",
        conflicts_with = "tls_cert"
    )]
    pub tls_names: Vec<String>,
}

/// The level names `--log-level` takes (a filter list with `=` is also taken).
pub const LOG_LEVELS: &str = "off, error, warn, info, debug, trace";

/// `--log-level`: a level name (any case), or a filter list in `RUST_LOG` syntax that names at
/// least one target (`info,tim_emulator=debug`). A bare word that is no level (`verbose`) is
/// refused: as a filter it would name a target and silently turn every log off.
fn parse_log_level(raw: &str) -> Result<String, String> {
    let level = raw.trim().to_ascii_lowercase();
    if LOG_LEVELS.split(", ").any(|l| l == level) {
        return Ok(level);
    }
    let refused = || {
        format!(
            "{raw:?} is not a log level; valid: {LOG_LEVELS}, or a filter list such as info,tim_emulator=debug"
        )
    };
    if !raw.contains('=') {
        return Err(refused());
    }
    raw.parse::<tracing_subscriber::filter::Targets>()
        .map(|_| raw.to_string())
        .map_err(|e| format!("{}: {e}", refused()))
}

/// The range of `--header-timeout-ms` and `--idle-timeout-ms`: at least a millisecond, at most
/// [`crate::server::timeouts::MAX_CONNECTION_TIMEOUT`] (a day).
fn connection_timeout_ms() -> clap::builder::RangedU64ValueParser {
    let max = crate::server::timeouts::MAX_CONNECTION_TIMEOUT.as_millis();
    clap::value_parser!(u64).range(1..=u64::try_from(max).unwrap_or(u64::MAX))
}

/// Subcommands besides serving.
#[derive(Debug, Clone, Subcommand)]
pub enum Command {
    /// Serve the emulator (the default).
    Serve,
    /// Exit 0 when the emulator on --listen answers GET /_emulator/health with 200, else 1
    /// (for container health checks; 0.0.0.0 is probed on 127.0.0.1).
    Healthcheck,
    /// Print a UserSig the real service would accept (URL-safe alphabet).
    Usersig(UsersigArgs),
}

/// What `tim-emulator usersig` signs.
#[derive(Debug, Clone, clap::Args)]
pub struct UsersigArgs {
    /// The app's sdkappid.
    #[arg(long)]
    pub sdkappid: u64,
    /// The app's secret key; may be left out when --config names the app.
    #[arg(long)]
    pub key: Option<String>,
    /// The user the signature is for (an App admin, for REST calls).
    #[arg(long)]
    pub identifier: String,
    /// Validity in seconds from --time.
    #[arg(long, default_value_t = 180 * 86_400)]
    pub expire: u64,
    /// Issue time (unix seconds); a time in the past mints an expired signature. Default: now.
    #[arg(long)]
    pub time: Option<u64>,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

impl Config {
    /// The limits the flags ask for, on top of the profile's.
    pub fn limits(&self, rules: &RulesProfile) -> Limits {
        let limits = Limits::from_profile(rules).with(self.limit_flags());
        if self.no_limits {
            return limits.without_quotas(rules);
        }
        limits
    }

    /// The limit flags given, each `None` when absent.
    pub fn limit_flags(&self) -> LimitOverrides {
        LimitOverrides {
            create_group_per_second: self.create_group_per_second,
            other_per_second: self.other_per_second,
            daily_group_creations: self.daily_group_creations,
            bchatroom_max: self.bchatroom_max,
            add_group_member_batch: self.add_group_member_batch,
            delete_group_member_batch: self.delete_group_member_batch,
            import_group_member_batch: self.import_group_member_batch,
            groups_per_user: self.groups_per_user,
            group_msgs_per_second_per_group: self.group_msgs_per_second,
            ..LimitOverrides::default()
        }
    }

    /// The callback settings of zero-config apps, when `--callback-url` is given; an unknown
    /// event name is refused so a typo does not silently switch a callback off.
    /// The list is checked even without a URL (issue 14), so a typo shows at start.
    pub fn callback(&self) -> Result<Option<CallbackConfig>, String> {
        let events = match &self.callback_events {
            Some(list) => list.clone(),
            None => ALL_EVENTS.map(String::from).to_vec(),
        };
        if let Some(e) = events.iter().find(|e| !ALL_EVENTS.contains(&e.as_str())) {
            return Err(format!(
                "unknown --callback-events entry {e:?}; known: {}",
                ALL_EVENTS.join(", ")
            ));
        }
        let Some(url) = &self.callback_url else {
            return Ok(None);
        };
        Ok(Some(CallbackConfig {
            url: url.clone(),
            events,
            token: self.callback_token.clone().filter(|t| !t.is_empty()),
            timeout_ms: crate::apps::check_callback_timeout(self.callback_timeout_ms)
                .map_err(|e| format!("--callback-timeout-ms: {e}"))?,
            fail_closed: self.callback_fail_closed,
            block_send_on_failure: false,
        }))
    }

    /// The library settings these flags describe; an error names what is wrong.
    pub fn settings(&self) -> Result<Settings, String> {
        let edition = Edition::parse(&self.edition).ok_or_else(|| {
            format!(
                "unknown --edition {:?}; valid: {}",
                self.edition,
                Edition::CHOICES
            )
        })?;
        let rules = RulesProfile::select(&self.rules_profile, edition).ok_or_else(|| {
            format!(
                "unknown --rules-profile {:?}; valid: {}",
                self.rules_profile,
                crate::rules::PROFILE_CHOICES
            )
        })?;
        let limits = self.limits(rules);
        let defaults = crate::config_file::AppDefaults {
            profile: rules.name,
            edition,
            flags: self.limit_flags(),
            no_limits: self.no_limits,
        };
        let (mut apps, file) = match &self.config {
            Some(path) => {
                let map =
                    crate::config_file::load_with(path, &defaults).map_err(|e| e.to_string())?;
                let file = crate::config_file::load_settings(path).map_err(|e| e.to_string())?;
                (Apps::configured(map, limits), file)
            }
            None => (Apps::zero_config(limits), Default::default()),
        };
        apps.set_zero_config_rules(rules, limits);
        apps.set_zero_config_callback(self.callback()?);
        Ok(Settings {
            rules,
            apps,
            id_seed: self.id_seed,
            auto_import_accounts: self.auto_import_accounts,
            journal_size: self.journal_size,
            clock: self.clock(),
            field_names: self.field_names.or(file.field_names).unwrap_or_default(),
            private_groups_start_active: self.private_groups_start_active
                || file.private_groups_start_active.unwrap_or(false),
            admin_token: self.admin_token.clone(),
            body_timeout: Duration::from_millis(self.body_timeout_ms.max(1)),
            header_timeout: Duration::from_millis(self.header_timeout_ms),
            idle_timeout: Duration::from_millis(self.idle_timeout_ms),
            callback_bounds: crate::callback::Bounds {
                log_body_bytes: self.callback_log_body_bytes,
                log_bytes: self.callback_log_bytes,
                queue_bytes: self.callback_queue_bytes,
            },
            history_per_group: self.history_per_group,
            max_apps: self.max_apps,
            seed: self
                .seed_file
                .as_deref()
                .map(crate::seed::read_seed_file)
                .transpose()?,
        })
    }

    /// The clock `--clock-start` and `--clock-frozen` describe.
    pub fn clock(&self) -> Clock {
        match (self.clock_start, self.clock_frozen) {
            (Some(start), true) => Clock::frozen_at(start),
            (Some(start), false) => Clock::starting_at(start),
            (None, true) => Clock::frozen_at(Clock::system().now_ms()),
            (None, false) => Clock::system(),
        }
    }
}

impl UsersigArgs {
    /// The key of the app in the config file, or why there is none: the app is not configured
    /// (naming those that are), or it is configured without a `key`.
    fn configured_key(&self, apps: &Apps) -> Result<String, String> {
        let id = self.sdkappid;
        let configured = apps.configured_ids();
        if !apps.is_configured() || !configured.contains(&id) {
            return Err(format!(
                "sdkappid {id} is not configured in the --config file (configured: {configured:?}); add an [[apps]] table with sdkappid = {id} and its key, or give --key"
            ));
        }
        apps.policy(id)
            .ok()
            .and_then(|p| p.key.clone())
            .ok_or_else(|| format!("sdkappid {id} is configured but has no key in the --config file; add key = \"...\" to its [[apps]] table, or give --key"))
    }

    /// The signature these arguments describe, taking the key from `apps` when not given.
    /// An error says whether the app is missing from the config or has no key there.
    pub fn mint(&self, apps: Option<&Apps>, now: u64) -> Result<String, String> {
        let key = match (&self.key, apps) {
            (Some(k), _) => k.clone(),
            (None, Some(apps)) => self.configured_key(apps)?,
            (None, None) => {
                return Err(format!(
                    "no key for sdkappid {}: give --key, or --config with a file whose [[apps]] has this sdkappid and its key",
                    self.sdkappid
                ));
            }
        };
        let time = self.time.unwrap_or(now);
        Ok(crate::usersig::mint(
            self.sdkappid,
            &key,
            &self.identifier,
            time,
            self.expire,
            None,
        ))
    }
}

impl Config {
    /// Where the HTTPS port's certificate comes from; `None` without `--https-listen`.
    pub fn tls_source(&self) -> Option<crate::tls::CertSource> {
        self.https_listen?;
        Some(match (&self.tls_cert, &self.tls_key) {
            (Some(cert), Some(key)) => crate::tls::CertSource::Files {
                cert: cert.clone(),
                key: key.clone(),
            },
            _ => crate::tls::CertSource::Generated {
                extra_names: self.tls_names.clone(),
                ca_out: self.tls_ca_out.clone(),
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_flags_mean_loopback_default_port_and_profile_limits() {
        let c = Config::try_parse_from(["tim-emulator"]).expect("no flags parse");
        assert_eq!(c.listen.to_string(), DEFAULT_LISTEN);
        let s = c.settings().expect("defaults are valid");
        assert_eq!(
            s.apps.policy(1).map(|p| p.limits.create_group_per_second),
            Ok(100)
        );
    }

    #[test]
    fn connection_timeouts_default_to_10_s_for_headers_and_60_s_idle() {
        let s = Config::try_parse_from(["tim-emulator"])
            .expect("no flags parse")
            .settings()
            .expect("valid");
        assert_eq!(s.header_timeout, Duration::from_secs(10));
        assert_eq!(s.idle_timeout, Duration::from_secs(60));
    }

    #[test]
    fn connection_timeouts_outside_a_millisecond_to_a_day_are_refused_naming_the_flag() {
        for (flag, value) in [
            ("--header-timeout-ms", "0"),
            ("--idle-timeout-ms", "0"),
            ("--idle-timeout-ms", "86400001"),
        ] {
            let e = Config::try_parse_from(["tim-emulator", flag, value])
                .expect_err("out of range")
                .to_string();
            assert!(e.contains(flag) && e.contains("1..=86400000"), "{e}");
        }
        let c = Config::try_parse_from(["tim-emulator", "--idle-timeout-ms", "86400000"])
            .expect("a day is allowed");
        assert_eq!(c.idle_timeout_ms, 86_400_000);
    }

    #[test]
    fn the_current_profile_takes_its_editions_numbers_and_a_bad_edition_is_refused() {
        let c =
            Config::try_parse_from(["tim-emulator", "--rules-profile", "current"]).expect("parses");
        let s = c.settings().expect("valid");
        let p = s.apps.policy(1).expect("zero-config");
        assert_eq!(p.rules.edition, Some(Edition::Ultimate));
        assert_eq!(p.limits.create_group_per_second, 200);
        assert_eq!(p.messages.max_bytes, 12_000);
        assert_eq!(p.messages.retention_days, 30);
        let c = Config::try_parse_from([
            "tim-emulator",
            "--rules-profile",
            "current",
            "--edition",
            "free",
            "--add-group-member-batch",
            "7",
        ])
        .expect("parses");
        let p = c.settings().expect("valid");
        let p = p.apps.policy(1).expect("zero-config");
        assert_eq!(p.rules.edition, Some(Edition::Trial));
        assert_eq!(p.limits.groups_per_user, 50);
        assert_eq!(
            p.limits.add_group_member_batch, 7,
            "a flag beats the edition"
        );
        for (args, needle) in [
            (
                vec!["--edition", "gold"],
                "unknown --edition \"gold\"; valid: trial",
            ),
            (vec!["--rules-profile", "today"], "valid: default, current"),
        ] {
            let c =
                Config::try_parse_from([&["tim-emulator"][..], &args].concat()).expect("parses");
            let e = c.settings().expect_err("refused");
            assert!(e.contains(needle), "{e}");
        }
    }

    #[test]
    fn no_limits_turns_every_limit_off() {
        let c = Config::try_parse_from(["tim-emulator", "--no-limits", "--bchatroom-max", "3"])
            .expect("parses");
        assert_eq!(c.limits(&crate::rules::DEFAULT), Limits::UNLIMITED);
    }

    #[test]
    fn callback_flags_feed_zero_config_apps_with_every_event_by_default() {
        let c = Config::try_parse_from(["tim-emulator", "--callback-url", "http://127.0.0.1:9/cb"])
            .expect("parses");
        let s = c.settings().expect("valid");
        let policy = s.apps.policy(1).expect("zero-config");
        let cb = policy.callback.as_ref().expect("callback set");
        assert_eq!(cb.events, ALL_EVENTS.map(String::from));
        assert_eq!(
            (cb.timeout_ms, cb.fail_closed, cb.token.as_deref()),
            (2000, false, None)
        );
    }

    #[test]
    fn callback_byte_bounds_default_to_16_kib_per_body_and_16_mib_in_all() {
        let c = Config::try_parse_from(["tim-emulator"]).expect("parses");
        let b = c.settings().expect("valid").callback_bounds;
        assert_eq!(
            (b.log_body_bytes, b.log_bytes, b.queue_bytes),
            (16384, 16 << 20, 16 << 20)
        );
        let args = [
            "tim-emulator",
            "--callback-log-body-bytes",
            "100",
            "--callback-log-bytes",
            "2000",
            "--callback-queue-bytes",
            "3000",
        ];
        let b = Config::try_parse_from(args)
            .expect("parses")
            .settings()
            .expect("valid");
        let b = b.callback_bounds;
        assert_eq!(
            (b.log_body_bytes, b.log_bytes, b.queue_bytes),
            (100, 2000, 3000)
        );
    }

    #[test]
    fn callback_events_are_a_comma_list_of_known_commands() {
        let args = [
            "tim-emulator",
            "--callback-url",
            "http://h/",
            "--callback-events",
            "Group.CallbackAfterCreateGroup,Group.CallbackAfterGroupDestroyed",
        ];
        let c = Config::try_parse_from(args).expect("parses");
        let cb = c.callback().expect("valid").expect("set");
        assert_eq!(cb.events.len(), 2);
        let bad = Config::try_parse_from([&args[..4], &["Group.Nope"]].concat()).expect("parses");
        assert!(bad.callback().is_err());
    }

    #[test]
    fn callback_events_are_checked_even_without_a_url() {
        let c = Config::try_parse_from(["tim-emulator", "--callback-events", "Group.Nope"])
            .expect("parses");
        let e = c.settings().expect_err("a typo is refused at start");
        assert!(e.contains("Group.Nope"), "{e}");
    }

    #[test]
    fn an_unknown_log_level_is_refused_with_the_valid_ones() {
        for ok in ["info", "DEBUG", "off", "warn,tim_emulator=debug"] {
            assert!(
                Config::try_parse_from(["tim-emulator", "--log-level", ok]).is_ok(),
                "{ok}"
            );
        }
        for bad in ["verbose", "", "tim_emulator=shout"] {
            let e = Config::try_parse_from(["tim-emulator", "--log-level", bad])
                .expect_err("refused")
                .to_string();
            assert!(
                e.contains("off, error, warn, info, debug, trace"),
                "{bad}: {e}"
            );
        }
    }

    #[test]
    fn no_callback_url_means_no_callbacks() {
        let c = Config::try_parse_from(["tim-emulator", "--callback-token", "t"]).expect("parses");
        assert_eq!(c.callback(), Ok(None));
    }

    #[test]
    fn unknown_profile_is_refused() {
        let c = Config::try_parse_from(["tim-emulator", "--rules-profile", "x"]).expect("parses");
        assert!(c.settings().is_err());
    }
}
