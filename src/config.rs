//! The command line: every flag has a `TIM_EMULATOR_…` environment variable, and each doc
//! comment here is the `--help` text.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use crate::apps::{Apps, Limits};
use crate::emulator::Settings;
use crate::rules::RulesProfile;

/// The address the emulator listens on when none is given.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8269";

/// A local emulator of Tencent Cloud IM's server REST API.
///
/// With no flags it serves every sdkappid on 127.0.0.1:8269, trusts any non-empty usersig, and
/// treats `administrator` and `admin` as App admins.
#[derive(Debug, Clone, Parser)]
#[command(name = "tim-emulator", version, about, long_about = None)]
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

    /// Accept any account as imported (skips the 10004 "not imported" checks).
    #[arg(long, env = "TIM_EMULATOR_AUTO_IMPORT_ACCOUNTS")]
    pub auto_import_accounts: bool,

    /// Rules profile: the table of limits and group types to enforce.
    #[arg(long, env = "TIM_EMULATOR_RULES_PROFILE", default_value = "default")]
    pub rules_profile: String,

    /// create_group calls per second per app (60007 beyond; 0 = unlimited). Default: the profile's (100).
    #[arg(long, env = "TIM_EMULATOR_CREATE_GROUP_PER_SECOND")]
    pub create_group_per_second: Option<u32>,

    /// Calls per second per app of every other command (0 = unlimited). Default: the profile's (200).
    #[arg(long, env = "TIM_EMULATOR_OTHER_PER_SECOND")]
    pub other_per_second: Option<u32>,

    /// Group creations per app per China day, BChatRoom not counted (10006 beyond; 0 = unlimited). Default: 10000.
    #[arg(long, env = "TIM_EMULATOR_DAILY_GROUP_CREATIONS")]
    pub daily_group_creations: Option<u32>,

    /// BChatRoom groups that may exist per app (10006 beyond; 0 = unlimited). Default: 5.
    #[arg(long, env = "TIM_EMULATOR_BCHATROOM_MAX")]
    pub bchatroom_max: Option<u32>,

    /// Turn every throttle and quota off (for load tests); overrides the four limit flags.
    #[arg(long, env = "TIM_EMULATOR_NO_LIMITS")]
    pub no_limits: bool,

    /// Log level (error, warn, info, debug, trace); RUST_LOG, when set, wins.
    #[arg(
        long,
        env = "TIM_EMULATOR_LOG_LEVEL",
        default_value = "info",
        global = true
    )]
    pub log_level: String,

    /// Log format.
    #[arg(long, env = "TIM_EMULATOR_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text, global = true)]
    pub log_format: LogFormat,

    /// TOML file of configured apps (keys, admins, custom fields, limits, callbacks).
    #[arg(long, env = "TIM_EMULATOR_CONFIG")]
    pub config: Option<PathBuf>,

    /// State file: imported at startup when it exists (a corrupt file stops startup), written
    /// atomically at graceful shutdown (SIGTERM, SIGINT) and every --save-interval seconds.
    #[arg(long, env = "TIM_EMULATOR_STATE_FILE")]
    pub state_file: Option<PathBuf>,

    /// Also save the state file every this many seconds (0 = only at shutdown).
    #[arg(long, env = "TIM_EMULATOR_SAVE_INTERVAL", default_value_t = 0)]
    pub save_interval: u64,

    /// Requests the journal (GET /_emulator/requests) keeps; 0 keeps none.
    #[arg(long, env = "TIM_EMULATOR_JOURNAL_SIZE", default_value_t = crate::journal::DEFAULT_CAPACITY)]
    pub journal_size: usize,
}

/// Subcommands besides serving.
#[derive(Debug, Clone, Subcommand)]
pub enum Command {
    /// Serve the emulator (the default).
    Serve,
    /// Exit 0 when the emulator on --listen answers GET /_emulator/health with 200, else 1
    /// (for container health checks; 0.0.0.0 is probed on 127.0.0.1).
    Healthcheck,
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
        if self.no_limits {
            return Limits::UNLIMITED;
        }
        let d = Limits::from_profile(rules);
        Limits {
            create_group_per_second: self
                .create_group_per_second
                .unwrap_or(d.create_group_per_second),
            other_per_second: self.other_per_second.unwrap_or(d.other_per_second),
            daily_group_creations: self
                .daily_group_creations
                .unwrap_or(d.daily_group_creations),
            bchatroom_max: self.bchatroom_max.unwrap_or(d.bchatroom_max),
        }
    }

    /// The library settings these flags describe; an error names what is wrong.
    pub fn settings(&self) -> Result<Settings, String> {
        let rules = RulesProfile::by_name(&self.rules_profile).ok_or_else(|| {
            format!(
                "unknown --rules-profile {:?}; known: default",
                self.rules_profile
            )
        })?;
        let limits = self.limits(rules);
        Ok(Settings {
            rules,
            apps: Apps::zero_config(limits),
            id_seed: self.id_seed,
            auto_import_accounts: self.auto_import_accounts,
            journal_size: self.journal_size,
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
    fn no_limits_turns_every_limit_off() {
        let c = Config::try_parse_from(["tim-emulator", "--no-limits", "--bchatroom-max", "3"])
            .expect("parses");
        assert_eq!(c.limits(&crate::rules::DEFAULT), Limits::UNLIMITED);
    }

    #[test]
    fn unknown_profile_is_refused() {
        let c = Config::try_parse_from(["tim-emulator", "--rules-profile", "x"]).expect("parses");
        assert!(c.settings().is_err());
    }
}
