//! The PostgreSQL store against a real database: what SQLite guarantees
//! (a batch is one transaction, logs come back in order), plus leases and
//! fencing between several processes.
//!
//! Runs when PostgreSQL answers at `DUALPOWER_TEST_POSTGRES` (default
//! `postgres://postgres@127.0.0.1:5432/test`); each test creates its own
//! database and drops it. Without a database the tests say so and pass,
//! unless `DUALPOWER_REQUIRE_POSTGRES=1` (CI), where they fail.

use engine::Emitted;
use protocol::{
    Audience, FactionChoice, GameEvent, GameSettings, MotionId, PhaseTimers, PlayerId, RequestId,
};
use server::pgstore::{Owner, PgOptions, PgStore};
use server::room::MemberKey;
use server::store::{Batch, GameRecord, StoreError, StoredAnswer};
use std::time::Duration;
use tokio_postgres::NoTls;

fn base_url() -> String {
    std::env::var("DUALPOWER_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

/// A fresh database for one test, dropped at the end.
struct TestDb {
    name: String,
    url: String,
}

impl TestDb {
    async fn create() -> Option<TestDb> {
        let base = base_url();
        let required = std::env::var("DUALPOWER_REQUIRE_POSTGRES").is_ok_and(|v| v == "1");
        let (client, conn) = match tokio_postgres::connect(&base, NoTls).await {
            Ok(c) => c,
            Err(e) => {
                assert!(
                    !required,
                    "DUALPOWER_REQUIRE_POSTGRES=1 but PostgreSQL is not reachable at {base}: {e}"
                );
                // Straight to stderr: a test's eprintln! is captured, and a
                // skip must be seen.
                let _ = std::io::Write::write_fmt(
                    &mut std::io::stderr(),
                    format_args!(
                        "SKIPPED: PostgreSQL is not reachable at {base} ({e}); \
                         set DUALPOWER_TEST_POSTGRES to run the PostgreSQL tests\n"
                    ),
                );
                return None;
            }
        };
        tokio::spawn(conn);
        let name = format!(
            "dp_store_{}",
            server::hub::new_secret()[..12].to_lowercase()
        );
        client
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .await
            .expect("create a test database");
        let url = url_with_db(&base, &name);
        Some(TestDb { name, url })
    }

    async fn store(&self, node: &str, lease_ms: u64) -> PgStore {
        self.store_at(node, &format!("ws://{node}.example:8080/ws"), lease_ms)
            .await
    }

    async fn store_at(&self, node: &str, addr: &str, lease_ms: u64) -> PgStore {
        PgStore::connect(
            &self.url,
            PgOptions {
                node: node.into(),
                addr: addr.into(),
                lease: Duration::from_millis(lease_ms),
                pool_size: 4,
            },
        )
        .await
        .expect("connect the store")
    }

    async fn sql(&self) -> tokio_postgres::Client {
        let (client, conn) = tokio_postgres::connect(&self.url, NoTls).await.unwrap();
        tokio::spawn(conn);
        client
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let base = base_url();
        let name = self.name.clone();
        // Drop runs outside any runtime guarantee: use a thread of its own.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                if let Ok((client, conn)) = tokio_postgres::connect(&base, NoTls).await {
                    tokio::spawn(conn);
                    let _ = client
                        .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .await;
                }
            });
        })
        .join();
    }
}

fn url_with_db(base: &str, db: &str) -> String {
    // postgres://USER@HOST:PORT/DB?params: replace DB.
    let (head, query) = match base.split_once('?') {
        Some((h, q)) => (h, Some(q)),
        None => (base, None),
    };
    let scheme_end = head.find("://").map_or(0, |i| i + 3);
    let path_start = head[scheme_end..]
        .find('/')
        .map_or(head.len(), |i| scheme_end + i);
    let mut url = format!("{}/{db}", &head[..path_start]);
    if let Some(q) = query {
        url.push('?');
        url.push_str(q);
    }
    url
}

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

fn chat(n: u32) -> Emitted {
    Emitted {
        audience: Audience::Everyone,
        event: GameEvent::MotionWithdrawn {
            motion: MotionId(n),
        },
    }
}

async fn events_in_db(db: &TestDb, code: &str) -> Vec<(i64, String)> {
    db.sql()
        .await
        .query(
            "SELECT idx, event FROM events WHERE code = $1 ORDER BY idx",
            &[&code],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_committed_batch_comes_back_in_order_and_retention_deletes_everything() {
    let Some(db) = TestDb::create().await else {
        return;
    };
    let store = db.store("a", 5_000).await;
    store.insert_game(&record("ABCDE")).await.unwrap();
    let events = vec![
        Emitted {
            audience: Audience::Everyone,
            event: GameEvent::GameStarted { rounds: 8 },
        },
        Emitted {
            audience: Audience::Host,
            event: GameEvent::MotionWithdrawn {
                motion: MotionId(3),
            },
        },
    ];
    store
        .commit_batch(
            "ABCDE",
            &Batch {
                first_index: 0,
                events: events.clone(),
                secrets: vec![(PlayerId(1), "x".into()), (PlayerId(2), "y".into())],
                answers: vec![StoredAnswer {
                    member: MemberKey::Player(PlayerId(1)),
                    request: RequestId::Number(7),
                    fingerprint: u64::MAX,
                    frame: "{}".into(),
                }],
                ended_ms: None,
                at_ms: 3,
            },
        )
        .await
        .unwrap();
    // A new process (a restart) reads it all back.
    let again = db.store("b", 5_000).await;
    let games = again.load_since(u64::MAX).await.unwrap();
    assert_eq!(games.len(), 1);
    let g = &games[0];
    assert_eq!(
        g.last_commit_ms,
        Some(3),
        "the time of the last commit is kept"
    );
    assert_eq!(g.ended_ms, None);
    assert_eq!(g.record.seed, u64::MAX);
    assert_eq!(g.record.settings.scenario, "petrograd-1917");
    assert_eq!(g.events, events);
    assert_eq!(
        g.secrets,
        vec![
            (PlayerId(1), "x".to_string()),
            (PlayerId(2), "y".to_string())
        ]
    );
    assert_eq!(g.answers.len(), 1);
    assert_eq!(g.answers[0].member, MemberKey::Player(PlayerId(1)));
    assert_eq!(g.answers[0].fingerprint, u64::MAX);
    // Ended: not unfinished any more, kept for its debrief.
    store
        .commit_batch(
            "ABCDE",
            &Batch {
                first_index: 2,
                events: vec![],
                ended_ms: Some(5),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(store.load_since(u64::MAX).await.unwrap().is_empty());
    assert_eq!(store.load_since(5).await.unwrap().len(), 1);
    assert!(store.purge_before(5).await.unwrap().is_empty());
    assert_eq!(store.purge_before(6).await.unwrap(), vec!["ABCDE"]);
    assert!(store.load_game("ABCDE").await.unwrap().is_none());
    assert!(
        events_in_db(&db, "ABCDE").await.is_empty(),
        "the log went with the game"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn processes_starting_together_migrate_once_and_codes_are_unique_across_them() {
    let Some(db) = TestDb::create().await else {
        return;
    };
    let (a, b, c) = tokio::join!(
        db.store("a", 5_000),
        db.store("b", 5_000),
        db.store("c", 5_000)
    );
    let n: i64 = db
        .sql()
        .await
        .query_one("SELECT COUNT(*) FROM schema_migrations", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 1, "each migration is applied exactly once");
    a.insert_game(&record("K7QX3")).await.unwrap();
    assert!(matches!(
        b.insert_game(&record("K7QX3")).await,
        Err(StoreError::CodeTaken)
    ));
    assert_eq!(c.live_nodes().await.unwrap(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_lease_cannot_be_claimed_and_points_to_its_owner() {
    let Some(db) = TestDb::create().await else {
        return;
    };
    let a = db.store("a", 1_500).await;
    let b = db.store("b", 1_500).await;
    a.insert_game(&record("GAME1")).await.unwrap();
    assert_eq!(a.owner("GAME1").await.unwrap(), Owner::Me);
    assert_eq!(
        b.owner("GAME1").await.unwrap(),
        Owner::Other {
            node: "a".into(),
            addr: "ws://a.example:8080/ws".into()
        }
    );
    assert_eq!(b.owner("NOPE2").await.unwrap(), Owner::Missing);
    assert!(
        !b.claim("GAME1").await.unwrap(),
        "a live lease is not taken"
    );
    // Renewed past its first term, the lease stays a's.
    for _ in 0..4 {
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert!(a.renew().await.unwrap().is_empty());
    }
    assert!(!b.claim("GAME1").await.unwrap());
    // A graceful stop hands it over at once.
    assert_eq!(a.release_all().await.unwrap(), 1);
    assert_eq!(b.owner("GAME1").await.unwrap(), Owner::Vacant);
    assert!(b.claim("GAME1").await.unwrap());
    assert_eq!(b.owner("GAME1").await.unwrap(), Owner::Me);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_owner_that_lost_its_lease_can_never_commit_again() {
    let Some(db) = TestDb::create().await else {
        return;
    };
    let a = db.store("a", 800).await;
    let b = db.store("b", 800).await;
    a.insert_game(&record("FENCE")).await.unwrap();
    let first = vec![chat(1), chat(2)];
    a.commit_batch(
        "FENCE",
        &Batch {
            first_index: 0,
            events: first.clone(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    // a stalls (SIGSTOP, a partition): it renews nothing; its lease runs
    // out and b takes the game over.
    tokio::time::sleep(Duration::from_millis(1_000)).await;
    assert_eq!(b.vacant(0, 10).await.unwrap(), vec!["FENCE"]);
    assert!(b.claim("FENCE").await.unwrap());
    let loaded = b.load_game("FENCE").await.unwrap().unwrap();
    assert_eq!(
        loaded.events, first,
        "the new owner folds everything committed"
    );
    // a wakes up and tries to commit what it was doing: refused, nothing
    // written.
    let late = vec![chat(99)];
    let refused = a
        .commit_batch(
            "FENCE",
            &Batch {
                first_index: 2,
                events: late.clone(),
                ..Default::default()
            },
        )
        .await;
    assert!(matches!(refused, Err(StoreError::Fenced(_))), "{refused:?}");
    assert!(!a.holds("FENCE"));
    // And again (it no longer believes it owns the game).
    assert!(matches!(
        a.commit_batch(
            "FENCE",
            &Batch {
                first_index: 2,
                events: late.clone(),
                ..Default::default()
            }
        )
        .await,
        Err(StoreError::Fenced(_))
    ));
    // Its renewal reports the loss; it cannot take a live lease back.
    assert!(a.renew().await.unwrap().is_empty(), "already forgotten");
    assert!(!a.claim("FENCE").await.unwrap());
    // The new owner carries on from where the log is.
    let next = vec![chat(3)];
    b.commit_batch(
        "FENCE",
        &Batch {
            first_index: 2,
            events: next.clone(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let stored = events_in_db(&db, "FENCE").await;
    assert_eq!(
        stored.iter().map(|e| e.0).collect::<Vec<_>>(),
        vec![0, 1, 2],
        "no gap, no duplicate"
    );
    assert!(
        !stored.iter().any(|e| e.1.contains("99")),
        "the fenced write is nowhere"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn renewal_reports_a_game_taken_over_while_its_owner_stalled() {
    let Some(db) = TestDb::create().await else {
        return;
    };
    let a = db.store("a", 600).await;
    let b = db.store("b", 600).await;
    a.insert_game(&record("STALL")).await.unwrap();
    a.insert_game(&record("KEEPS")).await.unwrap();
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert!(b.claim("STALL").await.unwrap());
    // a's next renewal: STALL is lost, KEEPS (vacant but unclaimed) is
    // still a's and renewed.
    assert_eq!(a.renew().await.unwrap(), vec!["STALL"]);
    assert!(a.holds("KEEPS"));
    assert_eq!(a.owner("KEEPS").await.unwrap(), Owner::Me);
    assert!(!b.claim("KEEPS").await.unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_out_of_order_is_refused_and_writes_nothing() {
    let Some(db) = TestDb::create().await else {
        return;
    };
    let a = db.store("a", 5_000).await;
    a.insert_game(&record("ORDER")).await.unwrap();
    let one = vec![chat(1)];
    let gap = a
        .commit_batch(
            "ORDER",
            &Batch {
                first_index: 1,
                events: one.clone(),
                ..Default::default()
            },
        )
        .await;
    assert!(matches!(gap, Err(StoreError::Corrupt(_))), "{gap:?}");
    a.commit_batch(
        "ORDER",
        &Batch {
            first_index: 0,
            events: one.clone(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let again = a
        .commit_batch(
            "ORDER",
            &Batch {
                first_index: 0,
                events: one.clone(),
                ..Default::default()
            },
        )
        .await;
    assert!(matches!(again, Err(StoreError::Corrupt(_))), "{again:?}");
    assert_eq!(events_in_db(&db, "ORDER").await.len(), 1);
    assert!(a.holds("ORDER"), "a refused batch does not cost the lease");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commits_racing_a_takeover_land_before_it_or_not_at_all() {
    let Some(db) = TestDb::create().await else {
        return;
    };
    let a = std::sync::Arc::new(db.store("a", 300).await);
    let b = db.store("b", 300).await;
    a.insert_game(&record("RACE1")).await.unwrap();
    // a commits as fast as it can (never renewing) while b claims the
    // moment the lease runs out.
    let writer = {
        let a = a.clone();
        tokio::spawn(async move {
            let mut next = 0u64;
            loop {
                let e = vec![chat(next as u32)];
                match a
                    .commit_batch(
                        "RACE1",
                        &Batch {
                            first_index: next,
                            events: e.clone(),
                            ..Default::default()
                        },
                    )
                    .await
                {
                    Ok(()) => next += 1,
                    Err(StoreError::Fenced(_)) => return next,
                    Err(e) => panic!("{e}"),
                }
            }
        })
    };
    let claimed = loop {
        if b.claim("RACE1").await.unwrap() {
            break b.load_game("RACE1").await.unwrap().unwrap();
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    };
    let acknowledged = writer.await.unwrap();
    assert!(acknowledged > 0);
    assert_eq!(
        claimed.events.len() as u64,
        acknowledged,
        "every commit a saw succeed is in what b folded, and nothing else"
    );
    assert_eq!(events_in_db(&db, "RACE1").await.len() as u64, acknowledged);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_process_restarted_at_the_same_address_takes_its_games_back_at_once() {
    let Some(db) = TestDb::create().await else {
        return;
    };
    let before = db.store_at("a-1", "ws://10.0.0.5:8080/ws", 60_000).await;
    before.insert_game(&record("MINE1")).await.unwrap();
    let other = db.store("b", 60_000).await;
    other.insert_game(&record("THEIR")).await.unwrap();
    // The process at 10.0.0.5:8080 restarts (a new process, a new id): its
    // game comes back without waiting a minute for the lease.
    let after = db.store_at("a-2", "ws://10.0.0.5:8080/ws", 60_000).await;
    assert_eq!(after.reclaim_own_address(0).await.unwrap(), vec!["MINE1"]);
    assert_eq!(after.owner("MINE1").await.unwrap(), Owner::Me);
    assert!(
        !after.holds("THEIR"),
        "another address's games stay where they are"
    );
    // Whatever the old incarnation had in flight is refused.
    let late = vec![chat(1)];
    assert!(matches!(
        before
            .commit_batch(
                "MINE1",
                &Batch {
                    first_index: 0,
                    events: late.clone(),
                    ..Default::default()
                }
            )
            .await,
        Err(StoreError::Fenced(_))
    ));
    after
        .commit_batch(
            "MINE1",
            &Batch {
                first_index: 0,
                events: late,
                ..Default::default()
            },
        )
        .await
        .unwrap();
}

/// A chat-sized batch: `n` events from `first`, with the answer to the
/// request that caused them.
fn batch_at(first: u64, n: u32, request: u64) -> Batch {
    Batch {
        first_index: first,
        events: (0..n).map(|i| chat(first as u32 + i)).collect(),
        answers: vec![StoredAnswer {
            member: MemberKey::Player(PlayerId(1)),
            request: RequestId::Number(request),
            fingerprint: request,
            frame: format!(r#"{{"type":"ack","id":{request}}}"#),
        }],
        at_ms: 10 + request,
        ..Default::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commits_from_many_games_at_once_go_together_and_all_land_in_order() {
    let Some(db) = TestDb::create().await else {
        return;
    };
    // A pool of 4: one commit worker, so the commits arriving while its
    // statement is in flight gather for the next.
    let store = std::sync::Arc::new(db.store("a", 60_000).await);
    const GAMES: usize = 40;
    const COMMITS: u64 = 15;
    for g in 0..GAMES {
        store
            .insert_game(&record(&format!("G{g:04}")))
            .await
            .unwrap();
    }
    let mut rooms = tokio::task::JoinSet::new();
    for g in 0..GAMES {
        let store = store.clone();
        // Each room commits its next batch once the last one is durable,
        // as a room does.
        rooms.spawn(async move {
            let code = format!("G{g:04}");
            for c in 0..COMMITS {
                store
                    .commit_batch(&code, &batch_at(c * 2, 2, c))
                    .await
                    .map_err(|e| format!("{code} commit {c}: {e}"))?;
            }
            Ok::<_, String>(())
        });
    }
    while let Some(room) = rooms.join_next().await {
        room.unwrap().unwrap();
    }
    let stats = store.commit_stats();
    assert_eq!(stats.batches, GAMES as u64 * COMMITS);
    assert!(
        stats.statements < stats.batches / 2 && stats.largest > 1,
        "commits arriving together share a statement: {stats:?}"
    );
    // Every acknowledged batch is in the database, in order, with its
    // answers: read back by another process, as after a failover.
    let other = db.store("b", 60_000).await;
    for g in 0..GAMES {
        let code = format!("G{g:04}");
        let loaded = other.load_game(&code).await.unwrap().unwrap();
        let expected: Vec<Emitted> = (0..COMMITS as u32 * 2).map(chat).collect();
        assert_eq!(loaded.events, expected, "{code}: every event, in order");
        assert_eq!(loaded.answers.len(), COMMITS as usize, "{code}");
        assert_eq!(loaded.last_commit_ms, Some(10 + COMMITS - 1));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fenced_out_game_among_a_group_is_refused_alone_and_the_others_commit() {
    let Some(db) = TestDb::create().await else {
        return;
    };
    let a = db.store("a", 60_000).await;
    let b = db.store("b", 60_000).await;
    let codes: Vec<String> = (0..10).map(|g| format!("F{g:04}")).collect();
    for code in &codes {
        a.insert_game(&record(code)).await.unwrap();
        a.commit_batch(code, &batch_at(0, 1, 0)).await.unwrap();
    }
    // b takes F0003 over (a's lease on it ran out while a stalled); a does
    // not know yet.
    db.sql()
        .await
        .execute(
            "UPDATE games SET lease_until = 'epoch' WHERE code = 'F0003'",
            &[],
        )
        .await
        .unwrap();
    assert!(b.claim("F0003").await.unwrap());
    assert!(a.holds("F0003"));

    // One group with the fenced game among nine others: one statement.
    let before = a.commit_stats();
    let next = batch_at(1, 1, 1);
    let group: Vec<(&str, &Batch)> = codes.iter().map(|c| (c.as_str(), &next)).collect();
    let results = a.commit_together(&group).await;
    for (code, r) in codes.iter().zip(&results) {
        if code == "F0003" {
            assert!(matches!(r, Err(StoreError::Fenced(_))), "{code}: {r:?}");
        } else {
            assert!(r.is_ok(), "{code}: {r:?}");
        }
    }
    let after = a.commit_stats();
    assert_eq!(
        (
            after.statements - before.statements,
            after.batches - before.batches
        ),
        (1, 9),
        "the nine went in one statement, not one by one"
    );
    assert!(!a.holds("F0003"), "a has learnt it lost the game");
    for code in &codes {
        let n = events_in_db(&db, code).await.len();
        assert_eq!(n, if code == "F0003" { 1 } else { 2 }, "{code}");
    }
    // The new owner carries on from the log as it was.
    b.commit_batch("F0003", &batch_at(1, 1, 1)).await.unwrap();

    // A batch the database refuses outright (a player's secret twice)
    // fails the group's statement: every other batch is retried on its own
    // and lands; only the bad one is refused, and nothing of it is written.
    let mut bad = batch_at(2, 1, 2);
    bad.secrets = vec![(PlayerId(1), "x".into()), (PlayerId(1), "y".into())];
    let good = batch_at(2, 1, 2);
    let group: Vec<(&str, &Batch)> = codes
        .iter()
        .filter(|c| *c != "F0003")
        .map(|c| (c.as_str(), if c == "F0005" { &bad } else { &good }))
        .collect();
    let results = a.commit_together(&group).await;
    for ((code, _), r) in group.iter().zip(&results) {
        if *code == "F0005" {
            assert!(matches!(r, Err(StoreError::Postgres(_))), "{code}: {r:?}");
        } else {
            assert!(r.is_ok(), "{code}: {r:?}");
        }
    }
    assert!(a.holds("F0005"), "a refused batch does not cost the lease");
    for code in codes.iter().filter(|c| *c != "F0003") {
        let n = events_in_db(&db, code).await.len();
        assert_eq!(n, if code == "F0005" { 2 } else { 3 }, "{code}");
    }

    // Through the queue, as rooms commit: all at once, the fenced game
    // among them; whatever groups form, the same outcome.
    let a = std::sync::Arc::new(a);
    let mut rooms = tokio::task::JoinSet::new();
    for code in codes.clone() {
        let a = a.clone();
        let first = if code == "F0005" { 2 } else { 3 };
        rooms.spawn(async move {
            let r = a.commit_batch(&code, &batch_at(first, 1, 3)).await;
            (code, r)
        });
    }
    while let Some(done) = rooms.join_next().await {
        let (code, r) = done.unwrap();
        if code == "F0003" {
            assert!(matches!(r, Err(StoreError::Fenced(_))), "{code}: {r:?}");
        } else {
            assert!(r.is_ok(), "{code}: {r:?}");
        }
    }
    let stored = events_in_db(&db, "F0003").await;
    assert_eq!(
        stored.iter().map(|e| e.0).collect::<Vec<_>>(),
        vec![0, 1],
        "only the new owner's commit followed a's"
    );
}
