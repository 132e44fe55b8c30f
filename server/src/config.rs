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
    /// Days a finished game's record is kept (for its debrief) before it
    /// is deleted.
    pub retention_days: u64,
}

impl Config {
    pub fn retention_ms(&self) -> u64 {
        self.retention_days.saturating_mul(86_400_000)
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            scenarios: vec![Arc::new(Scenario::default_scenario())],
            limits: Limits::default(),
            retention_days: 30,
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
    /// Requests a connection may make per second, sustained…
    pub rate_per_sec: u32,
    /// …and in a burst. Past it: `rate_limited`.
    pub rate_burst: u32,
    /// Refused requests (less one per request allowed since) after which
    /// the connection is closed.
    pub rate_strikes: u32,
    /// Seconds between the server's WebSocket pings.
    pub ping_interval_secs: u64,
    /// Seconds of silence (no frame, not even a pong) before a connection
    /// is closed as dead.
    pub idle_timeout_secs: u64,
    /// Browser origins allowed to open a WebSocket (the `Origin` header);
    /// empty allows any. Clients that send no `Origin` (not browsers) are
    /// always allowed.
    pub allowed_origins: Vec<String>,
    /// A finished game with nobody attached leaves memory after this many
    /// milliseconds (its record stays in the store for the debrief and is
    /// loaded again when asked for).
    pub finished_idle_ms: u64,
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
            rate_per_sec: 10,
            rate_burst: 30,
            rate_strikes: 100,
            ping_interval_secs: 20,
            idle_timeout_secs: 60,
            allowed_origins: Vec::new(),
            finished_idle_ms: 60_000,
        }
    }
}

/// A token bucket: `burst` requests at once, refilled at `per_sec`.
#[derive(Debug, Clone)]
pub struct RateLimiter {
    tokens: f64,
    burst: f64,
    per_sec: f64,
    last: std::time::Instant,
}

impl RateLimiter {
    pub fn new(per_sec: u32, burst: u32) -> Self {
        RateLimiter {
            tokens: f64::from(burst),
            burst: f64::from(burst),
            per_sec: f64::from(per_sec),
            last: std::time::Instant::now(),
        }
    }

    /// Take a token at `now`; false if none is left.
    pub fn allow(&mut self, now: std::time::Instant) -> bool {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.last = now;
        self.tokens = (self.tokens + elapsed * self.per_sec).min(self.burst);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

impl Limits {
    /// The limits requests are checked against (the engine's one mapping
    /// from requests to commands).
    pub fn requests(&self) -> engine::request::RequestLimits {
        engine::request::RequestLimits {
            max_phase_secs: self.max_phase_secs,
            max_chat_chars: self.max_chat_chars,
            max_players: self.max_players_per_game,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    #[test]
    fn the_bucket_allows_a_burst_then_the_sustained_rate() {
        let mut r = RateLimiter::new(10, 3);
        let t = Instant::now();
        assert!(r.allow(t) && r.allow(t) && r.allow(t));
        assert!(!r.allow(t), "the burst is spent");
        assert!(
            r.allow(t + Duration::from_millis(100)),
            "one token per 100 ms"
        );
        assert!(!r.allow(t + Duration::from_millis(110)));
        assert!(r.allow(t + Duration::from_secs(10)));
    }
}
