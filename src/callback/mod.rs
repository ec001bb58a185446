//! Callbacks to the app backend (SPEC §6): the emulator POSTs JSON to the app's configured URL
//! around group changes, as the cloud does, so teams can test their handlers and veto logic.
//!
//! - [`events`]: the commands and their bodies, with the vendor's field names.
//! - [`url`]: the query string and the `Sign` of a token.
//! - [`deliver`]: one HTTP exchange, bounded by the app's `timeout_ms`, as a [`log::Delivery`].
//! - [`verdict`]: what the before-create answer means (go on, 10016, a custom code, a failure).
//! - [`queue`]: after-events, sent in the background through a queue bounded in count and bytes.
//! - [`log`]: the recent deliveries the control plane shows, bounded in count and bytes
//!   ([`Bounds`]).
//!
//! One [`Callbacks`] lives in the [`crate::Emulator`]; it owns the one HTTP client, so
//! connections to the backend are reused across callbacks.

pub mod deliver;
pub mod events;
pub mod log;
pub mod queue;
pub mod send_msg;
pub mod url;
pub mod verdict;

use std::net::IpAddr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use serde::Serialize;

use self::deliver::Outgoing;
use self::events::{
    AfterChangeGroupOwner, AfterCreateGroup, AfterGroupDestroyed, AfterGroupFull,
    AfterGroupInfoChanged, AfterMemberExit, AfterMemberFieldChanged, AfterNewMemberJoin,
    BeforeCreateGroup, BeforeInviteJoinGroup, DailyGroupQuotaAlarm,
};
use self::log::DeliveryLog;
use self::queue::AfterQueue;
use self::url::Target;
use crate::apps::CallbackConfig;
use crate::clock::Clock;
use crate::error::VendorError;

/// The default of [`Bounds::log_body_bytes`]: 16 KiB.
pub const DEFAULT_LOG_BODY_BYTES: usize = 16 << 10;

/// The default of [`Bounds::log_bytes`]: 16 MiB.
pub const DEFAULT_LOG_BYTES: usize = 16 << 20;

/// The default of [`Bounds::queue_bytes`]: 16 MiB.
pub const DEFAULT_QUEUE_BYTES: usize = 16 << 20;

/// The byte bounds of what the callback machinery holds, on top of its count bounds
/// ([`log::LOG_CAPACITY`] deliveries, [`queue::QUEUE_CAPACITY`] waiting after-events), so
/// callback bodies of megabytes cannot grow memory with them. Set by `--callback-log-body-bytes`,
/// `--callback-log-bytes` and `--callback-queue-bytes`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bounds {
    /// Bytes the delivery log keeps of each body of a delivery (the body sent, the answer);
    /// longer ones are cut and marked (`request_body_truncated`, `request_body_bytes`, ...).
    pub log_body_bytes: usize,
    /// Bytes the delivery log holds in all (see [`log::Delivery::cost`]); the oldest
    /// deliveries are forgotten first.
    pub log_bytes: usize,
    /// Body bytes of the after-events waiting or being sent; an event that would go beyond is
    /// dropped, counted and logged, as one beyond [`queue::QUEUE_CAPACITY`] is.
    pub queue_bytes: usize,
}

impl Default for Bounds {
    fn default() -> Self {
        Self {
            log_body_bytes: DEFAULT_LOG_BODY_BYTES,
            log_bytes: DEFAULT_LOG_BYTES,
            queue_bytes: DEFAULT_QUEUE_BYTES,
        }
    }
}

/// A callback body that knows its command.
pub trait Event: Serialize {
    /// The `CallbackCommand`.
    const COMMAND: &'static str;
}

/// Ties each body type to its callback command.
macro_rules! events {
    ($($body:ty => $command:ident),+ $(,)?) => {
        $(impl Event for $body {
            const COMMAND: &'static str = events::$command;
        })+
    };
}

events! {
    DailyGroupQuotaAlarm => DAILY_GROUP_QUOTA_ALARM,
    BeforeCreateGroup => BEFORE_CREATE_GROUP,
    AfterCreateGroup => AFTER_CREATE_GROUP,
    AfterGroupDestroyed => AFTER_GROUP_DESTROYED,
    BeforeInviteJoinGroup => BEFORE_INVITE_JOIN_GROUP,
    AfterNewMemberJoin => AFTER_NEW_MEMBER_JOIN,
    AfterGroupFull => AFTER_GROUP_FULL,
    AfterMemberExit => AFTER_MEMBER_EXIT,
    AfterGroupInfoChanged => AFTER_GROUP_INFO_CHANGED,
    AfterMemberFieldChanged => AFTER_MEMBER_FIELD_CHANGED,
    AfterChangeGroupOwner => AFTER_CHANGE_GROUP_OWNER,
    events::BeforeSendMsg<'_> => BEFORE_SEND_MSG,
    events::AfterSendMsg<'_> => AFTER_SEND_MSG,
    events::SendMsgException<'_> => SEND_MSG_EXCEPTION,
    events::AfterRecallMsg<'_> => AFTER_RECALL_MSG,
}

/// Where an event comes from: the app, its callback settings and the REST caller's address.
#[derive(Debug, Clone, Copy)]
pub struct Origin<'a> {
    /// The app.
    pub sdkappid: u64,
    /// The app's callback settings; `None` sends nothing.
    pub config: Option<&'a CallbackConfig>,
    /// The REST caller's address (`ClientIP`).
    pub client_ip: Option<IpAddr>,
}

impl Origin<'_> {
    /// Whether the app has `command` switched on (so building its body is worth it).
    pub fn is_on(&self, command: &str) -> bool {
        self.config.is_some_and(|c| c.is_on(command))
    }

    /// The outgoing request for `event`, when the app has that event switched on.
    fn outgoing<E: Event>(&self, event: &E) -> Option<Outgoing> {
        let config = self.config.filter(|c| c.is_on(E::COMMAND))?;
        let body = serde_json::to_vec(event).unwrap_or_default();
        Some(Outgoing {
            target: Target {
                base_url: config.url.clone(),
                sdkappid: self.sdkappid,
                client_ip: self.client_ip,
                token: config.token.clone(),
            },
            command: E::COMMAND,
            body,
            timeout: Duration::from_millis(config.timeout_ms),
        })
    }
}

/// The emulator's callback machinery: the HTTP client, the after-event queue, the log.
#[derive(Debug)]
pub struct Callbacks {
    clock: Clock,
    bounds: Bounds,
    client: OnceLock<reqwest::Client>,
    queue: AfterQueue,
    log: Arc<DeliveryLog>,
}

impl Callbacks {
    /// Callbacks stamped with `clock`'s time (`RequestTime`, the log's times), holding at most
    /// what `bounds` allow.
    pub fn new(clock: Clock, bounds: Bounds) -> Self {
        Self {
            clock,
            bounds,
            client: OnceLock::new(),
            queue: AfterQueue::new(queue::QUEUE_CAPACITY, bounds.queue_bytes),
            log: Arc::new(DeliveryLog::new(bounds)),
        }
    }

    /// The byte bounds in force.
    pub fn bounds(&self) -> Bounds {
        self.bounds
    }

    /// The shared HTTP client (it ignores proxy variables: callbacks go straight to the
    /// configured URL), built on first use: loading TLS roots costs start-up time and
    /// memory that an emulator without callbacks should not pay.
    fn client(&self) -> &reqwest::Client {
        self.client.get_or_init(|| {
            reqwest::Client::builder()
                .no_proxy()
                // A redirect is a failed delivery, never followed: following one could make
                // the emulator call anything, its own control plane included.
                .redirect(reqwest::redirect::Policy::none())
                .user_agent(concat!("tim-emulator/", env!("CARGO_PKG_VERSION")))
                .build()
                .expect("the callback HTTP client builds with the compiled-in TLS backend")
        })
    }

    /// The delivery log.
    pub fn log(&self) -> &DeliveryLog {
        &self.log
    }

    /// How many after-events were dropped because the queue was full (in count or bytes).
    pub fn dropped(&self) -> u64 {
        self.queue.dropped()
    }

    /// Sends the before-create callback, if on, and waits at most `timeout_ms` for the verdict:
    /// `Ok` lets the creation go on.
    pub async fn before_create(
        &self,
        origin: Origin<'_>,
        event: &BeforeCreateGroup,
    ) -> Result<(), VendorError> {
        self.before(origin, event, "creation").await.map(|_| ())
    }

    /// Sends a before-callback, if on, and waits at most `timeout_ms` for the verdict: `Ok`
    /// lets the request go on, without the accounts the answer refused (see
    /// [`verdict::decide`]); `noun` names what is vetoed in ErrorInfo ("invitation").
    pub async fn before<E: Event>(
        &self,
        origin: Origin<'_>,
        event: &E,
        noun: &'static str,
    ) -> Result<Vec<String>, VendorError> {
        let Some(out) = origin.outgoing(event) else {
            return Ok(Vec::new());
        };
        let fail_closed = origin.config.is_some_and(|c| c.fail_closed);
        let mut delivery =
            deliver::deliver(self.client(), out, self.log.next_seq(), &self.clock).await;
        let subject = verdict::Subject {
            command: E::COMMAND,
            noun,
        };
        let (decision, result) = verdict::decide(verdict::judge(&delivery), fail_closed, subject);
        delivery.decision = Some(decision);
        tracing::info!(
            command = delivery.command,
            decision,
            status = delivery.status,
            error = delivery.error,
            latency_ms = delivery.latency_ms,
            "before callback"
        );
        self.log.push(delivery);
        result
    }

    /// Sends the before-send callback (spec §39.1), if on, and waits at most `timeout_ms` for
    /// the answer. A replacement `MsgBody`/`CloudCustomData` in the answer is handed to
    /// `recheck`; a replacement it refuses counts as a failed callback. Without the event on,
    /// the outcome is `Go(None)`.
    pub async fn before_send_msg<T>(
        &self,
        origin: Origin<'_>,
        event: &events::BeforeSendMsg<'_>,
        recheck: impl FnOnce(send_msg::Rewrite) -> Result<T, String>,
    ) -> send_msg::Outcome<T> {
        let Some(out) = origin.outgoing(event) else {
            return send_msg::Outcome::Go(None);
        };
        let block = origin.config.is_some_and(|c| c.block_send_on_failure);
        let mut delivery =
            deliver::deliver(self.client(), out, self.log.next_seq(), &self.clock).await;
        let (decision, outcome) = send_msg::decide(send_msg::judge(&delivery), block, recheck);
        delivery.decision = Some(decision);
        tracing::info!(
            command = delivery.command,
            decision,
            status = delivery.status,
            error = delivery.error,
            latency_ms = delivery.latency_ms,
            "before callback"
        );
        self.log.push(delivery);
        outcome
    }

    /// Queues an after-event, if on; never waits.
    pub fn after<E: Event>(&self, origin: Origin<'_>, event: &E) {
        if let Some(out) = origin.outgoing(event) {
            self.queue.push(out, self.client(), &self.log, &self.clock);
        }
    }
}
