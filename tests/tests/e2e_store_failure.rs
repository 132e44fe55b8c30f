//! The server in-process over a store that fails on demand: a room whose
//! store fails backs off instead of spinning, tells the host in a
//! sentence, acknowledges nothing it did not store, and goes on when the
//! store works again. Finished games leave memory and do not count toward
//! `--max-games`; a storage error is never reported as "full".

use protocol::*;
use server::store::{Batch, GameRecord, LoadedGame, SqliteStore, Store, StoreError};
use server::Config;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tests::*;

/// SQLite in memory, failing every write while `fail` is set.
struct FlakyStore {
    inner: SqliteStore,
    fail: AtomicBool,
    commits: AtomicUsize,
}

#[async_trait::async_trait]
impl Store for FlakyStore {
    async fn create_game(&self, game: &GameRecord) -> Result<(), StoreError> {
        if self.fail.load(Ordering::SeqCst) {
            return Err(StoreError::Other("disk full (test)".into()));
        }
        self.inner.create_game(game).await
    }
    async fn commit(&self, code: &str, batch: Batch) -> Result<(), StoreError> {
        self.commits.fetch_add(1, Ordering::SeqCst);
        if self.fail.load(Ordering::SeqCst) {
            return Err(StoreError::Other("disk full (test)".into()));
        }
        self.inner.commit(code, batch).await
    }
    async fn load_game(&self, code: &str) -> Result<Option<LoadedGame>, StoreError> {
        self.inner.load_game(code).await
    }
    async fn unfinished_games(&self) -> Result<Vec<LoadedGame>, StoreError> {
        self.inner.unfinished_games().await
    }
    async fn delete_game(&self, code: &str) -> Result<(), StoreError> {
        self.inner.delete_game(code).await
    }
    async fn purge_ended_before(&self, cutoff_ms: u64) -> Result<Vec<String>, StoreError> {
        self.inner.purge_ended_before(cutoff_ms).await
    }
}

struct InProcess {
    url: String,
    http: String,
    store: Arc<FlakyStore>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Drop for InProcess {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

async fn start(config: Config) -> InProcess {
    let store = Arc::new(FlakyStore {
        inner: SqliteStore::open(std::path::Path::new(":memory:")).unwrap(),
        fail: AtomicBool::new(false),
        commits: AtomicUsize::new(0),
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let dyn_store: Arc<dyn Store> = store.clone();
    tokio::spawn(async move {
        server::run(listener, config, dyn_store, async move {
            let _ = stopped.await;
        })
        .await
        .unwrap();
    });
    InProcess {
        url: format!("ws://{addr}/ws"),
        http: format!("http://{addr}"),
        store,
        stop: Some(stop),
    }
}

fn config() -> Config {
    let mut config = Config::default();
    config.limits.rate_per_sec = 10_000;
    config.limits.rate_burst = 10_000;
    config
}

/// `GET path` over plain HTTP/1.1 (no client library needed).
async fn http_get(base: &str, path: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = base.strip_prefix("http://").unwrap();
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(
        format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").as_bytes(),
    )
    .await
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).await.unwrap();
    out
}

async fn health(base: &str) -> Health {
    let text = http_get(base, "/health").await;
    let body = text.split("\r\n\r\n").nth(1).unwrap_or_default();
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {text}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_store_makes_the_room_wait_and_tell_the_host_not_spin() {
    let server = start(config()).await;
    let (mut host, code) = host_game(&server.url, 1, 1).await;
    let mut ana = join(&server.url, &code, "Ana", Faction::Liberals).await;
    host.ok(ClientRequest::StartGame).await; // 1 s phases
    ana.ok(ClientRequest::Chat {
        channel: Channel::Floor,
        text: "saved before the failure".into(),
    })
    .await;

    server.store.fail.store(true, Ordering::SeqCst);
    let before = server.store.commits.load(Ordering::SeqCst);
    // Nothing is acknowledged that is not stored: the refusal says so.
    let answer = ana
        .request(ClientRequest::Chat {
            channel: Channel::Floor,
            text: "lost in the failure".into(),
        })
        .await;
    let ServerMsg::Error {
        code: refusal,
        message,
        ..
    } = answer
    else {
        panic!("{answer:?}")
    };
    assert_eq!(refusal, ErrorCode::Internal);
    assert!(message.contains("could not save"), "{message}");
    // The briefing's deadline passes while the store fails: the room
    // retries with a growing pause, not in a loop.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let attempts = server.store.commits.load(Ordering::SeqCst) - before;
    assert!(
        (2..=5).contains(&attempts),
        "{attempts} commits in 3 s while failing (a spinning room makes thousands)"
    );
    let view = host.get_state().await;
    assert_eq!(view.phase, Some(Phase::Briefing), "nothing moved unsaved");

    server.store.fail.store(false, Ordering::SeqCst);
    // Within the backoff the clock's retry goes through and the game moves.
    host.wait_for(|e| {
        matches!(
            e,
            GameEvent::PhaseStarted {
                phase: Phase::Negotiation,
                ..
            }
        )
    })
    .await;
    ana.ok(ClientRequest::Chat {
        channel: Channel::Floor,
        text: "saved after".into(),
    })
    .await;
    let stored = server.store.inner.load_game(&code).await.unwrap().unwrap();
    let chats: Vec<String> = stored
        .events
        .iter()
        .filter_map(|e| match &e.event {
            GameEvent::Chat { text, .. } => Some(text.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(chats, vec!["saved before the failure", "saved after"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_host_hears_about_a_failing_store_once_and_when_it_recovers() {
    let server = start(config()).await;
    let (mut host, code) = host_game(&server.url, 600, 2).await;
    let mut ana = join(&server.url, &code, "Ana", Faction::Liberals).await;
    server.store.fail.store(true, Ordering::SeqCst);
    for _ in 0..3 {
        ana.request(ClientRequest::Chat {
            channel: Channel::Floor,
            text: "x".into(),
        })
        .await;
    }
    server.store.fail.store(false, Ordering::SeqCst);
    ana.ok(ClientRequest::Chat {
        channel: Channel::Floor,
        text: "y".into(),
    })
    .await;
    // The host's own stream: unsolicited errors (no id) carry the news.
    let mut notes = Vec::new();
    for _ in 0..2 {
        loop {
            match host.next().await {
                Some(ServerMsg::Error {
                    id: None, message, ..
                }) => {
                    notes.push(message);
                    break;
                }
                Some(_) => continue,
                None => panic!("host closed"),
            }
        }
    }
    assert!(notes[0].contains("cannot save"), "{notes:?}");
    assert!(notes[1].contains("works again"), "{notes:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finished_games_leave_memory_and_do_not_count_toward_the_maximum() {
    let mut config = config();
    config.limits.max_games = 1;
    config.limits.finished_idle_ms = 300;
    let server = start(config).await;
    let (mut host, code) = host_game(&server.url, 600, 3).await;
    let _ana = join(&server.url, &code, "Ana", Faction::Liberals).await;
    // One game in play: a second is refused as "full", in words.
    let mut other = Client::connect(&server.url, "other host").await;
    let refused = other
        .request(ClientRequest::CreateGame {
            scenario: None,
            preset: TimerPreset::Short,
            timers: None,
            faction_choice: FactionChoice::Choose,
            characters: false,
            seed: None,
        })
        .await;
    let ServerMsg::Error {
        code: c, message, ..
    } = refused
    else {
        panic!("{refused:?}")
    };
    assert_eq!(c, ErrorCode::Full);
    assert!(message.contains("maximum"), "{message}");
    // The game ends; everyone leaves; it leaves memory.
    host.ok(ClientRequest::StartGame).await;
    host.ok(ClientRequest::EndGame { reason: None }).await;
    let token = host.token.clone().unwrap();
    host.disconnect();
    _ana.disconnect();
    let mut gone = false;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let h = health(&server.http).await;
        assert_eq!(h.games, 0, "a finished game is not in play");
        if h.games_in_memory == Some(0) {
            gone = true;
            break;
        }
    }
    assert!(gone, "the finished game left memory");
    // A new game is welcome now.
    let (_host2, _code2) = host_game(&server.url, 600, 4).await;
    // The finished game is still there for its host: loaded on demand.
    let mut host = Client::connect(&server.url, "host again").await;
    let answer = host
        .request(ClientRequest::Resume {
            token,
            last_seq: None,
        })
        .await;
    assert!(matches!(answer, ServerMsg::Joined { .. }), "{answer:?}");
    let view = host.wait_snapshot().await;
    assert_eq!(view.status, GameStatus::Ended);
    let answer = host
        .request(ClientRequest::Download {
            format: DownloadFormat::Markdown,
            faction: None,
        })
        .await;
    assert!(matches!(answer, ServerMsg::Download { .. }), "{answer:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_storage_error_is_not_reported_as_a_full_server() {
    let server = start(config()).await;
    server.store.fail.store(true, Ordering::SeqCst);
    let mut host = Client::connect(&server.url, "host").await;
    let answer = host
        .request(ClientRequest::CreateGame {
            scenario: None,
            preset: TimerPreset::Short,
            timers: None,
            faction_choice: FactionChoice::Choose,
            characters: false,
            seed: None,
        })
        .await;
    let ServerMsg::Error { code, message, .. } = answer else {
        panic!("{answer:?}")
    };
    assert_eq!(code, ErrorCode::Internal);
    assert!(message.contains("storage problem"), "{message}");
}
