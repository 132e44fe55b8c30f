//! The server's settings. Every limit has a safe default, so the server
//! runs with no configuration at all.

use engine::Scenario;
use std::collections::HashMap;
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
    /// Seconds a new connection has to send `hello`, counted from the
    /// connection's start (frames before it do not extend it).
    pub handshake_timeout_secs: u64,
    /// Seconds a TCP connection has to send its HTTP request (the
    /// WebSocket upgrade, or between keep-alive requests).
    pub http_timeout_secs: u64,
    /// Most open TCP connections from one address; past it a connection
    /// is closed at once (and logged).
    pub max_connections_per_address: usize,
    /// Seconds a connection may take to read what was sent to it (a write
    /// that cannot finish, or a ping not answered, within this time, plus
    /// a second per 100 kB in flight): past it, it is cut as too slow.
    pub slow_reader_secs: u64,
    /// Longest phase timer a host may set, in seconds.
    pub max_phase_secs: u32,
    /// Requests a seat (a player's or the host's token, whichever
    /// connection it uses) may make per second, sustained…
    pub rate_per_sec: u32,
    /// …and in a burst. Past it: `rate_limited`.
    pub rate_burst: u32,
    /// Requests per second (sustained, and in a burst) of connections
    /// without a seat yet, per address: a class behind one router says
    /// hello and joins at once, so it is larger than a seat's.
    pub address_rate_per_sec: u32,
    pub address_rate_burst: u32,
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
    /// Addresses exempt from the per-address limits besides the cluster's
    /// other servers (which are known from the database): e.g. a load
    /// balancer in front (`--peer`). Their connections still count towards
    /// `max_connections`.
    pub peers: Vec<String>,
    /// A finished game with nobody attached leaves memory after this many
    /// milliseconds (its record stays in the store for the debrief and is
    /// loaded again when asked for).
    pub finished_idle_ms: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_message_bytes: 16 * 1024,
            outbound_queue: 1024,
            max_chat_chars: 500,
            max_games: 1000,
            max_players_per_game: 60,
            max_connections: 20_000,
            handshake_timeout_secs: 10,
            http_timeout_secs: 10,
            max_connections_per_address: 500,
            slow_reader_secs: 5,
            max_phase_secs: 3600,
            rate_per_sec: 10,
            rate_burst: 30,
            address_rate_per_sec: 50,
            address_rate_burst: 150,
            rate_strikes: 100,
            ping_interval_secs: 20,
            idle_timeout_secs: 60,
            allowed_origins: Vec::new(),
            peers: Vec::new(),
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

/// One rate limit's state: its bucket and the refusals not yet forgiven.
#[derive(Debug, Clone)]
pub struct Bucket {
    pub limiter: RateLimiter,
    /// Refused requests less one per request allowed since; past
    /// `rate_strikes` the connection is closed.
    pub strikes: u32,
}

impl Bucket {
    pub fn new(per_sec: u32, burst: u32) -> Self {
        Bucket {
            limiter: RateLimiter::new(per_sec, burst),
            strikes: 0,
        }
    }
}

/// Who a rate limit belongs to: it outlives connections, so reconnecting
/// does not refill it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum BucketKey {
    /// A connection without a seat yet, by its address.
    Address(std::net::IpAddr),
    /// A seat, by a hash of its token (the token itself is not kept).
    Seat(u64),
}

/// The rate limits of addresses and seats, shared by every connection.
#[derive(Debug, Default)]
pub struct RateBuckets {
    map: std::sync::Mutex<HashMap<BucketKey, (SharedBucket, std::time::Instant)>>,
}

/// A bucket several connections (one after the other) may use.
pub type SharedBucket = Arc<std::sync::Mutex<Bucket>>;

impl RateBuckets {
    /// The bucket of `key`, created with `per_sec`/`burst` if new.
    pub fn get(&self, key: BucketKey, per_sec: u32, burst: u32) -> SharedBucket {
        let mut map = self.map.lock().expect("rate buckets lock");
        let now = std::time::Instant::now();
        if map.len() >= 4096 {
            // Forget buckets nobody has used for a while (a full bucket
            // and a new one are the same).
            map.retain(|_, (b, used)| {
                Arc::strong_count(b) > 1 || now.duration_since(*used).as_secs() < 60
            });
        }
        let entry = map.entry(key).or_insert_with(|| {
            (
                Arc::new(std::sync::Mutex::new(Bucket::new(per_sec, burst))),
                now,
            )
        });
        entry.1 = now;
        entry.0.clone()
    }

    /// The key of a seat's token.
    pub fn seat_key(token: &str) -> BucketKey {
        use std::hash::BuildHasher;
        static KEYS: std::sync::OnceLock<std::collections::hash_map::RandomState> =
            std::sync::OnceLock::new();
        BucketKey::Seat(KEYS.get_or_init(Default::default).hash_one(token))
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

    #[test]
    fn a_seat_keeps_its_bucket_across_connections() {
        let buckets = RateBuckets::default();
        let key = RateBuckets::seat_key("K7QX3.secret");
        let first = buckets.get(key.clone(), 10, 2);
        let t = Instant::now();
        assert!(first.lock().unwrap().limiter.allow(t));
        assert!(first.lock().unwrap().limiter.allow(t));
        drop(first);
        // A new connection with the same token finds the bucket spent.
        let again = buckets.get(key, 10, 2);
        assert!(!again.lock().unwrap().limiter.allow(t));
        let other = buckets.get(RateBuckets::seat_key("K7QX3.other"), 10, 2);
        assert!(other.lock().unwrap().limiter.allow(t));
    }
}
