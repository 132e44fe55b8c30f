//! What the SQLite store costs per commit of one chat line (its event and
//! its answer), in memory and through the file store's thread: the part of
//! a chat line's time that the bare baseline does not pay
//! (BENCHMARKS.md, "Where a chat line's time goes").

use criterion::{criterion_group, criterion_main, Criterion};
use engine::Emitted;
use protocol::*;
use server::room::MemberKey;
use server::store::{Batch, GameRecord, SqliteStore, Store, StoredAnswer};
use std::path::Path;

const GAMES: u64 = 250;

fn record(code: String) -> GameRecord {
    GameRecord {
        code,
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
        host_secret: "secret".into(),
        created_ms: 1,
    }
}

/// The `i`-th chat line of the run, in game `i % GAMES`: its batch.
fn chat(i: u64) -> Batch {
    let index = i / GAMES;
    Batch {
        first_index: index,
        events: vec![Emitted {
            audience: Audience::Everyone,
            event: GameEvent::Chat {
                id: index,
                scope: ChatScope::Floor,
                from: Some(PlayerId(3)),
                text: format!("lg 12 {}", 1_000_000 + i),
            },
        }],
        answers: vec![StoredAnswer {
            member: MemberKey::Player(PlayerId((i % 40) as u32 + 1)),
            request: RequestId::Number(i * 16),
            fingerprint: i.wrapping_mul(0x9E37_79B9_7F4A_7C15),
            frame: format!("{{\"type\":\"ack\",\"id\":{}}}", i * 16),
        }],
        at_ms: 1_000_000 + i,
        ..Default::default()
    }
}

/// Each sample commits its chat lines to a new store of 250 games (so
/// every sample measures a store of the same few thousand lines, not one
/// that grows through the run); only the commits are timed.
fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let dir = std::env::temp_dir().join(format!("dp-bench-store-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("games.db");
    for (name, path) in [
        (
            "store: a chat line's commit, :memory:",
            Path::new(":memory:"),
        ),
        (
            "store: a chat line's commit, file (through its thread)",
            file.as_path(),
        ),
    ] {
        c.bench_function(name, |b| {
            b.iter_custom(|iters| {
                for end in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{end}", file.display()));
                }
                let store = SqliteStore::open(path).unwrap();
                let codes: Vec<String> = (0..GAMES).map(|g| format!("G{g:04}")).collect();
                rt.block_on(async {
                    for code in &codes {
                        store.create_game(&record(code.clone())).await.unwrap();
                    }
                    let start = std::time::Instant::now();
                    for i in 0..iters {
                        let code = &codes[(i % GAMES) as usize];
                        store.commit(code, chat(i)).await.unwrap();
                    }
                    start.elapsed()
                })
            })
        });
    }
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group!(benches, bench);
criterion_main!(benches);
