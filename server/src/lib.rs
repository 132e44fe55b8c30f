//! The Dual Power game server: the async shell around the rules engine.
//!
//! Layout:
//! - [`run`]: serve a bound listener until a shutdown signal: `GET /ws` (the
//!   WebSocket endpoint), `GET /health`, and the web client's pages.
//! - [`web`]: the browser client (`client-web/dist/`, embedded in the
//!   binary), its page routes and security headers.
//! - [`config`]: the server's settings and limits ([`Config`]).
//! - [`hub`]: the registry of games by join code, the scenarios, tokens.
//! - [`room`]: one task per game that owns its [`engine::Game`], its event
//!   log, its members' connections and its phase timer (an actor).
//! - [`store`]: durable storage behind a trait; SQLite by default.
//! - [`pgstore`]: the PostgreSQL store, with leases: several server
//!   processes on one database, each game owned by one of them.
//! - [`cluster`]: this process's part among several: renewing its leases,
//!   taking over the games of dead processes. [`proxy`]: a connection for
//!   a game another process runs is proxied there.
//! - [`debrief`]: the debrief report (Markdown and HTML with charts) from a
//!   game's log.
//! - [`conn`]: one task per WebSocket connection: the handshake, decoding
//!   requests, routing them to the room, writing what the room sends.
//!   [`frames`]: the frames the server writes, framed and written with
//!   vectored writes from where their bytes already are.
//!
//! The engine decides; the shell only delivers, times and stores.

pub mod cluster;
pub mod config;
pub mod conn;
pub mod debrief;
pub mod frames;
pub mod hub;
pub mod net;
pub mod outlet;
pub mod pgstore;
pub mod proxy;
pub mod room;
pub mod store;
pub mod web;

pub use config::Config;

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use hub::Hub;
use std::future::Future;
use std::sync::Arc;
use tokio::net::TcpListener;

/// Serve on `listener` until `shutdown` completes, then tell every client
/// the server is going down, stop every game's task and return.
pub async fn run(
    listener: TcpListener,
    config: Config,
    store: Arc<dyn store::Store>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let hub = Hub::new(config, store).await?;
    serve(listener, hub, shutdown).await
}

/// Like [`run`], as one of several server processes on one PostgreSQL
/// database: this process runs the games it creates and those it takes
/// over from processes that died; connections for games another process
/// runs are proxied there. On shutdown it gives its games up so the other
/// processes take them over at once.
pub async fn run_cluster(
    listener: TcpListener,
    config: Config,
    store: Arc<pgstore::PgStore>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let hub = Hub::new_cluster(config, store.clone())?;
    match hub.reclaim_own().await {
        Ok(0) => {}
        Ok(n) => {
            tracing::info!("took back {n} games this server's address ran before it restarted")
        }
        Err(e) => tracing::error!(
            "could not take back this address's games (they move when their leases run out): {e}"
        ),
    }
    tracing::info!(node = %store.node(), addr = %store.addr(), "one of several servers on one database: other servers reach this one at {}", store.addr());
    let leases = tokio::spawn(cluster::run(
        hub.clone(),
        store.clone(),
        hub.shutdown_signal(),
    ));
    serve(listener, hub, shutdown).await?;
    let _ = leases.await;
    match store.release_all().await {
        Ok(n) => tracing::info!("handed {n} games over to the other servers"),
        Err(e) => tracing::error!(
            "could not hand the games over (they move when their leases run out): {e}"
        ),
    }
    Ok(())
}

async fn serve(
    listener: TcpListener,
    hub: Arc<Hub>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let app = Router::new()
        .route("/ws", get(ws_upgrade))
        .route("/health", get(health))
        .route("/games/{code}/debrief", get(debrief))
        .merge(web::routes())
        .with_state(hub.clone());
    // Forget finished games past the retention period, now and hourly.
    let janitor = hub.clone();
    let mut janitor_stop = hub.shutdown_signal();
    tokio::spawn(async move {
        let mut every = tokio::time::interval(std::time::Duration::from_secs(3600));
        loop {
            tokio::select! {
                _ = every.tick() => janitor.purge_expired().await,
                _ = janitor_stop.changed() => break,
            }
        }
    });
    let stop = hub.clone();
    // Outgoing connections to peers leave from the bound address, the one
    // the peers know this process by.
    if let Ok(local) = listener.local_addr() {
        if !local.ip().is_unspecified() {
            hub.set_source_ip(local.ip());
        }
    }
    // Who is exempt from the per-address limits: known before the first
    // connection, then kept up to date.
    refresh_peers(&hub).await;
    tokio::spawn(keep_peers(hub.clone()));
    // Per-address caps and the HTTP-phase deadline (see `net`).
    let limits = &hub.config().limits;
    let listener = net::GuardedListener::new(
        listener,
        limits.max_connections_per_address,
        std::time::Duration::from_secs(limits.http_timeout_secs),
        hub.peers().clone(),
    );
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<net::Peer>(),
    )
    .with_graceful_shutdown(async move {
        shutdown.await;
        tracing::info!("shutting down: closing every connection");
        stop.shutdown();
    })
    .await?;
    // The upgraded WebSockets are not the HTTP server's to wait for.
    hub.wait_for_connections(std::time::Duration::from_secs(5))
        .await;
    hub.wait_for_rooms().await;
    tracing::info!("server stopped");
    Ok(())
}

/// Read the peers again: the configured `--peer`s and, in a cluster, the
/// other servers recently seen in the database.
async fn refresh_peers(hub: &Hub) {
    let mut addrs = hub.config().limits.peers.clone();
    if let Some(store) = hub.cluster() {
        match store.peer_addrs().await {
            Ok(found) => addrs.extend(found),
            Err(e) => {
                tracing::warn!("cannot read the other servers' addresses: {e}");
                return;
            }
        }
    }
    if addrs.is_empty() && hub.peers().list().is_empty() {
        return;
    }
    let ips = net::resolve(&addrs).await;
    if hub.peers().replace(ips) {
        let list: Vec<String> = hub.peers().list().iter().map(|ip| ip.to_string()).collect();
        tracing::info!(
            peers = %list.join(" "),
            "connections from these addresses (other servers, --peer) are not held to the per-address limits"
        );
    }
}

/// Keep the peers up to date: every few seconds in a cluster (a minute
/// otherwise, for names whose address changes), and when an address has
/// just been refused (at most once a second).
async fn keep_peers(hub: Arc<Hub>) {
    let every = hub
        .cluster()
        .map_or(std::time::Duration::from_secs(60), |s| s.lease() / 3);
    let mut stop = hub.shutdown_signal();
    loop {
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = hub.peers().refresh_asked() => {}
            _ = stop.changed() => return,
        }
        refresh_peers(&hub).await;
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    }
}

async fn ws_upgrade(
    axum::extract::ConnectInfo(peer): axum::extract::ConnectInfo<net::Peer>,
    State(hub): State<Arc<Hub>>,
    mut request: axum::extract::Request,
) -> Response {
    let headers = request.headers();
    // Browsers send Origin; when an allowlist is set, other sites' pages
    // may not open a connection with a student's browser. The server's own
    // pages (the web client) always may.
    if let Some(origin) = headers.get(header::ORIGIN) {
        let allowed = &hub.config().limits.allowed_origins;
        let ok = allowed.is_empty()
            || web::same_origin(headers)
            || origin
                .to_str()
                .is_ok_and(|o| allowed.iter().any(|a| a.eq_ignore_ascii_case(o)));
        if !ok {
            tracing::warn!(origin = ?origin, "refused a WebSocket from a page not on the allowlist");
            return (StatusCode::FORBIDDEN, "origin not allowed").into_response();
        }
    }
    let accept = match websocket_accept(&request) {
        Ok(accept) => accept,
        Err(refusal) => return refusal.into_response(),
    };
    let Some(upgrade) = request
        .extensions_mut()
        .remove::<hyper::upgrade::OnUpgrade>()
    else {
        return (
            StatusCode::UPGRADE_REQUIRED,
            "this connection cannot be upgraded to a WebSocket",
        )
            .into_response();
    };
    tokio::spawn(async move {
        match upgrade.await {
            Ok(upgraded) => {
                peer.mark_upgraded();
                conn::serve(upgraded, hub, peer.addr.ip()).await
            }
            Err(e) => tracing::debug!("a WebSocket upgrade failed: {e}"),
        }
    });
    Response::builder()
        .status(StatusCode::SWITCHING_PROTOCOLS)
        .header(header::CONNECTION, "upgrade")
        .header(header::UPGRADE, "websocket")
        .header(header::SEC_WEBSOCKET_ACCEPT, accept)
        .body(axum::body::Body::empty())
        .expect("a valid response")
}

/// The `Sec-WebSocket-Accept` answering a WebSocket opening handshake
/// (RFC 6455, section 4.2.1), or why the request is not one.
fn websocket_accept(
    request: &axum::extract::Request,
) -> Result<String, (StatusCode, &'static str)> {
    let headers = request.headers();
    let has = |name: header::HeaderName, token: &str| {
        headers.get_all(name).iter().any(|v| {
            v.to_str()
                .is_ok_and(|v| v.split(',').any(|t| t.trim().eq_ignore_ascii_case(token)))
        })
    };
    if request.method() != axum::http::Method::GET {
        return Err((StatusCode::METHOD_NOT_ALLOWED, "a WebSocket opens with GET"));
    }
    if !has(header::CONNECTION, "upgrade") || !has(header::UPGRADE, "websocket") {
        return Err((
            StatusCode::UPGRADE_REQUIRED,
            "this address takes WebSocket connections only (Connection: upgrade, Upgrade: websocket)",
        ));
    }
    if !has(header::SEC_WEBSOCKET_VERSION, "13") {
        return Err((StatusCode::BAD_REQUEST, "Sec-WebSocket-Version must be 13"));
    }
    let key = headers
        .get(header::SEC_WEBSOCKET_KEY)
        .ok_or((StatusCode::BAD_REQUEST, "Sec-WebSocket-Key is missing"))?;
    Ok(tungstenite::handshake::derive_accept_key(key.as_bytes()))
}

/// Query of `GET /games/{code}/debrief?format=html&faction=bolsheviks`.
#[derive(Debug, serde::Deserialize)]
struct DebriefQuery {
    #[serde(default = "default_format")]
    format: protocol::DownloadFormat,
    #[serde(default)]
    faction: Option<protocol::Faction>,
}

fn default_format() -> protocol::DownloadFormat {
    protocol::DownloadFormat::Html
}

/// The debrief record over plain HTTP, for the host only: the host's token
/// goes in an `Authorization: Bearer` header (never in the URL, which ends
/// up in logs).
async fn debrief(
    State(hub): State<Arc<Hub>>,
    axum::extract::Path(code): axum::extract::Path<String>,
    axum::extract::Query(q): axum::extract::Query<DebriefQuery>,
    headers: HeaderMap,
    uri: axum::http::Uri,
) -> Response {
    let refuse = |status: StatusCode, msg: &str| (status, msg.to_string()).into_response();
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    let Some((token_code, secret)) = token.and_then(hub::split_token) else {
        return refuse(
            StatusCode::UNAUTHORIZED,
            "send the host token: Authorization: Bearer CODE.SECRET\n",
        );
    };
    let room = match hub.locate(&code).await {
        hub::Located::Here(room) => room,
        hub::Located::There(owner) => {
            // Another server process runs this game: send the client there
            // (`curl --location-trusted` keeps the Authorization header).
            let base = owner
                .replacen("ws://", "http://", 1)
                .trim_end_matches("/ws")
                .to_string();
            let query = uri.query().map(|q| format!("?{q}")).unwrap_or_default();
            return (
                StatusCode::TEMPORARY_REDIRECT,
                [(
                    header::LOCATION,
                    format!("{base}/games/{}/debrief{query}", hub::normalize_code(&code)),
                )],
            )
                .into_response();
        }
        hub::Located::Unavailable => {
            return refuse(
                StatusCode::SERVICE_UNAVAILABLE,
                "the game is moving between servers: try again in a moment\n",
            )
        }
        hub::Located::Nowhere => return refuse(StatusCode::NOT_FOUND, "no such game\n"),
    };
    if hub::normalize_code(token_code) != room.code {
        return refuse(
            StatusCode::FORBIDDEN,
            "that token belongs to another game\n",
        );
    }
    let (reply, answer) = tokio::sync::oneshot::channel();
    let sent = room
        .send(room::RoomMsg::HttpDownload {
            secret: secret.to_string(),
            format: q.format,
            faction: q.faction,
            reply,
        })
        .await;
    match (sent, answer.await) {
        (
            true,
            Ok(Ok(protocol::ServerMsg::Download {
                content,
                filename,
                format,
                ..
            })),
        ) => {
            let mime = match format {
                protocol::DownloadFormat::Log => "application/json",
                protocol::DownloadFormat::Markdown => "text/markdown; charset=utf-8",
                protocol::DownloadFormat::Html => "text/html; charset=utf-8",
            };
            (
                [
                    (header::CONTENT_TYPE, mime.to_string()),
                    (
                        header::CONTENT_DISPOSITION,
                        format!("inline; filename=\"{filename}\""),
                    ),
                ],
                content,
            )
                .into_response()
        }
        (true, Ok(Err(r))) => refuse(StatusCode::FORBIDDEN, &format!("{}\n", r.message)),
        _ => refuse(StatusCode::SERVICE_UNAVAILABLE, "the game is closing\n"),
    }
}

async fn health(State(hub): State<Arc<Hub>>) -> impl IntoResponse {
    Json(protocol::Health {
        status: "ok".into(),
        server_version: env!("CARGO_PKG_VERSION").into(),
        protocol_version: protocol::PROTOCOL_VERSION,
        games: hub.game_count(),
        games_in_memory: Some(hub.rooms_in_memory()),
        connections: hub.connection_count(),
    })
}
