//! A connection's way out: the frames waiting for its socket, and who
//! writes them.
//!
//! Whoever has frames for a connection (its room publishing an event, its
//! own reading half answering a request) adds them to the connection's
//! [`Outlet`] and then writes them to the socket itself, at once and
//! without waiting, when the socket takes them: no queue between the room
//! and the socket, no task woken per message. Only when the socket is full
//! (a client reading slowly, or a burst larger than its buffers) does the
//! connection's writer task take over: it waits until the socket takes
//! more, within a deadline, while later frames pile up behind (up to a
//! limit: a connection that cannot keep up is dropped, and can resume).
//! A room publishing several events adds them all before writing, so one
//! system call carries them.
//!
//! Whether the client reads at all (the kernel's buffers would otherwise
//! hide that it stopped) is told by a ping sent after what was written, at
//! most once every half of the patience: a client that reads answers it
//! at once; one whose answer is overdue is cut by the next sweep of
//! [`Probes`] (once a second), and can resume.

use crate::frames::{Frame, FrameWriter, OpCode};
use protocol::{encode, GoodbyeCode, ServerMsg};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};
use tokio::sync::Notify;
use tracing::{debug, warn};

/// The writing half of a connection's socket.
pub type WriteHalf = Box<dyn crate::frames::SocketWrite>;

/// Bytes a slow but reading client is granted a second for.
const SLOW_BYTES_PER_SEC: usize = 100_000;

/// A connection's frames on their way to its socket.
pub struct Outlet {
    inner: Mutex<Inner>,
    /// Rouses the writer task: the socket was full, or the connection is
    /// closing.
    wake: Notify,
    /// Frames (or batches) that may wait before the connection counts as
    /// too slow.
    limit: usize,
    /// How long a client may take to read what it is sent.
    patience: Duration,
}

struct Inner {
    out: FrameWriter<WriteHalf>,
    /// Frames (or batches) added and not yet all written.
    waiting: usize,
    /// The socket was full: the writer task writes what waits (the others
    /// only add to it).
    full: bool,
    /// Text bytes added since the last write (what the probe counts).
    text_bytes: usize,
    probe: Probe,
    end: End,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    Open,
    /// The goodbye and close frame are added: nothing more is, and the
    /// writer writes what waits within this long, then stops.
    Closing(Duration),
    /// The writer has stopped (or the socket failed): nothing more is
    /// written.
    Done,
}

impl std::fmt::Debug for Outlet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let inner = self.lock();
        f.debug_struct("Outlet")
            .field("waiting", &inner.waiting)
            .field("bytes", &inner.out.buffered())
            .field("full", &inner.full)
            .field("end", &inner.end)
            .finish()
    }
}

/// The outstanding ping, and when the last one was answered.
#[derive(Debug, Default)]
struct Probe {
    outstanding: Option<(u64, Instant)>,
    last_answer: Option<Instant>,
    nonce: u64,
    /// Bytes written since the last ping (the most that may still be
    /// unread when the next one goes out).
    bytes_since: usize,
}

impl Probe {
    /// Count `bytes` about to be written; the payload of a ping to send
    /// after them, if one is due.
    fn wrote(&mut self, bytes: usize, patience: Duration) -> Option<u64> {
        self.bytes_since += bytes;
        if self.outstanding.is_some() {
            return None;
        }
        let now = Instant::now();
        let gap = (patience / 2).max(Duration::from_secs(1));
        if self
            .last_answer
            .is_some_and(|t| now.duration_since(t) < gap)
        {
            return None;
        }
        self.nonce += 1;
        let allowance = Duration::from_secs((self.bytes_since / SLOW_BYTES_PER_SEC) as u64);
        self.bytes_since = 0;
        self.outstanding = Some((self.nonce, now + patience + allowance));
        Some(self.nonce)
    }

    /// Whether the outstanding ping's answer is overdue at `now`.
    fn overdue(&self, now: Instant) -> bool {
        self.outstanding.is_some_and(|(_, by)| now > by)
    }

    fn answered(&mut self, payload: &[u8]) {
        if let Some((nonce, _)) = self.outstanding {
            if payload == nonce.to_be_bytes() {
                self.outstanding = None;
                self.last_answer = Some(Instant::now());
            }
        }
    }
}

/// The reason given to a client that stopped reading.
const TOO_SLOW: &str = "Your connection is not keeping up: reconnect to catch up.";

impl Outlet {
    /// An outlet on `io` holding at most `limit` frames that wait, for a
    /// client given `patience` to read them; and its writer task's work,
    /// which ends when the connection does (then `kick` is rung).
    pub fn new(
        io: WriteHalf,
        limit: usize,
        patience: Duration,
        kick: Arc<Notify>,
    ) -> (Arc<Outlet>, impl std::future::Future<Output = ()> + Send) {
        let outlet = Arc::new(Outlet {
            inner: Mutex::new(Inner {
                out: FrameWriter::new(io),
                waiting: 0,
                full: false,
                text_bytes: 0,
                probe: Probe::default(),
                end: End::Open,
            }),
            wake: Notify::new(),
            limit: limit.max(1),
            patience,
        });
        let writer = outlet.clone().run(kick);
        (outlet, writer)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Add a text frame, to be written by the next [`Outlet::flush`];
    /// false if the connection is closing or has too much waiting.
    pub fn add_text(&self, text: Frame) -> bool {
        self.add(|inner| {
            inner.text_bytes += text.len();
            inner.out.text(text);
        })
    }

    /// Add the `event` frame with this `seq` and body (a serialized
    /// `GameEvent` shared by its recipients); as [`Outlet::add_text`].
    pub fn add_event(&self, seq: u64, body: &Arc<str>) -> bool {
        self.add(|inner| {
            inner.text_bytes += body.len();
            inner.out.event(seq, body.clone());
        })
    }

    /// Add frames that go together (a download's parts): they count as
    /// one against the limit.
    pub fn add_batch(&self, frames: Vec<Frame>) -> bool {
        self.add(|inner| {
            for text in frames {
                inner.text_bytes += text.len();
                inner.out.text(text);
            }
        })
    }

    /// Frame one item (counted as one against the limit) unless the
    /// connection is closing or has too much waiting.
    fn add(&self, frame: impl FnOnce(&mut Inner)) -> bool {
        let mut inner = self.lock();
        if inner.end != End::Open || inner.waiting >= self.limit {
            return false;
        }
        inner.waiting += 1;
        frame(&mut inner);
        true
    }

    /// A text frame, written at once if the socket takes it.
    pub fn send_text(&self, text: Frame) -> bool {
        let added = self.add_text(text);
        self.flush();
        added
    }

    /// A control frame (a keep-alive ping, the pong to a client's ping),
    /// written at once if the socket takes it; dropped if too much waits
    /// (a client sending pings it does not read the answers to gets no
    /// more of them).
    pub fn send_control(&self, op: OpCode, payload: &[u8]) {
        if self.add(|inner| inner.out.control(op, payload)) {
            self.flush();
        }
    }

    /// The client answered a ping.
    pub fn pong(&self, payload: &[u8]) {
        self.lock().probe.answered(payload);
    }

    /// Write what waits, now, as far as the socket takes it without
    /// waiting; the rest is left to the writer task. Nothing happens while
    /// the writer task is already writing (it takes what was added).
    pub fn flush(&self) {
        let mut inner = self.lock();
        if inner.full || inner.end != End::Open {
            return;
        }
        self.probe(&mut inner);
        if inner.out.buffered() == 0 {
            return;
        }
        let mut cx = Context::from_waker(Waker::noop());
        match inner.out.poll_write_out(&mut cx) {
            Poll::Ready(Ok(())) => inner.waiting = 0,
            Poll::Pending => {
                // The writer task goes on when the socket takes more (its
                // own poll registers it to be woken).
                inner.full = true;
                drop(inner);
                self.wake.notify_one();
            }
            Poll::Ready(Err(e)) => {
                debug!("a connection's write failed: {e}");
                inner.end = End::Done;
                drop(inner);
                self.wake.notify_one();
            }
        }
    }

    /// Count the text about to be written and add the probe's ping after
    /// it when one is due.
    fn probe(&self, inner: &mut Inner) {
        if inner.text_bytes == 0 {
            return;
        }
        let bytes = std::mem::take(&mut inner.text_bytes);
        if let Some(nonce) = inner.probe.wrote(bytes, self.patience) {
            inner.out.control(OpCode::Ping, &nonce.to_be_bytes());
        }
    }

    /// Cut the connection if its client has not answered the last ping in
    /// time: it has stopped reading (see [`Probes`]).
    fn check(&self, now: Instant) {
        let mut inner = self.lock();
        if inner.end != End::Open || !inner.probe.overdue(now) {
            return;
        }
        warn!(
            "connection too slow: it has not read what it was sent for {} s; dropped (it can resume)",
            self.patience.as_secs()
        );
        self.say_goodbye(
            &mut inner,
            TOO_SLOW,
            GoodbyeCode::TooSlow,
            close_code_for(GoodbyeCode::TooSlow),
        );
        drop(inner);
        self.wake.notify_one();
    }

    /// Close the connection for cause: what waits goes first, then a
    /// `goodbye` with this reason and code (the goodbye never waits for
    /// room), then the close frame. Later frames are refused.
    pub fn close(&self, reason: &str, code: GoodbyeCode) {
        self.close_with(reason, code, close_code_for(code));
    }

    /// [`Outlet::close`] with a WebSocket close code of its own (a broken
    /// protocol rule, a message too big…).
    pub fn close_with(&self, reason: &str, code: GoodbyeCode, close: u16) {
        let mut inner = self.lock();
        if inner.end != End::Open {
            return;
        }
        self.say_goodbye(&mut inner, reason, code, close);
        drop(inner);
        self.wake.notify_one();
    }

    fn say_goodbye(&self, inner: &mut Inner, reason: &str, code: GoodbyeCode, close: u16) {
        let bye = encode(&ServerMsg::Goodbye {
            reason: reason.to_string(),
            code: Some(code),
        });
        inner.out.text(bye.into());
        inner.out.close(close, reason);
        // Briefly: the client may not be reading. One cut for being slow
        // has the patience to read what waits and why it was cut.
        inner.end = End::Closing(if code == GoodbyeCode::TooSlow {
            self.patience
        } else {
            Duration::from_secs(1)
        });
    }

    /// Cut the connection because it cannot keep up (too much waits for
    /// it): what waits, then the `too_slow` goodbye.
    pub fn close_too_slow(&self) {
        self.close(TOO_SLOW, GoodbyeCode::TooSlow);
    }

    /// The connection ends normally (the client closed it, or the server
    /// stops serving it): what waits, then a close frame.
    pub fn finish(&self) {
        let mut inner = self.lock();
        if inner.end != End::Open {
            return;
        }
        inner.out.close(1000, "");
        inner.end = End::Closing(self.patience);
        drop(inner);
        self.wake.notify_one();
    }

    /// Closing or closed: nothing more is written.
    pub fn is_closed(&self) -> bool {
        self.lock().end != End::Open
    }

    /// The writer task: writes what the others could not (the socket was
    /// full) within a deadline, and the last frames when the connection
    /// closes; then rings `kick`, which ends the connection.
    async fn run(self: Arc<Self>, kick: Arc<Notify>) {
        loop {
            self.wake.notified().await;
            let (deadline, closing) = {
                let mut inner = self.lock();
                match inner.end {
                    End::Done => break,
                    End::Closing(within) => (within, true),
                    End::Open if inner.full => {
                        // The probe's ping goes after what waits.
                        self.probe(&mut inner);
                        let more = inner.out.buffered() / SLOW_BYTES_PER_SEC;
                        (self.patience + Duration::from_secs(more as u64), false)
                    }
                    End::Open => continue,
                }
            };
            let written =
                tokio::time::timeout(deadline, std::future::poll_fn(|cx| self.poll_write(cx)))
                    .await;
            match written {
                Ok(Ok(())) if !closing => {}
                Ok(Ok(())) => break,
                Ok(Err(e)) => {
                    debug!("a connection's write failed: {e}");
                    break;
                }
                Err(_) if closing => break,
                Err(_) => {
                    warn!(
                        "connection too slow: nothing could be written to it for {} s; dropped (it can resume)",
                        deadline.as_secs()
                    );
                    break;
                }
            }
        }
        self.lock().end = End::Done;
        kick.notify_one();
    }

    /// The writer task's write: everything that waits, including what is
    /// added meanwhile.
    fn poll_write(&self, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        let mut inner = self.lock();
        match inner.out.poll_write_out(cx) {
            Poll::Ready(Ok(())) => {
                inner.full = false;
                inner.waiting = 0;
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => Poll::Pending,
        }
    }
}

/// The outlets whose clients' pings are watched: once a second, those
/// whose last ping's answer is overdue are cut (see [`Outlet::check`]).
/// One sweep for every connection, rather than a timer each.
#[derive(Debug, Default)]
pub struct Probes {
    outlets: Mutex<Vec<std::sync::Weak<Outlet>>>,
}

impl Probes {
    /// Watch this outlet until its connection ends.
    pub fn watch(&self, outlet: &Arc<Outlet>) {
        self.lock().push(Arc::downgrade(outlet));
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<std::sync::Weak<Outlet>>> {
        self.outlets
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Sweep once a second for as long as these probes exist.
    pub fn start(self: &Arc<Self>) {
        let probes = Arc::downgrade(self);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                let Some(probes) = probes.upgrade() else {
                    break;
                };
                probes.sweep(Instant::now());
            }
        });
    }

    /// Cut the connections whose clients stopped reading; forget those
    /// that ended.
    pub fn sweep(&self, now: Instant) {
        self.lock().retain(|outlet| match outlet.upgrade() {
            Some(outlet) => {
                outlet.check(now);
                outlet.lock().end != End::Done
            }
            None => false,
        });
    }
}

/// The WebSocket close code that goes with a goodbye.
pub fn close_code_for(code: GoodbyeCode) -> u16 {
    match code {
        GoodbyeCode::Replaced | GoodbyeCode::Kicked | GoodbyeCode::GameDeleted => 1000,
        GoodbyeCode::ShuttingDown | GoodbyeCode::Idle => 1001,
        GoodbyeCode::ProtocolError => 1002,
        GoodbyeCode::TooSlow | GoodbyeCode::RateLimited => 1008,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::StreamExt;
    use tokio::io::DuplexStream;
    use tokio_tungstenite::tungstenite::protocol::Role;
    use tokio_tungstenite::tungstenite::Message;
    use tokio_tungstenite::WebSocketStream;

    /// An outlet writing into one end of an in-memory pipe whose buffer
    /// holds `capacity` bytes; a WebSocket client on the other end.
    async fn pipe(
        capacity: usize,
        limit: usize,
        patience: Duration,
    ) -> (Arc<Outlet>, Arc<Notify>, WebSocketStream<DuplexStream>) {
        let (server, client) = tokio::io::duplex(capacity);
        let kick = Arc::new(Notify::new());
        let (outlet, writer) = Outlet::new(Box::new(server), limit, patience, kick.clone());
        tokio::spawn(writer);
        let client = WebSocketStream::from_raw_socket(client, Role::Client, None).await;
        (outlet, kick, client)
    }

    /// The next message the client reads, but pings.
    async fn next(client: &mut WebSocketStream<DuplexStream>) -> Message {
        loop {
            let m = tokio::time::timeout(Duration::from_secs(5), client.next())
                .await
                .expect("a frame in time")
                .expect("the connection open")
                .expect("a well-formed frame");
            if !matches!(m, Message::Ping(_)) {
                return m;
            }
        }
    }

    /// The client reads a goodbye with `code`, then a close frame with
    /// `close`.
    async fn goodbye_then_close(
        client: &mut WebSocketStream<DuplexStream>,
        code: GoodbyeCode,
        close: u16,
    ) {
        let bye: ServerMsg = serde_json::from_str(&text(next(client).await)).unwrap();
        assert!(
            matches!(&bye, ServerMsg::Goodbye { code: Some(c), .. } if *c == code),
            "{bye:?}"
        );
        match next(client).await {
            Message::Close(Some(c)) => assert_eq!(u16::from(c.code), close),
            other => panic!("expected the close frame, got {other:?}"),
        }
    }

    /// The connection ends (its writer rings `kick`) within 2 s.
    async fn ended(kick: &Notify) {
        tokio::time::timeout(Duration::from_secs(2), kick.notified())
            .await
            .expect("the connection ended");
    }

    fn text(m: Message) -> String {
        match m {
            Message::Text(t) => t.to_string(),
            other => panic!("expected a text frame, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn frames_added_together_are_written_at_once_in_order() {
        let (outlet, _kick, mut client) = pipe(1 << 16, 8, Duration::from_secs(5)).await;
        let body: Arc<str> = Arc::from(r#"{"kind":"x"}"#);
        assert!(outlet.add_event(7, &body));
        assert!(outlet.add_text("answer".into()));
        assert!(outlet.add_event(8, &body));
        outlet.flush();
        // Written by the flush itself (the writer task was never needed).
        assert_eq!(outlet.lock().out.buffered(), 0);
        assert!(!outlet.lock().full);
        assert_eq!(
            text(next(&mut client).await),
            protocol::encode_event_frame(
                7,
                &serde_json::value::to_raw_value(&serde_json::json!({"kind":"x"})).unwrap()
            )
        );
        assert_eq!(text(next(&mut client).await), "answer");
        assert!(text(next(&mut client).await).contains(r#""seq":8"#));
    }

    #[tokio::test]
    async fn a_full_socket_leaves_the_rest_to_the_writer_in_the_same_order() {
        // 64 bytes of pipe: most of the 200 frames wait for the client.
        let (outlet, _kick, mut client) = pipe(64, 1_000, Duration::from_secs(5)).await;
        for i in 0..200 {
            assert!(outlet.send_text(format!("line {i}").into()));
        }
        assert!(outlet.lock().full, "the pipe should have filled");
        for i in 0..200 {
            assert_eq!(text(next(&mut client).await), format!("line {i}"));
        }
        // Once the writer has caught up, writes are immediate again.
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!outlet.lock().full);
        assert!(outlet.send_text("after".into()));
        assert_eq!(outlet.lock().out.buffered(), 0);
        assert_eq!(text(next(&mut client).await), "after");
    }

    #[tokio::test]
    async fn a_connection_with_too_much_waiting_refuses_more() {
        let (outlet, _kick, _client) = pipe(16, 5, Duration::from_secs(5)).await;
        let accepted = (0..20)
            .take_while(|i| outlet.send_text(format!("frame number {i}").into()))
            .count();
        // The first write took part of one frame; five may wait.
        assert!((5..=6).contains(&accepted), "accepted {accepted}");
        assert!(!outlet.add_text("more".into()));
        assert!(
            !outlet.is_closed(),
            "refusing is the room's cue, not a close"
        );
    }

    #[tokio::test]
    async fn pings_from_a_client_that_does_not_read_do_not_pile_up_answers() {
        let (outlet, _kick, _client) = pipe(16, 5, Duration::from_secs(5)).await;
        for _ in 0..10_000 {
            outlet.send_control(OpCode::Pong, &[7; 125]);
        }
        // At most the limit's worth of answers waits (each 127 bytes).
        assert!(outlet.lock().out.buffered() <= 6 * 127, "{outlet:?}");
    }

    #[tokio::test]
    async fn a_socket_that_takes_nothing_ends_the_connection_after_the_patience() {
        let (outlet, kick, _client) = pipe(16, 100, Duration::from_secs(1)).await;
        let started = Instant::now();
        outlet.send_text("x".repeat(100).into());
        tokio::time::timeout(Duration::from_secs(4), kick.notified())
            .await
            .expect("the connection ended");
        assert!(started.elapsed() >= Duration::from_secs(1));
        assert!(outlet.is_closed());
        assert!(!outlet.add_text("late".into()));
    }

    #[tokio::test]
    async fn a_client_that_stops_answering_pings_is_told_goodbye_and_cut() {
        let (outlet, kick, mut client) = pipe(1 << 16, 100, Duration::from_secs(1)).await;
        // A client that answers: never cut.
        outlet.send_text("one".into());
        let ping = loop {
            match client.next().await.unwrap().unwrap() {
                Message::Ping(p) => break p,
                other => assert_eq!(other, Message::Text("one".into())),
            }
        };
        outlet.pong(&ping);
        tokio::time::sleep(Duration::from_millis(1_100)).await;
        outlet.send_text("two".into());
        assert!(!outlet.is_closed());
        assert_eq!(text(next(&mut client).await), "two");
        // This time the ping sent with "two" goes unanswered: the sweep
        // does nothing before its time, then cuts.
        let probes = Probes::default();
        probes.watch(&outlet);
        outlet.add_text("three".into());
        probes.sweep(Instant::now());
        assert!(!outlet.is_closed());
        probes.sweep(Instant::now() + Duration::from_millis(1_100));
        assert!(outlet.is_closed());
        assert!(!outlet.add_text("four".into()));
        // What was added goes first (a client that reads again misses
        // nothing), then the goodbye.
        assert_eq!(text(next(&mut client).await), "three");
        goodbye_then_close(&mut client, GoodbyeCode::TooSlow, 1008).await;
        ended(&kick).await;
        // Once ended, the sweep forgets it.
        probes.sweep(Instant::now());
        assert!(probes.lock().is_empty());
    }

    #[tokio::test]
    async fn a_close_comes_after_what_waits_and_nothing_comes_after_it() {
        let (outlet, kick, mut client) = pipe(1 << 16, 100, Duration::from_secs(5)).await;
        assert!(outlet.add_text("queued".into()));
        outlet.close("The host removed you from the game.", GoodbyeCode::Kicked);
        assert!(!outlet.add_text("after".into()));
        assert_eq!(text(next(&mut client).await), "queued");
        goodbye_then_close(&mut client, GoodbyeCode::Kicked, 1000).await;
        ended(&kick).await;
    }
}
