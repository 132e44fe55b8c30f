//! One WebSocket connection: the `hello` handshake, decoding requests,
//! routing them to the connection's room, and writing what the room sends.
//! Only this module, [`crate::frames`] and `protocol` know the bytes on the
//! wire.

use crate::config::{Bucket, BucketKey, RateBuckets, SharedBucket};
use crate::frames::{FrameReader, FrameWriter, Incoming, OpCode, ReadError};
use crate::hub::{normalize_code, split_token, Hub, Located};
use crate::outlet::Outlet;
use crate::room::{ConnLink, RoomHandle, RoomMsg};
use protocol::*;
use rand::Rng;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot, Notify};
use tracing::{debug, info, warn};

/// WebSocket close codes used (PROTOCOL.md lists them).
pub mod close {
    /// The server is going down.
    pub const GOING_AWAY: u16 = 1001;
    /// The frames broke the WebSocket protocol (e.g. unmasked, a bad
    /// opcode).
    pub const PROTOCOL_ERROR: u16 = 1002;
    /// A text frame that is not UTF-8.
    pub const INVALID_DATA: u16 = 1007;
    /// Rules of this server: no hello in time, too fast, too slow.
    pub const POLICY: u16 = 1008;
    /// A message larger than the server accepts.
    pub const TOO_BIG: u16 = 1009;
    /// The server has no room for another connection now.
    pub const TRY_AGAIN_LATER: u16 = 1013;
}

/// A read error that deserves a close frame saying what was wrong; `None`
/// for a connection that simply broke.
fn refusal_of(e: &ReadError, limits: &crate::config::Limits) -> Option<(u16, String)> {
    Some(match e {
        ReadError::TooBig => (
            close::TOO_BIG,
            format!(
                "A message may have at most {} bytes.",
                limits.max_message_bytes
            ),
        ),
        ReadError::NotUtf8 => (
            close::INVALID_DATA,
            "A text frame must be valid UTF-8.".into(),
        ),
        ReadError::Protocol(rule) => (
            close::PROTOCOL_ERROR,
            format!("WebSocket protocol error: {rule}."),
        ),
        ReadError::Io(_) => return None,
    })
}

/// The reading half of a connection's socket.
type ReadHalf = std::pin::Pin<Box<dyn tokio::io::AsyncRead + Send>>;

/// An upgraded connection's two halves, and the bytes the client sent
/// after its upgrade request that were read with it. Straight on the TCP
/// stream when the connection is the server's own (no lock between the
/// reading and the writing half, nor HTTP layers around each read and
/// write); through a split otherwise.
fn halves(
    upgraded: hyper::upgrade::Upgraded,
) -> (ReadHalf, crate::outlet::WriteHalf, bytes::Bytes) {
    use hyper_util::rt::TokioIo;
    match hyper_util::server::conn::auto::upgrade::downcast::<TokioIo<crate::net::GuardedIo>>(
        upgraded,
    ) {
        Ok(parts) => match parts.io.into_inner().into_split() {
            Some((read, write)) => (Box::pin(read), Box::new(write), parts.read_buf),
            // (Never: the stream is only taken when the socket closes.)
            None => (
                Box::pin(tokio::io::empty()),
                Box::new(tokio::io::sink()),
                bytes::Bytes::new(),
            ),
        },
        Err(upgraded) => {
            debug!("an upgraded connection of another kind: read and written through a split");
            let (read, write) = tokio::io::split(TokioIo::new(upgraded));
            (Box::pin(read), Box::new(write), bytes::Bytes::new())
        }
    }
}

/// Serve one upgraded WebSocket from `peer` until it closes or the server
/// stops.
pub async fn serve(upgraded: hyper::upgrade::Upgraded, hub: Arc<Hub>, peer: IpAddr) {
    let started = tokio::time::Instant::now();
    let limits = hub.config().limits.clone();
    let (read, write, early) = halves(upgraded);
    let mut stream = FrameReader::new(read, limits.max_message_bytes).with_bytes(&early);
    // (A slice of the HTTP layer's read buffer: kept, it would keep all
    // of it, for as long as the connection lasts.)
    drop(early);
    let Some(guard) = hub.open_connection() else {
        // Logged at most every few seconds, however many are refused.
        static LAST_WARNING_MS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let now = crate::room::now_ms();
        let last = LAST_WARNING_MS.load(std::sync::atomic::Ordering::Relaxed);
        if now.saturating_sub(last) >= 5_000 {
            LAST_WARNING_MS.store(now, std::sync::atomic::Ordering::Relaxed);
            warn!("refused connections: the server has its maximum of connections (--max-connections)");
        }
        let msg = ServerMsg::error(
            None,
            ErrorCode::Full,
            "The server has too many connections; try again in a minute.",
        );
        let mut out = FrameWriter::new(write);
        out.text(encode(&msg).into());
        out.close(
            close::TRY_AGAIN_LATER,
            "The server is full: try again in a minute.",
        );
        let _ = tokio::time::timeout(Duration::from_secs(1), out.flush()).await;
        return;
    };
    let limits = hub.config().limits.clone();
    let kick = Arc::new(Notify::new());
    // Everything this connection sends goes out through its outlet; its
    // writer task writes what the socket could not take at once.
    let (outlet, writer) = Outlet::new(
        write,
        limits.outbound_queue,
        Duration::from_secs(limits.slow_reader_secs.max(1)),
        kick.clone(),
    );
    let writer = tokio::spawn(writer);
    hub.probes.watch(&outlet);
    let link = ConnLink {
        id: guard.id,
        out: outlet,
        kick,
        seat_token: Default::default(),
        catalog_on_request: Default::default(),
    };

    // Connections from a peer (another server passing its clients along,
    // a load balancer) each get a bucket of their own: their address is
    // many students'.
    let from_peer = hub.peers().contains(peer);
    let address_bucket = || {
        if from_peer {
            Arc::new(std::sync::Mutex::new(crate::config::Bucket::new(
                limits.address_rate_per_sec,
                limits.address_rate_burst,
            )))
        } else {
            hub.rate_buckets.get(
                BucketKey::Address(peer),
                limits.address_rate_per_sec,
                limits.address_rate_burst,
            )
        }
    };
    let mut session = Session {
        hub: hub.clone(),
        link: link.clone(),
        greeted: false,
        room: None,
        bucket: address_bucket(),
        proxy: None,
        hop: false,
    };
    let mut shutdown = hub.shutdown_signal();
    // The hello deadline counts from the connection's start: pings or
    // other frames before it do not extend it.
    let hello_by = started + Duration::from_secs(limits.handshake_timeout_secs);
    let idle = Duration::from_secs(limits.idle_timeout_secs);
    let mut ping = tokio::time::interval(Duration::from_secs(limits.ping_interval_secs.max(1)));
    ping.tick().await;
    let mut last_heard = Instant::now();
    loop {
        let next = async {
            if session.greeted {
                Ok(stream.next().await)
            } else {
                tokio::time::timeout_at(hello_by, stream.next()).await
            }
        };
        tokio::select! {
            frame = next => {
                let frame = match frame {
                    Ok(Some(Ok(frame))) => frame,
                    Ok(Some(Err(e))) => {
                        // Refused by the WebSocket layer: say why with the
                        // close code that fits.
                        match refusal_of(&e, &limits) {
                            Some((close, reason)) => {
                                info!("closing a connection: {reason}");
                                session.cut(GoodbyeCode::ProtocolError, close, &reason);
                            }
                            None => debug!("a connection broke: {e}"),
                        }
                        break;
                    }
                    Ok(None) => break, // closed
                    Err(_) => {
                        session.reply(ServerMsg::error(None, ErrorCode::HelloRequired, "No hello within the time allowed."));
                        session.cut(
                            GoodbyeCode::ProtocolError,
                            close::POLICY,
                            &format!("No hello within {} s.", limits.handshake_timeout_secs),
                        );
                        break;
                    }
                };
                last_heard = Instant::now();
                if matches!(frame, Incoming::Text(_) | Incoming::Binary) {
                    let (allowed, strikes) = {
                        let mut b = session.bucket.lock().expect("rate bucket lock");
                        if b.limiter.allow(last_heard) {
                            // Refusals are forgiven one by one as the
                            // client slows down; a client that keeps
                            // flooding accumulates them and is closed.
                            b.strikes = b.strikes.saturating_sub(1);
                            (true, b.strikes)
                        } else {
                            b.strikes += 1;
                            (false, b.strikes)
                        }
                    };
                    if !allowed {
                        if strikes >= limits.rate_strikes {
                            warn!(address = %peer, "closing a connection that kept sending too fast");
                            session.cut(
                                GoodbyeCode::RateLimited,
                                close::POLICY,
                                "Too many requests: slow down, then reconnect.",
                            );
                            break;
                        }
                        let id = match &frame {
                            Incoming::Text(t) => request_id_of(t),
                            _ => None,
                        };
                        session.reply(ServerMsg::error(id, ErrorCode::RateLimited, "Too many requests: wait a moment and try again."));
                        continue;
                    }
                }
                match frame {
                    Incoming::Text(text) => {
                        // Boxed: handling a request (joining, routing to
                        // another process…) is a deep chain of futures
                        // that lives only while it runs; inline it would
                        // make every idle connection's task as large as
                        // the largest of them.
                        if !Box::pin(session.on_text(&text)).await {
                            break;
                        }
                    }
                    Incoming::Binary => session.reply(ServerMsg::error(
                        None,
                        ErrorCode::BadRequest,
                        "Binary frames are not part of the protocol: send JSON text frames.",
                    )),
                    Incoming::Close => break,
                    Incoming::Pong(payload) => link.out.pong(&payload),
                    Incoming::Ping(payload) => link.out.send_control(OpCode::Pong, &payload),
                }
            }
            _ = ping.tick() => {
                if last_heard.elapsed() > idle {
                    debug!("closing an idle connection");
                    session.cut(
                        GoodbyeCode::Idle,
                        close::GOING_AWAY,
                        "No sign of life from your side: reconnect to continue.",
                    );
                    break;
                }
                link.out.send_control(OpCode::Ping, &[]);
            }
            _ = link.kick.notified() => break,
            _ = shutdown.changed() => {
                session.cut(GoodbyeCode::ShuttingDown, close::GOING_AWAY, "The server is shutting down.");
                break;
            }
        }
    }
    if let Some(room) = session.room.take() {
        room.send(RoomMsg::Detach { conn_id: link.id }).await;
    }
    drop(session);
    // What waits, then the close frame (after a cut's goodbye, nothing
    // more); every write has a deadline, so this never hangs.
    link.out.finish();
    drop(link);
    let _ = writer.await;
    drop(stream);
    drop(guard);
}

struct Session {
    hub: Arc<Hub>,
    link: ConnLink,
    greeted: bool,
    /// The game this connection is attached to, once it has joined.
    room: Option<RoomHandle>,
    /// The rate limit this connection draws on: its address's until it
    /// has a seat, then the seat's.
    bucket: SharedBucket,
    /// When the game runs on another server process: the client's frames
    /// go there (see [`crate::proxy`]).
    proxy: Option<mpsc::Sender<String>>,
    /// This connection is itself a proxy's (from another server process):
    /// it is never proxied further.
    hop: bool,
}

impl Session {
    fn reply(&self, msg: ServerMsg) {
        self.link.out.send_text(encode(&msg).into());
    }

    /// Close the connection for cause: `goodbye` with `code`, then a
    /// close frame with `close` and the same sentence.
    fn cut(&mut self, code: GoodbyeCode, close: u16, reason: &str) {
        self.link.out.close_with(reason, code, close);
    }

    /// The connection has a seat now (`token`; a spectator has none):
    /// from here on it draws on the seat's rate limit.
    fn seated(&mut self, token: Option<&str>) {
        let limits = &self.hub.config().limits;
        self.bucket = match token {
            Some(token) => self.hub.rate_buckets.get(
                RateBuckets::seat_key(token),
                limits.rate_per_sec,
                limits.rate_burst,
            ),
            None => Arc::new(std::sync::Mutex::new(Bucket::new(
                limits.rate_per_sec,
                limits.rate_burst,
            ))),
        };
    }

    /// Handle one text frame; false to close the connection.
    async fn on_text(&mut self, text: &str) -> bool {
        let msg: ClientMsg = match serde_json::from_str(text) {
            Ok(m) => m,
            Err(e) => {
                self.reply(ServerMsg::error(
                    request_id_of(text),
                    ErrorCode::BadRequest,
                    describe_json_error(&e),
                ));
                return true;
            }
        };
        let ClientMsg { id, request } = msg;
        if !self.greeted {
            return match request {
                ClientRequest::Hello {
                    protocol_version,
                    client,
                    catalog_on_request,
                } if protocol_version == PROTOCOL_VERSION => {
                    debug!(client = client.as_deref().unwrap_or("unknown"), "hello");
                    self.greeted = true;
                    self.link
                        .catalog_on_request
                        .store(catalog_on_request, std::sync::atomic::Ordering::Relaxed);
                    self.hop = client.as_deref() == Some(crate::proxy::PROXY_CLIENT);
                    self.reply(ServerMsg::Welcome {
                        id,
                        server_version: env!("CARGO_PKG_VERSION").to_string(),
                        protocol_version: PROTOCOL_VERSION,
                    });
                    true
                }
                ClientRequest::Hello {
                    protocol_version, ..
                } => {
                    self.reply(ServerMsg::error(
                        id,
                        ErrorCode::VersionMismatch,
                        format!("This server speaks protocol version {PROTOCOL_VERSION}, not {protocol_version}: update your client."),
                    ));
                    self.cut(
                        GoodbyeCode::ProtocolError,
                        close::POLICY,
                        "Protocol version mismatch.",
                    );
                    false
                }
                _ => {
                    self.reply(ServerMsg::error(
                        id,
                        ErrorCode::HelloRequired,
                        "Say hello first: {\"type\":\"hello\",\"protocol_version\":1}.",
                    ));
                    true
                }
            };
        }
        if let Some(proxy) = &self.proxy {
            if proxy.try_send(text.to_string()).is_err() {
                self.close_to_reconnect(
                    "The connection to the game's server was lost: reconnecting.",
                );
                return false;
            }
            return true;
        }
        if let Some(room) = &self.room {
            let room = room.clone();
            if !room
                .send(RoomMsg::Request {
                    conn_id: self.link.id,
                    id: id.clone(),
                    request,
                })
                .await
            {
                self.reply(ServerMsg::error(
                    id,
                    ErrorCode::ShuttingDown,
                    "This game has closed.",
                ));
                return false;
            }
            return true;
        }
        self.lobby(id, request, text).await;
        true
    }

    /// Close with a goodbye that tells the client to reconnect and resume.
    fn close_to_reconnect(&self, reason: &str) {
        self.link.out.close(reason, GoodbyeCode::ShuttingDown);
        self.link.kick.notify_one();
    }

    /// Requests before the connection is in a game.
    async fn lobby(&mut self, id: Option<RequestId>, request: ClientRequest, raw: &str) {
        match request {
            ClientRequest::Hello { .. } => self.reply(ServerMsg::Welcome {
                id,
                server_version: env!("CARGO_PKG_VERSION").to_string(),
                protocol_version: PROTOCOL_VERSION,
            }),
            ClientRequest::Ping => self.reply(ServerMsg::Pong { id }),
            ClientRequest::CreateGame {
                scenario,
                preset,
                timers,
                faction_choice,
                characters,
                seed,
            } => {
                let Some(sc) = self.hub.scenario(scenario.as_deref()) else {
                    self.reply(ServerMsg::error(
                        id,
                        ErrorCode::InvalidSettings,
                        format!(
                            "No scenario called {:?} is loaded on this server.",
                            scenario.unwrap_or_default()
                        ),
                    ));
                    return;
                };
                let timers = timers.unwrap_or_else(|| sc.timers(preset));
                let max = self.hub.config().limits.max_phase_secs;
                if let Err(r) = engine::request::check_timers(&timers, max) {
                    self.reply(ServerMsg::error(id, r.code, r.message));
                    return;
                }
                let settings = GameSettings {
                    scenario: sc.id.clone(),
                    timers,
                    faction_choice,
                    characters,
                };
                let seed = seed.unwrap_or_else(|| rand::rng().random());
                match self.hub.create_game(sc, settings, seed).await {
                    Ok((room, token)) => {
                        self.seated(Some(&token));
                        room.send(RoomMsg::AttachHost {
                            conn: self.link.clone(),
                            id,
                            token,
                        })
                        .await;
                        self.room = Some(room);
                    }
                    Err(refusal) => self.reply(ServerMsg::error(id, refusal.code, refusal.message)),
                }
            }
            ClientRequest::JoinGame {
                code,
                name,
                faction,
            } => {
                let Some(room) = self.find_room(&id, &code, raw).await else {
                    return;
                };
                let (reply, ok) = oneshot::channel();
                let msg = RoomMsg::Join {
                    conn: self.link.clone(),
                    id,
                    name,
                    faction,
                    reply,
                };
                if self.attach(room, msg, ok).await {
                    let token = self.link.seat_token.get().cloned();
                    self.seated(token.as_deref());
                }
            }
            ClientRequest::Spectate { code, last_seq } => {
                let Some(room) = self.find_room(&id, &code, raw).await else {
                    return;
                };
                let (reply, ok) = oneshot::channel();
                let msg = RoomMsg::Spectate {
                    conn: self.link.clone(),
                    id,
                    last_seq,
                    reply,
                };
                if self.attach(room, msg, ok).await {
                    self.seated(None);
                }
            }
            ClientRequest::Resume { token, last_seq } => {
                let Some((code, secret)) = split_token(&token) else {
                    self.reply(ServerMsg::error(
                        id,
                        ErrorCode::InvalidToken,
                        "That is not a token this server gave out.",
                    ));
                    return;
                };
                let Some(room) = self
                    .route(&id, code, raw, || {
                        ServerMsg::error(
                            id.clone(),
                            ErrorCode::InvalidToken,
                            "That token's game is not on this server.",
                        )
                    })
                    .await
                else {
                    return;
                };
                let (reply, ok) = oneshot::channel();
                let msg = RoomMsg::Resume {
                    conn: self.link.clone(),
                    id,
                    secret: secret.to_string(),
                    last_seq,
                    reply,
                };
                if self.attach(room, msg, ok).await {
                    self.seated(Some(&token));
                }
            }
            other => self.reply(ServerMsg::error(
                id,
                ErrorCode::NotJoined,
                format!(
                    "{} needs a game: create_game, join_game, spectate or resume first.",
                    other.kind()
                ),
            )),
        }
    }

    async fn find_room(
        &mut self,
        id: &Option<RequestId>,
        code: &str,
        raw: &str,
    ) -> Option<RoomHandle> {
        self.route(id, code, raw, || {
            ServerMsg::error(
                id.clone(),
                ErrorCode::UnknownGame,
                format!(
                    "No game has the code {}: check it with your teacher.",
                    normalize_code(code)
                ),
            )
        })
        .await
    }

    /// The room of a game run by this process. A game another server
    /// process runs is proxied there (with `raw`, the client's request) and
    /// `None` returned; so is `None` after answering `missing()` when there
    /// is no such game.
    async fn route(
        &mut self,
        id: &Option<RequestId>,
        code: &str,
        raw: &str,
        missing: impl FnOnce() -> ServerMsg,
    ) -> Option<RoomHandle> {
        match self.hub.locate(code).await {
            Located::Here(room) => Some(room),
            Located::Nowhere => {
                self.reply(missing());
                None
            }
            Located::There(addr) if !self.hop => {
                match crate::proxy::open(&addr, raw, self.link.clone(), self.hub.source_ip()).await
                {
                    Ok(tx) => {
                        debug!(game = %normalize_code(code), owner = %addr, "connection proxied to the game's server");
                        self.proxy = Some(tx);
                    }
                    Err(e) => {
                        warn!(game = %normalize_code(code), owner = %addr, "cannot reach the server that runs this game: {e}");
                        self.moving(id);
                    }
                }
                None
            }
            Located::There(_) | Located::Unavailable => {
                self.moving(id);
                None
            }
        }
    }

    /// The game is between two server processes (its owner just died or
    /// cannot be reached): the client reconnects with backoff and resumes.
    fn moving(&self, id: &Option<RequestId>) {
        self.reply(ServerMsg::error(
            id.clone(),
            ErrorCode::ShuttingDown,
            "This game is moving to another server: try again in a moment.",
        ));
        self.close_to_reconnect("This game is moving to another server: reconnecting.");
    }

    /// Whether the room took the connection.
    async fn attach(
        &mut self,
        room: RoomHandle,
        msg: RoomMsg,
        ok: oneshot::Receiver<bool>,
    ) -> bool {
        if room.send(msg).await && ok.await.unwrap_or(false) {
            self.room = Some(room);
            return true;
        }
        false
    }
}

/// The `id` of a request that failed to decode, if it has one, so the
/// error can still be matched to it.
/// An id over the length limit is not echoed.
fn request_id_of(text: &str) -> Option<RequestId> {
    #[derive(serde::Deserialize)]
    struct IdOnly {
        id: Option<RequestId>,
    }
    serde_json::from_str::<IdOnly>(text)
        .ok()
        .and_then(|m| m.id)
        .filter(RequestId::within_limit)
}

fn describe_json_error(e: &serde_json::Error) -> String {
    use serde_json::error::Category;
    match e.classify() {
        Category::Syntax | Category::Eof => format!("That is not valid JSON ({e})."),
        Category::Data => format!("That message is not a valid request: {e}."),
        Category::Io => "The message could not be read.".to_string(),
    }
}
