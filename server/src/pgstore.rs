//! The PostgreSQL store: several server processes on one database, each
//! game owned by exactly one of them at a time.
//!
//! The tables are SQLite's (games, events, secrets, answers, with the same
//! keys) plus what several processes need:
//!
//! - `games.owner`, `games.owner_addr`, `games.lease_until`: the process
//!   that runs the game, the address its peers reach it at, and until when
//!   (the **database's** clock, so processes' clocks need not agree). The
//!   owner renews its leases every few seconds; a lease that has run out
//!   may be claimed by any process.
//! - `games.epoch`: incremented by every claim. Every commit updates the
//!   game's row `WHERE owner = me AND epoch = my epoch AND next_idx = the
//!   batch's first index`, in the same transaction as the events: a process
//!   that lost its lease (frozen, partitioned) can never commit again for
//!   that game, and a batch can never land twice or out of order.
//! - `nodes`: each process and when it was last seen, to spread the games
//!   of a dead process over the living ones.
//!
//! Migrations are numbered and applied at start, under an advisory lock so
//! that processes starting together apply each exactly once.

use crate::room::MemberKey;
use crate::store::{
    from_json, member_key, parse_member, to_json, Batch, GameRecord, LoadedGame, Store, StoreError,
    StoredAnswer,
};
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use engine::Emitted;
use protocol::{Audience, GameEvent, PlayerId};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};
use tokio_postgres::error::SqlState;
use tokio_postgres::NoTls;

/// Versioned migrations, applied in order; never edit one that shipped,
/// add the next.
const MIGRATIONS: &[(i32, &str)] = &[(
    1,
    "
CREATE TABLE games (
    code        TEXT PRIMARY KEY,
    settings    TEXT NOT NULL,
    seed        TEXT NOT NULL,
    host_secret TEXT NOT NULL,
    created_ms  BIGINT NOT NULL,
    ended_ms    BIGINT,
    updated_ms  BIGINT NOT NULL,
    next_idx    BIGINT NOT NULL DEFAULT 0,
    owner       TEXT,
    owner_addr  TEXT,
    epoch       BIGINT NOT NULL DEFAULT 0,
    lease_until TIMESTAMPTZ NOT NULL DEFAULT 'epoch'
);
CREATE INDEX games_by_lease ON games (lease_until);
CREATE INDEX games_by_owner ON games (owner);
CREATE TABLE events (
    code     TEXT NOT NULL REFERENCES games(code) ON DELETE CASCADE,
    idx      BIGINT NOT NULL,
    audience TEXT NOT NULL,
    event    TEXT NOT NULL,
    PRIMARY KEY (code, idx)
);
CREATE TABLE secrets (
    code   TEXT NOT NULL REFERENCES games(code) ON DELETE CASCADE,
    player BIGINT NOT NULL,
    secret TEXT NOT NULL,
    PRIMARY KEY (code, player)
);
CREATE TABLE answers (
    code        TEXT NOT NULL REFERENCES games(code) ON DELETE CASCADE,
    member      TEXT NOT NULL,
    request     TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    frame       TEXT NOT NULL,
    PRIMARY KEY (code, member, request)
);
CREATE TABLE nodes (
    id        TEXT PRIMARY KEY,
    addr      TEXT NOT NULL,
    last_seen TIMESTAMPTZ NOT NULL
);
",
)];

/// An arbitrary constant: the advisory lock migrations run under.
const MIGRATION_LOCK: i64 = 0x4475_616c_506f_7772; // "DualPowr"

/// Who owns a game right now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Owner {
    /// No such game.
    Missing,
    /// This process holds its lease.
    Me,
    /// Another process holds a live lease; its peers reach it here.
    Other { node: String, addr: String },
    /// Nobody holds a live lease: any process may claim it.
    Vacant,
}

/// How this process takes part.
#[derive(Debug, Clone)]
pub struct PgOptions {
    /// This process's id (unique per start).
    pub node: String,
    /// The WebSocket URL peers reach this process at (`ws://HOST:PORT/ws`).
    pub addr: String,
    /// How long a lease lasts without renewal.
    pub lease: Duration,
    /// Connections in the pool.
    pub pool_size: usize,
}

/// Games, leases and processes in PostgreSQL.
pub struct PgStore {
    pool: Pool,
    opts: PgOptions,
    /// The games this process holds, with the epoch of its lease.
    held: Held,
    /// What the commit workers share with the store.
    core: Arc<Core>,
    /// The commit queue, drained by the commit workers.
    commits: mpsc::Sender<Pending>,
}

type Held = Arc<Mutex<HashMap<String, i64>>>;

/// How many commits may wait for a worker before rooms wait to enqueue.
const COMMIT_QUEUE: usize = 4096;
/// At most this many games' batches go to the database in one statement.
const GROUP_COMMIT_MAX: usize = 256;

/// One room's commit, waiting in the queue.
struct Pending {
    code: String,
    /// The epoch of this process's lease when the commit was asked for.
    epoch: i64,
    batch: Batch,
    reply: oneshot::Sender<Result<(), StoreError>>,
}

/// How the commits have gone to the database (group commit at work).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CommitStats {
    /// Statements (each its own transaction) that committed batches.
    pub statements: u64,
    /// Batches those statements carried.
    pub batches: u64,
    /// The most batches one statement carried.
    pub largest: u64,
}

#[derive(Debug, Default)]
struct Stats {
    statements: AtomicU64,
    batches: AtomicU64,
    largest: AtomicU64,
}

/// What a commit needs: the pool, who this process is, its leases.
struct Core {
    pool: Pool,
    node: String,
    held: Held,
    stats: Stats,
}

/// The group commit statement: several games' batches, each fenced on its
/// own (`b` is one row per game). The games' rows are locked first, in
/// the order of their codes (as the lease renewal does), so two statements
/// that share games can never deadlock.
const GROUP_COMMIT_SQL: &str = "WITH b AS (
    SELECT * FROM UNNEST($2::text[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[], $7::bigint[])
        AS b(code, epoch, first, n, at_ms, ended_ms)),
 lk AS MATERIALIZED (
    SELECT games.code FROM games JOIN b ON games.code = b.code
    ORDER BY games.code FOR NO KEY UPDATE OF games),
 g AS (
    UPDATE games SET next_idx = games.next_idx + b.n, updated_ms = b.at_ms,
                     ended_ms = COALESCE(b.ended_ms, games.ended_ms)
    FROM b
    WHERE games.code = b.code AND games.code IN (SELECT code FROM lk)
      AND games.owner = $1 AND games.epoch = b.epoch AND games.next_idx = b.first
    RETURNING games.code),
 ev AS (
    INSERT INTO events (code, idx, audience, event)
    SELECT t.c, t.i, t.a, t.e FROM UNNEST($8::text[], $9::bigint[], $10::text[], $11::text[]) AS t(c, i, a, e)
    WHERE t.c IN (SELECT code FROM g)),
 se AS (
    INSERT INTO secrets (code, player, secret)
    SELECT t.c, t.p, t.s FROM UNNEST($12::text[], $13::bigint[], $14::text[]) AS t(c, p, s)
    WHERE t.c IN (SELECT code FROM g)),
 an AS (
    INSERT INTO answers (code, member, request, fingerprint, frame)
    SELECT t.c, t.m, t.r, t.f, t.x
    FROM UNNEST($15::text[], $16::text[], $17::text[], $18::text[], $19::text[]) AS t(c, m, r, f, x)
    WHERE t.c IN (SELECT code FROM g)
    ON CONFLICT (code, member, request) DO UPDATE SET fingerprint = EXCLUDED.fingerprint, frame = EXCLUDED.frame)
 SELECT code FROM g";

impl Core {
    /// Commit `group` (at most one batch per game) in one statement; if the
    /// statement fails, each batch on its own. One result per batch.
    async fn commit_group(&self, group: &[(&str, i64, &Batch)]) -> Vec<Result<(), StoreError>> {
        if group.is_empty() {
            return Vec::new();
        }
        match self.statement(group).await {
            Ok(results) => results,
            Err(e) if group.len() == 1 => vec![Err(e)],
            Err(e) => {
                tracing::warn!(
                    batches = group.len(),
                    "a group commit failed ({e}); committing its batches one by one"
                );
                let mut results = Vec::with_capacity(group.len());
                for one in group {
                    let r = match self.statement(std::slice::from_ref(one)).await {
                        Ok(mut r) => r.pop().unwrap_or(Err(StoreError::Stopped)),
                        Err(e) => Err(e),
                    };
                    results.push(r);
                }
                results
            }
        }
    }

    /// One statement for the whole group: per batch, `Ok` if it landed,
    /// the reason if its fence refused it; `Err` if the statement failed
    /// (then nothing of the group was written).
    async fn statement(
        &self,
        group: &[(&str, i64, &Batch)],
    ) -> Result<Vec<Result<(), StoreError>>, StoreError> {
        let client = self.pool.get().await.map_err(pool_err)?;
        let mut codes = Vec::with_capacity(group.len());
        let mut epochs = Vec::with_capacity(group.len());
        let mut firsts = Vec::with_capacity(group.len());
        let mut counts = Vec::with_capacity(group.len());
        let mut ats = Vec::with_capacity(group.len());
        let mut endeds: Vec<Option<i64>> = Vec::with_capacity(group.len());
        let (mut ev_code, mut ev_idx, mut ev_aud, mut ev_event) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        let (mut se_code, mut se_player, mut se_secret) = (Vec::new(), Vec::new(), Vec::new());
        // One answer per (game, member, request), the last: an upsert may
        // touch a row only once per statement.
        let mut answers: Vec<(&str, String, String, String, &str)> = Vec::new();
        for (code, epoch, batch) in group {
            codes.push(*code);
            epochs.push(*epoch);
            let first = batch.first_index as i64;
            firsts.push(first);
            counts.push(batch.events.len() as i64);
            ats.push(batch.at_ms as i64);
            endeds.push(batch.ended_ms.map(|ms| ms as i64));
            for (i, e) in batch.events.iter().enumerate() {
                ev_code.push(*code);
                ev_idx.push(first + i as i64);
                ev_aud.push(to_json(&e.audience));
                ev_event.push(to_json(&e.event));
            }
            for (player, secret) in &batch.secrets {
                se_code.push(*code);
                se_player.push(i64::from(player.0));
                se_secret.push(secret.as_str());
            }
            for a in &batch.answers {
                let member = member_key(a.member);
                let request = to_json(&a.request);
                answers.retain(|x| (x.0, &x.1, &x.2) != (*code, &member, &request));
                answers.push((
                    code,
                    member,
                    request,
                    a.fingerprint.to_string(),
                    a.frame.as_str(),
                ));
            }
        }
        let an_code: Vec<&str> = answers.iter().map(|a| a.0).collect();
        let an_member: Vec<&str> = answers.iter().map(|a| a.1.as_str()).collect();
        let an_request: Vec<&str> = answers.iter().map(|a| a.2.as_str()).collect();
        let an_fp: Vec<&str> = answers.iter().map(|a| a.3.as_str()).collect();
        let an_frame: Vec<&str> = answers.iter().map(|a| a.4).collect();
        let statement = client.prepare_cached(GROUP_COMMIT_SQL).await.map_err(pg)?;
        let rows = client
            .query(
                &statement,
                &[
                    &self.node,
                    &codes,
                    &epochs,
                    &firsts,
                    &counts,
                    &ats,
                    &endeds,
                    &ev_code,
                    &ev_idx,
                    &ev_aud,
                    &ev_event,
                    &se_code,
                    &se_player,
                    &se_secret,
                    &an_code,
                    &an_member,
                    &an_request,
                    &an_fp,
                    &an_frame,
                ],
            )
            .await
            .map_err(pg)?;
        let landed: std::collections::HashSet<String> = rows.iter().map(|r| r.get(0)).collect();
        self.stats.statements.fetch_add(1, Ordering::Relaxed);
        self.stats
            .batches
            .fetch_add(landed.len() as u64, Ordering::Relaxed);
        self.stats
            .largest
            .fetch_max(landed.len() as u64, Ordering::Relaxed);
        let mut results = Vec::with_capacity(group.len());
        for (code, epoch, batch) in group {
            if landed.contains(*code) {
                results.push(Ok(()));
            } else {
                results.push(Err(self.why_refused(&client, code, *epoch, batch).await));
            }
        }
        Ok(results)
    }

    /// A batch's fence refused it and nothing of it was written: say why
    /// (and forget a lease another process has taken).
    async fn why_refused(
        &self,
        client: &deadpool_postgres::Object,
        code: &str,
        epoch: i64,
        batch: &Batch,
    ) -> StoreError {
        let row = match client
            .query_opt(
                "SELECT owner, epoch, next_idx FROM games WHERE code = $1",
                &[&code],
            )
            .await
        {
            Ok(row) => row,
            Err(e) => return pg(e),
        };
        match row {
            None => StoreError::Corrupt(format!("game {code} is not in the database")),
            Some(r) => {
                let owner: Option<String> = r.get(0);
                let db_epoch: i64 = r.get(1);
                let next: i64 = r.get(2);
                if owner.as_deref() != Some(self.node.as_str()) || db_epoch != epoch {
                    let mut held = self.held.lock().unwrap_or_else(|e| e.into_inner());
                    if held.get(code) == Some(&epoch) {
                        held.remove(code);
                    }
                    StoreError::Fenced(format!(
                        "game {code} is now owned by another process (epoch {db_epoch}, ours was {epoch})"
                    ))
                } else {
                    StoreError::Corrupt(format!(
                        "game {code}: a batch starting at event {} does not follow the stored {next}",
                        batch.first_index
                    ))
                }
            }
        }
    }

    /// A commit worker: takes every commit waiting in the queue (one batch
    /// per game; a game's next batch waits for the next group), commits
    /// them together, answers each once its statement has returned.
    /// Several workers share the queue, so a slow statement does not hold
    /// up the next group.
    async fn work(self: Arc<Self>, queue: Arc<tokio::sync::Mutex<mpsc::Receiver<Pending>>>) {
        let mut carried: Option<Pending> = None;
        loop {
            let mut group: Vec<Pending> = Vec::new();
            {
                let mut rx = queue.lock().await;
                let first = match carried.take() {
                    Some(p) => p,
                    None => match rx.recv().await {
                        Some(p) => p,
                        None => return,
                    },
                };
                group.push(first);
                while group.len() < GROUP_COMMIT_MAX {
                    match rx.try_recv() {
                        Ok(p) if group.iter().any(|g| g.code == p.code) => {
                            carried = Some(p);
                            break;
                        }
                        Ok(p) => group.push(p),
                        Err(_) => break,
                    }
                }
            }
            let batches: Vec<(&str, i64, &Batch)> = group
                .iter()
                .map(|p| (p.code.as_str(), p.epoch, &p.batch))
                .collect();
            let results = self.commit_group(&batches).await;
            drop(batches);
            for (p, r) in group.into_iter().zip(results) {
                let _ = p.reply.send(r);
            }
        }
    }
}

/// Commit workers for a pool of `pool_size` connections: a quarter of the
/// pool, between 1 and 4 (the rest serve loads, claims and renewals).
fn committers(pool_size: usize) -> usize {
    (pool_size / 4).clamp(1, 4)
}

fn pg(e: tokio_postgres::Error) -> StoreError {
    StoreError::Postgres(e.to_string())
}

fn pool_err(e: impl std::fmt::Display) -> StoreError {
    StoreError::Postgres(e.to_string())
}

impl PgStore {
    /// Connect to `url` (`postgres://USER@HOST/DB`) and apply the
    /// migrations this build knows.
    pub async fn connect(url: &str, opts: PgOptions) -> Result<PgStore, StoreError> {
        let mut config: tokio_postgres::Config = url
            .parse()
            .map_err(|e| StoreError::Postgres(format!("the address {url:?}: {e}")))?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(5));
        }
        config.application_name("dualpower-server");
        // A process frozen in the middle of a commit (SIGSTOP, a stalled
        // VM) must not hold the game's row lock forever: the database ends
        // such a session, so another process can claim the game when its
        // lease runs out. Nothing is lost: the transaction was never
        // committed, so never acknowledged.
        let idle = (opts.lease.as_millis() / 2).clamp(1_000, 5_000);
        let options = match config.get_options() {
            // e.g. `?options=-c%20synchronous_commit%3Doff` in the URL
            Some(given) => format!("{given} -c idle_in_transaction_session_timeout={idle}"),
            None => format!("-c idle_in_transaction_session_timeout={idle}"),
        };
        config.options(options);
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(opts.pool_size.max(2))
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(Duration::from_secs(10)))
            .create_timeout(Some(Duration::from_secs(5)))
            .build()
            .map_err(pool_err)?;
        let held: Held = Arc::default();
        let core = Arc::new(Core {
            pool: pool.clone(),
            node: opts.node.clone(),
            held: held.clone(),
            stats: Stats::default(),
        });
        // A few workers, each with a group in flight: while one waits for
        // its fsync, the commits arriving meanwhile gather for the next.
        let (commits, queue) = mpsc::channel(COMMIT_QUEUE);
        let queue = Arc::new(tokio::sync::Mutex::new(queue));
        for _ in 0..committers(opts.pool_size) {
            tokio::spawn(core.clone().work(queue.clone()));
        }
        let store = PgStore {
            pool,
            opts,
            held,
            core,
            commits,
        };
        store.migrate().await?;
        store.heartbeat().await?;
        Ok(store)
    }

    async fn client(&self) -> Result<deadpool_postgres::Object, StoreError> {
        self.pool.get().await.map_err(pool_err)
    }

    fn held(&self) -> std::sync::MutexGuard<'_, HashMap<String, i64>> {
        self.held.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// This process's id.
    pub fn node(&self) -> &str {
        &self.opts.node
    }

    /// The address peers reach this process at.
    pub fn addr(&self) -> &str {
        &self.opts.addr
    }

    pub fn lease(&self) -> Duration {
        self.opts.lease
    }

    fn lease_ms(&self) -> i64 {
        self.opts.lease.as_millis() as i64
    }

    /// Whether this process holds the game's lease (as far as it knows).
    pub fn holds(&self, code: &str) -> bool {
        self.held().contains_key(code)
    }

    /// The games this process holds.
    pub fn held_count(&self) -> usize {
        self.held().len()
    }

    async fn migrate(&self) -> Result<(), StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(pg)?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
            .await
            .map_err(pg)?;
        tx.batch_execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (
                version    INT PRIMARY KEY,
                applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
            )",
        )
        .await
        .map_err(pg)?;
        let current: i32 = tx
            .query_one(
                "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
                &[],
            )
            .await
            .map_err(pg)?
            .get(0);
        let newest = MIGRATIONS.last().map_or(0, |m| m.0);
        if current > newest {
            return Err(StoreError::Corrupt(format!(
                "the database is at schema version {current}, newer than this server's {newest}: upgrade the server"
            )));
        }
        for (version, sql) in MIGRATIONS.iter().filter(|m| m.0 > current) {
            tx.batch_execute(sql).await.map_err(pg)?;
            tx.execute(
                "INSERT INTO schema_migrations (version) VALUES ($1)",
                &[version],
            )
            .await
            .map_err(pg)?;
            tracing::info!(version, "database schema migrated");
        }
        tx.commit().await.map_err(pg)?;
        Ok(())
    }

    /// Record that this process is alive (and where it is).
    pub async fn heartbeat(&self) -> Result<(), StoreError> {
        self.client()
            .await?
            .execute(
                "INSERT INTO nodes (id, addr, last_seen) VALUES ($1, $2, clock_timestamp())
                 ON CONFLICT (id) DO UPDATE SET addr = EXCLUDED.addr, last_seen = EXCLUDED.last_seen",
                &[&self.opts.node, &self.opts.addr],
            )
            .await
            .map_err(pg)?;
        Ok(())
    }

    /// Processes seen within one lease period (this one included).
    pub async fn live_nodes(&self) -> Result<usize, StoreError> {
        let n: i64 = self
            .client()
            .await?
            .query_one(
                "SELECT COUNT(*) FROM nodes WHERE last_seen > clock_timestamp() - ($1::bigint * interval '1 millisecond')",
                &[&self.lease_ms()],
            )
            .await
            .map_err(pg)?
            .get(0);
        Ok(n.max(1) as usize)
    }

    /// The addresses (`ws://HOST:PORT/ws`) of the other server processes
    /// seen recently (within three leases, or a minute): their connections
    /// are students passed along, not one machine.
    pub async fn peer_addrs(&self) -> Result<Vec<String>, StoreError> {
        let recent = (3 * self.lease_ms()).max(60_000);
        let rows = self
            .client()
            .await?
            .query(
                "SELECT DISTINCT addr FROM nodes
                 WHERE id <> $1 AND last_seen > clock_timestamp() - ($2::bigint * interval '1 millisecond')",
                &[&self.opts.node, &recent],
            )
            .await
            .map_err(pg)?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    /// Create a game owned by this process. A code already taken (by any
    /// process) is [`StoreError::CodeTaken`].
    pub async fn insert_game(&self, g: &GameRecord) -> Result<(), StoreError> {
        let epoch: i64 = 1;
        let result = self
            .client()
            .await?
            .execute(
                "INSERT INTO games (code, settings, seed, host_secret, created_ms, updated_ms, owner, owner_addr, epoch, lease_until)
                 VALUES ($1, $2, $3, $4, $5, $5, $6, $7, $8, clock_timestamp() + ($9::bigint * interval '1 millisecond'))",
                &[
                    &g.code,
                    &to_json(&g.settings),
                    &g.seed.to_string(),
                    &g.host_secret,
                    &(g.created_ms as i64),
                    &self.opts.node,
                    &self.opts.addr,
                    &epoch,
                    &self.lease_ms(),
                ],
            )
            .await;
        match result {
            Ok(_) => {
                self.held().insert(g.code.clone(), epoch);
                Ok(())
            }
            Err(e) if e.code() == Some(&SqlState::UNIQUE_VIOLATION) => Err(StoreError::CodeTaken),
            Err(e) => Err(pg(e)),
        }
    }

    /// Commit one batch, fenced by this process's lease on the game,
    /// durable when it returns. It goes through the commit queue: batches
    /// of other games waiting at the same moment go to the database in the
    /// same statement (group commit, [`PgStore::commit_together`]).
    pub async fn commit_batch(&self, code: &str, batch: &Batch) -> Result<(), StoreError> {
        self.enqueue(code, batch.clone()).await
    }

    async fn enqueue(&self, code: &str, batch: Batch) -> Result<(), StoreError> {
        let Some(epoch) = self.held().get(code).copied() else {
            return Err(StoreError::Fenced(format!(
                "this process does not own game {code}"
            )));
        };
        let (reply, answer) = oneshot::channel();
        self.commits
            .send(Pending {
                code: code.to_string(),
                epoch,
                batch,
                reply,
            })
            .await
            .map_err(|_| StoreError::Stopped)?;
        answer.await.map_err(|_| StoreError::Stopped)?
    }

    /// Commit several games' batches (at most one per game) in one
    /// statement, each fenced on its own: a game's row is updated only
    /// `WHERE owner = me AND epoch = my epoch AND next_idx = the batch's
    /// first index`, and its events, secrets and answers are written only
    /// if it was. A game whose fence fails is refused alone; the others
    /// commit. If the statement itself fails, each batch is retried on its
    /// own, so one bad batch cannot fail the others. One result per batch,
    /// in order; `Ok` only once durable.
    pub async fn commit_together(&self, batches: &[(&str, &Batch)]) -> Vec<Result<(), StoreError>> {
        let group: Vec<(&str, Option<i64>, &Batch)> = {
            let held = self.held();
            batches
                .iter()
                .map(|(code, batch)| (*code, held.get(*code).copied(), *batch))
                .collect()
        };
        let mut results: Vec<Option<Result<(), StoreError>>> = Vec::with_capacity(group.len());
        let mut fenced_in: Vec<(&str, i64, &Batch)> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for (code, epoch, batch) in &group {
            match epoch {
                None => results.push(Some(Err(StoreError::Fenced(format!(
                    "this process does not own game {code}"
                ))))),
                Some(_) if !seen.insert(*code) => results.push(Some(Err(StoreError::Other(
                    format!("game {code}: two batches in one group commit"),
                )))),
                Some(e) => {
                    results.push(None);
                    fenced_in.push((code, *e, batch));
                }
            }
        }
        let mut done = self.core.commit_group(&fenced_in).await.into_iter();
        results
            .into_iter()
            .map(|r| r.unwrap_or_else(|| done.next().unwrap_or(Err(StoreError::Stopped))))
            .collect()
    }

    /// How the commits have gone to the database so far.
    pub fn commit_stats(&self) -> CommitStats {
        CommitStats {
            statements: self.core.stats.statements.load(Ordering::Relaxed),
            batches: self.core.stats.batches.load(Ordering::Relaxed),
            largest: self.core.stats.largest.load(Ordering::Relaxed),
        }
    }

    /// One game with its whole log.
    pub async fn load_game(&self, code: &str) -> Result<Option<LoadedGame>, StoreError> {
        let client = self.client().await?;
        let Some(row) = client
            .query_opt(
                "SELECT code, settings, seed, host_secret, created_ms, updated_ms, ended_ms FROM games WHERE code = $1",
                &[&code],
            )
            .await
            .map_err(pg)?
        else {
            return Ok(None);
        };
        Ok(Some(load_rest(&client, row).await?))
    }

    /// Every unfinished game, and every game that ended at or after
    /// `ended_since_ms`.
    pub async fn load_since(&self, ended_since_ms: u64) -> Result<Vec<LoadedGame>, StoreError> {
        let client = self.client().await?;
        let since = ended_since_ms.min(i64::MAX as u64) as i64;
        let rows = client
            .query(
                "SELECT code, settings, seed, host_secret, created_ms, updated_ms, ended_ms FROM games
                 WHERE ended_ms IS NULL OR ended_ms >= $1 ORDER BY created_ms",
                &[&since],
            )
            .await
            .map_err(pg)?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            out.push(load_rest(&client, row).await?);
        }
        Ok(out)
    }

    /// Forget a game and everything about it.
    pub async fn remove_game(&self, code: &str) -> Result<(), StoreError> {
        self.client()
            .await?
            .execute("DELETE FROM games WHERE code = $1", &[&code])
            .await
            .map_err(pg)?;
        self.held().remove(code);
        Ok(())
    }

    /// Forget every game that ended before `cutoff_ms`; their codes.
    pub async fn purge_before(&self, cutoff_ms: u64) -> Result<Vec<String>, StoreError> {
        let cutoff = cutoff_ms.min(i64::MAX as u64) as i64;
        let rows = self
            .client()
            .await?
            .query(
                "DELETE FROM games WHERE ended_ms IS NOT NULL AND ended_ms < $1 RETURNING code",
                &[&cutoff],
            )
            .await
            .map_err(pg)?;
        let codes: Vec<String> = rows.iter().map(|r| r.get(0)).collect();
        let mut held = self.held();
        for c in &codes {
            held.remove(c);
        }
        Ok(codes)
    }

    /// Who owns `code`.
    pub async fn owner(&self, code: &str) -> Result<Owner, StoreError> {
        let row = self
            .client()
            .await?
            .query_opt(
                "SELECT owner, owner_addr, epoch, lease_until > clock_timestamp() FROM games WHERE code = $1",
                &[&code],
            )
            .await
            .map_err(pg)?;
        let Some(row) = row else {
            return Ok(Owner::Missing);
        };
        let owner: Option<String> = row.get(0);
        let addr: Option<String> = row.get(1);
        let epoch: i64 = row.get(2);
        let live: bool = row.get(3);
        Ok(match (owner, addr, live) {
            (Some(o), _, true) if o == self.opts.node && self.held().get(code) == Some(&epoch) => {
                Owner::Me
            }
            (Some(node), Some(addr), true) if node != self.opts.node => Owner::Other { node, addr },
            // No live lease; or this process's own, being taken (its room
            // is not running yet).
            _ => Owner::Vacant,
        })
    }

    /// Take the game's lease if nobody holds a live one; true if this
    /// process now owns it (with a new epoch: whoever owned it before can no
    /// longer commit).
    pub async fn claim(&self, code: &str) -> Result<bool, StoreError> {
        let row = self
            .client()
            .await?
            .query_opt(
                "UPDATE games SET owner = $2, owner_addr = $3, epoch = epoch + 1,
                        lease_until = clock_timestamp() + ($4::bigint * interval '1 millisecond')
                 WHERE code = $1 AND (lease_until <= clock_timestamp() OR owner IS NULL)
                 RETURNING epoch",
                &[&code, &self.opts.node, &self.opts.addr, &self.lease_ms()],
            )
            .await
            .map_err(pg)?;
        match row {
            Some(r) => {
                let epoch: i64 = r.get(0);
                self.held().insert(code.to_string(), epoch);
                Ok(true)
            }
            None => Ok(false),
        }
    }

    /// Take every game still held by an earlier process at this process's
    /// address (unfinished, or ended at or after `ended_since_ms`): that
    /// process has stopped, since this one is bound to its address. Their
    /// codes.
    pub async fn reclaim_own_address(
        &self,
        ended_since_ms: u64,
    ) -> Result<Vec<String>, StoreError> {
        let since = ended_since_ms.min(i64::MAX as u64) as i64;
        let rows = self
            .client()
            .await?
            .query(
                "UPDATE games SET owner = $1, epoch = epoch + 1,
                        lease_until = clock_timestamp() + ($3::bigint * interval '1 millisecond')
                 WHERE owner_addr = $2 AND owner <> $1 AND (ended_ms IS NULL OR ended_ms >= $4)
                 RETURNING code, epoch",
                &[&self.opts.node, &self.opts.addr, &self.lease_ms(), &since],
            )
            .await
            .map_err(pg)?;
        let mut held = self.held();
        Ok(rows
            .iter()
            .map(|r| {
                let code: String = r.get(0);
                held.insert(code.clone(), r.get(1));
                code
            })
            .collect())
    }

    /// Give a game up (this process is stopping, or could not load it): its
    /// lease ends now, so another process may take it at once.
    pub async fn release(&self, code: &str) -> Result<(), StoreError> {
        let Some(epoch) = self.held().remove(code) else {
            return Ok(());
        };
        self.client()
            .await?
            .execute(
                "UPDATE games SET lease_until = 'epoch' WHERE code = $1 AND owner = $2 AND epoch = $3",
                &[&code, &self.opts.node, &epoch],
            )
            .await
            .map_err(pg)?;
        Ok(())
    }

    /// Give every held game up (a graceful stop) and leave the cluster.
    pub async fn release_all(&self) -> Result<usize, StoreError> {
        let held: Vec<(String, i64)> = self.held().drain().collect();
        let codes: Vec<&str> = held.iter().map(|h| h.0.as_str()).collect();
        let epochs: Vec<i64> = held.iter().map(|h| h.1).collect();
        let client = self.client().await?;
        let n = client
            .execute(
                "WITH lk AS MATERIALIZED (
                    SELECT code FROM games WHERE code = ANY($2) AND owner = $1
                    ORDER BY code FOR NO KEY UPDATE)
                 UPDATE games g SET lease_until = 'epoch' FROM UNNEST($2::text[], $3::bigint[]) AS h(code, epoch)
                 WHERE g.code = h.code AND g.code IN (SELECT code FROM lk) AND g.epoch = h.epoch AND g.owner = $1",
                &[&self.opts.node, &codes, &epochs],
            )
            .await
            .map_err(pg)?;
        client
            .execute("DELETE FROM nodes WHERE id = $1", &[&self.opts.node])
            .await
            .map_err(pg)?;
        Ok(n as usize)
    }

    /// Renew every lease this process holds; returns the games it has lost
    /// (claimed by another process after its lease ran out, or deleted).
    pub async fn renew(&self) -> Result<Vec<String>, StoreError> {
        let held: Vec<(String, i64)> = self.held().iter().map(|(c, e)| (c.clone(), *e)).collect();
        self.heartbeat().await?;
        if held.is_empty() {
            return Ok(Vec::new());
        }
        let codes: Vec<&str> = held.iter().map(|h| h.0.as_str()).collect();
        let epochs: Vec<i64> = held.iter().map(|h| h.1).collect();
        let rows = self
            .client()
            .await?
            .query(
                // The rows are locked in the order of their codes, as a
                // group commit locks them: the two never deadlock.
                "WITH lk AS MATERIALIZED (
                    SELECT code FROM games WHERE code = ANY($2) AND owner = $1
                    ORDER BY code FOR NO KEY UPDATE)
                 UPDATE games g SET lease_until = clock_timestamp() + ($4::bigint * interval '1 millisecond')
                 FROM UNNEST($2::text[], $3::bigint[]) AS h(code, epoch)
                 WHERE g.code = h.code AND g.code IN (SELECT code FROM lk) AND g.epoch = h.epoch AND g.owner = $1
                 RETURNING g.code",
                &[&self.opts.node, &codes, &epochs, &self.lease_ms()],
            )
            .await
            .map_err(pg)?;
        let renewed: std::collections::HashSet<String> = rows.iter().map(|r| r.get(0)).collect();
        let mut lost = Vec::new();
        let mut map = self.held();
        for (code, epoch) in held {
            if !renewed.contains(&code) && map.get(&code) == Some(&epoch) {
                map.remove(&code);
                lost.push(code);
            }
        }
        Ok(lost)
    }

    /// Games nobody holds a live lease on (their owner died or stopped),
    /// unfinished or ended at or after `ended_since_ms`, in random order:
    /// candidates to claim.
    pub async fn vacant(
        &self,
        ended_since_ms: u64,
        limit: usize,
    ) -> Result<Vec<String>, StoreError> {
        let since = ended_since_ms.min(i64::MAX as u64) as i64;
        let rows = self
            .client()
            .await?
            .query(
                "SELECT code FROM games
                 WHERE lease_until <= clock_timestamp() AND (ended_ms IS NULL OR ended_ms >= $1)
                 ORDER BY random() LIMIT $2",
                &[&since, &(limit as i64)],
            )
            .await
            .map_err(pg)?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    /// How many games are vacant right now.
    pub async fn vacant_count(&self, ended_since_ms: u64) -> Result<usize, StoreError> {
        let since = ended_since_ms.min(i64::MAX as u64) as i64;
        let n: i64 = self
            .client()
            .await?
            .query_one(
                "SELECT COUNT(*) FROM games WHERE lease_until <= clock_timestamp() AND (ended_ms IS NULL OR ended_ms >= $1)",
                &[&since],
            )
            .await
            .map_err(pg)?
            .get(0);
        Ok(n as usize)
    }
}

async fn load_rest(
    client: &deadpool_postgres::Object,
    row: tokio_postgres::Row,
) -> Result<LoadedGame, StoreError> {
    let code: String = row.get(0);
    let settings: String = row.get(1);
    let seed: String = row.get(2);
    let created_ms: i64 = row.get(4);
    let updated_ms: i64 = row.get(5);
    let record = GameRecord {
        settings: from_json(&settings)?,
        seed: seed
            .parse()
            .map_err(|_| StoreError::Corrupt(format!("seed {seed}")))?,
        host_secret: row.get(3),
        created_ms: created_ms as u64,
        code: code.clone(),
    };
    let ended_ms: Option<i64> = row.get(6);
    let rows = client
        .query(
            "SELECT idx, audience, event FROM events WHERE code = $1 ORDER BY idx",
            &[&code],
        )
        .await
        .map_err(pg)?;
    let mut events = Vec::with_capacity(rows.len());
    for (i, r) in rows.iter().enumerate() {
        let idx: i64 = r.get(0);
        if idx != i as i64 {
            return Err(StoreError::Corrupt(format!(
                "game {code}: event {i} is stored at index {idx}"
            )));
        }
        let audience: Audience = from_json(r.get(1))?;
        let event: GameEvent = from_json(r.get(2))?;
        events.push(Emitted { audience, event });
    }
    let rows = client
        .query(
            "SELECT player, secret FROM secrets WHERE code = $1 ORDER BY player",
            &[&code],
        )
        .await
        .map_err(pg)?;
    let secrets = rows
        .iter()
        .map(|r| (PlayerId(r.get::<_, i64>(0) as u32), r.get::<_, String>(1)))
        .collect();
    let rows = client
        .query(
            "SELECT member, request, fingerprint, frame FROM answers WHERE code = $1",
            &[&code],
        )
        .await
        .map_err(pg)?;
    let mut answers = Vec::with_capacity(rows.len());
    for r in rows {
        let fp: String = r.get(2);
        let member: MemberKey = parse_member(r.get(0))?;
        answers.push(StoredAnswer {
            member,
            request: from_json(r.get(1))?,
            fingerprint: fp
                .parse()
                .map_err(|_| StoreError::Corrupt(format!("fingerprint {fp}")))?,
            frame: r.get(3),
        });
    }
    Ok(LoadedGame {
        record,
        events,
        secrets,
        answers,
        last_commit_ms: Some(updated_ms as u64),
        ended_ms: ended_ms.map(|ms| ms as u64),
    })
}

#[async_trait::async_trait]
impl Store for PgStore {
    async fn create_game(&self, game: &GameRecord) -> Result<(), StoreError> {
        self.insert_game(game).await
    }

    async fn commit(&self, code: &str, batch: Batch) -> Result<(), StoreError> {
        self.enqueue(code, batch).await
    }

    async fn load_game(&self, code: &str) -> Result<Option<LoadedGame>, StoreError> {
        PgStore::load_game(self, code).await
    }

    async fn unfinished_games(&self) -> Result<Vec<LoadedGame>, StoreError> {
        self.load_since(u64::MAX).await
    }

    async fn delete_game(&self, code: &str) -> Result<(), StoreError> {
        self.remove_game(code).await
    }

    async fn purge_ended_before(&self, cutoff_ms: u64) -> Result<Vec<String>, StoreError> {
        self.purge_before(cutoff_ms).await
    }
}
