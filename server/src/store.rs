//! Durable storage of games: their settings, event logs, player secrets and
//! the answers to requests (for idempotent resends).
//!
//! [`Store`] is the seam: rooms call it synchronously, once per accepted
//! command, *before* anyone sees the command's events. [`SqliteStore`] is the
//! embedded implementation (rusqlite, bundled SQLite: nothing to install);
//! [`crate::pgstore::PgStore`] is the PostgreSQL one, for several server
//! processes on one database (see ARCHITECTURE.md, "Past one machine").
//!
//! SQLite runs in WAL mode with `synchronous = NORMAL`: a committed
//! transaction survives the server process being killed at any moment
//! (SIGKILL, a crash), which is the failure a classroom server meets. Only
//! a power cut or OS crash can lose the last few transactions, and even
//! then the file is never corrupted. `FULL` would fsync every command (a
//! few milliseconds each on a laptop disk) for protection against an event
//! a class can survive by replaying a minute.

use crate::room::MemberKey;
use engine::Emitted;
use protocol::{Audience, GameEvent, GameSettings, PlayerId, RequestId};
use rusqlite::{params, Connection, OptionalExtension};
use std::path::Path;
use std::sync::Mutex;

/// Why the store failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("database: {0}")]
    Postgres(String),
    #[error("stored data is unreadable: {0}")]
    Corrupt(String),
    /// The join code is taken (by a game on any server process).
    #[error("that join code is already taken")]
    Duplicate,
    /// This process no longer owns the game: another process took it over
    /// (after this one stalled past its lease) and nothing was written.
    #[error("fenced: {0}")]
    Fenced(String),
}

/// What is known about a game when it is created.
#[derive(Debug, Clone)]
pub struct GameRecord {
    pub code: String,
    pub settings: GameSettings,
    pub seed: u64,
    pub host_secret: String,
    pub created_ms: u64,
}

/// The answer to a request, kept so a resend gets the same answer.
#[derive(Debug, Clone)]
pub struct StoredAnswer {
    pub member: MemberKey,
    pub request: RequestId,
    /// A fingerprint of the request's content: a resend must be the same
    /// request, not merely reuse the id (clients that restart their id
    /// counters after a reconnect must not have new requests swallowed).
    pub fingerprint: u64,
    /// The answer as sent (a JSON text frame).
    pub frame: String,
}

/// Everything one accepted command changes, committed atomically.
#[derive(Debug, Default)]
pub struct Batch<'a> {
    /// Index in the game's log of the first event.
    pub first_index: u64,
    pub events: &'a [Emitted],
    /// New players' secrets.
    pub secrets: Vec<(PlayerId, String)>,
    pub answer: Option<StoredAnswer>,
    /// The game ended with these events.
    pub ended_ms: Option<u64>,
}

/// A game as loaded back.
#[derive(Debug)]
pub struct LoadedGame {
    pub record: GameRecord,
    pub events: Vec<Emitted>,
    pub secrets: Vec<(PlayerId, String)>,
    pub answers: Vec<StoredAnswer>,
}

/// Where games are kept.
pub trait Store: Send + Sync + 'static {
    fn create_game(&self, game: &GameRecord) -> Result<(), StoreError>;
    /// Commit one command's effects; must be durable when it returns.
    fn commit(&self, code: &str, batch: &Batch) -> Result<(), StoreError>;
    /// Every game that has not ended, with its log, to restore at start.
    fn unfinished_games(&self) -> Result<Vec<LoadedGame>, StoreError> {
        self.games_since(u64::MAX)
    }
    /// Every unfinished game, and every game that ended at or after
    /// `ended_since_ms` (so its debrief can still be downloaded).
    fn games_since(&self, ended_since_ms: u64) -> Result<Vec<LoadedGame>, StoreError>;
    /// Forget a game and everything about it.
    fn delete_game(&self, code: &str) -> Result<(), StoreError>;
    /// Forget every game that ended before `cutoff_ms`; their codes.
    fn purge_ended_before(&self, cutoff_ms: u64) -> Result<Vec<String>, StoreError>;
}

/// The embedded SQLite store.
pub struct SqliteStore {
    conn: Mutex<Connection>,
}

impl SqliteStore {
    /// Open (or create) the database at `path`; `:memory:` keeps nothing.
    pub fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        let conn = if path.as_os_str() == ":memory:" {
            Connection::open_in_memory()?
        } else {
            Connection::open(path)?
        };
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.execute_batch(SCHEMA)?;
        Ok(SqliteStore {
            conn: Mutex::new(conn),
        })
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave a half-written
        // transaction behind (it rolls back on drop), so the data is fine.
        self.conn.lock().unwrap_or_else(|e| e.into_inner())
    }
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS games (
    code        TEXT PRIMARY KEY,
    settings    TEXT NOT NULL,
    seed        TEXT NOT NULL,
    host_secret TEXT NOT NULL,
    created_ms  INTEGER NOT NULL,
    ended_ms    INTEGER
);
CREATE TABLE IF NOT EXISTS events (
    code     TEXT NOT NULL REFERENCES games(code) ON DELETE CASCADE,
    idx      INTEGER NOT NULL,
    audience TEXT NOT NULL,
    event    TEXT NOT NULL,
    PRIMARY KEY (code, idx)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS secrets (
    code   TEXT NOT NULL REFERENCES games(code) ON DELETE CASCADE,
    player INTEGER NOT NULL,
    secret TEXT NOT NULL,
    PRIMARY KEY (code, player)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS answers (
    code    TEXT NOT NULL REFERENCES games(code) ON DELETE CASCADE,
    member  TEXT NOT NULL,
    request TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    frame   TEXT NOT NULL,
    PRIMARY KEY (code, member, request)
) WITHOUT ROWID;
";

pub(crate) fn to_json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).expect("protocol types serialize")
}

pub(crate) fn from_json<T: serde::de::DeserializeOwned>(s: &str) -> Result<T, StoreError> {
    serde_json::from_str(s).map_err(|e| StoreError::Corrupt(format!("{e}: {s}")))
}

pub(crate) fn member_key(m: MemberKey) -> String {
    match m {
        MemberKey::Host => "host".into(),
        MemberKey::Spectator => "spectator".into(),
        MemberKey::Player(p) => format!("p{}", p.0),
    }
}

pub(crate) fn parse_member(s: &str) -> Result<MemberKey, StoreError> {
    match s {
        "host" => Ok(MemberKey::Host),
        "spectator" => Ok(MemberKey::Spectator),
        p => p
            .strip_prefix('p')
            .and_then(|n| n.parse().ok())
            .map(|n| MemberKey::Player(PlayerId(n)))
            .ok_or_else(|| StoreError::Corrupt(format!("member {s}"))),
    }
}

impl Store for SqliteStore {
    fn create_game(&self, g: &GameRecord) -> Result<(), StoreError> {
        self.conn().execute(
            "INSERT INTO games (code, settings, seed, host_secret, created_ms) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![g.code, to_json(&g.settings), g.seed.to_string(), g.host_secret, g.created_ms as i64],
        )?;
        Ok(())
    }

    fn commit(&self, code: &str, batch: &Batch) -> Result<(), StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        {
            let mut insert = tx.prepare_cached(
                "INSERT INTO events (code, idx, audience, event) VALUES (?1, ?2, ?3, ?4)",
            )?;
            for (i, e) in batch.events.iter().enumerate() {
                insert.execute(params![
                    code,
                    (batch.first_index + i as u64) as i64,
                    to_json(&e.audience),
                    to_json(&e.event)
                ])?;
            }
            for (player, secret) in &batch.secrets {
                tx.execute(
                    "INSERT INTO secrets (code, player, secret) VALUES (?1, ?2, ?3)",
                    params![code, player.0, secret],
                )?;
            }
            if let Some(a) = &batch.answer {
                tx.execute(
                    "INSERT OR REPLACE INTO answers (code, member, request, fingerprint, frame) VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![code, member_key(a.member), to_json(&a.request), a.fingerprint.to_string(), a.frame],
                )?;
            }
            if let Some(ms) = batch.ended_ms {
                tx.execute(
                    "UPDATE games SET ended_ms = ?2 WHERE code = ?1",
                    params![code, ms as i64],
                )?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    fn delete_game(&self, code: &str) -> Result<(), StoreError> {
        self.conn()
            .execute("DELETE FROM games WHERE code = ?1", [code])?;
        Ok(())
    }

    fn purge_ended_before(&self, cutoff_ms: u64) -> Result<Vec<String>, StoreError> {
        let conn = self.conn();
        let mut q =
            conn.prepare("SELECT code FROM games WHERE ended_ms IS NOT NULL AND ended_ms < ?1")?;
        let codes = q
            .query_map([cutoff_ms as i64], |r| r.get::<_, String>(0))?
            .collect::<Result<Vec<_>, _>>()?;
        conn.execute(
            "DELETE FROM games WHERE ended_ms IS NOT NULL AND ended_ms < ?1",
            [cutoff_ms as i64],
        )?;
        Ok(codes)
    }

    fn games_since(&self, ended_since_ms: u64) -> Result<Vec<LoadedGame>, StoreError> {
        let conn = self.conn();
        let mut games = conn.prepare(
            "SELECT code, settings, seed, host_secret, created_ms FROM games WHERE ended_ms IS NULL OR ended_ms >= ?1 ORDER BY created_ms",
        )?;
        let since = ended_since_ms.min(i64::MAX as u64) as i64;
        let records = games
            .query_map([since], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, i64>(4)?,
                ))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        let mut out = Vec::new();
        for (code, settings, seed, host_secret, created_ms) in records {
            let record = GameRecord {
                settings: from_json(&settings)?,
                seed: seed
                    .parse()
                    .map_err(|_| StoreError::Corrupt(format!("seed {seed}")))?,
                host_secret,
                created_ms: created_ms as u64,
                code: code.clone(),
            };
            let mut q = conn.prepare_cached(
                "SELECT audience, event FROM events WHERE code = ?1 ORDER BY idx",
            )?;
            let rows = q
                .query_map([&code], |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
                })?
                .collect::<Result<Vec<_>, _>>()?;
            let mut events = Vec::with_capacity(rows.len());
            for (a, e) in rows {
                let audience: Audience = from_json(&a)?;
                let event: GameEvent = from_json(&e)?;
                events.push(Emitted { audience, event });
            }
            let mut q =
                conn.prepare_cached("SELECT player, secret FROM secrets WHERE code = ?1")?;
            let secrets = q
                .query_map([&code], |r| {
                    Ok((PlayerId(r.get(0)?), r.get::<_, String>(1)?))
                })?
                .collect::<Result<Vec<_>, _>>()?;
            let mut q = conn.prepare_cached(
                "SELECT member, request, fingerprint, frame FROM answers WHERE code = ?1",
            )?;
            let raw = q
                .query_map([&code], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, String>(3)?,
                    ))
                })?
                .collect::<Result<Vec<_>, _>>()?;
            let mut answers = Vec::with_capacity(raw.len());
            for (m, req, fp, frame) in raw {
                answers.push(StoredAnswer {
                    member: parse_member(&m)?,
                    request: from_json(&req)?,
                    fingerprint: fp
                        .parse()
                        .map_err(|_| StoreError::Corrupt(format!("fingerprint {fp}")))?,
                    frame,
                });
            }
            out.push(LoadedGame {
                record,
                events,
                secrets,
                answers,
            });
        }
        Ok(out)
    }
}

/// Whether a game with this code exists (for tests and tools).
pub fn game_exists(store: &SqliteStore, code: &str) -> Result<bool, StoreError> {
    Ok(store
        .conn()
        .query_row("SELECT 1 FROM games WHERE code = ?1", [code], |_| Ok(()))
        .optional()?
        .is_some())
}

#[cfg(test)]
mod tests {
    use super::*;
    use protocol::{FactionChoice, PhaseTimers};

    fn record(code: &str) -> GameRecord {
        GameRecord {
            code: code.into(),
            settings: GameSettings {
                scenario: "petrograd-1917".into(),
                timers: PhaseTimers {
                    briefing: 1,
                    negotiation: 1,
                    proposals: 1,
                    voting: 1,
                    resolution: 1,
                },
                faction_choice: FactionChoice::Choose,
                characters: false,
            },
            seed: u64::MAX,
            host_secret: "s".into(),
            created_ms: 1,
        }
    }

    #[test]
    fn a_committed_batch_comes_back_in_order() {
        let dir = std::env::temp_dir().join(format!("dp-store-{}", std::process::id()));
        let _ = std::fs::remove_file(&dir);
        let store = SqliteStore::open(&dir).unwrap();
        store.create_game(&record("ABCDE")).unwrap();
        let events = vec![
            Emitted {
                audience: Audience::Everyone,
                event: GameEvent::GameStarted { rounds: 8 },
            },
            Emitted {
                audience: Audience::Host,
                event: GameEvent::MotionWithdrawn {
                    motion: protocol::MotionId(3),
                },
            },
        ];
        store
            .commit(
                "ABCDE",
                &Batch {
                    first_index: 0,
                    events: &events,
                    secrets: vec![(PlayerId(1), "x".into())],
                    answer: Some(StoredAnswer {
                        member: MemberKey::Player(PlayerId(1)),
                        request: RequestId::Number(7),
                        fingerprint: 42,
                        frame: "{}".into(),
                    }),
                    ended_ms: None,
                },
            )
            .unwrap();
        drop(store);
        let store = SqliteStore::open(&dir).unwrap();
        let games = store.unfinished_games().unwrap();
        assert_eq!(games.len(), 1);
        let g = &games[0];
        assert_eq!(g.record.seed, u64::MAX);
        assert_eq!(g.events, events);
        assert_eq!(g.secrets, vec![(PlayerId(1), "x".to_string())]);
        assert_eq!(g.answers[0].member, MemberKey::Player(PlayerId(1)));
        // An ended game is not restored.
        store
            .commit(
                "ABCDE",
                &Batch {
                    first_index: 2,
                    events: &[],
                    ended_ms: Some(5),
                    ..Default::default()
                },
            )
            .unwrap();
        assert!(store.unfinished_games().unwrap().is_empty());
        assert_eq!(
            store.games_since(5).unwrap().len(),
            1,
            "kept for its debrief"
        );
        assert!(game_exists(&store, "ABCDE").unwrap());
        // Retention: ended before the cutoff means gone, log and all.
        assert!(store.purge_ended_before(5).unwrap().is_empty());
        assert_eq!(
            store.purge_ended_before(6).unwrap(),
            vec!["ABCDE".to_string()]
        );
        assert!(!game_exists(&store, "ABCDE").unwrap());
        let n: i64 = store
            .conn()
            .query_row("SELECT COUNT(*) FROM events", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 0, "the events went with the game");
        let _ = std::fs::remove_file(&dir);
    }
}
