//! Prometheus metrics (issue 14 item 6), served at `GET /_emulator/metrics`.
//!
//! The request path only adds to atomics: per served command, a success counter, a small
//! table of ErrorCode counters and a latency histogram ([`Metrics::observe`]: three relaxed
//! atomic adds on success, no lock). Everything else (callbacks by outcome, stored groups,
//! accounts and messages, journal and delivery-log sizes) is read at scrape time. A scrape
//! copies the numbers into a [`Snapshot`] and encodes it with `prometheus-client`, which owns
//! the text format (names, `# HELP`/`# TYPE`, label escaping, cumulative buckets, `# EOF`).

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric, NoLabelSet};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::registry::Registry;

use crate::api::command::Command;
use crate::api::registry::COMMANDS;
use crate::callback::log::Outcome;
use crate::emulator::Emulator;

/// The upper bounds of the latency histogram, in microseconds (`+Inf` after the last).
pub const LATENCY_BOUNDS_US: [u64; 12] = [
    50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 25_000, 100_000, 1_000_000, 10_000_000,
];

/// Distinct ErrorCodes counted per command; a further code is counted under `other`.
const ERROR_SLOTS: usize = 24;

/// The `content-type` of the metrics answer (OpenMetrics text, which Prometheus scrapes).
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// The request counters of one command (or of requests no command matched).
#[derive(Debug, Default)]
struct CommandStats {
    ok: AtomicU64,
    /// `(ErrorCode, count)`; a code of 0 is a free slot, taken with a compare-and-swap.
    errors: [(AtomicU32, AtomicU64); ERROR_SLOTS],
    other_errors: AtomicU64,
    /// Counts per bucket (not cumulative), the last one `+Inf`.
    buckets: [AtomicU64; LATENCY_BOUNDS_US.len() + 1],
    sum_us: AtomicU64,
}

impl CommandStats {
    fn count_error(&self, code: u32) {
        for (slot, n) in &self.errors {
            let held = slot.load(Ordering::Relaxed);
            let mine = held == code
                || (held == 0
                    && match slot.compare_exchange(0, code, Ordering::Relaxed, Ordering::Relaxed) {
                        Ok(_) => true,
                        Err(now) => now == code,
                    });
            if mine {
                n.fetch_add(1, Ordering::Relaxed);
                return;
            }
        }
        self.other_errors.fetch_add(1, Ordering::Relaxed);
    }
}

/// The request counters, one `CommandStats` per registry command plus one for requests that
/// matched none (label `command="unknown"`).
#[derive(Debug)]
pub struct Metrics {
    commands: Box<[CommandStats]>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self {
            commands: (0..=COMMANDS.len())
                .map(|_| CommandStats::default())
                .collect(),
        }
    }
}

impl Metrics {
    /// Counts one vendor request of `command` (`None`: no served command matched) that
    /// answered `error_code` (0 = success) after `latency_us` microseconds.
    pub fn observe(&self, command: Option<&'static Command>, error_code: u32, latency_us: u64) {
        let stats = &self.commands[command.map_or(COMMANDS.len(), index_of)];
        if error_code == 0 {
            stats.ok.fetch_add(1, Ordering::Relaxed);
        } else {
            stats.count_error(error_code);
        }
        let bucket = LATENCY_BOUNDS_US
            .iter()
            .position(|&b| latency_us <= b)
            .unwrap_or(LATENCY_BOUNDS_US.len());
        stats.buckets[bucket].fetch_add(1, Ordering::Relaxed);
        stats.sum_us.fetch_add(latency_us, Ordering::Relaxed);
    }

    /// The metrics of `emu` in the OpenMetrics text format.
    pub fn render(emu: &Emulator) -> String {
        let mut registry = Registry::with_prefix("tim_emulator");
        registry.register_collector(Box::new(Snapshot::take(emu)));
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &registry);
        out
    }
}

/// `command`'s place in [`COMMANDS`] (its address: the registry hands out references into
/// that slice), or the `unknown` slot.
fn index_of(command: &'static Command) -> usize {
    let offset = (command as *const Command as usize).wrapping_sub(COMMANDS.as_ptr() as usize);
    let index = offset / std::mem::size_of::<Command>().max(1);
    if index < COMMANDS.len() && std::ptr::eq(&COMMANDS[index], command) {
        index
    } else {
        COMMANDS.len()
    }
}

/// One command's numbers at scrape time.
#[derive(Debug)]
struct CommandSnapshot {
    name: &'static str,
    ok: u64,
    errors: Vec<(String, u64)>,
    buckets: Vec<(f64, u64)>,
    count: u64,
    sum_s: f64,
}

/// Every number of one scrape, copied out of the emulator.
#[derive(Debug)]
pub struct Snapshot {
    commands: Vec<CommandSnapshot>,
    callbacks: Vec<(&'static str, u64)>,
    apps: u64,
    groups: u64,
    accounts: u64,
    messages: u64,
    journal_entries: u64,
    journal_capacity: u64,
    callback_log_entries: u64,
    callback_log_bytes: u64,
    uptime_s: f64,
}

impl Snapshot {
    /// Reads the counters and the store. The store counts take each app's shard read locks in
    /// turn (the message count visits every group), never all at once.
    pub fn take(emu: &Emulator) -> Self {
        let names = COMMANDS.iter().map(|c| c.name).chain(["unknown"]);
        let commands = names
            .zip(emu.metrics.commands.iter())
            .filter_map(|(name, s)| command_snapshot(name, s))
            .collect();
        let log = emu.callbacks.log();
        let mut callbacks: Vec<_> = Outcome::ALL
            .iter()
            .map(|o| (o.name(), log.count(*o)))
            .collect();
        callbacks.push(("dropped", emu.callbacks.dropped()));
        let (mut groups, mut accounts, mut messages) = (0, 0, 0);
        let apps = emu.store.all_apps();
        for app in &apps {
            groups += app.group_count() as u64;
            accounts += app.account_count() as u64;
            messages += app.message_count() as u64;
        }
        Self {
            commands,
            callbacks,
            apps: apps.len() as u64,
            groups,
            accounts,
            messages,
            journal_entries: emu.journal.len() as u64,
            journal_capacity: emu.journal.capacity() as u64,
            callback_log_entries: log.len() as u64,
            callback_log_bytes: log.bytes() as u64,
            uptime_s: emu.uptime_seconds(),
        }
    }
}

fn command_snapshot(name: &'static str, s: &CommandStats) -> Option<CommandSnapshot> {
    let ok = s.ok.load(Ordering::Relaxed);
    let mut errors: Vec<(String, u64)> = s
        .errors
        .iter()
        .map(|(c, n)| (c.load(Ordering::Relaxed), n.load(Ordering::Relaxed)))
        .filter(|&(c, n)| c != 0 && n > 0)
        .map(|(c, n)| (c.to_string(), n))
        .collect();
    let other = s.other_errors.load(Ordering::Relaxed);
    if other > 0 {
        errors.push(("other".into(), other));
    }
    let bounds = LATENCY_BOUNDS_US.iter().map(|&b| b as f64 / 1e6);
    let buckets: Vec<(f64, u64)> = bounds
        .chain([f64::MAX])
        .zip(s.buckets.iter().map(|b| b.load(Ordering::Relaxed)))
        .collect();
    let count = buckets.iter().map(|(_, n)| n).sum();
    if ok == 0 && errors.is_empty() && count == 0 {
        return None;
    }
    Some(CommandSnapshot {
        name,
        ok,
        errors,
        buckets,
        count,
        sum_s: s.sum_us.load(Ordering::Relaxed) as f64 / 1e6,
    })
}

impl Collector for Snapshot {
    fn encode(&self, mut encoder: DescriptorEncoder<'_>) -> Result<(), std::fmt::Error> {
        self.encode_requests(&mut encoder)?;
        let callbacks = self.callbacks.iter().map(|(o, n)| ([("outcome", *o)], *n));
        counter_family(
            &mut encoder,
            "callbacks",
            "Callback deliveries since start by outcome (answered = a 2xx answer; dropped = never sent, the after-event queue was full)",
            callbacks,
        )?;
        let gauges: [(&str, &str, u64); 8] = [
            ("apps", "Apps holding state", self.apps),
            ("groups", "Stored groups, all apps", self.groups),
            ("accounts", "Imported accounts, all apps", self.accounts),
            (
                "messages",
                "Group messages kept in history, all apps",
                self.messages,
            ),
            (
                "journal_entries",
                "Requests the journal keeps now",
                self.journal_entries,
            ),
            (
                "journal_capacity",
                "Requests the journal keeps at most (--journal-size)",
                self.journal_capacity,
            ),
            (
                "callback_log_entries",
                "Deliveries the callback log keeps now",
                self.callback_log_entries,
            ),
            (
                "callback_log_bytes",
                "Bytes the callback log holds now",
                self.callback_log_bytes,
            ),
        ];
        for (name, help, value) in gauges {
            let gauge = ConstGauge::new(i64::try_from(value).unwrap_or(i64::MAX));
            gauge.encode(encoder.encode_descriptor(name, help, None, gauge.metric_type())?)?;
        }
        let uptime = ConstGauge::new(self.uptime_s);
        let help = "Seconds since the emulator started";
        uptime.encode(encoder.encode_descriptor(
            "uptime_seconds",
            help,
            None,
            uptime.metric_type(),
        )?)?;
        Ok(())
    }
}

impl Snapshot {
    fn encode_requests(&self, encoder: &mut DescriptorEncoder<'_>) -> Result<(), std::fmt::Error> {
        let requests = self.commands.iter().flat_map(|c| {
            let ok = (c.ok > 0).then(|| ("0".to_string(), c.ok));
            ok.into_iter()
                .chain(c.errors.iter().cloned())
                .map(|(code, n)| ([("command", c.name.to_string()), ("error_code", code)], n))
        });
        counter_family(
            encoder,
            "requests",
            "Vendor requests since start by command and ErrorCode (0 = success; other = a code beyond the per-command table)",
            requests,
        )?;
        let mut family = encoder.encode_descriptor(
            "request_duration_seconds",
            "Time to serve a vendor request, by command",
            None,
            MetricType::Histogram,
        )?;
        for c in &self.commands {
            let labels = [("command", c.name)];
            family
                .encode_family(&labels)?
                .encode_histogram::<NoLabelSet>(c.sum_s, c.count, &c.buckets, None)?;
        }
        Ok(())
    }
}

/// Encodes one counter family from `(labels, value)` pairs.
fn counter_family<L: prometheus_client::encoding::EncodeLabelSet>(
    encoder: &mut DescriptorEncoder<'_>,
    name: &str,
    help: &str,
    series: impl Iterator<Item = (L, u64)>,
) -> Result<(), std::fmt::Error> {
    let mut family = encoder.encode_descriptor(name, help, None, MetricType::Counter)?;
    for (labels, value) in series {
        ConstCounter::new(value).encode(family.encode_family(&labels)?)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_registry_command_has_its_own_slot_and_a_copy_has_none() {
        for (i, c) in COMMANDS.iter().enumerate() {
            assert_eq!(index_of(c), i, "{}", c.name);
        }
        let stray: &'static Command = Box::leak(Box::new(COMMANDS[0]));
        assert_eq!(index_of(stray), COMMANDS.len());
    }

    #[test]
    fn errors_beyond_the_table_are_counted_as_other() {
        let s = CommandStats::default();
        for code in 1..=(ERROR_SLOTS as u32 + 3) {
            s.count_error(code);
        }
        s.count_error(1);
        assert_eq!(s.errors[0].1.load(Ordering::Relaxed), 2);
        assert_eq!(s.other_errors.load(Ordering::Relaxed), 3);
    }

    #[test]
    fn latency_lands_in_the_first_bucket_that_holds_it() {
        let m = Metrics::default();
        let c = Some(&COMMANDS[0]);
        for us in [10, 50, 51, 20_000_000] {
            m.observe(c, 0, us);
        }
        let s = command_snapshot("x", &m.commands[0]).expect("seen");
        let counts: Vec<u64> = s.buckets.iter().map(|b| b.1).collect();
        assert_eq!(counts[..2], [2, 1]);
        assert_eq!(counts[LATENCY_BOUNDS_US.len()], 1);
        assert_eq!((s.ok, s.count), (4, 4));
    }
}
