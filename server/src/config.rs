//! The server's settings. Every limit has a safe default, so the server
//! runs with no configuration at all.

use engine::Scenario;
use std::sync::Arc;

/// Everything the server needs to know at start.
#[derive(Debug, Clone)]
pub struct Config {
    /// Scenarios games may use; the first is the default.
    pub scenarios: Vec<Arc<Scenario>>,
    pub limits: Limits,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            scenarios: vec![Arc::new(Scenario::default_scenario())],
            limits: Limits::default(),
        }
    }
}

/// Limits that keep one game, or one client, from hurting the others.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Largest WebSocket message (and frame) accepted, in bytes.
    pub max_message_bytes: usize,
    /// Per-connection read buffer. tungstenite's default is 128 KiB, which
    /// dominates memory per player; our messages are small.
    pub read_buffer_bytes: usize,
    /// Bytes buffered before a write is flushed to the socket.
    pub write_buffer_bytes: usize,
    /// Most bytes a connection may have waiting to be written; past it the
    /// connection is dropped (the client can resume).
    pub max_write_buffer_bytes: usize,
    /// Messages queued for one connection before it counts as too slow and
    /// is disconnected (it can resume and catch up).
    pub outbound_queue: usize,
    /// Longest chat message, in characters.
    pub max_chat_chars: usize,
    /// Most games on the server at once.
    pub max_games: usize,
    /// Most players in one game.
    pub max_players_per_game: usize,
    /// Most open connections.
    pub max_connections: usize,
    /// Seconds a new connection has to send `hello`.
    pub handshake_timeout_secs: u64,
    /// Longest phase timer a host may set, in seconds.
    pub max_phase_secs: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_message_bytes: 16 * 1024,
            read_buffer_bytes: 4 * 1024,
            write_buffer_bytes: 4 * 1024,
            max_write_buffer_bytes: 1024 * 1024,
            outbound_queue: 1024,
            max_chat_chars: 500,
            max_games: 1000,
            max_players_per_game: 60,
            max_connections: 20_000,
            handshake_timeout_secs: 10,
            max_phase_secs: 3600,
        }
    }
}
