//! The WebSocket frames (RFC 6455, section 5) of a connection, read and
//! written here rather than by a WebSocket library, so that a connection
//! keeps no buffer of its own between messages:
//!
//! - [`FrameWriter`]: a connection's frames are gathered into one vectored
//!   write (`writev`) whose slices point at the bytes where they already
//!   are (an answer, an event's body serialized once for all its
//!   recipients), so no frame is copied into a per-connection buffer. An
//!   event's frame for one recipient is its `seq` spliced in front of the
//!   shared body: the same bytes as [`protocol::encode_event_frame`],
//!   without making them.
//! - [`FrameReader`]: the socket is read into a buffer shared by the
//!   connections of a thread; only the bytes of a frame not yet complete
//!   are kept by the connection. It checks what a server must (masking,
//!   opcodes, control frames, fragmentation, the size limit before reading
//!   a payload, UTF-8) and says which rule a client broke.

use std::cell::RefCell;
use std::io::{self, IoSlice};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

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

/// The most slices handed to one `writev` (Linux's IOV_MAX is 1,024): a
/// frame is two or three slices; more frames take more calls.
const MAX_SLICES: usize = 128;

/// The head of an event frame before its `seq`, and between `seq` and
/// the body (as [`protocol::encode_event_frame`] makes them).
const EVENT_HEAD: &[u8] = protocol::EVENT_FRAME_HEAD.as_bytes();
const EVENT_MID: &[u8] = protocol::EVENT_FRAME_MID.as_bytes();

/// One slice of the next write.
#[derive(Debug)]
enum Piece {
    /// Bytes made here (frame headers, a `seq`, control frames): a range
    /// of `FrameWriter::heads`.
    Made(usize, usize),
    Text(Frame),
    Body(Arc<str>),
}

/// A connection's writing half. Written through the runtime, which
/// waits for the socket to take more; and, where it is a TCP socket, also
/// straight to the socket: a write that the socket takes at once needs
/// none of the runtime's readiness bookkeeping (a shared flag per socket,
/// a cache miss on each of a room's recipients), and is not held back by
/// its budget of operations per task.
pub trait SocketWrite: AsyncWrite + Send + Unpin {
    /// Write as much as the socket takes now, without the runtime: `None`
    /// where there is no socket to write to directly. A `WouldBlock`
    /// (the socket is full) is for the caller to wait through the
    /// runtime.
    fn write_now(&mut self, _bufs: &[IoSlice<'_>]) -> Option<io::Result<usize>> {
        None
    }
}

impl SocketWrite for tokio::net::tcp::OwnedWriteHalf {
    fn write_now(&mut self, bufs: &[IoSlice<'_>]) -> Option<io::Result<usize>> {
        let stream: &tokio::net::TcpStream = self.as_ref();
        Some(socket2::SockRef::from(stream).send_vectored(bufs))
    }
}

impl<S: SocketWrite + ?Sized> SocketWrite for Box<S> {
    fn write_now(&mut self, bufs: &[IoSlice<'_>]) -> Option<io::Result<usize>> {
        (**self).write_now(bufs)
    }
}

impl<T: AsyncWrite + Send> SocketWrite for tokio::io::WriteHalf<T> {}
impl SocketWrite for tokio::io::Sink {}
#[cfg(test)]
impl SocketWrite for tokio::io::DuplexStream {}

/// One write of `slices`: straight to the socket; through the runtime
/// (which then wakes the caller when the socket takes more) only when the
/// socket is full, or is not one to write to directly.
fn poll_write_slices<W: SocketWrite>(
    io: &mut W,
    cx: &mut Context<'_>,
    slices: &[IoSlice<'_>],
) -> Poll<io::Result<usize>> {
    match io.write_now(slices) {
        Some(Err(e))
            if matches!(
                e.kind(),
                io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted
            ) => {}
        Some(done) => return Poll::Ready(done),
        None => {}
    }
    Pin::new(io).poll_write_vectored(cx, slices)
}

/// Frames waiting for the next write, and the socket's write half.
#[derive(Debug)]
pub struct FrameWriter<W> {
    io: W,
    heads: Vec<u8>,
    pieces: Vec<Piece>,
    /// Bytes of the frames waiting, written or not.
    bytes: usize,
    /// Where the write has got to when the socket took only part: the
    /// first piece not all written, and how much of it was.
    first: usize,
    offset: usize,
    /// Bytes written of `bytes`.
    sent: usize,
}

impl<W: SocketWrite> FrameWriter<W> {
    pub fn new(io: W) -> Self {
        FrameWriter {
            io,
            heads: Vec::new(),
            pieces: Vec::new(),
            bytes: 0,
            first: 0,
            offset: 0,
            sent: 0,
        }
    }

    /// Bytes waiting to be written.
    pub fn buffered(&self) -> usize {
        self.bytes - self.sent
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
        let result = std::future::poll_fn(|cx| self.poll_write_out(cx)).await;
        if result.is_err() {
            self.reset();
        }
        result
    }

    /// Write what is waiting, as much as the socket takes now: `Ready`
    /// once all of it is written (then nothing is kept but a little room
    /// for the next frames), `Pending` when the socket is full (the place
    /// is kept: frames may still be added, and the next call goes on from
    /// there). Each system call takes up to [`MAX_SLICES`] slices.
    pub fn poll_write_out(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.sent < self.bytes {
            let mut slices = [IoSlice::new(&[]); MAX_SLICES];
            let mut n = 0;
            for (i, p) in self.pieces[self.first..]
                .iter()
                .take(MAX_SLICES)
                .enumerate()
            {
                let bytes = match p {
                    Piece::Made(from, to) => &self.heads[*from..*to],
                    Piece::Text(t) => t.as_bytes(),
                    Piece::Body(b) => b.as_bytes(),
                };
                slices[i] = IoSlice::new(if i == 0 { &bytes[self.offset..] } else { bytes });
                n = i + 1;
            }
            let written = match poll_write_slices(&mut self.io, cx, &slices[..n]) {
                Poll::Ready(Ok(0)) => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                Poll::Ready(Ok(written)) => written,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => return Poll::Pending,
            };
            self.sent += written;
            // Move the place past what was written.
            let mut left = written;
            for s in &slices[..n] {
                if left < s.len() {
                    self.offset += left;
                    break;
                }
                left -= s.len();
                self.first += 1;
                self.offset = 0;
            }
        }
        self.reset();
        Poll::Ready(Ok(()))
    }

    /// Forget every frame (written, or never to be).
    fn reset(&mut self) {
        self.pieces.clear();
        self.heads.clear();
        self.bytes = 0;
        self.sent = 0;
        self.first = 0;
        self.offset = 0;
        self.pieces.shrink_to(8);
        self.heads.shrink_to(256);
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

/// A message from the client.
#[derive(Debug, PartialEq, Eq)]
pub enum Incoming {
    Text(String),
    /// A binary message (not part of the protocol; its bytes are dropped).
    Binary,
    Ping(Vec<u8>),
    Pong(Vec<u8>),
    Close,
}

/// Why the client's frames could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("{0}")]
    Io(#[from] io::Error),
    /// A message larger than the limit (known from its frame header: the
    /// payload is never read).
    #[error("a message over the size limit")]
    TooBig,
    /// A text message that is not UTF-8.
    #[error("a text message that is not UTF-8")]
    NotUtf8,
    /// A rule of RFC 6455 broken, in words.
    #[error("{0}")]
    Protocol(&'static str),
}

/// The bytes one read takes from a socket, shared by the connections of a
/// thread (a read never waits while holding it).
const READ_CHUNK: usize = 16 * 1024;

thread_local! {
    static SCRATCH: RefCell<Box<[u8]>> = RefCell::new(vec![0; READ_CHUNK].into_boxed_slice());
}

/// Reads a client's messages from the socket's reading half.
#[derive(Debug)]
pub struct FrameReader<R> {
    io: R,
    /// Bytes read and not yet taken: part of a frame (or frames the last
    /// read brought together). Empty, and unallocated, between messages.
    pending: Vec<u8>,
    /// A fragmented message begun: whether it is text, and its bytes.
    message: Option<(bool, Vec<u8>)>,
    max_message: usize,
    ended: bool,
}

impl<R: AsyncRead + Unpin> FrameReader<R> {
    /// A reader refusing messages over `max_message` bytes.
    pub fn new(io: R, max_message: usize) -> Self {
        FrameReader {
            io,
            pending: Vec::new(),
            message: None,
            max_message,
            ended: false,
        }
    }

    /// Bytes already read from the socket before this reader had it
    /// (what came with the upgrade request), read first.
    pub fn with_bytes(mut self, early: &[u8]) -> Self {
        self.pending.extend_from_slice(early);
        self
    }

    /// The next message; `None` once the connection has ended (or broke
    /// in the middle of a frame).
    pub async fn next(&mut self) -> Option<Result<Incoming, ReadError>> {
        loop {
            match self.parse() {
                Ok(Some(msg)) => return Some(Ok(msg)),
                Ok(None) => {}
                Err(e) => {
                    self.ended = true;
                    return Some(Err(e));
                }
            }
            if self.ended {
                return None;
            }
            match std::future::poll_fn(|cx| self.poll_fill(cx)).await {
                Ok(0) => {
                    self.ended = true;
                    return None;
                }
                Ok(_) => {}
                Err(e) => {
                    self.ended = true;
                    return Some(Err(ReadError::Io(e)));
                }
            }
        }
    }

    /// Read what the socket has into the shared buffer, and keep it.
    fn poll_fill(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        SCRATCH.with_borrow_mut(|scratch| {
            let mut buf = ReadBuf::new(scratch);
            match Pin::new(&mut self.io).poll_read(cx, &mut buf) {
                Poll::Ready(Ok(())) => {
                    self.pending.extend_from_slice(buf.filled());
                    Poll::Ready(Ok(buf.filled().len()))
                }
                Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
                Poll::Pending => Poll::Pending,
            }
        })
    }

    /// The next complete message in what was read, if there is one.
    fn parse(&mut self) -> Result<Option<Incoming>, ReadError> {
        use ReadError::Protocol;
        loop {
            let buf = &self.pending;
            if buf.len() < 2 {
                return Ok(None);
            }
            let (fin, op) = (buf[0] & 0x80 != 0, buf[0] & 0x0f);
            if buf[0] & 0x70 != 0 {
                return Err(Protocol("reserved bits set without an extension"));
            }
            if buf[1] & 0x80 == 0 {
                return Err(Protocol("a client's frames must be masked"));
            }
            let (len, mut at) = match buf[1] & 0x7f {
                126 if buf.len() < 4 => return Ok(None),
                126 => (u64::from(u16::from_be_bytes([buf[2], buf[3]])), 4),
                127 if buf.len() < 10 => return Ok(None),
                127 => {
                    let mut n = [0u8; 8];
                    n.copy_from_slice(&buf[2..10]);
                    (u64::from_be_bytes(n), 10)
                }
                n => (u64::from(n), 2),
            };
            match op {
                0..=2 => {
                    let so_far = self.message.as_ref().map_or(0, |(_, m)| m.len());
                    if len > (self.max_message - so_far.min(self.max_message)) as u64 {
                        return Err(ReadError::TooBig);
                    }
                }
                8..=10 if !fin => return Err(Protocol("a control frame cannot be fragmented")),
                8..=10 if len > 125 => {
                    return Err(Protocol("a control frame carries at most 125 bytes"))
                }
                8..=10 => {}
                _ => return Err(Protocol("unknown opcode")),
            }
            let len = len as usize;
            if buf.len() < at + 4 + len {
                return Ok(None);
            }
            let key = [buf[at], buf[at + 1], buf[at + 2], buf[at + 3]];
            at += 4;
            let mut payload = buf[at..at + len].to_vec();
            for (i, b) in payload.iter_mut().enumerate() {
                *b ^= key[i % 4];
            }
            self.pending.drain(..at + len);
            if self.pending.is_empty() && self.pending.capacity() > 1024 {
                self.pending = Vec::new();
            }
            match op {
                9 => return Ok(Some(Incoming::Ping(payload))),
                10 => return Ok(Some(Incoming::Pong(payload))),
                8 => {
                    if payload.len() == 1 {
                        return Err(Protocol("a close frame's code has two bytes"));
                    }
                    if payload.len() > 2 && std::str::from_utf8(&payload[2..]).is_err() {
                        return Err(ReadError::NotUtf8);
                    }
                    return Ok(Some(Incoming::Close));
                }
                0 => {
                    let Some((_, message)) = self.message.as_mut() else {
                        return Err(Protocol("a continuation frame with no message begun"));
                    };
                    message.extend_from_slice(&payload);
                    if fin {
                        let (text, message) = self.message.take().expect("a message begun");
                        return finish(text, message).map(Some);
                    }
                }
                _ => {
                    if self.message.is_some() {
                        return Err(Protocol("a new message began before the last one ended"));
                    }
                    if fin {
                        return finish(op == 1, payload).map(Some);
                    }
                    self.message = Some((op == 1, payload));
                }
            }
        }
    }
}

fn finish(text: bool, bytes: Vec<u8>) -> Result<Incoming, ReadError> {
    if text {
        String::from_utf8(bytes)
            .map(Incoming::Text)
            .map_err(|_| ReadError::NotUtf8)
    } else {
        Ok(Incoming::Binary)
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

    impl SocketWrite for Trickle {}

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

    /// A TCP socket is written straight to; once it is full, what is left
    /// waits for it through the runtime, and the client reads every frame
    /// whole and in order.
    #[tokio::test]
    async fn frames_written_straight_to_a_tcp_socket_arrive_whole_and_in_order_when_it_fills() {
        use futures_util::StreamExt;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let client = tokio::net::TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let (server, _) = listener.accept().await.unwrap();
        let (_read, write) = server.into_split();
        let mut w = FrameWriter::new(write);
        let body: Arc<str> =
            format!("{{\"kind\":\"chat\",\"text\":\"{}\"}}", "x".repeat(1000)).into();
        const FRAMES: u64 = 20_000;
        for seq in 1..=FRAMES {
            w.event(seq, body.clone());
        }
        // Written without waiting, as far as the socket takes: 20 MB fill it.
        let mut cx = Context::from_waker(std::task::Waker::noop());
        assert!(w.poll_write_out(&mut cx).is_pending());
        assert!(w.buffered() > 0 && w.buffered() < w.bytes);
        let reader = tokio::spawn(async move {
            let mut ws =
                tokio_tungstenite::WebSocketStream::from_raw_socket(client, Role::Client, None)
                    .await;
            let mut texts = Vec::new();
            while texts.len() < FRAMES as usize {
                match ws.next().await {
                    Some(Ok(Message::Text(t))) => texts.push(t.to_string()),
                    other => panic!("after {} frames: {other:?}", texts.len()),
                }
            }
            texts
        });
        w.flush().await.unwrap();
        assert_eq!(w.buffered(), 0);
        let texts = reader.await.unwrap();
        for (i, text) in texts.iter().enumerate() {
            let seq = i as u64 + 1;
            assert_eq!(
                *text,
                format!(
                    "{}{seq}{}{body}}}",
                    protocol::EVENT_FRAME_HEAD,
                    protocol::EVENT_FRAME_MID
                ),
                "frame {seq}"
            );
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

    /// A client's frame, masked.
    fn client_frame(fin: bool, op: u8, payload: &[u8]) -> Vec<u8> {
        let mut f = vec![if fin { 0x80 } else { 0 } | op];
        match payload.len() {
            n if n < 126 => f.push(0x80 | n as u8),
            n if n < 65536 => {
                f.push(0x80 | 126);
                f.extend_from_slice(&(n as u16).to_be_bytes());
            }
            n => {
                f.push(0x80 | 127);
                f.extend_from_slice(&(n as u64).to_be_bytes());
            }
        }
        let key = [0x37, 0xfa, 0x21, 0x3d];
        f.extend_from_slice(&key);
        f.extend(payload.iter().enumerate().map(|(i, b)| b ^ key[i % 4]));
        f
    }

    /// A socket that hands over at most `step` bytes per read.
    struct Drip {
        data: Vec<u8>,
        at: usize,
        step: usize,
    }

    impl AsyncRead for Drip {
        fn poll_read(
            mut self: Pin<&mut Self>,
            _: &mut Context<'_>,
            buf: &mut ReadBuf<'_>,
        ) -> Poll<io::Result<()>> {
            let n = self
                .step
                .min(self.data.len() - self.at)
                .min(buf.remaining());
            let at = self.at;
            buf.put_slice(&self.data[at..at + n]);
            self.at += n;
            Poll::Ready(Ok(()))
        }
    }

    /// Everything a reader makes of these bytes, read `step` at a time.
    async fn read_all(data: Vec<u8>, step: usize, max: usize) -> Vec<Result<Incoming, String>> {
        let mut r = FrameReader::new(Drip { data, at: 0, step }, max);
        let mut out = Vec::new();
        while let Some(m) = r.next().await {
            let stop = m.is_err();
            out.push(m.map_err(|e| format!("{e:?}")));
            if stop {
                break;
            }
        }
        assert!(r.pending.capacity() <= 1024 || !r.pending.is_empty());
        out
    }

    #[tokio::test]
    async fn a_server_reads_what_a_client_library_sends_however_the_bytes_arrive() {
        // Frames made by tungstenite as a client (masked), and fragments.
        let mut bytes = Vec::new();
        {
            let mut ws =
                WebSocket::from_raw_socket(io::Cursor::new(Vec::new()), Role::Client, None);
            ws.send(Message::Text("hello".into())).unwrap();
            ws.send(Message::Ping(b"p".to_vec().into())).unwrap();
            ws.send(Message::Text("é".repeat(3000).into())).unwrap();
            ws.send(Message::Binary(vec![1, 2, 3].into())).unwrap();
            bytes.extend_from_slice(ws.get_ref().get_ref());
        }
        // "né" split inside the é across two fragments, a pong between.
        let ne = "né".as_bytes();
        bytes.extend(client_frame(false, 1, &ne[..2]));
        bytes.extend(client_frame(true, 10, b"q"));
        bytes.extend(client_frame(true, 0, &ne[2..]));
        bytes.extend(client_frame(true, 8, &1000u16.to_be_bytes()));
        for step in [1, 3, 50, 100_000] {
            let got = read_all(bytes.clone(), step, 8192).await;
            assert_eq!(
                got,
                vec![
                    Ok(Incoming::Text("hello".into())),
                    Ok(Incoming::Ping(b"p".to_vec())),
                    Ok(Incoming::Text("é".repeat(3000))),
                    Ok(Incoming::Binary),
                    Ok(Incoming::Pong(b"q".to_vec())),
                    Ok(Incoming::Text("né".into())),
                    Ok(Incoming::Close),
                ],
                "step {step}"
            );
        }
    }

    #[tokio::test]
    async fn each_broken_rule_is_named_and_nothing_after_it_is_read() {
        let hello = b"{}".as_slice();
        let unmasked = {
            let mut f = client_frame(true, 1, hello);
            f[1] &= 0x7f;
            f
        };
        let reserved = {
            let mut f = client_frame(true, 1, hello);
            f[0] |= 0x40;
            f
        };
        let cases: Vec<(&str, Vec<u8>, &str)> = vec![
            ("unmasked", unmasked, "masked"),
            ("reserved bits", reserved, "reserved"),
            ("bad opcode", client_frame(true, 3, hello), "opcode"),
            (
                "fragmented ping",
                client_frame(false, 9, b"x"),
                "fragmented",
            ),
            ("long ping", client_frame(true, 9, &[0; 126]), "125"),
            (
                "stray continuation",
                client_frame(true, 0, hello),
                "continuation",
            ),
            (
                "interleaved messages",
                [client_frame(false, 1, hello), client_frame(true, 1, hello)].concat(),
                "before the last one ended",
            ),
            ("not UTF-8", client_frame(true, 1, &[0xff, 0xfe]), "NotUtf8"),
            ("one-byte close", client_frame(true, 8, &[3]), "two bytes"),
            ("too big", client_frame(true, 1, &[b'a'; 5000]), "TooBig"),
            (
                "too big in fragments",
                [
                    client_frame(false, 1, &[b'a'; 3000]),
                    client_frame(true, 0, &[b'a'; 3000]),
                ]
                .concat(),
                "TooBig",
            ),
        ];
        for (what, mut bytes, says) in cases {
            bytes.extend(client_frame(true, 1, b"after"));
            let got = read_all(bytes, 7, 4096).await;
            match got.last() {
                Some(Err(e)) => assert!(e.contains(says), "{what}: {e}"),
                other => panic!("{what}: expected an error, got {other:?}"),
            }
            assert!(
                !got.contains(&Ok(Incoming::Text("after".into()))),
                "{what}: read on after the error"
            );
        }
        // A too-big message is refused from its header alone.
        let mut header = client_frame(true, 1, &[b'a'; 70_000]);
        header.truncate(14);
        let got = read_all(header, 100, 4096).await;
        assert!(
            matches!(got.as_slice(), [Err(e)] if e.contains("TooBig")),
            "{got:?}"
        );
    }

    proptest::proptest! {
        #[test]
        fn any_bytes_are_read_without_a_panic(
            bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300),
            step in 1usize..40,
        ) {
            let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
            rt.block_on(read_all(bytes, step, 256));
        }

        #[test]
        fn messages_split_anywhere_read_the_same(
            texts in proptest::collection::vec("[a-zé€]{0,40}", 1..8),
            step in 1usize..64,
        ) {
            let mut bytes = Vec::new();
            for t in &texts {
                let b = t.as_bytes();
                let cut = b.len() / 2;
                bytes.extend(client_frame(false, 1, &b[..cut]));
                bytes.extend(client_frame(true, 0, &b[cut..]));
            }
            let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
            let got = rt.block_on(read_all(bytes, step, 4096));
            let want: Vec<_> = texts.iter().map(|t| Ok(Incoming::Text(t.clone()))).collect();
            proptest::prop_assert_eq!(got, want);
        }
    }
}
