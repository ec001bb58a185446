//! The default log level stays quiet under load: a successful vendor request writes no line at
//! `info` (a failed one does, issue 14).
//!
//! One line per request cost about a fifth of a request's CPU in the load benchmark (see the
//! README, *Logs* and *Performance*), so the success line is at `debug`. This test keeps it there.

#[path = "suite/common/mod.rs"]
mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::{Emu, code};
use serde_json::json;
use tracing::{Level, Subscriber};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::{Layer, Registry};

/// Counts events at `info` or more severe, and events at `debug`.
#[derive(Clone, Default)]
struct Count {
    info_or_above: Arc<AtomicUsize>,
    debug: Arc<AtomicUsize>,
}

impl<S: Subscriber> Layer<S> for Count {
    fn on_event(&self, event: &tracing::Event<'_>, _ctx: Context<'_, S>) {
        let level = *event.metadata().level();
        if level <= Level::INFO {
            self.info_or_above.fetch_add(1, Ordering::Relaxed);
        } else if level == Level::DEBUG {
            self.debug.fetch_add(1, Ordering::Relaxed);
        }
    }
}

#[tokio::test]
async fn vendor_requests_log_at_debug_and_write_nothing_at_info() {
    let count = Count::default();
    tracing::subscriber::set_global_default(Registry::default().with(count.clone()))
        .expect("this test binary installs the only subscriber");
    let emu = Emu::start().await;
    for _ in 0..5 {
        let v = emu
            .create_group(json!({"Type": "Public", "Name": "quiet"}))
            .await;
        assert_eq!(code(&v), 0, "{v}");
    }
    assert_eq!(count.info_or_above.load(Ordering::Relaxed), 0);
    assert!(
        count.debug.load(Ordering::Relaxed) >= 5,
        "the per-request line still exists at debug"
    );
}
