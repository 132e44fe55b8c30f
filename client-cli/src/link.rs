//! The connection to the server, kept alive on its own.
//!
//! [`Link::start`] spawns a task that owns the WebSocket. It says `hello`,
//! passes requests out and messages in, and when the connection drops it
//! reconnects with backoff and `resume`s with the token and the last `seq` it
//! saw, then resends every request that had not been answered (with the
//! same `id`, so the server applies it once). The user retypes nothing.

use futures_util::{SinkExt, StreamExt};
use protocol::*;
use std::collections::BTreeMap;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;

/// What the link reports to the client.
#[derive(Debug)]
pub enum LinkEvent {
    /// Connected (again). `resumed` when it reattached to a game.
    Connected { resumed: bool },
    /// A message from the server.
    Msg(ServerMsg),
    /// The connection is gone; the link is trying again.
    Lost { reason: String },
    /// The link cannot go on (e.g. the token was refused after a restart).
    Fatal { reason: String },
    /// The server said goodbye for good (this seat was taken by a newer
    /// connection, the player was removed, the game was deleted): the
    /// goodbye itself came as a message just before; do not reconnect.
    Ended,
}

/// The client's handle on the link.
pub struct Link {
    requests: mpsc::UnboundedSender<ClientMsg>,
    pub events: mpsc::UnboundedReceiver<LinkEvent>,
    next_id: u64,
}

/// The id the link uses for its own `resume` requests.
const RESUME_ID: &str = "resume";

impl Link {
    pub fn start(url: String, client: String) -> Link {
        let (req_tx, req_rx) = mpsc::unbounded_channel();
        let (ev_tx, ev_rx) = mpsc::unbounded_channel();
        tokio::spawn(run(url, client, req_rx, ev_tx));
        Link {
            requests: req_tx,
            events: ev_rx,
            // Ids never repeat within a seat, even across runs of the
            // client (the server takes a repeat for a resend): start from
            // the clock, in microseconds (within JSON's exact integers).
            next_id: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_micros() as u64)
                .unwrap_or(1),
        }
    }

    /// Send a request; returns its id.
    pub fn send(&mut self, request: ClientRequest) -> RequestId {
        let id = RequestId::Number(self.next_id);
        self.next_id += 1;
        let _ = self
            .requests
            .send(ClientMsg::new(Some(id.clone()), request));
        id
    }
}

/// What survives a reconnection.
#[derive(Default)]
struct Session {
    token: Option<String>,
    /// A spectator has no token: it watches again with the game's code.
    spectate: Option<String>,
    last_seq: Option<u64>,
    /// Requests sent but not yet answered, by id, in the order they were
    /// sent (numbers in numeric order: 2 before 10).
    pending: BTreeMap<PendingKey, ClientMsg>,
}

/// Orders pending requests as they were sent: numeric ids by value, then
/// text ids.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum PendingKey {
    Number(u64),
    Text(String),
}

fn key(id: &RequestId) -> PendingKey {
    match id {
        RequestId::Number(n) => PendingKey::Number(*n),
        RequestId::Text(t) => PendingKey::Text(t.clone()),
    }
}

async fn run(
    url: String,
    client: String,
    mut requests: mpsc::UnboundedReceiver<ClientMsg>,
    events: mpsc::UnboundedSender<LinkEvent>,
) {
    // Several addresses (`ws://a/ws,ws://b/ws`: several servers on one
    // database) are tried in turn: a server that cannot be reached, or
    // cannot take the game back, gives way to the next.
    let urls: Vec<String> = url
        .split(',')
        .map(|u| u.trim().to_string())
        .filter(|u| !u.is_empty())
        .collect();
    let urls = if urls.is_empty() { vec![url] } else { urls };
    let mut at = 0usize;
    let mut failures = 0usize;
    let mut session = Session::default();
    let mut backoff = Duration::from_millis(250);
    let mut reported_loss = false;
    loop {
        let url = urls[at % urls.len()].clone();
        match connect(&url, &client).await {
            Ok(mut ws) => {
                failures = 0;
                reported_loss = false;
                let again = match (&session.token, &session.spectate) {
                    (Some(token), _) => Some(ClientRequest::Resume {
                        token: token.clone(),
                        last_seq: session.last_seq,
                    }),
                    // The spectators' stream goes on where it was.
                    (None, Some(code)) => Some(ClientRequest::Spectate {
                        code: code.clone(),
                        last_seq: session.last_seq,
                    }),
                    (None, None) => None,
                };
                let resumed = again.is_some();
                if let Some(request) = again {
                    let msg = ClientMsg::new(Some(RequestId::Text(RESUME_ID.into())), request);
                    let resumed = if ws.send(text(&msg)).await.is_err() {
                        Err(None)
                    } else {
                        // The resume must succeed before anything is resent.
                        await_resume(&mut ws, &mut session, &events).await
                    };
                    match resumed {
                        Ok(()) => backoff = Duration::from_millis(250),
                        Err(Some(fatal)) => {
                            let _ = events.send(LinkEvent::Fatal { reason: fatal });
                            return;
                        }
                        Err(None) => {
                            // E.g. the game is moving between servers:
                            // wait a little, then the next address.
                            at += 1;
                            tokio::time::sleep(backoff).await;
                            backoff = (backoff * 2).min(Duration::from_secs(3));
                            continue;
                        }
                    }
                    for msg in session.pending.values() {
                        let _ = ws.send(text(msg)).await;
                    }
                }
                let _ = events.send(LinkEvent::Connected { resumed });
                let reason = pump(&mut ws, &mut session, &mut requests, &events).await;
                match reason {
                    Pump::ClientDone => {
                        let _ = ws.close(None).await;
                        return;
                    }
                    Pump::Ended => {
                        // Replaced by a newer connection, removed, or the
                        // game is gone: reconnecting would only fight.
                        let _ = events.send(LinkEvent::Ended);
                        return;
                    }
                    Pump::Lost(reason) => {
                        if session.token.is_none() && session.spectate.is_none() {
                            // Nothing to resume with: say so and stop.
                            let _ = events.send(LinkEvent::Fatal { reason });
                            return;
                        }
                        let _ = events.send(LinkEvent::Lost { reason });
                        reported_loss = true;
                    }
                }
            }
            Err(e) => {
                at += 1;
                failures += 1;
                let rejoin = session.token.is_some() || session.spectate.is_some();
                if !rejoin && !reported_loss && failures >= urls.len() {
                    let _ = events.send(LinkEvent::Fatal {
                        reason: format!(
                            "cannot reach the server at {}: {}",
                            urls.join(" or "),
                            explain(&e)
                        ),
                    });
                    return;
                }
                if !rejoin && !reported_loss {
                    continue;
                }
                if !reported_loss {
                    let _ = events.send(LinkEvent::Lost {
                        reason: explain(&e),
                    });
                    reported_loss = true;
                }
            }
        }
        // Requests typed while offline wait in the channel; keep going.
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(Duration::from_secs(3));
        if events.is_closed() {
            return;
        }
    }
}

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A connection failure in words a teacher can act on.
fn explain(e: &anyhow::Error) -> String {
    use tokio_tungstenite::tungstenite::Error as WsError;
    match e.downcast_ref::<WsError>() {
        Some(WsError::Http(response)) => format!(
            "it answered {} instead of a game connection: is this the address of a Dual Power server?",
            response.status()
        ),
        Some(WsError::Io(io)) => match io.kind() {
            std::io::ErrorKind::ConnectionRefused => {
                "nothing is listening there (connection refused)".into()
            }
            _ => io.to_string(),
        },
        Some(WsError::Url(u)) => format!("not a usable address ({u})"),
        _ => e.to_string(),
    }
}

async fn connect(url: &str, client: &str) -> anyhow::Result<Ws> {
    let (mut ws, _) = tokio::time::timeout(
        Duration::from_secs(10),
        tokio_tungstenite::connect_async(url),
    )
    .await
    .map_err(|_| anyhow::anyhow!("timed out"))??;
    let hello = ClientMsg::new(
        None,
        ClientRequest::Hello {
            protocol_version: PROTOCOL_VERSION,
            client: Some(client.to_string()),
            catalog_on_request: true,
        },
    );
    ws.send(text(&hello)).await?;
    loop {
        let frame = tokio::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .map_err(|_| anyhow::anyhow!("no welcome from the server"))?;
        match frame {
            Some(Ok(Message::Text(t))) => match serde_json::from_str::<ServerMsg>(&t) {
                Ok(ServerMsg::Welcome { .. }) => return Ok(ws),
                Ok(ServerMsg::Error { message, .. }) => anyhow::bail!("{message}"),
                _ => anyhow::bail!("unexpected answer to hello"),
            },
            Some(Ok(_)) => continue,
            Some(Err(e)) => return Err(e.into()),
            None => anyhow::bail!("closed during the handshake"),
        }
    }
}

fn text(msg: &ClientMsg) -> Message {
    Message::Text(
        serde_json::to_string(msg)
            .expect("protocol types serialize")
            .into(),
    )
}

/// Wait for the answer to `resume`. `Err(Some)` is fatal, `Err(None)` means
/// try again.
async fn await_resume(
    ws: &mut Ws,
    session: &mut Session,
    events: &mpsc::UnboundedSender<LinkEvent>,
) -> Result<(), Option<String>> {
    loop {
        let frame = tokio::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .map_err(|_| None)?;
        let Some(Ok(Message::Text(t))) = frame else {
            if matches!(frame, Some(Ok(_))) {
                continue;
            }
            return Err(None);
        };
        let Ok(msg) = serde_json::from_str::<ServerMsg>(&t) else {
            continue;
        };
        let is_resume = msg.request_id() == Some(&RequestId::Text(RESUME_ID.into()));
        match &msg {
            ServerMsg::Error { code, message, .. } if is_resume => {
                return Err(match code {
                    ErrorCode::InvalidToken | ErrorCode::UnknownGame | ErrorCode::Removed => {
                        Some(message.clone())
                    }
                    _ => None,
                });
            }
            _ => {
                observe(session, &msg);
                let done = is_resume && matches!(msg, ServerMsg::Joined { .. });
                let _ = events.send(LinkEvent::Msg(msg));
                if done {
                    return Ok(());
                }
            }
        }
    }
}

/// Track what a resume needs: the token and the last `seq`; and forget
/// answered requests.
fn observe(session: &mut Session, msg: &ServerMsg) {
    match msg {
        ServerMsg::GameCreated { host_token, .. } => session.token = Some(host_token.clone()),
        ServerMsg::Joined {
            token: Some(token), ..
        } => session.token = Some(token.clone()),
        ServerMsg::Joined {
            token: None,
            viewer: Viewer::Spectator,
            code,
            ..
        } => session.spectate = Some(code.clone()),
        ServerMsg::Event { seq, .. } | ServerMsg::Snapshot { seq, .. } => {
            session.last_seq = Some(*seq)
        }
        _ => {}
    }
    if let Some(id) = msg.request_id() {
        session.pending.remove(&key(id));
    }
}

enum Pump {
    ClientDone,
    /// The connection dropped: reconnect and resume.
    Lost(String),
    /// The server said goodbye for good: do not reconnect.
    Ended,
}

async fn pump(
    ws: &mut Ws,
    session: &mut Session,
    requests: &mut mpsc::UnboundedReceiver<ClientMsg>,
    events: &mpsc::UnboundedSender<LinkEvent>,
) -> Pump {
    loop {
        tokio::select! {
            req = requests.recv() => {
                let Some(msg) = req else { return Pump::ClientDone };
                if let Some(id) = &msg.id {
                    session.pending.insert(key(id), msg.clone());
                }
                // A resume from where an earlier run stopped: resume from
                // there again if this connection drops before any event.
                if let ClientRequest::Resume { last_seq: Some(s), .. } = &msg.request {
                    session.last_seq = session.last_seq.max(Some(*s));
                }
                if let Err(e) = ws.send(text(&msg)).await {
                    return Pump::Lost(e.to_string());
                }
            }
            frame = ws.next() => match frame {
                Some(Ok(Message::Text(t))) => match serde_json::from_str::<ServerMsg>(&t) {
                    Ok(msg) => {
                        observe(session, &msg);
                        let goodbye = match &msg {
                            ServerMsg::Goodbye { reason, code } => Some((
                                reason.clone(),
                                code.is_none_or(|c| c.reconnect()),
                            )),
                            _ => None,
                        };
                        let _ = events.send(LinkEvent::Msg(msg));
                        match goodbye {
                            Some((reason, true)) => return Pump::Lost(reason),
                            Some((_, false)) => return Pump::Ended,
                            None => {}
                        }
                    }
                    // A newer server may send messages this client does
                    // not know; ignore them (PROTOCOL.md, versioning).
                    Err(_) => continue,
                },
                Some(Ok(Message::Close(_))) | None => return Pump::Lost("the server closed the connection".into()),
                Some(Ok(_)) => continue,
                Some(Err(e)) => return Pump::Lost(e.to_string()),
            }
        }
    }
}
