//! DNS over TCP (RFC 1035 §4.2.2, RFC 7766): messages each preceded by a two-octet length, several
//! per segment or one across several. Works on a reassembled stream head; owns no buffer.

use crate::dissect::limits::dns::MAX_TCP_SCAN;

/// Why splitting stopped before the end of the stream head.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DnsTcpError {
    /// The next message (or its length prefix) is not all there yet: wait for more bytes. `needed`
    /// is the stream length, from the start of the head, that would complete it.
    #[error("message continues past the bytes seen (need {needed} bytes of stream)")]
    NeedMore { needed: usize },
    /// A length prefix smaller than a DNS header: not DNS, or out of step with the stream.
    #[error("length prefix shorter than a DNS header")]
    LengthTooShort,
    /// The next message would end past [`MAX_TCP_SCAN`] bytes of stream.
    #[error("message ends past the DNS-over-TCP scan cap")]
    ScanCap,
}

impl DnsTcpError {
    pub fn reason(&self) -> &'static str {
        match self {
            DnsTcpError::NeedMore { .. } => "dns_tcp_need_more",
            DnsTcpError::LengthTooShort => "dns_tcp_length_too_short",
            DnsTcpError::ScanCap => "dns_tcp_scan_cap",
        }
    }
}

/// Iterator over the complete messages at the start of a DNS-over-TCP stream head. After an error
/// it yields nothing more. [`TcpMessages::consumed`] tells where the next message starts.
#[derive(Clone, Debug)]
pub struct TcpMessages<'a> {
    stream: &'a [u8],
    pos: usize,
    done: bool,
}

/// Splits `stream` (the first bytes of one direction of a TCP/53 connection) into messages.
pub fn split_tcp_messages(stream: &[u8]) -> TcpMessages<'_> {
    TcpMessages {
        stream,
        pos: 0,
        done: false,
    }
}

impl TcpMessages<'_> {
    /// Stream bytes taken by the complete messages yielded so far.
    pub fn consumed(&self) -> usize {
        self.pos
    }
}

impl<'a> Iterator for TcpMessages<'a> {
    type Item = Result<&'a [u8], DnsTcpError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done || self.pos >= self.stream.len() {
            return None;
        }
        let result = self.next_message();
        if result.is_err() {
            self.done = true;
        }
        Some(result)
    }
}

impl<'a> TcpMessages<'a> {
    fn next_message(&mut self) -> Result<&'a [u8], DnsTcpError> {
        let prefix_end = self.pos + 2;
        let Some(prefix) = self.stream.get(self.pos..prefix_end) else {
            return Err(self.need(prefix_end));
        };
        let len = usize::from(u16::from_be_bytes([
            prefix.first().copied().unwrap_or(0),
            prefix.get(1).copied().unwrap_or(0),
        ]));
        if len < 12 {
            return Err(DnsTcpError::LengthTooShort);
        }
        let end = prefix_end + len;
        match self.stream.get(prefix_end..end) {
            Some(message) => {
                self.pos = end;
                Ok(message)
            }
            None => Err(self.need(end)),
        }
    }

    fn need(&self, needed: usize) -> DnsTcpError {
        if needed > MAX_TCP_SCAN {
            DnsTcpError::ScanCap
        } else {
            DnsTcpError::NeedMore { needed }
        }
    }
}
