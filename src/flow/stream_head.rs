//! Placeholder until the stream reassembly change lands: in-order segments only.

pub const DEFAULT_STREAM_HEAD_CAP: usize = 16 * 1024;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HeadState {
    Collecting,
    Full,
    Gap(&'static str),
    Released,
}

#[derive(Debug, Clone)]
pub struct StreamHead {
    cap: usize,
    next: Option<u32>,
    buf: Vec<u8>,
    state: HeadState,
}

impl StreamHead {
    pub fn new(cap: usize) -> Self {
        StreamHead {
            cap,
            next: None,
            buf: Vec::new(),
            state: HeadState::Collecting,
        }
    }
    pub fn on_syn(&mut self, isn: u32) {
        self.next = Some(isn.wrapping_add(1));
    }
    pub fn on_segment(&mut self, seq: u32, payload: &[u8]) -> bool {
        if self.state != HeadState::Collecting || payload.is_empty() {
            return false;
        }
        let next = *self.next.get_or_insert(seq);
        if seq != next {
            return false;
        }
        let room = self.cap - self.buf.len();
        let take = payload.len().min(room);
        self.buf.extend_from_slice(&payload[..take]);
        self.next = Some(seq.wrapping_add(take as u32));
        if self.buf.len() == self.cap {
            self.state = HeadState::Full;
        }
        take > 0
    }
    pub fn bytes(&self) -> &[u8] {
        &self.buf
    }
    pub fn release(&mut self) {
        self.buf = Vec::new();
        self.state = HeadState::Released;
    }
    pub fn state(&self) -> HeadState {
        self.state
    }
}
