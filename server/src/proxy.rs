//! A connection for a game another server process runs is proxied there:
//! this process opens a WebSocket to the owner, says `hello`, forwards the
//! client's `join_game`/`spectate`/`resume` and from then on passes frames
//! both ways unchanged. The client changes nothing: its `seq`s, answers and
//! events are the owner's.
//!
//! When the owner goes away without a `goodbye` (it died), the client gets
//! a `goodbye` with code `shutting_down`: it reconnects, and its next
//! connection reaches whichever process runs the game by then.

use crate::room::ConnLink;
use futures_util::{SinkExt, StreamExt};
use protocol::{encode, ClientMsg, ClientRequest, GoodbyeCode, ServerMsg, PROTOCOL_VERSION};
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;

/// The `client` a proxy names in its `hello`: the owner never proxies such
/// a connection further (no loops between processes that disagree for a
/// moment about who owns a game).
pub const PROXY_CLIENT: &str = "dualpower-server-proxy";

/// How long the owner has to accept a proxied connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Open a proxied connection to `addr` (the owner's `ws://…/ws`), send it
/// `first` (the client's request for the game) and pass frames both ways:
/// the owner's to `link`, the client's through the returned sender. When
/// either side ends, the other is closed.
///
/// The connection leaves from `source` (this process's bound address, when
/// it is bound to one): the owner knows its peers by the addresses they
/// advertise, and does not hold their connections to the per-address
/// limits.
pub async fn open(
    addr: &str,
    first: &str,
    link: ConnLink,
    source: Option<IpAddr>,
) -> Result<mpsc::Sender<String>, String> {
    // What the client said in its own hello, passed on.
    let catalog_on_request = link.catalog_on_request();
    let (ws, _) = tokio::time::timeout(CONNECT_TIMEOUT, async {
        let tcp = connect_from(addr, source).await?;
        tokio_tungstenite::client_async_with_config(addr, tcp, None)
            .await
            .map_err(|e| e.to_string())
    })
    .await
    .map_err(|_| "timed out".to_string())??;
    let (mut up_tx, mut up_rx) = ws.split();
    let hello = encode(&ClientMsg {
        id: None,
        request: ClientRequest::Hello {
            protocol_version: PROTOCOL_VERSION,
            client: Some(PROXY_CLIENT.into()),
            catalog_on_request,
        },
    });
    up_tx
        .send(Message::Text(hello.into()))
        .await
        .map_err(|e| e.to_string())?;
    loop {
        match tokio::time::timeout(CONNECT_TIMEOUT, up_rx.next()).await {
            Ok(Some(Ok(Message::Text(t)))) => match serde_json::from_str::<ServerMsg>(t.as_str()) {
                Ok(ServerMsg::Welcome { .. }) => break,
                Ok(other) => return Err(format!("unexpected answer to hello: {other:?}")),
                Err(e) => return Err(format!("unreadable answer to hello: {e}")),
            },
            Ok(Some(Ok(_))) => {}
            Ok(Some(Err(e))) => return Err(e.to_string()),
            Ok(None) => return Err("closed".into()),
            Err(_) => return Err("no welcome in time".into()),
        }
    }
    up_tx
        .send(Message::Text(first.into()))
        .await
        .map_err(|e| e.to_string())?;
    let (tx, mut rx) = mpsc::channel::<String>(256);
    tokio::spawn(async move {
        loop {
            tokio::select! {
                down = rx.recv() => match down {
                    Some(text) => {
                        if up_tx.send(Message::Text(text.into())).await.is_err() {
                            break;
                        }
                    }
                    None => {
                        // The client left.
                        let _ = up_tx.close().await;
                        return;
                    }
                },
                up = up_rx.next() => match up {
                    Some(Ok(Message::Text(t))) => {
                        let text = t.as_str();
                        if text.starts_with(r#"{"type":"goodbye""#) {
                            if let Ok(ServerMsg::Goodbye { reason, code }) = serde_json::from_str(text) {
                                link.close(&reason, code.unwrap_or(GoodbyeCode::ShuttingDown));
                                link.kick.notify_one();
                                return;
                            }
                        }
                        if !link.out.send_text(text.into()) {
                            link.close(
                                "Your connection could not keep up: reconnecting.",
                                GoodbyeCode::TooSlow,
                            );
                            link.kick.notify_one();
                            let _ = up_tx.close().await;
                            return;
                        }
                    }
                    Some(Ok(Message::Close(_))) | Some(Err(_)) | None => break,
                    Some(Ok(_)) => {}
                },
            }
        }
        // The owner went away without a goodbye: it died, or lost the
        // game. The client reconnects and reaches the game's new server.
        link.close(
            "The game's server went away: reconnecting.",
            GoodbyeCode::ShuttingDown,
        );
        link.kick.notify_one();
    });
    Ok(tx)
}

/// A TCP connection to the host of `url` (`ws://HOST:PORT/…`), from
/// `source` if given, with TCP_NODELAY: a chat line or a vote must not
/// wait for a delayed ACK between the two processes.
async fn connect_from(url: &str, source: Option<IpAddr>) -> Result<tokio::net::TcpStream, String> {
    let rest = url
        .strip_prefix("ws://")
        .ok_or_else(|| format!("not a ws:// address: {url}"))?;
    let host = rest.split('/').next().unwrap_or(rest);
    let mut candidates: Vec<SocketAddr> = tokio::net::lookup_host(host)
        .await
        .map_err(|e| format!("{host}: {e}"))?
        .collect();
    if let Some(src) = source {
        // Same family as the source first.
        candidates.sort_by_key(|a| a.is_ipv4() != src.is_ipv4());
    }
    let mut last = format!("{host}: no address");
    for target in candidates {
        let socket = if target.is_ipv4() {
            tokio::net::TcpSocket::new_v4()
        } else {
            tokio::net::TcpSocket::new_v6()
        }
        .map_err(|e| e.to_string())?;
        let fits = |s: &IpAddr| {
            s.is_ipv4() == target.is_ipv4() && s.is_loopback() == target.ip().is_loopback()
        };
        if let Some(src) = source.filter(fits) {
            if let Err(e) = socket.bind(SocketAddr::new(src, 0)) {
                tracing::debug!("cannot leave from {src} ({e}): the system chooses");
            }
        }
        match socket.connect(target).await {
            Ok(tcp) => {
                let _ = tcp.set_nodelay(true);
                return Ok(tcp);
            }
            Err(e) => last = format!("{target}: {e}"),
        }
    }
    Err(last)
}
