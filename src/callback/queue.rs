//! The after-event queue: after-create and after-destroy callbacks are handed to a bounded
//! channel and sent by one background task with a small concurrency limit, so a slow or dead
//! backend can neither slow the REST API nor grow memory without bound. The channel holds at
//! most [`QUEUE_CAPACITY`] events and the events waiting or being sent hold at most
//! `--callback-queue-bytes` of bodies ([`super::Bounds::queue_bytes`]); an event beyond either
//! is dropped, counted and logged.
//!
//! The worker starts on the first event (inside the runtime that serves requests), so building
//! an [`crate::Emulator`] needs no runtime; it stops when the emulator is dropped.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use tokio::sync::{Semaphore, mpsc};

use super::deliver::{Outgoing, deliver};
use super::log::DeliveryLog;
use crate::clock::Clock;

/// How many after-events may wait; beyond that new ones are dropped (and counted).
pub const QUEUE_CAPACITY: usize = 1024;

/// How many after-events are in flight at once.
pub const CONCURRENCY: usize = 4;

/// The bounded queue, the body bytes it holds and its drop counter.
#[derive(Debug)]
pub struct AfterQueue {
    capacity: usize,
    max_bytes: usize,
    held: Arc<AtomicUsize>,
    sender: OnceLock<mpsc::Sender<(Outgoing, Held)>>,
    dropped: AtomicU64,
}

impl Default for AfterQueue {
    fn default() -> Self {
        Self::new(QUEUE_CAPACITY, super::DEFAULT_QUEUE_BYTES)
    }
}

/// The body bytes of one queued event, counted in the queue's total until it is dropped
/// (delivered and logged, or thrown away with the channel).
#[derive(Debug)]
struct Held {
    bytes: usize,
    total: Arc<AtomicUsize>,
}

impl Drop for Held {
    fn drop(&mut self) {
        self.total.fetch_sub(self.bytes, Ordering::AcqRel);
    }
}

impl AfterQueue {
    /// A queue that holds at most `capacity` waiting events (at least 1) and `max_bytes` of
    /// bodies waiting or being sent.
    pub fn new(capacity: usize, max_bytes: usize) -> Self {
        Self {
            capacity: capacity.max(1),
            max_bytes,
            held: Arc::default(),
            sender: OnceLock::new(),
            dropped: AtomicU64::new(0),
        }
    }

    /// Counts `bytes` in the total when they fit under the byte bound.
    fn hold(&self, bytes: usize) -> Option<Held> {
        self.held
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |total| {
                total.checked_add(bytes).filter(|t| *t <= self.max_bytes)
            })
            .ok()?;
        Some(Held {
            bytes,
            total: Arc::clone(&self.held),
        })
    }

    /// The body bytes of the events waiting or being sent.
    pub fn held_bytes(&self) -> usize {
        self.held.load(Ordering::Acquire)
    }

    /// Queues `out` without waiting; drops it (counted, logged) when the queue is full, in
    /// count or in bytes.
    pub fn push(
        &self,
        out: Outgoing,
        client: &reqwest::Client,
        log: &Arc<DeliveryLog>,
        clock: &Clock,
    ) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return self.drop_event(out.command, "no async runtime to send it from");
        };
        let Some(held) = self.hold(out.body.len()) else {
            return self.drop_event(
                out.command,
                "the bodies waiting would exceed --callback-queue-bytes",
            );
        };
        let tx = self.sender.get_or_init(|| {
            let (tx, rx) = mpsc::channel(self.capacity);
            runtime.spawn(drain(rx, client.clone(), log.clone(), clock.clone()));
            tx
        });
        if let Err(e) = tx.try_send((out, held)) {
            let why = match e {
                mpsc::error::TrySendError::Full(_) => "the queue is full",
                mpsc::error::TrySendError::Closed(_) => "the sender task has stopped",
            };
            let command = match &e {
                mpsc::error::TrySendError::Full((o, _))
                | mpsc::error::TrySendError::Closed((o, _)) => o.command,
            };
            self.drop_event(command, why);
        }
    }

    /// How many after-events were dropped since start.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// Counts a dropped event; logs the first drop and every 100th, so a dead backend under
    /// load does not flood the log.
    fn drop_event(&self, command: &'static str, why: &'static str) {
        let total = self.dropped.fetch_add(1, Ordering::Relaxed) + 1;
        if total != 1 && !total.is_multiple_of(100) {
            return;
        }
        tracing::warn!(
            command,
            reason = why,
            dropped_total = total,
            "callback dropped"
        );
    }
}

/// Sends queued events, at most [`CONCURRENCY`] at a time, until every sender is gone.
async fn drain(
    mut rx: mpsc::Receiver<(Outgoing, Held)>,
    client: reqwest::Client,
    log: Arc<DeliveryLog>,
    clock: Clock,
) {
    let limit = Arc::new(Semaphore::new(CONCURRENCY));
    while let Some((out, held)) = rx.recv().await {
        let Ok(permit) = limit.clone().acquire_owned().await else {
            break;
        };
        let (client, log, clock) = (client.clone(), log.clone(), clock.clone());
        tokio::spawn(async move {
            // The log writes the line (warn when it failed) and counts the outcome.
            let delivery = deliver(&client, out, log.next_seq(), &clock).await;
            log.push(delivery);
            drop((held, permit));
        });
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::callback::url::Target;

    fn event() -> Outgoing {
        Outgoing {
            target: Target {
                // Port 9 (discard) on loopback: nothing listens there in the test sandbox.
                base_url: "http://127.0.0.1:9/cb".into(),
                sdkappid: 1,
                client_ip: None,
                token: None,
            },
            command: "Group.CallbackAfterCreateGroup",
            body: b"{}".to_vec(),
            timeout: Duration::from_millis(100),
        }
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_full_queue_drops_and_counts_instead_of_waiting() {
        let queue = AfterQueue::new(1, usize::MAX);
        let (client, log) = (reqwest::Client::new(), Arc::new(DeliveryLog::default()));
        // The worker cannot run between these synchronous pushes: one fits, the rest are dropped.
        for _ in 0..5 {
            queue.push(event(), &client, &log, &Clock::system());
        }
        assert_eq!(queue.dropped(), 4);
    }

    #[tokio::test(flavor = "current_thread")]
    async fn events_beyond_the_byte_bound_are_dropped_and_counted_and_sent_ones_free_theirs() {
        let queue = AfterQueue::new(QUEUE_CAPACITY, 5);
        let (client, log) = (reqwest::Client::new(), Arc::new(DeliveryLog::default()));
        // Each body is 2 bytes: two fit under 5 bytes, the other three are dropped.
        for _ in 0..5 {
            queue.push(event(), &client, &log, &Clock::system());
        }
        assert_eq!((queue.dropped(), queue.held_bytes()), (3, 4));
        // Port 9 refuses at once; once both are logged, their bytes are given back.
        for _ in 0..250 {
            if queue.held_bytes() == 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert_eq!(queue.held_bytes(), 0);
        assert_eq!(log.snapshot(None).len(), 2);
    }

    #[test]
    fn outside_a_runtime_events_are_dropped_and_counted() {
        let queue = AfterQueue::default();
        queue.push(
            event(),
            &reqwest::Client::new(),
            &Arc::new(DeliveryLog::default()),
            &Clock::system(),
        );
        assert_eq!(queue.dropped(), 1);
    }
}
