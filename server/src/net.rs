//! The TCP side of the server: which connections are accepted and how long
//! they may take to say what they want.
//!
//! - [`GuardedListener`]: at most `max_connections_per_address` open
//!   connections from one address (a refusal is logged, at most every few
//!   seconds); a connection has `http_timeout_secs` to send its HTTP request
//!   (and, between keep-alive requests, to send the next one) until it is
//!   upgraded to a WebSocket, after which the WebSocket's own deadlines
//!   apply.
//! - Every connection is closed gracefully: the write side is shut (FIN,
//!   after everything already sent) and what the peer still sends is read
//!   and discarded for a moment, so the kernel never answers with a reset
//!   that would throw away what the peer has not read yet.
//! - [`Peers`]: the addresses of the other server processes of a cluster
//!   (from the database's `nodes` table) and of any configured `--peer`
//!   (a load balancer in front). A peer's connections carry many students,
//!   so the per-address cap does not count them (the global
//!   `--max-connections` still does), and each of its connections gets a
//!   rate limit of its own instead of sharing its address's. Only the TCP
//!   source address is trusted: nothing a client writes (`X-Forwarded-For`,
//!   its `hello`) makes it a peer.
//! - [`raise_open_file_limit`]: each connection costs a file descriptor;
//!   the common default of 1,024 is raised at start where the system
//!   allows.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::{Instant, Sleep};
use tracing::{debug, error, info, warn};

/// How long a closed connection's unread input is drained before the
/// socket is released.
const LINGER: Duration = Duration::from_secs(2);

/// Open connections per peer address.
#[derive(Debug, Default)]
struct PerAddress {
    open: Mutex<HashMap<IpAddr, usize>>,
    /// Connections refused since the last warning, and when it was.
    refused: AtomicU64,
    last_warning_ms: AtomicU64,
}

impl PerAddress {
    fn admit(self: &Arc<Self>, ip: IpAddr, max: usize) -> Option<Slot> {
        let mut open = self.open.lock().expect("address table lock");
        let n = open.entry(ip).or_insert(0);
        if *n >= max {
            return None;
        }
        *n += 1;
        Some(Slot {
            table: self.clone(),
            ip,
        })
    }

    fn warn_refused(&self, ip: IpAddr, max: usize) {
        let refused = self.refused.fetch_add(1, Ordering::Relaxed) + 1;
        let now = crate::room::now_ms();
        let last = self.last_warning_ms.load(Ordering::Relaxed);
        if now.saturating_sub(last) >= 5_000
            && self
                .last_warning_ms
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            self.refused.store(0, Ordering::Relaxed);
            warn!(
                address = %ip,
                refused,
                "refused connections: this address already has {max} open (--max-connections-per-address)"
            );
        }
    }
}

/// The addresses whose connections are exempt from the per-address limits
/// (see the module's documentation).
#[derive(Debug, Default)]
pub struct Peers {
    set: std::sync::RwLock<HashSet<IpAddr>>,
    /// Asked when an address is refused: the table is read again (a peer
    /// that has just started may not be known yet).
    wanted: tokio::sync::Notify,
}

impl Peers {
    /// Whether `ip` is a peer.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let set = self.set.read().unwrap_or_else(|e| e.into_inner());
        !set.is_empty() && set.contains(&ip.to_canonical())
    }

    /// Replace the set; whether it changed.
    pub fn replace(&self, ips: HashSet<IpAddr>) -> bool {
        let ips: HashSet<IpAddr> = ips.into_iter().map(|ip| ip.to_canonical()).collect();
        let mut set = self.set.write().unwrap_or_else(|e| e.into_inner());
        if *set == ips {
            return false;
        }
        *set = ips;
        true
    }

    /// The peers, sorted (for logs).
    pub fn list(&self) -> Vec<IpAddr> {
        let mut v: Vec<IpAddr> = self
            .set
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .copied()
            .collect();
        v.sort();
        v
    }

    /// Ask for the peers to be read again soon.
    pub fn ask_refresh(&self) {
        self.wanted.notify_one();
    }

    /// Wait until someone asks for a refresh.
    pub async fn refresh_asked(&self) {
        self.wanted.notified().await;
    }
}

/// The IP addresses of `addrs`, each a `ws://HOST:PORT/…` URL, a
/// `HOST:PORT` or a `HOST` (names are looked up; one that does not resolve
/// is logged and skipped).
pub async fn resolve(addrs: &[String]) -> HashSet<IpAddr> {
    let mut out = HashSet::new();
    for given in addrs {
        let a = given.trim();
        let a = a
            .strip_prefix("ws://")
            .or_else(|| a.strip_prefix("wss://"))
            .or_else(|| a.strip_prefix("http://"))
            .or_else(|| a.strip_prefix("https://"))
            .unwrap_or(a);
        let a = a.split('/').next().unwrap_or(a);
        if let Ok(sock) = a.parse::<SocketAddr>() {
            out.insert(sock.ip());
            continue;
        }
        if let Ok(ip) = a.trim_matches(|c| c == '[' || c == ']').parse::<IpAddr>() {
            out.insert(ip);
            continue;
        }
        let query = if a.contains(':') {
            a.to_string()
        } else {
            format!("{a}:0")
        };
        match tokio::time::timeout(Duration::from_secs(5), tokio::net::lookup_host(query)).await {
            Ok(Ok(found)) => out.extend(found.map(|s| s.ip())),
            Ok(Err(e)) => warn!(peer = %given, "cannot resolve a peer's address: {e}"),
            Err(_) => warn!(peer = %given, "cannot resolve a peer's address: timed out"),
        }
    }
    out
}

/// One admitted connection's place in the per-address count.
#[derive(Debug)]
struct Slot {
    table: Arc<PerAddress>,
    ip: IpAddr,
}

impl Drop for Slot {
    fn drop(&mut self) {
        if let Ok(mut open) = self.table.open.lock() {
            if let Some(n) = open.get_mut(&self.ip) {
                *n -= 1;
                if *n == 0 {
                    open.remove(&self.ip);
                }
            }
        }
    }
}

/// A TCP listener that admits at most `per_address` connections per peer
/// address and gives each `http_timeout` to make its request.
pub struct GuardedListener {
    inner: TcpListener,
    table: Arc<PerAddress>,
    per_address: usize,
    http_timeout: Duration,
    peers: Arc<Peers>,
}

impl GuardedListener {
    pub fn new(
        inner: TcpListener,
        per_address: usize,
        http_timeout: Duration,
        peers: Arc<Peers>,
    ) -> Self {
        GuardedListener {
            inner,
            table: Arc::default(),
            per_address: per_address.max(1),
            http_timeout,
            peers,
        }
    }
}

impl axum::serve::Listener for GuardedListener {
    type Io = GuardedIo;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (GuardedIo, SocketAddr) {
        loop {
            let (tcp, addr) = match self.inner.accept().await {
                Ok(accepted) => accepted,
                Err(e) => {
                    if !matches!(
                        e.kind(),
                        io::ErrorKind::ConnectionRefused
                            | io::ErrorKind::ConnectionAborted
                            | io::ErrorKind::ConnectionReset
                    ) {
                        // Typically the open-file limit: wait for some
                        // connections to close.
                        error!("cannot accept a connection: {e}");
                        tokio::time::sleep(Duration::from_millis(200)).await;
                    }
                    continue;
                }
            };
            // A peer's connections carry many students: only the global
            // cap (counted per WebSocket, in the hub) bounds them.
            let cap = if self.peers.contains(addr.ip()) {
                usize::MAX
            } else {
                self.per_address
            };
            let Some(slot) = self.table.admit(addr.ip(), cap) else {
                self.table.warn_refused(addr.ip(), self.per_address);
                // Perhaps a peer that started a moment ago.
                self.peers.ask_refresh();
                drop(tcp);
                continue;
            };
            // Small frames (a chat line) must leave at once: without
            // TCP_NODELAY, Nagle's algorithm and delayed ACKs hold some
            // back for tens of ms.
            if let Err(e) = tcp.set_nodelay(true) {
                debug!("could not set TCP_NODELAY: {e}");
            }
            let io = GuardedIo {
                tcp: Some(tcp),
                slot: Some(slot),
                upgraded: Arc::new(AtomicBool::new(false)),
                http_timeout: self.http_timeout,
                deadline: Some(Box::pin(tokio::time::sleep(self.http_timeout))),
            };
            return (io, addr);
        }
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()
    }
}

/// An accepted connection: a TCP stream with its HTTP-phase deadline, its
/// place in the per-address count, and a graceful close on drop.
pub struct GuardedIo {
    tcp: Option<TcpStream>,
    slot: Option<Slot>,
    upgraded: Arc<AtomicBool>,
    http_timeout: Duration,
    /// Until the connection is upgraded: when it must have sent its
    /// (next) request. Pushed back by every response written. Dropped once
    /// upgraded: a timer left armed would keep the finished HTTP task
    /// (whose waker it holds) in memory until it fired.
    deadline: Option<Pin<Box<Sleep>>>,
}

/// What a request handler knows about its connection.
#[derive(Debug, Clone)]
pub struct Peer {
    pub addr: SocketAddr,
    upgraded: Arc<AtomicBool>,
}

impl Peer {
    /// The connection is a WebSocket now: the HTTP deadline no longer
    /// applies (the WebSocket's own do).
    pub fn mark_upgraded(&self) {
        self.upgraded.store(true, Ordering::Relaxed);
    }
}

impl axum::extract::connect_info::Connected<axum::serve::IncomingStream<'_, GuardedListener>>
    for Peer
{
    fn connect_info(stream: axum::serve::IncomingStream<'_, GuardedListener>) -> Self {
        Peer {
            addr: *stream.remote_addr(),
            upgraded: stream.io().upgraded.clone(),
        }
    }
}

impl GuardedIo {
    /// The stream's two halves, once the connection is a WebSocket: read
    /// and written apart, with no lock between them. The reading half
    /// keeps the connection's place in the per-address count and closes
    /// as gracefully as a `GuardedIo` (see its `Drop`); the writing half
    /// sends FIN when dropped, after what it wrote.
    pub fn into_split(mut self) -> Option<(GuardedRead, tokio::net::tcp::OwnedWriteHalf)> {
        let tcp = self.tcp.take()?;
        let (read, write) = tcp.into_split();
        Some((
            GuardedRead {
                read: Some(read),
                slot: self.slot.take(),
            },
            write,
        ))
    }

    fn tcp(&mut self) -> io::Result<&mut TcpStream> {
        self.tcp
            .as_mut()
            .ok_or_else(|| io::Error::from(io::ErrorKind::NotConnected))
    }
}

impl AsyncRead for GuardedIo {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if self.upgraded.load(Ordering::Relaxed) {
            self.deadline = None;
        } else if let Some(deadline) = self.deadline.as_mut() {
            if deadline.as_mut().poll(cx).is_ready() {
                debug!("closing a connection that sent no complete request in time");
                return Poll::Ready(Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "no request in time",
                )));
            }
        }
        let tcp = self.tcp()?;
        Pin::new(tcp).poll_read(cx, buf)
    }
}

impl AsyncWrite for GuardedIo {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let result = Pin::new(self.tcp()?).poll_write(cx, data);
        if matches!(result, Poll::Ready(Ok(n)) if n > 0) && !self.upgraded.load(Ordering::Relaxed) {
            // An answer went out: the client has the timeout again for its
            // next request on this connection.
            let next = Instant::now() + self.http_timeout;
            if let Some(deadline) = self.deadline.as_mut() {
                deadline.as_mut().reset(next);
            }
        }
        result
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(self.tcp()?).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(self.tcp()?).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let result = Pin::new(self.tcp()?).poll_write_vectored(cx, bufs);
        if matches!(result, Poll::Ready(Ok(n)) if n > 0) && !self.upgraded.load(Ordering::Relaxed) {
            let next = Instant::now() + self.http_timeout;
            if let Some(deadline) = self.deadline.as_mut() {
                deadline.as_mut().reset(next);
            }
        }
        result
    }

    fn is_write_vectored(&self) -> bool {
        self.tcp.as_ref().is_some_and(|t| t.is_write_vectored())
    }
}

impl Drop for GuardedIo {
    fn drop(&mut self) {
        let (Some(mut tcp), slot) = (self.tcp.take(), self.slot.take()) else {
            return;
        };
        // Closing a socket with unread input makes the kernel send a reset,
        // and a reset makes the peer's kernel discard what it received but
        // its program has not read yet (events, a goodbye). So: FIN after
        // what is queued, then read and discard until the peer closes too,
        // for a moment at most.
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        runtime.spawn(async move {
            let _ = tokio::time::timeout(LINGER, async {
                let _ = tcp.shutdown().await;
                discard_until_closed(&mut tcp).await;
            })
            .await;
            drop(tcp);
            drop(slot);
        });
    }
}

/// Read and discard what the peer still sends, until it closes.
async fn discard_until_closed(read: &mut (impl AsyncRead + Unpin)) {
    let mut sink = [0u8; 4096];
    while let Ok(n) = read.read(&mut sink).await {
        if n == 0 {
            break;
        }
    }
}

/// The reading half of an upgraded connection (see
/// [`GuardedIo::into_split`]).
pub struct GuardedRead {
    read: Option<tokio::net::tcp::OwnedReadHalf>,
    slot: Option<Slot>,
}

impl AsyncRead for GuardedRead {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.read.as_mut() {
            Some(read) => Pin::new(read).poll_read(cx, buf),
            None => Poll::Ready(Err(io::ErrorKind::NotConnected.into())),
        }
    }
}

impl Drop for GuardedRead {
    fn drop(&mut self) {
        let (Some(mut read), slot) = (self.read.take(), self.slot.take()) else {
            return;
        };
        // As `GuardedIo`'s: read and discard until the peer closes too
        // (the writing half sends FIN), for a moment at most, so that no
        // reset makes the client lose what it was sent.
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        runtime.spawn(async move {
            let _ = tokio::time::timeout(LINGER, discard_until_closed(&mut read)).await;
            drop(read);
            drop(slot);
        });
    }
}

/// Raise this process's soft limit on open files to its hard limit (each
/// connection is a file): the common default of 1,024 would otherwise stop
/// the server accepting anyone past about a thousand connections.
pub fn raise_open_file_limit() {
    #[cfg(unix)]
    {
        let before = rlimit::Resource::NOFILE.get().map(|(soft, _)| soft);
        match rlimit::increase_nofile_limit(1 << 20) {
            Ok(now) => match before {
                Ok(before) if now > before => {
                    info!("open-file limit raised from {before} to {now}")
                }
                _ => debug!("open-file limit: {now}"),
            },
            Err(e) => warn!(
                "could not raise the open-file limit ({e}); each connection needs one, so the server may refuse connections early"
            ),
        }
    }
}
