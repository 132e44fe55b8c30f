//! The Dual Power game server: the async shell around the rules engine.
//!
//! Layout:
//! - [`run`]: serve a bound listener until a shutdown signal: `GET /ws` (the
//!   WebSocket endpoint) and `GET /health`.
//! - [`config`]: the server's settings and limits ([`Config`]).
//! - [`hub`]: the registry of games by join code, the scenarios, tokens.
//! - [`room`]: one task per game that owns its [`engine::Game`], its event
//!   log, its members' connections and its phase timer (an actor).
//! - [`store`]: durable storage behind a trait; SQLite by default.
//! - [`conn`]: one task per WebSocket connection: the handshake, decoding
//!   requests, routing them to the room, writing what the room sends.
//!
//! The engine decides; the shell only delivers, times and stores.

pub mod config;
pub mod conn;
pub mod hub;
pub mod room;
pub mod store;

pub use config::Config;

use axum::extract::{State, WebSocketUpgrade};
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
    let hub = Hub::new(config, store)?;
    let app = Router::new()
        .route("/ws", get(ws_upgrade))
        .route("/health", get(health))
        .with_state(hub.clone());
    let stop = hub.clone();
    axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            shutdown.await;
            tracing::info!("shutting down: closing every connection");
            stop.shutdown();
        })
        .await?;
    hub.wait_for_rooms().await;
    tracing::info!("server stopped");
    Ok(())
}

async fn ws_upgrade(
    ws: WebSocketUpgrade,
    headers: HeaderMap,
    State(hub): State<Arc<Hub>>,
) -> Response {
    let limits = &hub.config().limits;
    // Browsers send Origin; when an allowlist is set, other sites' pages
    // may not open a connection with a student's browser.
    if let Some(origin) = headers.get(header::ORIGIN) {
        let allowed = &limits.allowed_origins;
        let ok = allowed.is_empty()
            || origin
                .to_str()
                .is_ok_and(|o| allowed.iter().any(|a| a.eq_ignore_ascii_case(o)));
        if !ok {
            tracing::warn!(origin = ?origin, "refused a WebSocket from a page not on the allowlist");
            return (StatusCode::FORBIDDEN, "origin not allowed").into_response();
        }
    }
    ws.max_message_size(limits.max_message_bytes)
        .max_frame_size(limits.max_message_bytes)
        .read_buffer_size(limits.read_buffer_bytes)
        .write_buffer_size(limits.write_buffer_bytes)
        .max_write_buffer_size(limits.max_write_buffer_bytes)
        .on_upgrade(move |socket| conn::serve(socket, hub))
        .into_response()
}

async fn health(State(hub): State<Arc<Hub>>) -> impl IntoResponse {
    Json(protocol::Health {
        status: "ok".into(),
        server_version: env!("CARGO_PKG_VERSION").into(),
        protocol_version: protocol::PROTOCOL_VERSION,
        games: hub.game_count(),
        connections: hub.connection_count(),
    })
}
