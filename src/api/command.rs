//! What a vendor command is: its declaration ([`VendorCommand`], written once in the command's
//! own file), the type-erased registry entry made from it ([`Command`]), and the request that
//! reaches a handler ([`Call`]). The list of commands is [`super::registry`].

use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::Arc;

use axum::body::Bytes;
use axum::response::Response;
use serde::de::DeserializeOwned;

use crate::domain::wire::{self, WireError};
use crate::emulator::Shared;
use crate::error::VendorError;
use crate::store::AppState;

/// A vendor service the emulator serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Service {
    /// `group_open_http_svc`: group commands (field errors 10004, non-admin caller 10007).
    Group,
    /// `im_open_login_svc`: account commands (field errors 70402, non-admin caller 70403).
    Account,
}

impl Service {
    /// Every served service.
    pub const ALL: [Self; 2] = [Self::Group, Self::Account];

    /// The service name as it appears in `/v4/{service}/{command}`.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Group => "group_open_http_svc",
            Self::Account => "im_open_login_svc",
        }
    }

    /// The vendor error for a malformed field of this service's requests.
    pub fn field_error(self, msg: String) -> VendorError {
        match self {
            Self::Group => VendorError::InvalidParameter(msg),
            Self::Account => VendorError::AccountParam(msg),
        }
    }

    /// The vendor error for a caller who is not an App admin; for group commands ErrorInfo
    /// names the app's admins (the first ten), who may make the call (issue 14).
    fn not_admin(self, identifier: &str, admins: &[String]) -> VendorError {
        match self {
            Self::Group => VendorError::PermissionDenied(format!(
                "identifier {identifier:?} is not an App admin of this app; group commands need an admin; this app's admins: {} (set by `admins` of the app in the config file)",
                admin_list(admins)
            )),
            Self::Account => VendorError::AccountNotAdmin(identifier.to_string()),
        }
    }
}

/// `"a", "b"` for at most ten admins, `none` for none.
fn admin_list(admins: &[String]) -> String {
    if admins.is_empty() {
        return "none".into();
    }
    let shown: Vec<String> = admins.iter().take(10).map(|a| format!("{a:?}")).collect();
    let more = admins.len().saturating_sub(10);
    match more {
        0 => shown.join(", "),
        n => format!("{} and {n} more", shown.join(", ")),
    }
}

/// Which per-app calls-per-second limit a command draws from (SPEC §7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateClass {
    /// create_group's own limit (`create_group_per_second`, 100/s by default).
    CreateGroup,
    /// The limit shared by every other command (`other_per_second`, 200/s by default).
    Standard,
    /// get_appid_group_list's own limit under the `current` profile (1/s, answered 10006 by
    /// the command itself; spec §40.6). No command is declared with it.
    GroupList,
}

/// A vendor command, declared once in its own file: where it is served, its rate class, its
/// request type and its handler. Registering it is one line in [`super::registry::COMMANDS`].
pub trait VendorCommand {
    /// The service it belongs to.
    const SERVICE: Service;
    /// The command word, as the vendor spells it.
    const NAME: &'static str;
    /// The rate limit it draws from.
    const RATE: RateClass = RateClass::Standard;
    /// One line for the README's endpoint table.
    const SUMMARY: &'static str;
    /// The request body, with the vendor's field names; every field `Option`, so `null` means
    /// absent and the handler reports missing fields in the vendor's order of checks.
    type Request: DeserializeOwned + Send + 'static;
    /// Serves a request whose caller is an App admin and whose body has the right types.
    fn handle(
        call: Call,
        request: Self::Request,
    ) -> impl Future<Output = Result<Response, VendorError>> + Send;
}

/// What a handler returns, boxed so every command fits one registry.
pub type Reply = Pin<Box<dyn Future<Output = Result<Response, VendorError>> + Send>>;

/// One registry entry: a [`VendorCommand`] with its types erased.
#[derive(Debug, Clone, Copy)]
pub struct Command {
    /// The service.
    pub service: Service,
    /// The command word.
    pub name: &'static str,
    /// The rate class.
    pub rate: RateClass,
    /// The README line.
    pub summary: &'static str,
    run: fn(Call) -> Reply,
}

/// The registry entry of `C`.
pub const fn command<C: VendorCommand>() -> Command {
    Command {
        service: C::SERVICE,
        name: C::NAME,
        rate: C::RATE,
        summary: C::SUMMARY,
        run: run::<C>,
    }
}

fn run<C: VendorCommand>(call: Call) -> Reply {
    Box::pin(async move {
        let request = parse_body::<C::Request>(&call.body, C::SERVICE)?;
        C::handle(call, request).await
    })
}

/// Converts a body into a command's request type; a type error is the service's field error
/// (10004 or 70402) naming the field path.
pub fn parse_body<T: DeserializeOwned>(body: &[u8], service: Service) -> Result<T, VendorError> {
    wire::from_slice(body).map_err(|e: WireError| service.field_error(e.to_string()))
}

impl Command {
    /// `service/command`.
    pub fn path(&self) -> String {
        format!("{}/{}", self.service.name(), self.name)
    }

    /// `/v4/service/command`, built once per command for the life of the process (the journal
    /// keeps it in every entry without copying).
    pub fn full_path(&self) -> &'static str {
        static PATHS: std::sync::OnceLock<Vec<(&'static str, &'static str)>> =
            std::sync::OnceLock::new();
        let paths = PATHS.get_or_init(|| {
            super::registry::COMMANDS
                .iter()
                .map(|c| {
                    let path: &'static str = format!("/v4/{}", c.path()).leak();
                    (c.name, path)
                })
                .collect()
        });
        paths
            .iter()
            .find(|(name, _)| *name == self.name)
            .map_or("/v4/", |(_, path)| path)
    }

    /// Checks that the caller is an App admin (10007 for groups, 70403 for accounts), then
    /// converts the body and runs the handler.
    pub fn run(&self, call: Call) -> Reply {
        if !call.app.policy().is_admin(&call.identifier) {
            let e = self
                .service
                .not_admin(&call.identifier, &call.app.policy().admins);
            return Box::pin(std::future::ready(Err(e)));
        }
        (self.run)(call)
    }
}

/// A request that passed the common layer: the app, the caller and the JSON body.
#[derive(Debug)]
pub struct Call {
    /// The emulator.
    pub emu: Shared,
    /// The app's state.
    pub app: Arc<AppState>,
    /// The caller's `identifier`.
    pub identifier: String,
    /// The request body: bytes known to hold one JSON object (kept for hints about misspelled
    /// fields; the handler gets the typed request).
    pub body: Bytes,
    /// The caller's address, when known.
    pub client_ip: Option<IpAddr>,
}

impl Call {
    /// The app's rules profile, in its edition (spec §40.1).
    pub fn rules(&self) -> &'static crate::rules::RulesProfile {
        self.app.policy().rules
    }

    /// The emulator's time in unix seconds.
    pub fn now(&self) -> u64 {
        self.emu.clock.now_secs()
    }

    /// The emulator's time in unix milliseconds.
    pub fn now_ms(&self) -> u64 {
        self.emu.clock.now_ms()
    }

    /// Whether `account` counts as imported: an admin, an imported account, or any account
    /// with `--auto-import-accounts`.
    pub fn is_imported(&self, account: &str) -> bool {
        self.emu.auto_import_accounts || self.app.is_imported(account)
    }

    /// `value`, or the service's field error saying that `field` is required (with a hint when
    /// the body spells it in another case).
    pub fn required<T>(
        &self,
        value: Option<T>,
        field: &str,
        service: Service,
    ) -> Result<T, VendorError> {
        wire::required(value, field, &self.body).map_err(|m| service.field_error(m))
    }
}
