//! One WebSocket connection: the `hello` handshake, decoding requests,
//! routing them to the connection's room, and writing what the room sends.
//! Only this module and `protocol` know the bytes on the wire.

use crate::config::RateLimiter;
use crate::hub::{normalize_code, split_token, Hub};
use crate::room::{ConnLink, Outbound, RoomHandle, RoomMsg};
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket};
use futures_util::{SinkExt, StreamExt};
use protocol::*;
use rand::Rng;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot, Notify};
use tracing::{debug, warn};

/// Serve one upgraded WebSocket until it closes or the server stops.
pub async fn serve(socket: WebSocket, hub: Arc<Hub>) {
    let (mut sink, mut stream) = socket.split();
    let Some(guard) = hub.open_connection() else {
        let msg = ServerMsg::error(
            None,
            ErrorCode::Full,
            "The server has too many connections; try again in a minute.",
        );
        let _ = sink.send(Message::Text(encode(&msg).into())).await;
        let _ = sink.close().await;
        return;
    };
    let limits = hub.config().limits.clone();
    let (tx, mut rx) = mpsc::channel::<Outbound>(limits.outbound_queue);
    let link = ConnLink {
        id: guard.id,
        tx,
        kick: Arc::new(Notify::new()),
    };

    // The writer: everything this connection sends goes through its queue.
    let writer = tokio::spawn(async move {
        while let Some(out) = rx.recv().await {
            let result = match out {
                Outbound::Text(text) => sink.send(Message::Text(Utf8Bytes::from(&*text))).await,
                Outbound::Ping => sink.send(Message::Ping(Default::default())).await,
                Outbound::Close(reason, code) => {
                    let bye = encode(&ServerMsg::Goodbye {
                        reason: reason.clone(),
                        code: Some(code),
                    });
                    let _ = sink.send(Message::Text(bye.into())).await;
                    let _ = sink
                        .send(Message::Close(Some(CloseFrame {
                            code: 1001,
                            reason: Utf8Bytes::from("going away"),
                        })))
                        .await;
                    break;
                }
            };
            if let Err(e) = result {
                debug!("a connection's write failed: {e}");
                break;
            }
        }
    });

    let mut session = Session {
        hub: hub.clone(),
        link: link.clone(),
        greeted: false,
        room: None,
    };
    let mut shutdown = hub.shutdown_signal();
    let handshake = Duration::from_secs(limits.handshake_timeout_secs);
    let idle = Duration::from_secs(limits.idle_timeout_secs);
    let mut ping = tokio::time::interval(Duration::from_secs(limits.ping_interval_secs.max(1)));
    ping.tick().await;
    let mut last_heard = Instant::now();
    let mut limiter = RateLimiter::new(limits.rate_per_sec, limits.rate_burst);
    let mut strikes = 0u32;
    loop {
        let next = async {
            if session.greeted {
                Ok(stream.next().await)
            } else {
                tokio::time::timeout(handshake, stream.next()).await
            }
        };
        tokio::select! {
            frame = next => {
                let frame = match frame {
                    Ok(Some(Ok(frame))) => frame,
                    Ok(_) => break, // closed or broken
                    Err(_) => {
                        session.reply(ServerMsg::error(None, ErrorCode::HelloRequired, "No hello within the time allowed."));
                        session.close("No hello within the time allowed.");
                        break;
                    }
                };
                last_heard = Instant::now();
                if matches!(frame, Message::Text(_) | Message::Binary(_)) && !limiter.allow(last_heard) {
                    strikes += 1;
                    if strikes >= limits.rate_strikes {
                        warn!("closing a connection that kept sending too fast");
                        session.close("Too many requests: slow down and reconnect.");
                        break;
                    }
                    let id = match &frame {
                        Message::Text(t) => request_id_of(t.as_str()),
                        _ => None,
                    };
                    session.reply(ServerMsg::error(id, ErrorCode::RateLimited, "Too many requests: wait a moment and try again."));
                    continue;
                }
                match frame {
                    Message::Text(text) => {
                        // Refusals are forgiven one by one as the client
                        // slows down; a client that keeps flooding
                        // accumulates them and is closed.
                        strikes = strikes.saturating_sub(1);
                        if !session.on_text(text.as_str()).await {
                            break;
                        }
                    }
                    Message::Binary(_) => session.reply(ServerMsg::error(
                        None,
                        ErrorCode::BadRequest,
                        "Binary frames are not part of the protocol: send JSON text frames.",
                    )),
                    Message::Close(_) => break,
                    Message::Ping(_) | Message::Pong(_) => {}
                }
            }
            _ = ping.tick() => {
                if last_heard.elapsed() > idle {
                    debug!("closing an idle connection");
                    session.close("No sign of life from your side: reconnect to continue.");
                    break;
                }
                let _ = link.tx.try_send(Outbound::Ping);
            }
            _ = link.kick.notified() => break,
            _ = shutdown.changed() => {
                session.close("The server is shutting down.");
                break;
            }
        }
    }
    if let Some(room) = session.room.take() {
        room.send(RoomMsg::Detach { conn_id: link.id }).await;
    }
    session.close("Connection closed.");
    drop(session);
    drop(link);
    let _ = writer.await;
    drop(guard);
}

struct Session {
    hub: Arc<Hub>,
    link: ConnLink,
    greeted: bool,
    /// The game this connection is attached to, once it has joined.
    room: Option<RoomHandle>,
}

impl Session {
    fn reply(&self, msg: ServerMsg) {
        let _ = self.link.tx.try_send(Outbound::Text(encode(&msg).into()));
    }

    fn close(&self, reason: &str) {
        let _ = self.link.tx.try_send(Outbound::Close(
            reason.to_string(),
            GoodbyeCode::ProtocolError,
        ));
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
                } if protocol_version == PROTOCOL_VERSION => {
                    debug!(client = client.as_deref().unwrap_or("unknown"), "hello");
                    self.greeted = true;
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
                    self.close("Protocol version mismatch.");
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
        self.lobby(id, request).await;
        true
    }

    /// Requests before the connection is in a game.
    async fn lobby(&mut self, id: Option<RequestId>, request: ClientRequest) {
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
                let Some(room) = self.find_room(&id, &code).await else {
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
                self.attach(room, msg, ok).await;
            }
            ClientRequest::Spectate { code } => {
                let Some(room) = self.find_room(&id, &code).await else {
                    return;
                };
                let (reply, ok) = oneshot::channel();
                let msg = RoomMsg::Spectate {
                    conn: self.link.clone(),
                    id,
                    reply,
                };
                self.attach(room, msg, ok).await;
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
                let Some(room) = self.hub.room(code).await else {
                    self.reply(ServerMsg::error(
                        id,
                        ErrorCode::InvalidToken,
                        "That token's game is not on this server.",
                    ));
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
                self.attach(room, msg, ok).await;
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

    async fn find_room(&self, id: &Option<RequestId>, code: &str) -> Option<RoomHandle> {
        let room = self.hub.room(code).await;
        if room.is_none() {
            self.reply(ServerMsg::error(
                id.clone(),
                ErrorCode::UnknownGame,
                format!(
                    "No game has the code {}: check it with your teacher.",
                    normalize_code(code)
                ),
            ));
        }
        room
    }

    async fn attach(&mut self, room: RoomHandle, msg: RoomMsg, ok: oneshot::Receiver<bool>) {
        if room.send(msg).await && ok.await.unwrap_or(false) {
            self.room = Some(room);
        }
    }
}

/// The `id` of a request that failed to decode, if it has one, so the
/// error can still be matched to it.
fn request_id_of(text: &str) -> Option<RequestId> {
    #[derive(serde::Deserialize)]
    struct IdOnly {
        id: Option<RequestId>,
    }
    serde_json::from_str::<IdOnly>(text).ok().and_then(|m| m.id)
}

fn describe_json_error(e: &serde_json::Error) -> String {
    use serde_json::error::Category;
    match e.classify() {
        Category::Syntax | Category::Eof => format!("That is not valid JSON ({e})."),
        Category::Data => format!("That message is not a valid request: {e}."),
        Category::Io => "The message could not be read.".to_string(),
    }
}
