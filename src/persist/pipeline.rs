//! The writer a save serializes into: 1 MiB chunks go to a thread of their own that writes
//! them to the file and makes the disk take every 64 MiB as it goes (`fdatasync`), so
//! serializing the state and writing it out overlap instead of running one after the other
//! (a 500 MiB file: about max(serialize, disk) rather than their sum, issue 11 C). At most
//! [`IN_FLIGHT`] chunks wait, and their buffers are handed back for reuse.

use std::fs::File;
use std::io::{self, Write};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::JoinHandle;

/// The size of a chunk.
const CHUNK: usize = 1 << 20;
/// Chunks written or waiting at once (memory: this many MiB).
const IN_FLIGHT: usize = 8;
/// Bytes written between two `fdatasync`s of the writer thread.
const SYNC_EVERY: u64 = 64 << 20;

/// Serialize into this; [`Self::finish`] when done.
pub(super) struct Pipeline {
    buf: Vec<u8>,
    full: Option<SyncSender<Vec<u8>>>,
    empty: Receiver<Vec<u8>>,
    writer: Option<JoinHandle<io::Result<File>>>,
}

impl Pipeline {
    /// Starts the writer thread for `file`.
    pub(super) fn new(file: File) -> io::Result<Self> {
        let (full, chunks) = sync_channel::<Vec<u8>>(IN_FLIGHT);
        let (give_back, empty) = sync_channel::<Vec<u8>>(IN_FLIGHT + 1);
        let writer = std::thread::Builder::new()
            .name("state-writer".into())
            .spawn(move || write_chunks(file, &chunks, &give_back))?;
        Ok(Self {
            buf: Vec::with_capacity(CHUNK),
            full: Some(full),
            empty,
            writer: Some(writer),
        })
    }

    /// Hands the current chunk over; if the writer has stopped, returns its error.
    fn send(&mut self) -> io::Result<()> {
        let next = self
            .empty
            .try_recv()
            .unwrap_or_else(|_| Vec::with_capacity(CHUNK));
        let chunk = std::mem::replace(&mut self.buf, next);
        let sent = self.full.as_ref().map(|tx| tx.send(chunk).is_ok());
        if sent == Some(true) {
            return Ok(());
        }
        // The writer stopped early: its error says why.
        Err(self
            .join()
            .err()
            .unwrap_or_else(|| io::Error::other("the state writer stopped")))
    }

    fn join(&mut self) -> io::Result<File> {
        self.full = None;
        match self.writer.take().map(JoinHandle::join) {
            Some(Ok(written)) => written,
            Some(Err(_)) => Err(io::Error::other("the state writer panicked")),
            None => Err(io::Error::other("the state writer already stopped")),
        }
    }

    /// Writes what is left, waits for the writer and returns the file (not yet fsynced as a
    /// whole: the caller does that).
    pub(super) fn finish(mut self) -> io::Result<File> {
        if !self.buf.is_empty() {
            self.send()?;
        }
        self.join()
    }
}

impl Write for Pipeline {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= CHUNK {
            self.send()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Drop for Pipeline {
    fn drop(&mut self) {
        // A save given up half-way: let the writer end before the file is removed.
        if self.writer.is_some() {
            let _ = self.join();
        }
    }
}

fn write_chunks(
    mut file: File,
    chunks: &Receiver<Vec<u8>>,
    give_back: &SyncSender<Vec<u8>>,
) -> io::Result<File> {
    let (mut written, mut synced) = (0u64, 0u64);
    for mut chunk in chunks {
        file.write_all(&chunk)?;
        written += chunk.len() as u64;
        if written - synced >= SYNC_EVERY {
            file.sync_data()?;
            synced = written;
        }
        chunk.clear();
        let _ = give_back.try_send(chunk);
    }
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_written_arrives_in_order_whatever_the_chunking() {
        let path = std::env::temp_dir().join(format!("tim-pipeline-{}", std::process::id()));
        let mut p = Pipeline::new(File::create(&path).expect("create")).expect("pipeline");
        let mut want = Vec::new();
        for i in 0..300_000u32 {
            let line = format!("{i},");
            p.write_all(line.as_bytes()).expect("write");
            want.extend_from_slice(line.as_bytes());
        }
        p.write_all(&vec![b'x'; 3 * CHUNK]).expect("a large write");
        want.extend(std::iter::repeat_n(b'x', 3 * CHUNK));
        p.finish().expect("finished");
        assert_eq!(std::fs::read(&path).expect("read"), want);
        let _ = std::fs::remove_file(&path);
    }

    #[test]
    fn a_failing_writer_fails_the_save() {
        // A read-only handle: every write fails.
        let path = std::env::temp_dir().join(format!("tim-pipeline-ro-{}", std::process::id()));
        std::fs::write(&path, "").expect("create");
        let mut p = Pipeline::new(File::open(&path).expect("open")).expect("pipeline");
        let failed = (0..4).try_for_each(|_| p.write_all(&vec![0u8; CHUNK]));
        assert!(failed.is_err() || p.finish().is_err());
        let _ = std::fs::remove_file(&path);
    }
}
