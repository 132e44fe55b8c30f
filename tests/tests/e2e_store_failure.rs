//! The server in-process over a store that fails on demand: a room whose
//! store fails backs off instead of spinning, tells the host in a
//! sentence, acknowledges nothing it did not store, and goes on when the
//! store works again. Finished games leave memory and do not count toward
//! `--max-games`; a storage error is never reported as "full".

use protocol::*;
use server::store::{Batch, GameRecord, LoadedGame, SqliteStore, Store, StoreError};
use server::Config;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tests::*;

/// SQLite in memory, failing every write that starts while `fail` is
/// set, each commit taking `delay_ms`.
struct FlakyStore {
    inner: SqliteStore,
    fail: AtomicBool,
    commits: AtomicUsize,
    delay_ms: AtomicU64,
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
        let fail = self.fail.load(Ordering::SeqCst);
        let delay = self.delay_ms.load(Ordering::SeqCst);
        if delay > 0 {
            tokio::time::sleep(Duration::from_millis(delay)).await;
        }
        if fail {
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
        delay_ms: AtomicU64::new(0),
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
    assert_eq!(
        stored_chats(&server, &code).await,
        vec!["saved before the failure", "saved after"]
    );
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

/// Send a request without waiting for its answer; its id.
fn send(client: &mut Client, request: ClientRequest) -> RequestId {
    let id = RequestId::Text(format!("{}-{}", client.name, fresh_id_base()));
    let msg = ClientMsg::new(Some(id.clone()), request);
    client.send_text(&serde_json::to_string(&msg).unwrap());
    id
}

fn say(text: &str) -> ClientRequest {
    ClientRequest::Chat {
        channel: Channel::Floor,
        text: text.into(),
    }
}

/// The chat lines among `events`, in order.
fn chat_texts<'a>(events: impl IntoIterator<Item = &'a GameEvent>) -> Vec<String> {
    events
        .into_iter()
        .filter_map(|e| match e {
            GameEvent::Chat { text, .. } => Some(text.clone()),
            _ => None,
        })
        .collect()
}

/// The chat lines of the stored log, in order.
async fn stored_chats(server: &InProcess, code: &str) -> Vec<String> {
    let stored = server.store.inner.load_game(code).await.unwrap().unwrap();
    chat_texts(stored.events.iter().map(|e| &e.event))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn moves_waiting_together_are_stored_in_one_commit_and_refused_together() {
    let server = start(config()).await;
    let (mut host, code) = host_game(&server.url, 600, 4).await;
    let mut players = Vec::new();
    for (name, faction) in [
        ("Ana", Faction::Liberals),
        ("Boris", Faction::Soviet),
        ("Clara", Faction::Bolsheviks),
        ("Dmitri", Faction::Liberals),
    ] {
        players.push(join(&server.url, &code, name, faction).await);
    }
    host.ok(ClientRequest::StartGame).await;

    // Each commit takes 300 ms: while Ana's line is being stored, the
    // others' lines wait in the room's mailbox, and go in one commit.
    server.store.delay_ms.store(300, Ordering::SeqCst);
    let before = server.store.commits.load(Ordering::SeqCst);
    let first = send(&mut players[0], say("Ana first"));
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut ids = Vec::new();
    for p in players.iter_mut().skip(1) {
        let text = format!("{} next", p.name);
        ids.push(send(p, say(&text)));
    }
    assert!(matches!(
        players[0].answer_to(&first).await,
        ServerMsg::Ack { .. }
    ));
    for (p, id) in players.iter_mut().skip(1).zip(&ids) {
        let answer = p.answer_to(id).await;
        assert!(matches!(answer, ServerMsg::Ack { .. }), "{answer:?}");
    }
    let commits = server.store.commits.load(Ordering::SeqCst) - before;
    assert_eq!(
        commits, 2,
        "Ana's line, then the three waiting lines in one commit"
    );
    // Everyone sees every line, in the stored order (the harness checks
    // that each stream's seq has no gap).
    let expected = stored_chats(&server, &code).await;
    assert_eq!(expected.len(), 4);
    assert_eq!(expected[0], "Ana first");
    for p in players.iter_mut().chain(std::iter::once(&mut host)) {
        p.drain().await;
        let seen = chat_texts(p.events.iter().map(|(_, e)| e));
        assert_eq!(seen, expected, "{}", p.name);
    }

    // The store fails while a burst waits: every move of it is refused,
    // and none of them happened.
    let first = send(&mut players[0], say("Ana stored"));
    tokio::time::sleep(Duration::from_millis(100)).await;
    server.store.fail.store(true, Ordering::SeqCst);
    let boris = send(&mut players[1], say("Boris lost"));
    let clara = send(&mut players[2], say("Clara lost"));
    assert!(matches!(
        players[0].answer_to(&first).await,
        ServerMsg::Ack { .. }
    ));
    for (p, id) in [(1, boris), (2, clara)] {
        match players[p].answer_to(&id).await {
            ServerMsg::Error { code, .. } => assert_eq!(code, ErrorCode::Internal),
            other => panic!("{other:?}"),
        }
    }
    server.store.fail.store(false, Ordering::SeqCst);
    server.store.delay_ms.store(0, Ordering::SeqCst);
    let chats = stored_chats(&server, &code).await;
    assert_eq!(chats.last().map(String::as_str), Some("Ana stored"));
    assert!(!chats.iter().any(|c| c.contains("lost")));
    // The game is as before the refused burst: the next line takes the
    // number after Ana's (a refused line applied in memory would have
    // taken it). The room retries after its back-off.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        if let ServerMsg::Ack { .. } = players[0].request(say("Ana after")).await {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the store never came back"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let stored = server.store.inner.load_game(&code).await.unwrap().unwrap();
    let ids: Vec<(u64, String)> = stored
        .events
        .iter()
        .filter_map(|e| match &e.event {
            GameEvent::Chat { id, text, .. } => Some((*id, text.clone())),
            _ => None,
        })
        .collect();
    let [.., (stored_id, stored_text), (after_id, after_text)] = ids.as_slice() else {
        panic!("{ids:?}")
    };
    assert_eq!(
        (stored_text.as_str(), after_text.as_str()),
        ("Ana stored", "Ana after")
    );
    assert_eq!(*after_id, stored_id + 1, "{ids:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resend_waiting_in_the_same_burst_is_applied_once() {
    let server = start(config()).await;
    let (mut host, code) = host_game(&server.url, 600, 5).await;
    let mut ana = join(&server.url, &code, "Ana", Faction::Liberals).await;
    let mut boris = join(&server.url, &code, "Boris", Faction::Soviet).await;
    host.ok(ClientRequest::StartGame).await;

    server.store.delay_ms.store(300, Ordering::SeqCst);
    let first = send(&mut ana, say("Ana first"));
    tokio::time::sleep(Duration::from_millis(100)).await;
    // Boris's line and its resend (same id, same content) wait together
    // behind Ana's commit.
    let id = RequestId::Text("boris-line".into());
    let msg = serde_json::to_string(&ClientMsg::new(Some(id.clone()), say("Boris once"))).unwrap();
    boris.send_text(&msg);
    boris.send_text(&msg);
    assert!(matches!(ana.answer_to(&first).await, ServerMsg::Ack { .. }));
    for _ in 0..2 {
        let answer = boris.answer_to(&id).await;
        assert!(matches!(answer, ServerMsg::Ack { .. }), "{answer:?}");
    }
    server.store.delay_ms.store(0, Ordering::SeqCst);
    boris.drain().await;
    let chats = stored_chats(&server, &code).await;
    assert_eq!(
        chats,
        vec!["Ana first", "Boris once"],
        "the resend was applied again"
    );
}
