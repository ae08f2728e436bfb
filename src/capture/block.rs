//! A read buffer for capture files: filled by large `read(2)`s, it lends records in place, so a
//! packet is copied once (by the kernel) between the page cache and the decoder.

use std::fs::File;
use std::io::{ErrorKind, Read, Seek, SeekFrom};

/// Filled per `read(2)`; larger than any record the readers accept, small enough to stay in L2.
const BUFFER: usize = 512 * 1024;

pub struct BlockBuffer {
    file: File,
    /// Allocated at the first read and freed at the end, so that many files can be open at once.
    buf: Vec<u8>,
    /// Unread bytes are `buf[start..end]`.
    start: usize,
    end: usize,
    eof: bool,
}

impl BlockBuffer {
    pub fn new(file: File) -> Self {
        BlockBuffer {
            file,
            buf: Vec::new(),
            start: 0,
            end: 0,
            eof: false,
        }
    }

    /// Makes `want` unread bytes available if the file has them; returns how many are (fewer only
    /// at the end of the file). The buffer grows to `want` when that is more than its size: the
    /// readers bound `want` (a 256 KiB record, a 16 MiB pcapng block) before asking.
    #[inline]
    pub fn fill(&mut self, want: usize) -> Result<usize, String> {
        if self.end - self.start >= want || self.eof {
            return Ok(self.end - self.start);
        }
        self.refill(want)
    }

    /// The slow path of [`fill`](Self::fill): once per buffer, not per record.
    #[cold]
    fn refill(&mut self, want: usize) -> Result<usize, String> {
        if self.buf.len() < want.max(BUFFER) {
            self.buf.resize(want.max(BUFFER), 0);
        }
        // Move the unread tail to the front, then read until `want` bytes are there (or the end).
        self.buf.copy_within(self.start..self.end, 0);
        self.end -= self.start;
        self.start = 0;
        while self.end < want {
            match self.file.read(&mut self.buf[self.end..]) {
                Ok(0) => {
                    self.eof = true;
                    break;
                }
                Ok(n) => self.end += n,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(format!("error reading dump file: {e}")),
            }
        }
        Ok(self.end - self.start)
    }

    /// The unread bytes (as many as the last [`fill`](Self::fill) made available).
    pub fn unread(&self) -> &[u8] {
        &self.buf[self.start..self.end]
    }

    /// Marks `n` unread bytes as read and lends them.
    pub fn take(&mut self, n: usize) -> &[u8] {
        let from = self.start;
        self.start = (self.start + n).min(self.end);
        &self.buf[from..self.start]
    }

    /// Frees the buffer, keeping the reading position: files opened ahead of their turn hold no
    /// buffer while they wait.
    pub fn park(&mut self) -> Result<(), String> {
        let unread = (self.end - self.start) as i64;
        if unread > 0 {
            self.file
                .seek(SeekFrom::Current(-unread))
                .map_err(|e| format!("error reading dump file: {e}"))?;
            self.eof = false;
        }
        self.buf = Vec::new();
        self.start = 0;
        self.end = 0;
        Ok(())
    }
}
