//! Commit latency of the stores, side by side (BENCHMARKS.md): one
//! command's batch (a chat event and its stored answer) committed by one
//! room at a time, then by 50 rooms at once; SQLite in a file (the
//! default, through its thread) and in memory (`--db :memory:`, inline),
//! and PostgreSQL when given an address.
//!
//! ```sh
//! cargo run --release -p server --example store_latency -- postgres://postgres@127.0.0.1:5432/test
//! ```
//! The PostgreSQL figures use a database of their own (created, then
//! dropped); SQLite's file is in the temporary directory.

use engine::Emitted;
use protocol::*;
use server::pgstore::{PgOptions, PgStore};
use server::room::MemberKey;
use server::store::{Batch, GameRecord, SqliteStore, Store, StoredAnswer};
use std::sync::Arc;
use std::time::{Duration, Instant};

const COMMITS: usize = 2000;
const ROOMS: usize = 50;

fn record(code: &str) -> GameRecord {
    GameRecord {
        code: code.into(),
        settings: GameSettings {
            scenario: "petrograd-1917".into(),
            timers: PhaseTimers {
                briefing: 60,
                negotiation: 60,
                proposals: 60,
                voting: 60,
                resolution: 60,
            },
            faction_choice: FactionChoice::Choose,
            characters: false,
        },
        seed: 1,
        host_secret: "s".into(),
        created_ms: 1,
    }
}

fn batch(i: u64) -> Batch {
    Batch {
        first_index: i,
        events: vec![Emitted {
            audience: Audience::Everyone,
            event: GameEvent::Chat {
                id: i,
                scope: ChatScope::Floor,
                from: Some(PlayerId(1)),
                text: "The Soviet will not support the war loan without land reform first.".into(),
            },
        }],
        secrets: vec![],
        answers: vec![StoredAnswer {
            member: MemberKey::Player(PlayerId(1)),
            request: RequestId::Number(i),
            fingerprint: i,
            frame: format!(r#"{{"type":"ack","id":{i}}}"#),
        }],
        ended_ms: None,
        at_ms: 1,
    }
}

fn pct(v: &mut [Duration], p: f64) -> f64 {
    v.sort();
    let i = ((v.len() as f64 - 1.0) * p).round() as usize;
    v[i].as_secs_f64() * 1000.0
}

async fn measure(name: &str, store: Arc<dyn Store>) {
    store.create_game(&record("ONE11")).await.unwrap();
    let mut lat = Vec::with_capacity(COMMITS);
    for i in 0..COMMITS as u64 {
        let t = Instant::now();
        store.commit("ONE11", batch(i)).await.unwrap();
        lat.push(t.elapsed());
    }
    println!(
        "{name:<10} 1 room:   p50 {:.3} ms  p99 {:.3} ms",
        pct(&mut lat, 0.5),
        pct(&mut lat, 0.99)
    );
    for r in 0..ROOMS {
        store
            .create_game(&record(&format!("R{r:04}")))
            .await
            .unwrap();
    }
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for r in 0..ROOMS {
        let store = store.clone();
        tasks.spawn(async move {
            let code = format!("R{r:04}");
            let mut lat = Vec::new();
            for i in 0..(COMMITS / ROOMS * 4) as u64 {
                let t = Instant::now();
                store.commit(&code, batch(i)).await.unwrap();
                lat.push(t.elapsed());
            }
            lat
        });
    }
    let mut all = Vec::new();
    while let Some(l) = tasks.join_next().await {
        all.extend(l.unwrap());
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{name:<10} {ROOMS} rooms: p50 {:.3} ms  p99 {:.3} ms  {:.0} commits/s",
        pct(&mut all, 0.5),
        pct(&mut all, 0.99),
        all.len() as f64 / secs
    );
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let path = std::env::temp_dir().join(format!("dp-latency-{}.db", std::process::id()));
    let sqlite = SqliteStore::open(&path)?;
    measure("sqlite", Arc::new(sqlite)).await;
    for ext in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{ext}", path.display()));
    }
    let memory = SqliteStore::open(std::path::Path::new(":memory:"))?;
    measure(":memory:", Arc::new(memory)).await;
    if let Some(base) = std::env::args().nth(1) {
        let admin = base.split_once('?').map_or(base.as_str(), |b| b.0);
        let (client, conn) = tokio_postgres::connect(admin, tokio_postgres::NoTls).await?;
        tokio::spawn(conn);
        let db = format!("dp_latency_{}", std::process::id());
        client
            .batch_execute(&format!("CREATE DATABASE {db}"))
            .await?;
        let (base_only, query) = base.split_once('?').unwrap_or((&base, ""));
        let url = match base_only.rsplit_once('/') {
            Some((head, _)) if query.is_empty() => format!("{head}/{db}"),
            Some((head, _)) => format!("{head}/{db}?{query}"),
            None => anyhow::bail!("a postgres://USER@HOST/DB address"),
        };
        let pg = PgStore::connect(
            &url,
            PgOptions {
                node: "bench".into(),
                addr: "ws://127.0.0.1:1/ws".into(),
                lease: Duration::from_secs(600),
                pool_size: 16,
            },
        )
        .await?;
        measure("postgres", Arc::new(pg)).await;
        client
            .batch_execute(&format!("DROP DATABASE {db} WITH (FORCE)"))
            .await?;
    }
    Ok(())
}
