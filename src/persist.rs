//! The `--state-file`: read at startup when it exists, written at graceful shutdown and every
//! `--save-interval` seconds.
//!
//! At start the file's directory is made ready ([`prepare`]): temporary files of an interrupted
//! save are removed, and a probe file is created and removed, so a missing or read-only
//! directory stops startup at once instead of failing the save at exit (issue 11 C). A file that
//! exists but cannot be read, parsed or imported stops startup too: starting empty and then
//! saving over the file would destroy the user's state.
//!
//! Saves stream the state from the store into a temporary file in the same directory, written
//! by a thread of its own while the state is serialized (`pipeline`), which is fsynced,
//! renamed over the target, and the directory fsynced: a crash leaves either the old file or the
//! new one, never half of one. A periodic save that fails is
//! reported by `GET /_emulator/health` ([`SaveHealth`]).

use std::fs::{self, File};
use std::io::{self, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

mod pipeline;

use crate::emulator::{Emulator, Shared};
use crate::snapshot::write_document;

/// Imports `path` into `emu` when the file exists; `Ok(false)` when it does not. The file is
/// parsed as it is read ([`Emulator::import_from_reader`]), never held whole in memory.
pub fn load(path: &Path, emu: &Emulator) -> Result<bool, String> {
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(format!("cannot read state file {}: {e}", path.display())),
    };
    emu.import_from_reader(BufReader::with_capacity(1 << 20, file))
        .map_err(|e| format!("state file {} cannot be loaded: {e}", path.display()))?;
    Ok(true)
}

/// What a save wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Saved {
    /// The file's size in bytes.
    pub bytes: u64,
    /// How long the save took, fsyncs included.
    pub took: Duration,
}

/// Writes `emu`'s whole state to `path` atomically, streaming it from the store into the file
/// ([`crate::snapshot::write_document`]). Saves are serialized, and each reads the state once it
/// holds the lock, so the last file written holds the newest state. Blocking: call it from a
/// blocking thread.
pub fn save(path: &Path, emu: &Emulator) -> io::Result<Saved> {
    static SAVING: Mutex<()> = Mutex::new(());
    let _one_at_a_time = SAVING.lock().unwrap_or_else(PoisonError::into_inner);
    let started = Instant::now();
    let bytes = write_atomically(path, |w| write_document(emu, w))?;
    Ok(Saved {
        bytes,
        took: started.elapsed(),
    })
}

/// Replaces `path` with what `write` writes, and returns its size: a temporary file in the same
/// directory (named `.{file name}.tmp-{pid}-{n}`) is written through a pipeline
/// (a writer thread that overlaps the disk with `write`), fsynced, renamed over `path`, and the
/// directory is fsynced. On failure the temporary file is removed and `path` is left as it was.
pub fn write_atomically(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> io::Result<u64> {
    let dir = dir_of(path);
    let tmp = dir.join(temp_name(path));
    let written = write_synced(&tmp, write).and_then(|n| fs::rename(&tmp, path).map(|()| n));
    match written {
        Ok(n) => sync_dir(&dir).map(|()| n),
        Err(e) => {
            let _ = fs::remove_file(&tmp);
            Err(e)
        }
    }
}

fn dir_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// The start of every temporary file name a save of `path` uses.
fn temp_prefix(path: &Path) -> String {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("state");
    format!(".{name}.tmp-")
}

fn temp_name(path: &Path) -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    format!("{}{}-{n}", temp_prefix(path), std::process::id())
}

fn write_synced(
    tmp: &Path,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> io::Result<u64> {
    let mut out = pipeline::Pipeline::new(File::create_new(tmp)?)?;
    write(&mut out)?;
    let file = out.finish()?;
    file.sync_all()?;
    Ok(file.metadata()?.len())
}

#[cfg(unix)]
fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> io::Result<()> {
    Ok(())
}

/// Gets `path`'s directory ready at start: removes the temporary files an interrupted save
/// left there (only names a save of `path` uses, each logged), then checks that a file can be
/// created there by creating and removing one. `Err` is the message to stop startup with: it
/// names the directory, the user id the emulator runs as and the fix.
pub fn prepare(path: &Path) -> Result<(), String> {
    for removed in remove_leftovers(path) {
        tracing::warn!(path = %removed.display(), "removed a temporary file left by an interrupted save");
    }
    let probe = dir_of(path).join(temp_name(path));
    match File::create_new(&probe) {
        Ok(_) => fs::remove_file(&probe).map_err(|e| unwritable(path, &e)),
        Err(e) => Err(unwritable(path, &e)),
    }
}

/// Removes `.{file name}.tmp-*` files next to `path`; returns those removed. A directory that
/// cannot be listed removes nothing (the writability check then says why).
fn remove_leftovers(path: &Path) -> Vec<PathBuf> {
    let prefix = temp_prefix(path);
    let Ok(entries) = fs::read_dir(dir_of(path)) else {
        return Vec::new();
    };
    entries
        .filter_map(Result::ok)
        .filter(|e| {
            e.file_name()
                .to_str()
                .is_some_and(|n| n.starts_with(&prefix))
        })
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .map(|e| e.path())
        .filter(|p| fs::remove_file(p).is_ok())
        .collect()
}

/// The start-up refusal for a state file whose directory cannot take a new file.
fn unwritable(path: &Path, e: &io::Error) -> String {
    let dir = dir_of(path);
    let dir = dir.display();
    let uid = effective_uid();
    let (problem, fix) = match e.kind() {
        io::ErrorKind::NotFound => (
            "it does not exist",
            format!(
                "create it: mkdir -p {dir} (for a Docker bind mount: on the host, the directory \
                 to mount at {dir})"
            ),
        ),
        io::ErrorKind::NotADirectory => (
            "it is not a directory",
            "point --state-file into a directory".to_string(),
        ),
        _ => (
            "it is not writable",
            format!(
                "make it writable by that user: chown {uid} {dir} (for a Docker bind mount: on \
                 the host, to the directory mounted at {dir}), or point --state-file elsewhere"
            ),
        ),
    };
    format!(
        "state file {}: saves create a file in its directory {dir}, but {problem} ({e}); the \
         emulator runs as user id {uid}. Fix: {fix}",
        path.display()
    )
}

/// The effective user id the process runs as (what file permissions are checked against).
#[cfg(unix)]
pub fn effective_uid() -> u32 {
    // SAFETY: geteuid has no preconditions, touches no memory of ours and cannot fail.
    unsafe { libc::geteuid() }
}

/// The effective user id the process runs as; unknown (0) off Unix.
#[cfg(not(unix))]
pub fn effective_uid() -> u32 {
    0
}

/// The last periodic save's outcome, for `GET /_emulator/health`: a failure is kept until a
/// later save succeeds.
#[derive(Debug, Default)]
pub struct SaveHealth {
    failure: Mutex<Option<SaveFailure>>,
}

/// A periodic save that failed (the `save_failure` object of `GET /_emulator/health`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SaveFailure {
    /// The state file.
    pub path: String,
    /// What went wrong, as the operating system said it.
    pub error: String,
    /// When (unix milliseconds, the emulator's clock).
    pub failed_at_ms: u64,
}

impl SaveHealth {
    fn slot(&self) -> std::sync::MutexGuard<'_, Option<SaveFailure>> {
        // Plain data: a poisoned lock holds nothing inconsistent.
        self.failure.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Records a failed save.
    pub fn failed(&self, failure: SaveFailure) {
        *self.slot() = Some(failure);
    }

    /// Records a successful save: health is `ok` again.
    pub fn succeeded(&self) {
        *self.slot() = None;
    }

    /// The failure since the last successful save, if any.
    pub fn failure(&self) -> Option<SaveFailure> {
        self.slot().clone()
    }
}

/// Saves `emu` to `path` every `every` until the task is aborted, on a blocking thread. A
/// failure is logged and shown by `GET /_emulator/health` (status `degraded`) until a later
/// save succeeds.
pub fn spawn_periodic(path: PathBuf, emu: Shared, every: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tick.tick().await;
        loop {
            tick.tick().await;
            let (p, e) = (path.clone(), emu.clone());
            let outcome = match tokio::task::spawn_blocking(move || save(&p, &e)).await {
                Ok(saved) => saved.map_err(|e| e.to_string()),
                Err(e) => Err(format!("the save task failed: {e}")),
            };
            match outcome {
                Ok(s) => {
                    emu.saves.succeeded();
                    tracing::debug!(path = %path.display(), bytes = s.bytes, ms = s.took.as_millis() as u64, "state saved");
                }
                Err(error) => {
                    tracing::error!(path = %path.display(), %error, "periodic state save failed");
                    emu.saves.failed(SaveFailure {
                        path: path.display().to_string(),
                        error,
                        failed_at_ms: emu.clock.now_ms(),
                    });
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("tim-persist-{tag}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        fs::create_dir_all(&d).expect("temp dir");
        d
    }

    #[test]
    fn an_atomic_write_replaces_the_file_and_leaves_no_temporary() {
        let d = temp_dir("atomic");
        let p = d.join("state.json");
        fs::write(&p, "old").expect("seed");
        let n = write_atomically(&p, |w| w.write_all(b"new")).expect("write");
        assert_eq!(n, 3);
        assert_eq!(fs::read_to_string(&p).expect("read"), "new");
        let names: Vec<_> = fs::read_dir(&d).expect("list").collect();
        assert_eq!(names.len(), 1);
        let _ = fs::remove_dir_all(&d);
    }

    #[test]
    fn a_failed_write_leaves_the_file_as_it_was_and_no_temporary() {
        let d = temp_dir("failed");
        let p = d.join("state.json");
        fs::write(&p, "old").expect("seed");
        let failed = write_atomically(&p, |w| {
            w.write_all(&[b'x'; 3 << 20])?;
            Err(io::Error::other("serializing failed"))
        });
        assert!(failed.is_err());
        assert_eq!(fs::read_to_string(&p).expect("read"), "old");
        assert_eq!(fs::read_dir(&d).expect("list").count(), 1);
        let _ = fs::remove_dir_all(&d);
    }

    #[test]
    fn a_missing_file_loads_nothing_and_a_corrupt_one_is_an_error() {
        let d = temp_dir("load");
        let emu = Emulator::new(crate::Settings::zero_config());
        assert_eq!(load(&d.join("absent.json"), &emu), Ok(false));
        let bad = d.join("bad.json");
        fs::write(&bad, "{\"apps\": [").expect("seed");
        assert!(load(&bad, &emu).is_err());
        let _ = fs::remove_dir_all(&d);
    }
}
