//! The registry of games: join codes, scenarios, tokens and the server-wide
//! counters. Short critical sections only; a game's state lives in its
//! room's task, never here.

use crate::config::Config;
use crate::pgstore::{Owner, PgStore};
use crate::room::{self, RoomHandle, RoomInit};
use crate::store::{GameRecord, LoadedGame, Store, StoreError};
use engine::{Game, Refusal, Scenario};
use protocol::{ErrorCode, GameSettings};
use rand::Rng;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::watch;
use tokio::task::JoinSet;

/// Letters and digits that cannot be confused when read aloud or copied
/// from a projector: no 0/O, no 1/I.
pub const CODE_ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
/// Length of a join code: 32^5 ≈ 33 million codes.
pub const CODE_LEN: usize = 5;

/// Shared by every connection.
pub struct Hub {
    config: Config,
    store: Arc<dyn Store>,
    rooms: Mutex<HashMap<String, RoomHandle>>,
    tasks: Mutex<JoinSet<()>>,
    /// Held while a game is loaded from the store on demand.
    loading: tokio::sync::Mutex<()>,
    connections: AtomicUsize,
    next_conn: AtomicU64,
    shutdown: watch::Sender<bool>,
    /// Rate limits of seats and addresses (they outlive connections).
    pub rate_buckets: crate::config::RateBuckets,
    /// Every connection's check that its client reads what it is sent.
    pub probes: Arc<crate::outlet::Probes>,
    /// Set when several server processes share a PostgreSQL database: who
    /// owns which game.
    cluster: Option<Arc<PgStore>>,
    /// Games this process is taking over right now (one take-over per game
    /// at a time: two would build two rooms).
    taking: Mutex<std::collections::HashSet<String>>,
    /// Addresses exempt from the per-address limits (see [`crate::net::Peers`]).
    peers: Arc<crate::net::Peers>,
    /// The address this process's outgoing connections to its peers leave
    /// from (its bound address, when bound to one), so that they know it.
    source_ip: std::sync::OnceLock<std::net::IpAddr>,
}

/// Where a game is run.
#[derive(Debug)]
pub enum Located {
    /// In this process.
    Here(RoomHandle),
    /// By another server process, reached at this WebSocket URL.
    There(String),
    /// Nowhere: no such game.
    Nowhere,
    /// The database cannot say right now.
    Unavailable,
}

impl Hub {
    /// A hub with the games of `store` that have not ended restored, each
    /// in its own room. Finished games stay in the store and are loaded
    /// when someone asks for them (their debrief, a late reconnect).
    pub async fn new(config: Config, store: Arc<dyn Store>) -> anyhow::Result<Arc<Hub>> {
        anyhow::ensure!(!config.scenarios.is_empty(), "no scenario loaded");
        let (shutdown, _) = watch::channel(false);
        let hub = Arc::new(Hub {
            config,
            store,
            rooms: Mutex::new(HashMap::new()),
            tasks: Mutex::new(JoinSet::new()),
            loading: tokio::sync::Mutex::new(()),
            connections: AtomicUsize::new(0),
            next_conn: AtomicU64::new(1),
            shutdown,
            cluster: None,
            taking: Mutex::default(),
            rate_buckets: Default::default(),
            probes: Default::default(),
            peers: Default::default(),
            source_ip: Default::default(),
        });
        hub.probes.start();
        for g in hub.store.unfinished_games().await? {
            let code = g.record.code.clone();
            if hub.start_loaded(g).is_some() {
                tracing::info!(game = %code, "game restored");
            }
        }
        Ok(hub)
    }

    /// A hub that is one of several server processes on one PostgreSQL
    /// database. It restores nothing at start: it runs the games it creates
    /// and those it claims (see [`crate::cluster`]).
    pub fn new_cluster(config: Config, store: Arc<PgStore>) -> anyhow::Result<Arc<Hub>> {
        anyhow::ensure!(!config.scenarios.is_empty(), "no scenario loaded");
        let (shutdown, _) = watch::channel(false);
        let hub = Arc::new(Hub {
            config,
            store: store.clone(),
            rooms: Mutex::new(HashMap::new()),
            tasks: Mutex::new(JoinSet::new()),
            loading: tokio::sync::Mutex::new(()),
            connections: AtomicUsize::new(0),
            next_conn: AtomicU64::new(1),
            shutdown,
            cluster: Some(store),
            taking: Mutex::default(),
            rate_buckets: Default::default(),
            probes: Default::default(),
            peers: Default::default(),
            source_ip: Default::default(),
        });
        hub.probes.start();
        Ok(hub)
    }

    /// Addresses exempt from the per-address limits.
    pub fn peers(&self) -> &Arc<crate::net::Peers> {
        &self.peers
    }

    /// Where connections to peers leave from, if bound to one address.
    pub fn source_ip(&self) -> Option<std::net::IpAddr> {
        self.source_ip.get().copied()
    }

    /// Set once the listener is bound.
    pub fn set_source_ip(&self, ip: std::net::IpAddr) {
        let _ = self.source_ip.set(ip);
    }

    /// The cluster's store, when this process is one of several.
    pub fn cluster(&self) -> Option<&Arc<PgStore>> {
        self.cluster.as_ref()
    }

    /// Start the room of a game loaded from the store, by folding its log.
    fn start_loaded(&self, g: LoadedGame) -> Option<RoomHandle> {
        let code = g.record.code.clone();
        let Some(scenario) = self.scenario(Some(&g.record.settings.scenario)) else {
            tracing::error!(game = %code, scenario = %g.record.settings.scenario,
                "cannot restore game: its scenario is not loaded (start the server with the same --scenario files)");
            return None;
        };
        let events: Vec<_> = g.events.iter().map(|e| &e.event).collect();
        let game = Game::replay(
            scenario,
            g.record.settings.clone(),
            g.record.seed,
            code.clone(),
            events,
        );
        let init = RoomInit {
            game,
            log: g.events,
            host_secret: g.record.host_secret,
            player_secrets: g.secrets.into_iter().collect(),
            answers: g.answers,
            restored_at_ms: Some(
                g.last_commit_ms
                    .unwrap_or(g.record.created_ms)
                    .min(room::now_ms()),
            ),
        };
        let (handle, task) = room::spawn(
            code.clone(),
            init,
            self.store.clone(),
            self.config.limits.clone(),
            self.shutdown.subscribe(),
        );
        self.tasks.lock().expect("hub lock").spawn(task);
        let old = self
            .rooms
            .lock()
            .expect("hub lock")
            .insert(code, handle.clone());
        if let Some(old) = old {
            // Never two rooms of one game: the older one stops.
            tokio::spawn(async move {
                old.send(room::RoomMsg::Release {
                    reason: "This game moved: reconnecting.".into(),
                })
                .await;
            });
        }
        Some(handle)
    }

    /// Stop this process's room of a game another process owns now; its
    /// members are told to reconnect.
    pub async fn release(&self, code: &str) {
        let room = self.rooms.lock().expect("hub lock").remove(code);
        if let Some(room) = room {
            room.send(room::RoomMsg::Release {
                reason: "This game moved to another server: reconnecting.".into(),
            })
            .await;
        }
    }

    /// Where the game of a join code runs. On its own this process only
    /// knows its rooms (and its store); in a cluster it asks the database,
    /// and takes a game over at once if nobody holds a live lease on it
    /// (its owner died).
    pub async fn locate(&self, code: &str) -> Located {
        let Some(pg) = &self.cluster else {
            return match self.room(code).await {
                Some(room) => Located::Here(room),
                None => Located::Nowhere,
            };
        };
        let code = normalize_code(code);
        if code.is_empty() || code.len() > 16 {
            return Located::Nowhere;
        }
        if let Some(room) = self.room_in_memory(&code) {
            return Located::Here(room);
        }
        for _ in 0..50 {
            match pg.owner(&code).await {
                Ok(Owner::Missing) => return Located::Nowhere,
                Ok(Owner::Other { addr, .. }) => return Located::There(addr),
                Ok(Owner::Me) => {
                    if let Some(room) = self.room_in_memory(&code) {
                        return Located::Here(room);
                    }
                    if self.taking.lock().expect("hub lock").contains(&code) {
                        // Being taken over by this process right now.
                        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                        continue;
                    }
                    // A finished game this process holds, out of memory.
                    return match self.room(&code).await {
                        Some(room) => Located::Here(room),
                        None => Located::Unavailable,
                    };
                }
                Ok(Owner::Vacant) => match self.take_over(&code).await {
                    Ok(true) => {
                        if let Some(room) = self.room_in_memory(&code) {
                            return Located::Here(room);
                        }
                    }
                    Ok(false) => tokio::time::sleep(std::time::Duration::from_millis(50)).await,
                    Err(e) => {
                        tracing::error!(game = %code, "could not take the game over: {e}");
                        return Located::Unavailable;
                    }
                },
                Err(e) => {
                    tracing::error!(game = %code, "could not find which server runs the game: {e}");
                    return Located::Unavailable;
                }
            }
        }
        Located::Unavailable
    }

    /// Claim a game whose lease ran out and run it here; false if another
    /// process was quicker (or its scenario is not loaded here).
    pub async fn take_over(&self, code: &str) -> Result<bool, StoreError> {
        let Some(pg) = &self.cluster else {
            return Ok(false);
        };
        if !self
            .taking
            .lock()
            .expect("hub lock")
            .insert(code.to_string())
        {
            return Ok(false);
        }
        let result = self.take_over_once(pg, code).await;
        self.taking.lock().expect("hub lock").remove(code);
        result
    }

    async fn take_over_once(&self, pg: &PgStore, code: &str) -> Result<bool, StoreError> {
        if !pg.claim(code).await? {
            return Ok(false);
        }
        self.run_claimed(pg, code).await
    }

    /// At start, in a cluster: the games an earlier process at this very
    /// address still held (it has stopped: this process has its port) come
    /// back at once, without waiting for their leases to run out.
    pub async fn reclaim_own(&self) -> Result<usize, StoreError> {
        let Some(pg) = &self.cluster else {
            return Ok(0);
        };
        let since = room::now_ms().saturating_sub(self.config.retention_ms());
        let codes = pg.reclaim_own_address(since).await?;
        let mut n = 0;
        for code in codes {
            self.taking.lock().expect("hub lock").insert(code.clone());
            let result = self.run_claimed(pg, &code).await;
            self.taking.lock().expect("hub lock").remove(&code);
            if result? {
                n += 1;
            }
        }
        Ok(n)
    }

    /// Run a game whose lease this process has just taken.
    async fn run_claimed(&self, pg: &PgStore, code: &str) -> Result<bool, StoreError> {
        let started = std::time::Instant::now();
        // A room of this game may still run here, from before this
        // process's lease lapsed: stop it before the log is read, so that
        // the new room starts from everything the old one committed and
        // only one room per game ever commits.
        let old = self.rooms.lock().expect("hub lock").remove(code);
        if let Some(old) = old {
            old.send(room::RoomMsg::Release {
                reason: "This game is being restarted on this server: reconnecting.".into(),
            })
            .await;
            if tokio::time::timeout(std::time::Duration::from_secs(10), old.closed())
                .await
                .is_err()
            {
                tracing::error!(game = %code, "an old room of the game did not stop: not taking the game over");
                let _ = pg.release(code).await;
                return Ok(false);
            }
        }
        let loaded = match pg.load_game(code).await {
            Ok(Some(g)) => g,
            Ok(None) => {
                pg.release(code).await?;
                return Ok(false);
            }
            Err(e) => {
                let _ = pg.release(code).await;
                return Err(e);
            }
        };
        let events = loaded.events.len();
        if self.start_loaded(loaded).is_none() {
            pg.release(code).await?;
            return Ok(false);
        }
        tracing::info!(game = %code, events, ms = started.elapsed().as_millis() as u64,
            "took the game over from a server process that stopped renewing its lease");
        Ok(true)
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// A scenario by id; the default when `None`.
    pub fn scenario(&self, id: Option<&str>) -> Option<Arc<Scenario>> {
        match id {
            None => self.config.scenarios.first().cloned(),
            Some(id) => self.config.scenarios.iter().find(|s| s.id == id).cloned(),
        }
    }

    /// Create a game and start its room; returns the room and the host's
    /// token. The store is written without holding any lock.
    pub async fn create_game(
        &self,
        scenario: Arc<Scenario>,
        settings: GameSettings,
        seed: u64,
    ) -> Result<(RoomHandle, String), Refusal> {
        if self.game_count() >= self.config.limits.max_games {
            tracing::warn!(
                max = self.config.limits.max_games,
                "refused a new game: the server already runs its maximum number of games (--max-games)"
            );
            return Err(Refusal::new(
                ErrorCode::Full,
                format!(
                    "This server already runs {} games, its maximum: try again when a game has ended.",
                    self.config.limits.max_games
                ),
            ));
        }
        let host_secret = new_secret();
        let mut attempts = 0;
        let code = loop {
            attempts += 1;
            let code = new_code();
            if self.rooms.lock().expect("hub lock").contains_key(&code) {
                continue;
            }
            let record = GameRecord {
                code: code.clone(),
                settings: settings.clone(),
                seed,
                host_secret: host_secret.clone(),
                created_ms: room::now_ms(),
            };
            // A finished game that left memory keeps its code in the
            // store: the store says when a code is taken.
            match self.store.create_game(&record).await {
                Ok(()) => break code,
                Err(StoreError::CodeTaken) if attempts < 20 => continue,
                Err(e) => {
                    tracing::error!("could not save a new game: {e}");
                    return Err(Refusal::new(
                        ErrorCode::Internal,
                        "The server could not save a new game (a storage problem): try again in a moment.",
                    ));
                }
            }
        };
        let token = format!("{code}.{host_secret}");
        let game = Game::new(scenario, settings, seed, code.clone());
        let (handle, task) = room::spawn(
            code.clone(),
            RoomInit::new(game, host_secret),
            self.store.clone(),
            self.config.limits.clone(),
            self.shutdown.subscribe(),
        );
        self.tasks.lock().expect("hub lock").spawn(task);
        self.rooms
            .lock()
            .expect("hub lock")
            .insert(code, handle.clone());
        Ok((handle, token))
    }

    /// The room of a join code (case-insensitive, spaces ignored), if its
    /// game still exists; a finished game that left memory is loaded back
    /// from the store.
    pub async fn room(&self, code: &str) -> Option<RoomHandle> {
        let code = normalize_code(code);
        if code.is_empty() || code.len() > 16 {
            return None;
        }
        if let Some(room) = self.room_in_memory(&code) {
            return Some(room);
        }
        // In a cluster, only a game this process holds the lease of may
        // be loaded here (others are found with `locate`).
        if self.cluster.as_ref().is_some_and(|pg| !pg.holds(&code)) {
            return None;
        }
        // One load at a time, so two requests never start two rooms.
        let _loading = self.loading.lock().await;
        if let Some(room) = self.room_in_memory(&code) {
            return Some(room);
        }
        match self.store.load_game(&code).await {
            Ok(Some(g)) => {
                let room = self.start_loaded(g);
                if room.is_some() {
                    tracing::info!(game = %code, "game loaded from the store");
                }
                room
            }
            Ok(None) => None,
            Err(e) => {
                tracing::error!(game = %code, "could not load the game: {e}");
                None
            }
        }
    }

    fn room_in_memory(&self, code: &str) -> Option<RoomHandle> {
        let mut rooms = self.rooms.lock().expect("hub lock");
        match rooms.get(code) {
            Some(r) if r.is_closed() => {
                rooms.remove(code);
                None
            }
            other => other.cloned(),
        }
    }

    /// Rooms in memory, finished games included.
    pub fn rooms_in_memory(&self) -> usize {
        let mut rooms = self.rooms.lock().expect("hub lock");
        rooms.retain(|_, r| !r.is_closed());
        rooms.len()
    }

    /// Games in play (finished games do not count).
    pub fn game_count(&self) -> usize {
        let mut rooms = self.rooms.lock().expect("hub lock");
        rooms.retain(|_, r| !r.is_closed());
        rooms.values().filter(|r| !r.has_ended()).count()
    }

    /// Delete the games that ended longer ago than the retention period,
    /// from the store and from memory.
    pub async fn purge_expired(&self) {
        let cutoff = room::now_ms().saturating_sub(self.config.retention_ms());
        let codes = match self.store.purge_ended_before(cutoff).await {
            Ok(codes) => codes,
            Err(e) => {
                tracing::error!("could not delete expired games: {e}");
                return;
            }
        };
        for code in codes {
            let room = self.rooms.lock().expect("hub lock").remove(&code);
            if let Some(room) = room {
                room.send(room::RoomMsg::Close {
                    reason: "This game's record has expired and was deleted.".into(),
                })
                .await;
            }
            tracing::info!(game = %code, "finished game deleted after the retention period");
        }
    }

    pub fn connection_count(&self) -> usize {
        self.connections.load(Ordering::Relaxed)
    }

    /// Count a new connection; `None` if the server is full.
    pub fn open_connection(self: &Arc<Self>) -> Option<ConnectionGuard> {
        let n = self.connections.fetch_add(1, Ordering::Relaxed);
        let guard = ConnectionGuard {
            hub: self.clone(),
            id: self.next_conn.fetch_add(1, Ordering::Relaxed),
        };
        (n < self.config.limits.max_connections).then_some(guard)
    }

    pub fn shutdown_signal(&self) -> watch::Receiver<bool> {
        self.shutdown.subscribe()
    }

    /// Tell every connection and room to stop.
    pub fn shutdown(&self) {
        self.shutdown.send_replace(true);
    }

    /// Wait until every connection has closed (each has said goodbye and
    /// its writer has finished: every write has a deadline), at most
    /// `limit`: the process must not end while a goodbye is still unwritten.
    pub async fn wait_for_connections(&self, limit: std::time::Duration) {
        let until = tokio::time::Instant::now() + limit;
        while self.connection_count() > 0 && tokio::time::Instant::now() < until {
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    }

    /// Wait until every room's task has finished.
    pub async fn wait_for_rooms(&self) {
        let mut tasks = std::mem::take(&mut *self.tasks.lock().expect("hub lock"));
        while tasks.join_next().await.is_some() {}
    }
}

/// Counts a connection while it lives.
pub struct ConnectionGuard {
    hub: Arc<Hub>,
    pub id: u64,
}

impl Drop for ConnectionGuard {
    fn drop(&mut self) {
        self.hub.connections.fetch_sub(1, Ordering::Relaxed);
    }
}

fn new_code() -> String {
    let mut rng = rand::rng();
    (0..CODE_LEN)
        .map(|_| char::from(CODE_ALPHABET[rng.random_range(0..CODE_ALPHABET.len())]))
        .collect()
}

/// 128 random bits from the OS-seeded CSPRNG, as hex.
pub fn new_secret() -> String {
    let bytes: [u8; 16] = rand::rng().random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Join codes are typed by people: accept lower case and stray spaces.
pub fn normalize_code(code: &str) -> String {
    code.chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// Split a token `CODE.SECRET` into its game code and secret.
pub fn split_token(token: &str) -> Option<(&str, &str)> {
    token.split_once('.')
}

/// Compare secrets in time independent of where they differ.
pub fn secrets_equal(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_avoid_confusable_characters() {
        for _ in 0..200 {
            let c = new_code();
            assert_eq!(c.len(), CODE_LEN);
            assert!(!c.contains(['0', 'O', '1', 'I']), "{c}");
        }
    }

    #[test]
    fn typed_codes_are_normalized() {
        assert_eq!(normalize_code(" abc-de "), "ABCDE");
    }

    #[test]
    fn secrets_are_128_bit_and_compare_exactly() {
        let s = new_secret();
        assert_eq!(s.len(), 32);
        assert!(secrets_equal(&s, &s.clone()));
        assert!(!secrets_equal(&s, &new_secret()));
        assert!(!secrets_equal(&s, &s[..31]));
    }
}
