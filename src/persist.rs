//! The `--state-file`: read at startup when it exists, written at graceful shutdown and every
//! `--save-interval` seconds.
//!
//! A file that exists but cannot be read, parsed or imported stops startup: starting empty and
//! then saving over the file would destroy the user's state. Saves are atomic: the document is
//! written to a temporary file in the same directory, fsynced, renamed over the target, and the
//! directory is fsynced, so a crash leaves either the old file or the new one, never half of one.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use crate::emulator::{Emulator, Shared};
use crate::snapshot::parse_document;

/// Imports `path` into `emu` when the file exists; `Ok(false)` when it does not.
pub fn load(path: &Path, emu: &Emulator) -> Result<bool, String> {
    let bytes = match fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(format!("cannot read state file {}: {e}", path.display())),
    };
    let doc = parse_document(&bytes).map_err(|e| {
        format!(
            "state file {} is not a valid state document: {e}",
            path.display()
        )
    })?;
    emu.import_state(doc)
        .map_err(|e| format!("state file {} was refused: {e}", path.display()))?;
    Ok(true)
}

/// Writes `emu`'s whole state to `path` atomically. Saves are serialized, and each exports
/// the state once it holds the lock, so the last file written holds the newest state.
pub fn save(path: &Path, emu: &Emulator) -> io::Result<()> {
    static SAVING: Mutex<()> = Mutex::new(());
    let _one_at_a_time = SAVING.lock().unwrap_or_else(PoisonError::into_inner);
    let mut bytes = serde_json::to_vec(&emu.export_state()).map_err(io::Error::other)?;
    bytes.push(b'\n');
    write_atomically(path, &bytes)
}

/// Replaces `path` with `bytes`: temporary file in the same directory, fsync, rename, fsync of
/// the directory.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let tmp = dir.join(temp_name(path));
    let written = write_synced(&tmp, bytes).and_then(|()| fs::rename(&tmp, path));
    if written.is_err() {
        let _ = fs::remove_file(&tmp);
        return written;
    }
    sync_dir(&dir)
}

fn temp_name(path: &Path) -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("state");
    let n = N.fetch_add(1, Ordering::Relaxed);
    format!(".{name}.tmp-{}-{n}", std::process::id())
}

fn write_synced(tmp: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut f = File::create(tmp)?;
    f.write_all(bytes)?;
    f.sync_all()
}

#[cfg(unix)]
fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> io::Result<()> {
    Ok(())
}

/// Saves `emu` to `path` every `every` until the task is aborted; failures are logged.
pub fn spawn_periodic(path: PathBuf, emu: Shared, every: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tick.tick().await;
        loop {
            tick.tick().await;
            let (p, e) = (path.clone(), emu.clone());
            match tokio::task::spawn_blocking(move || save(&p, &e)).await {
                Ok(Ok(())) => tracing::debug!(path = %path.display(), "state saved"),
                Ok(Err(e)) => {
                    tracing::error!(path = %path.display(), error = %e, "periodic state save failed")
                }
                Err(e) => tracing::error!(error = %e, "periodic state save task failed"),
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
        write_atomically(&p, b"new").expect("write");
        assert_eq!(fs::read_to_string(&p).expect("read"), "new");
        let names: Vec<_> = fs::read_dir(&d).expect("list").collect();
        assert_eq!(names.len(), 1);
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
