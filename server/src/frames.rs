//! The WebSocket frames the server writes (RFC 6455, section 5), framed
//! here rather than by a WebSocket library: a connection's frames are
//! gathered into one vectored write (`writev`) whose slices point at the
//! bytes where they already are (an answer, an event's body serialized
//! once for all its recipients), so no frame is copied into a
//! per-connection buffer, and a connection keeps no write buffer between
//! writes. An event's frame for one recipient is its `seq` spliced in
//! front of the shared body: the same bytes as
//! [`protocol::encode_event_frame`], without making them.
//!
//! Reading stays with tungstenite (it checks masking, UTF-8, sizes and
//! control frames); see [`crate::conn`].

use std::io::{self, IoSlice};
use std::sync::Arc;
use tokio::io::{AsyncWrite, AsyncWriteExt};

/// A text frame's payload, shared with whoever else holds it.
pub type Frame = tungstenite::Utf8Bytes;

/// Opcodes of the frames the server sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum OpCode {
    Text = 0x1,
    Close = 0x8,
    Ping = 0x9,
    Pong = 0xA,
}

/// The most slices handed to one `writev` (Linux's IOV_MAX is 1,024).
const MAX_SLICES: usize = 512;

/// The head of an event frame before its `seq`, and between `seq` and
/// the body ([`protocol::encode_event_frame`] makes the same bytes).
const EVENT_HEAD: &[u8] = br#"{"type":"event","seq":"#;
const EVENT_MID: &[u8] = br#","event":"#;

/// One slice of the next write.
#[derive(Debug)]
enum Piece {
    /// Bytes made here (frame headers, a `seq`, control frames): a range
    /// of `FrameWriter::heads`.
    Made(usize, usize),
    Text(Frame),
    Body(Arc<str>),
}

/// Frames waiting for the next write, and the socket's write half.
#[derive(Debug)]
pub struct FrameWriter<W> {
    io: W,
    heads: Vec<u8>,
    pieces: Vec<Piece>,
    bytes: usize,
}

impl<W: AsyncWrite + Unpin> FrameWriter<W> {
    pub fn new(io: W) -> Self {
        FrameWriter {
            io,
            heads: Vec::new(),
            pieces: Vec::new(),
            bytes: 0,
        }
    }

    /// Bytes waiting for the next write.
    pub fn buffered(&self) -> usize {
        self.bytes
    }

    /// A text frame.
    pub fn text(&mut self, frame: Frame) {
        self.header(OpCode::Text, frame.len());
        self.bytes += frame.len();
        self.pieces.push(Piece::Text(frame));
    }

    /// The `event` frame with this `seq` and body (a serialized
    /// `GameEvent`).
    pub fn event(&mut self, seq: u64, body: Arc<str>) {
        let mut digits = itoa::Buffer::new();
        let seq = digits.format(seq).as_bytes();
        let len = EVENT_HEAD.len() + seq.len() + EVENT_MID.len() + body.len() + 1;
        self.header(OpCode::Text, len);
        self.made(EVENT_HEAD);
        self.made(seq);
        self.made(EVENT_MID);
        self.bytes += len;
        self.pieces.push(Piece::Body(body));
        self.made(b"}");
    }

    /// A control frame (its payload at most 125 bytes; longer is cut).
    pub fn control(&mut self, op: OpCode, payload: &[u8]) {
        let payload = &payload[..payload.len().min(125)];
        self.header(op, payload.len());
        self.bytes += payload.len();
        self.made(payload);
    }

    /// A close frame with this code and reason (cut to fit a control
    /// frame on a character boundary).
    pub fn close(&mut self, code: u16, reason: &str) {
        let mut end = reason.len().min(123);
        while !reason.is_char_boundary(end) {
            end -= 1;
        }
        let mut payload = Vec::with_capacity(2 + end);
        payload.extend_from_slice(&code.to_be_bytes());
        payload.extend_from_slice(&reason.as_bytes()[..end]);
        self.control(OpCode::Close, &payload);
    }

    /// Write everything waiting, in as few system calls as the socket
    /// takes. Nothing is kept afterwards but a little room for the next
    /// burst.
    pub async fn flush(&mut self) -> io::Result<()> {
        let result = self.write_all().await;
        self.pieces.clear();
        self.heads.clear();
        self.bytes = 0;
        self.pieces.shrink_to(8);
        self.heads.shrink_to(256);
        result
    }

    async fn write_all(&mut self) -> io::Result<()> {
        if self.pieces.is_empty() {
            return Ok(());
        }
        let FrameWriter {
            io, heads, pieces, ..
        } = self;
        let mut slices: Vec<IoSlice<'_>> = pieces
            .iter()
            .map(|p| {
                IoSlice::new(match p {
                    Piece::Made(from, to) => &heads[*from..*to],
                    Piece::Text(t) => t.as_bytes(),
                    Piece::Body(b) => b.as_bytes(),
                })
            })
            .collect();
        let mut left: &mut [IoSlice<'_>] = &mut slices;
        while !left.is_empty() {
            let window = left.len().min(MAX_SLICES);
            let n = io.write_vectored(&left[..window]).await?;
            if n == 0 {
                return Err(io::ErrorKind::WriteZero.into());
            }
            IoSlice::advance_slices(&mut left, n);
        }
        io.flush().await
    }

    fn header(&mut self, op: OpCode, len: usize) {
        let mut head = [0u8; 10];
        head[0] = 0x80 | op as u8;
        let n = if len < 126 {
            head[1] = len as u8;
            2
        } else if let Ok(short) = u16::try_from(len) {
            head[1] = 126;
            head[2..4].copy_from_slice(&short.to_be_bytes());
            4
        } else {
            head[1] = 127;
            head[2..10].copy_from_slice(&(len as u64).to_be_bytes());
            10
        };
        self.bytes += n;
        self.made(&head[..n]);
    }

    /// Append bytes made here; one slice with the bytes made just before
    /// (a frame's end and the next frame's header are one slice).
    fn made(&mut self, bytes: &[u8]) {
        let from = self.heads.len();
        self.heads.extend_from_slice(bytes);
        let to = self.heads.len();
        match self.pieces.last_mut() {
            Some(Piece::Made(_, end)) if *end == from => *end = to,
            _ => self.pieces.push(Piece::Made(from, to)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tungstenite::protocol::{Role, WebSocket};
    use tungstenite::Message;

    /// A socket that takes at most `step` bytes per write, to exercise
    /// partial writes.
    struct Trickle {
        out: Vec<u8>,
        step: usize,
    }

    impl AsyncWrite for Trickle {
        fn poll_write(
            mut self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
            buf: &[u8],
        ) -> std::task::Poll<io::Result<usize>> {
            let n = buf.len().min(self.step);
            self.out.extend_from_slice(&buf[..n]);
            std::task::Poll::Ready(Ok(n))
        }
        fn poll_write_vectored(
            mut self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
            bufs: &[IoSlice<'_>],
        ) -> std::task::Poll<io::Result<usize>> {
            let mut n = 0;
            for b in bufs {
                let take = b.len().min(self.step - n);
                self.out.extend_from_slice(&b[..take]);
                n += take;
                if n == self.step {
                    break;
                }
            }
            std::task::Poll::Ready(Ok(n))
        }
        fn is_write_vectored(&self) -> bool {
            true
        }
        fn poll_flush(
            self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<io::Result<()>> {
            std::task::Poll::Ready(Ok(()))
        }
        fn poll_shutdown(
            self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<io::Result<()>> {
            std::task::Poll::Ready(Ok(()))
        }
    }

    /// What a WebSocket client (tungstenite) reads from these bytes.
    fn read_as_client(bytes: Vec<u8>) -> Vec<Message> {
        let mut ws = WebSocket::from_raw_socket(
            io::Cursor::new(bytes),
            Role::Client,
            Some(tungstenite::protocol::WebSocketConfig::default()),
        );
        let mut out = Vec::new();
        loop {
            match ws.read() {
                Ok(m) => out.push(m),
                Err(tungstenite::Error::Io(e)) if e.kind() == io::ErrorKind::UnexpectedEof => break,
                Err(tungstenite::Error::Io(e)) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(tungstenite::Error::ConnectionClosed)
                | Err(tungstenite::Error::Protocol(
                    tungstenite::error::ProtocolError::ResetWithoutClosingHandshake,
                )) => break,
                Err(e) => panic!("a client could not read the frames: {e}"),
            }
        }
        out
    }

    #[tokio::test]
    async fn a_client_reads_every_frame_whatever_the_sizes_and_partial_writes() {
        let body: Arc<str> = Arc::from(r#"{"kind":"chat","text":"hello"}"#);
        let long = "x".repeat(70_000);
        let medium = "é".repeat(200);
        for step in [1, 7, 100, 1 << 20] {
            let mut w = FrameWriter::new(Trickle {
                out: Vec::new(),
                step,
            });
            w.text("short".into());
            w.event(42, body.clone());
            w.text(medium.clone().into());
            w.control(OpCode::Ping, &7u64.to_be_bytes());
            w.text(long.clone().into());
            w.event(u64::MAX, body.clone());
            w.close(1008, "Too slow: reconnect.");
            w.flush().await.unwrap();
            let got = read_as_client(std::mem::take(&mut w.io.out));
            let event = |seq| {
                Message::Text(
                    protocol::encode_event_frame(
                        seq,
                        &serde_json::value::RawValue::from_string(body.to_string()).unwrap(),
                    )
                    .into(),
                )
            };
            assert_eq!(got.len(), 7, "step {step}: {got:?}");
            assert_eq!(got[0], Message::Text("short".into()));
            assert_eq!(got[1], event(42));
            assert_eq!(got[2], Message::Text(medium.clone().into()));
            assert_eq!(got[3], Message::Ping(7u64.to_be_bytes().to_vec().into()));
            assert_eq!(got[4], Message::Text(long.clone().into()));
            assert_eq!(got[5], event(u64::MAX));
            match &got[6] {
                Message::Close(Some(c)) => {
                    assert_eq!(u16::from(c.code), 1008);
                    assert_eq!(c.reason.as_str(), "Too slow: reconnect.");
                }
                other => panic!("expected a close frame, got {other:?}"),
            }
        }
    }

    #[tokio::test]
    async fn more_frames_than_one_system_call_takes_are_all_written() {
        let mut w = FrameWriter::new(Trickle {
            out: Vec::new(),
            step: usize::MAX,
        });
        let body: Arc<str> = Arc::from(r#"{"kind":"tick"}"#);
        for seq in 1..=2_000 {
            w.event(seq, body.clone());
            w.text(format!("answer {seq}").into());
        }
        w.flush().await.unwrap();
        let got = read_as_client(std::mem::take(&mut w.io.out));
        assert_eq!(got.len(), 4_000);
        assert_eq!(got[3_999], Message::Text("answer 2000".into()));
        // Nothing large is kept between writes.
        assert!(w.pieces.capacity() <= 8 && w.heads.capacity() <= 256);
    }

    #[tokio::test]
    async fn a_close_reason_is_cut_on_a_character_boundary() {
        let mut w = FrameWriter::new(Trickle {
            out: Vec::new(),
            step: usize::MAX,
        });
        w.close(1000, &"é".repeat(100));
        w.flush().await.unwrap();
        match &read_as_client(std::mem::take(&mut w.io.out))[0] {
            Message::Close(Some(c)) => assert_eq!(c.reason.as_str(), "é".repeat(61)),
            other => panic!("expected a close frame, got {other:?}"),
        }
    }
}
