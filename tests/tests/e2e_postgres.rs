//! Several server processes on one PostgreSQL database: any process serves
//! any client, a game survives the loss of its server, and an owner frozen
//! past its lease can never write again.
//!
//! Each test creates a database of its own (see `tests::pg`). Without a
//! reachable PostgreSQL the tests print `SKIPPED` and pass, unless
//! `DUALPOWER_REQUIRE_POSTGRES=1` (CI), where they fail.
//!
//! Knobs for the benchmark run (BENCHMARKS.md): `DUALPOWER_PG_KILLS`
//! (default 6), `DUALPOWER_PG_LEASE_SECS` (default 3).

use futures_util::{SinkExt, StreamExt};
use protocol::*;
use std::collections::{HashMap, HashSet};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tests::pg::TestDb;
use tests::TestServer;
use tokio_tungstenite::tungstenite::Message;

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn signal(pid: u32, sig: &str) {
    let status = Command::new("kill")
        .args([sig, &pid.to_string()])
        .status()
        .expect("run kill");
    assert!(status.success(), "kill {sig} {pid}");
}

fn start(db: &TestDb, port: u16, lease: u64) -> TestServer {
    let bind = format!("127.0.0.1:{port}");
    let lease = lease.to_string();
    TestServer::start_with(&["--bind", &bind, "--db", &db.url, "--lease-secs", &lease])
}

/// One seat (host or player) as a robust client plays it: when its
/// connection drops it reconnects, to the same server or the next of the
/// list, `resume`s with its token and last `seq`, and resends the request
/// it was waiting on with the same id. Every event's `seq` must follow the
/// previous one across all its connections: no gap, no duplicate.
struct Seat {
    name: String,
    urls: Arc<Vec<String>>,
    at: usize,
    token: Option<String>,
    ws: Option<Ws>,
    events: Vec<(u64, GameEvent)>,
    last_seq: u64,
    next_id: u64,
    /// The view as the client keeps it: the last snapshot with every later
    /// event folded in.
    folded: Option<GameView>,
    reconnects: u32,
}

impl Seat {
    /// Connect to `urls[at]` and send `first` (create, join); no retry.
    async fn open(urls: Arc<Vec<String>>, at: usize, name: &str, first: ClientRequest) -> Seat {
        let mut seat = Seat {
            name: name.to_string(),
            urls,
            at,
            token: None,
            ws: None,
            events: Vec::new(),
            last_seq: 0,
            next_id: 1,
            folded: None,
            reconnects: 0,
        };
        let url = seat.urls[at % seat.urls.len()].clone();
        let mut ws = hello(&url).await.expect("connect");
        let msg = ClientMsg::new(Some(RequestId::Text("first".into())), first);
        ws.send(Message::Text(serde_json::to_string(&msg).unwrap().into()))
            .await
            .unwrap();
        seat.ws = Some(ws);
        let answer = seat
            .read_until(&RequestId::Text("first".into()))
            .await
            .expect("an answer");
        assert!(
            matches!(
                answer,
                ServerMsg::GameCreated { .. } | ServerMsg::Joined { .. }
            ),
            "{name}: {answer:?}"
        );
        seat.request(ClientRequest::Ping).await;
        seat
    }

    fn record(&mut self, msg: &ServerMsg) -> bool {
        match msg {
            ServerMsg::Joined {
                token: Some(token), ..
            } => self.token = Some(token.clone()),
            ServerMsg::GameCreated { host_token, .. } => self.token = Some(host_token.clone()),
            ServerMsg::Snapshot { seq, view, .. } => {
                if self.folded.is_some() {
                    assert_eq!(
                        *seq,
                        self.last_seq,
                        "{}: a snapshot after a resume must not skip events; the last events seen: {:?}",
                        self.name,
                        &self.events[self.events.len().saturating_sub(8)..]
                    );
                }
                self.last_seq = *seq;
                self.folded = Some((**view).clone());
            }
            ServerMsg::Event { seq, event } => {
                assert_eq!(
                    *seq,
                    self.last_seq + 1,
                    "{}: seq gap or duplicate before {event:?}",
                    self.name
                );
                self.last_seq = *seq;
                self.events.push((*seq, event.clone()));
                if let Some(v) = &mut self.folded {
                    v.apply(event);
                }
            }
            ServerMsg::Goodbye { code, reason } => {
                assert!(
                    code.is_none_or(|c| c.reconnect()),
                    "{}: told not to come back: {reason}",
                    self.name
                );
                return false;
            }
            _ => {}
        }
        true
    }

    /// Read until the answer to `id`; `None` if the connection is lost.
    async fn read_until(&mut self, id: &RequestId) -> Option<ServerMsg> {
        loop {
            let ws = self.ws.as_mut()?;
            let frame = match tokio::time::timeout(Duration::from_secs(10), ws.next()).await {
                Ok(Some(Ok(f))) => f,
                _ => {
                    self.ws = None;
                    return None;
                }
            };
            let Message::Text(text) = frame else {
                continue;
            };
            let msg: ServerMsg = serde_json::from_str(text.as_str()).expect("a server message");
            if !self.record(&msg) {
                self.ws = None;
                return None;
            }
            if msg.request_id() == Some(id) {
                return Some(msg);
            }
        }
    }

    /// Send a request and wait for its answer, reconnecting and resending
    /// (same id, same content) as often as needed.
    async fn request(&mut self, request: ClientRequest) -> ServerMsg {
        let id = RequestId::Number(self.next_id);
        self.next_id += 1;
        let text = serde_json::to_string(&ClientMsg::new(Some(id.clone()), request)).unwrap();
        let started = Instant::now();
        loop {
            assert!(
                started.elapsed() < Duration::from_secs(90),
                "{}: no answer to {text} in 90 s",
                self.name
            );
            if self.ws.is_none() {
                self.reconnect().await;
            }
            let ws = self.ws.as_mut().expect("connected");
            if ws.send(Message::Text(text.clone().into())).await.is_err() {
                self.ws = None;
                continue;
            }
            match self.read_until(&id).await {
                // The game is moving between servers: nothing was applied.
                Some(ServerMsg::Error {
                    code: ErrorCode::ShuttingDown,
                    ..
                }) => {
                    self.ws = None;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Some(answer) => return answer,
                None => {}
            }
        }
    }

    async fn reconnect(&mut self) {
        let token = self.token.clone().expect("a seat with a token");
        let started = Instant::now();
        loop {
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "{}: could not get back into the game for 60 s",
                self.name
            );
            let url = self.urls[self.at % self.urls.len()].clone();
            if self.try_resume(&url, &token).await {
                self.reconnects += 1;
                return;
            }
            self.at += 1;
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn try_resume(&mut self, url: &str, token: &str) -> bool {
        let Ok(mut ws) = hello(url).await else {
            return false;
        };
        let id = RequestId::Text("resume".into());
        let msg = ClientMsg::new(
            Some(id.clone()),
            ClientRequest::Resume {
                token: token.to_string(),
                last_seq: Some(self.last_seq),
            },
        );
        if ws
            .send(Message::Text(serde_json::to_string(&msg).unwrap().into()))
            .await
            .is_err()
        {
            return false;
        }
        self.ws = Some(ws);
        match self.read_until(&id).await {
            Some(ServerMsg::Joined { .. }) => true,
            Some(ServerMsg::Error {
                code: ErrorCode::ShuttingDown,
                ..
            })
            | None => {
                self.ws = None;
                false
            }
            Some(other) => panic!("{}: resume refused: {other:?}", self.name),
        }
    }

    async fn state(&mut self) -> GameView {
        match self.request(ClientRequest::GetState).await {
            ServerMsg::Snapshot { view, .. } => *view,
            other => panic!("{}: get_state: {other:?}", self.name),
        }
    }

    fn saw_end(&self) -> bool {
        self.events
            .iter()
            .any(|(_, e)| matches!(e, GameEvent::GameEnded { .. }))
    }
}

async fn hello(url: &str) -> Result<Ws, String> {
    let (mut ws, _) = tokio::time::timeout(
        Duration::from_secs(3),
        tokio_tungstenite::connect_async(url),
    )
    .await
    .map_err(|_| "timeout".to_string())?
    .map_err(|e| e.to_string())?;
    let hello = ClientMsg::new(
        None,
        ClientRequest::Hello {
            protocol_version: PROTOCOL_VERSION,
            client: Some("e2e-postgres".into()),
            catalog_on_request: true,
        },
    );
    ws.send(Message::Text(serde_json::to_string(&hello).unwrap().into()))
        .await
        .map_err(|e| e.to_string())?;
    loop {
        match tokio::time::timeout(Duration::from_secs(5), ws.next()).await {
            Ok(Some(Ok(Message::Text(t)))) => {
                return match serde_json::from_str::<ServerMsg>(t.as_str()) {
                    Ok(ServerMsg::Welcome { .. }) => Ok(ws),
                    other => Err(format!("{other:?}")),
                };
            }
            Ok(Some(Ok(_))) => {}
            _ => return Err("no welcome".into()),
        }
    }
}

fn create_request(seed: u64) -> ClientRequest {
    ClientRequest::CreateGame {
        scenario: None,
        preset: TimerPreset::Standard,
        timers: Some(PhaseTimers {
            briefing: 600,
            negotiation: 600,
            proposals: 600,
            voting: 600,
            resolution: 600,
        }),
        faction_choice: FactionChoice::Choose,
        characters: false,
        seed: Some(seed),
    }
}

/// A game's whole stored log, checked to be numbered 0, 1, 2… without a
/// gap or a duplicate.
async fn stored_log(db: &TestDb, code: &str) -> Vec<GameEvent> {
    let rows = db
        .sql()
        .await
        .query(
            "SELECT idx, event FROM events WHERE code = $1 ORDER BY idx",
            &[&code],
        )
        .await
        .unwrap();
    rows.iter()
        .enumerate()
        .map(|(i, r)| {
            let idx: i64 = r.get(0);
            assert_eq!(idx, i as i64, "game {code}: stored log out of order");
            serde_json::from_str(r.get::<_, &str>(1)).expect("a stored event")
        })
        .collect()
}

/// The test's players' chats (bots' lines may repeat).
fn chats(events: impl IntoIterator<Item = GameEvent>) -> Vec<String> {
    events
        .into_iter()
        .filter_map(|e| match e {
            GameEvent::Chat { text, .. } if text.contains(" chat ") => Some(text),
            _ => None,
        })
        .collect()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// The process that owns the most unfinished games.
async fn busiest_owner(db: &TestDb) -> Option<(String, Vec<String>)> {
    let rows = db
        .sql()
        .await
        .query(
            "SELECT owner_addr, code FROM games WHERE ended_ms IS NULL AND lease_until > now()",
            &[],
        )
        .await
        .unwrap();
    let mut by: HashMap<String, Vec<String>> = HashMap::new();
    for r in rows {
        by.entry(r.get(0)).or_default().push(r.get(1));
    }
    by.into_iter().max_by_key(|(_, games)| games.len())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_games_play_to_the_end_while_their_servers_are_killed_in_turn() {
    let Some(db) = TestDb::create("e2e_postgres::twenty_games").await else {
        return;
    };
    let kills = env_num("DUALPOWER_PG_KILLS", 6) as usize;
    let lease = env_num("DUALPOWER_PG_LEASE_SECS", 3);
    const GAMES: usize = 20;
    let mut servers: Vec<TestServer> = (0..3).map(|_| start(&db, 0, lease)).collect();
    let ports: Vec<u16> = servers
        .iter()
        .map(|s| s.addr.rsplit(':').next().unwrap().parse().unwrap())
        .collect();
    let urls: Arc<Vec<String>> = Arc::new(servers.iter().map(|s| s.ws_url()).collect());

    // 20 games, created on the three processes in turn; the host and three
    // players of each connect to different processes, and the host seats a
    // bot the owner plays.
    let mut games = Vec::new();
    for g in 0..GAMES {
        let mut host = Seat::open(
            urls.clone(),
            g,
            &format!("g{g}-host"),
            create_request(g as u64),
        )
        .await;
        let view = host.folded.clone().expect("a snapshot");
        let code = view.code.clone();
        let mut players = Vec::new();
        for (i, faction) in Faction::ALL.into_iter().enumerate() {
            players.push(
                Seat::open(
                    urls.clone(),
                    g + i + 1,
                    &format!("g{g}-p{i}"),
                    ClientRequest::JoinGame {
                        code: code.clone(),
                        name: format!("p{i}"),
                        faction: Some(faction),
                    },
                )
                .await,
            );
        }
        // Phases end when the host says (not when the players still
        // connected are ready: after a takeover the people are away for a
        // moment while the bot is ready at once).
        let rule = host
            .request(ClientRequest::SetReadyRule { enabled: false })
            .await;
        assert!(matches!(rule, ServerMsg::Ack { .. }), "{rule:?}");
        let bot = host.request(ClientRequest::AddBot { faction: None }).await;
        assert!(matches!(bot, ServerMsg::Ack { .. }), "{bot:?}");
        let started = host.request(ClientRequest::StartGame).await;
        assert!(matches!(started, ServerMsg::Ack { .. }), "{started:?}");
        games.push((code, host, players));
    }
    let owners: HashSet<String> = db
        .sql()
        .await
        .query("SELECT DISTINCT owner FROM games", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(
        owners.len(),
        3,
        "new games are created where they are asked for"
    );

    // Play: players chat (each acknowledged chat is remembered), bots play,
    // hosts move the phases on (and resume a game that comes back paused);
    // while the kills go on, no game goes past its second round, so every
    // game is still being played when its server dies.
    let acked: Arc<Mutex<HashSet<String>>> = Arc::default();
    let hold = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let mut tasks = tokio::task::JoinSet::new();
    for (g, (code, mut host, players)) in games.into_iter().enumerate() {
        for (i, mut p) in players.into_iter().enumerate() {
            let acked = acked.clone();
            tasks.spawn(async move {
                let mut n = 0;
                while !p.saw_end() {
                    let text = format!("g{g} p{i} chat {n}");
                    n += 1;
                    let answer = p
                        .request(ClientRequest::Chat {
                            channel: Channel::Floor,
                            text: text.clone(),
                        })
                        .await;
                    if matches!(answer, ServerMsg::Ack { .. }) {
                        acked.lock().unwrap().insert(text);
                    }
                    tokio::time::sleep(Duration::from_millis(300 + 97 * i as u64)).await;
                }
                p.request(ClientRequest::Ping).await;
                (code_of(&p), p, None::<()>)
            });
        }
        let code = code.clone();
        let hold = hold.clone();
        tasks.spawn(async move {
            let mut steps = 0;
            loop {
                tokio::time::sleep(Duration::from_millis(400)).await;
                let view = host.state().await;
                let holding = hold.load(std::sync::atomic::Ordering::Relaxed);
                match view.status {
                    GameStatus::Ended => break,
                    _ if view.paused_remaining_ms.is_some() => {
                        host.request(ClientRequest::ResumeGame).await;
                    }
                    _ if holding && view.round >= 2 => {}
                    _ => {
                        host.request(ClientRequest::AdvancePhase).await;
                        steps += 1;
                        assert!(steps < 200, "game {code} never ended");
                    }
                }
            }
            (code, host, Some(()))
        });
    }

    // The killer: again and again, SIGKILL the process that owns the most
    // games, and measure how long each of its games takes to be served
    // again by another process (a spectator asks a survivor for it).
    let mut failovers: Vec<Duration> = Vec::new();
    let mut killed = 0;
    while killed < kills {
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let Some((addr, codes)) = busiest_owner(&db).await else {
            eprintln!("after {killed} kills, no game is left to kill a server under");
            break; // every game ended
        };
        eprintln!("kill {killed}: {addr} owns {} games", codes.len());
        let victim = urls
            .iter()
            .position(|u| *u == addr)
            .expect("a known server");
        signal(servers[victim].pid(), "-KILL");
        let t0 = Instant::now();
        killed += 1;
        let survivors: Vec<String> = (0..urls.len())
            .filter(|i| *i != victim)
            .map(|i| urls[i].clone())
            .collect();
        let mut probes = tokio::task::JoinSet::new();
        for (n, code) in codes.into_iter().enumerate() {
            let url = survivors[n % survivors.len()].clone();
            probes.spawn(async move {
                let mut last = String::new();
                loop {
                    assert!(
                        t0.elapsed() < Duration::from_secs(30),
                        "game {code} was not served again within 30 s; the last answer: {last}"
                    );
                    let attempt = hello(&url).await;
                    if let Err(e) = &attempt {
                        last = format!("no welcome: {e}");
                    }
                    if let Ok(mut ws) = attempt {
                        let msg = ClientMsg::new(
                            Some(RequestId::Number(1)),
                            ClientRequest::Spectate {
                                code: code.clone(),
                                last_seq: None,
                            },
                        );
                        let _ = ws
                            .send(Message::Text(serde_json::to_string(&msg).unwrap().into()))
                            .await;
                        while let Ok(Some(Ok(frame))) =
                            tokio::time::timeout(Duration::from_secs(5), ws.next()).await
                        {
                            // Pings and the like: read on.
                            let Message::Text(t) = frame else {
                                continue;
                            };
                            last = t.to_string();
                            match serde_json::from_str::<ServerMsg>(t.as_str()) {
                                Ok(ServerMsg::Joined { .. }) => return t0.elapsed(),
                                Ok(ServerMsg::Error { .. } | ServerMsg::Goodbye { .. }) => break,
                                _ => {}
                            }
                        }
                    }
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            });
        }
        while let Some(t) = probes.join_next().await {
            failovers.push(t.expect("probe"));
        }
        // The machine comes back: the same address, a new process.
        servers[victim] = start(&db, ports[victim], lease);
    }

    hold.store(false, std::sync::atomic::Ordering::Relaxed);
    let mut finished = Vec::new();
    while let Some(r) = tasks.join_next().await {
        finished.push(r.expect("a seat's task"));
    }
    assert!(
        killed >= kills.min(3),
        "only {killed} kills happened before the games ended"
    );

    // Every game ended normally; no acknowledged chat was lost or applied
    // twice; every seat's stream had no gap or duplicate (checked as it
    // arrived) and its folded view matches the server's; the log replayed
    // from the database gives the live state.
    let acked = acked.lock().unwrap().clone();
    let mut stored_chats: Vec<String> = Vec::new();
    let mut reconnects = 0;
    let mut by_code: HashMap<String, Vec<(Seat, Option<()>)>> =
        finished
            .into_iter()
            .fold(HashMap::new(), |mut m, (code, seat, last)| {
                m.entry(code).or_default().push((seat, last));
                m
            });
    assert_eq!(by_code.len(), GAMES);
    let scenario = Arc::new(engine::Scenario::default_scenario());
    for (code, seats) in by_code.iter_mut() {
        let code = code.clone();
        let host = seats
            .iter_mut()
            .find_map(|(s, is_host)| is_host.map(|()| s))
            .expect("the host's seat");
        // Everything sent so far, folded; then the server's view.
        host.request(ClientRequest::Ping).await;
        let folded = host.folded.clone();
        let live = host.state().await;
        // The live view and the stored log, read with nothing committed in
        // between (idle seats may still be shown leaving meanwhile).
        let (live_now, log) = {
            let mut tries = 0;
            loop {
                let before = host.state().await;
                let log = stored_log(&db, &code).await;
                let after = host.state().await;
                if before == after {
                    break (after, log);
                }
                tries += 1;
                assert!(tries < 10, "game {code} never stood still");
            }
        };
        assert!(
            log.iter().any(|e| matches!(e, GameEvent::GameEnded { .. })),
            "game {code} ended"
        );
        let row = db
            .sql()
            .await
            .query_one("SELECT settings, seed FROM games WHERE code = $1", &[&code])
            .await
            .unwrap();
        let settings: GameSettings = serde_json::from_str(row.get::<_, &str>(0)).unwrap();
        let seed: u64 = row.get::<_, &str>(1).parse().unwrap();
        let replayed =
            engine::Game::replay(scenario.clone(), settings, seed, code.clone(), log.iter());
        let mut replayed = replayed.view(Viewer::Host);
        // The briefings are reference texts, not game state.
        replayed.briefings = live_now.briefings.clone();
        assert_eq!(
            replayed,
            live_now,
            "game {code}: the state replayed from the database is the live one; differences: {}",
            differences(Some(&replayed), &live_now)
        );
        assert_eq!(
            folded.as_ref(),
            Some(&live),
            "game {code}: the host's folded view is the server's; differences: {}",
            differences(folded.as_ref(), &live)
        );
        for (seat, _) in seats.iter() {
            reconnects += seat.reconnects;
            // Every chat a seat saw is in the log, in the same order.
            let seen = chats(seat.events.iter().map(|e| e.1.clone()));
            let stored = chats(log.clone());
            let mut it = stored.iter();
            for c in &seen {
                assert!(
                    it.any(|s| s == c),
                    "{}: saw {c:?} out of the log's order",
                    seat.name
                );
            }
        }
        {
            let mut at: HashMap<String, Vec<usize>> = HashMap::new();
            for (i, e) in log.iter().enumerate() {
                if let GameEvent::Chat { text, .. } = e {
                    if text.contains(" chat ") {
                        at.entry(text.clone()).or_default().push(i);
                    }
                }
            }
            if let Some((text, idx)) = at.iter().find(|(_, v)| v.len() > 1) {
                let (a, b) = (idx[0], idx[1]);
                panic!(
                    "game {code}: {text:?} applied twice, at {a} and {b}; between: {:?}",
                    &log[a..=b.min(a + 12)]
                );
            }
        }
        stored_chats.extend(chats(log));
    }
    let unique: HashSet<&String> = stored_chats.iter().collect();
    assert_eq!(
        unique.len(),
        stored_chats.len(),
        "no chat was applied twice"
    );
    for text in &acked {
        assert!(unique.contains(text), "acknowledged chat {text:?} was lost");
    }
    failovers.sort();
    eprintln!(
        "{GAMES} games, {killed} kills, lease {lease} s: {} games taken over; served again after p50 {:?}, p99 {:?}, max {:?}; {} acknowledged chats; {reconnects} reconnections",
        failovers.len(),
        percentile(&failovers, 0.5),
        percentile(&failovers, 0.99),
        failovers.last().unwrap(),
        acked.len(),
    );
    assert!(
        acked.len() >= 100,
        "only {} chats acknowledged",
        acked.len()
    );
    assert!(
        *failovers.last().unwrap() < Duration::from_secs(lease + 6),
        "a game took {:?} to be served again (lease {lease} s)",
        failovers.last().unwrap()
    );
}

fn code_of(seat: &Seat) -> String {
    seat.token
        .as_deref()
        .and_then(|t| t.split_once('.'))
        .map(|(c, _)| c.to_string())
        .expect("a token")
}

/// The top-level fields where two views differ.
fn differences(a: Option<&GameView>, b: &GameView) -> String {
    let a = serde_json::to_value(a).unwrap();
    let b = serde_json::to_value(b).unwrap();
    let (Some(a), Some(b)) = (a.as_object(), b.as_object()) else {
        return "no folded view".into();
    };
    a.keys()
        .chain(b.keys())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .filter(|k| a.get(*k) != b.get(*k))
        .map(|k| format!("{k}: {:?} vs {:?}", a.get(k), b.get(k)))
        .collect::<Vec<_>>()
        .join("; ")
}

impl Seat {
    /// Send a request on the current connection only, no reconnection, no
    /// resend: the answer of whoever holds this connection, or `None` if
    /// it closed without one.
    async fn once(&mut self, request: ClientRequest) -> Option<ServerMsg> {
        let id = RequestId::Number(self.next_id);
        self.next_id += 1;
        let text = serde_json::to_string(&ClientMsg::new(Some(id.clone()), request)).unwrap();
        let ws = self.ws.as_mut()?;
        ws.send(Message::Text(text.into())).await.ok()?;
        self.read_until(&id).await
    }
}

async fn owner_and_epoch(db: &TestDb, code: &str) -> (String, i64) {
    let row = db
        .sql()
        .await
        .query_one(
            "SELECT owner_addr, epoch FROM games WHERE code = $1",
            &[&code],
        )
        .await
        .unwrap();
    (row.get(0), row.get(1))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_owner_frozen_past_its_lease_never_writes_again_and_its_clients_move() {
    let Some(db) = TestDb::create("e2e_postgres::frozen_owner").await else {
        return;
    };
    let lease = 3;
    let servers: Vec<TestServer> = (0..3).map(|_| start(&db, 0, lease)).collect();
    let urls: Arc<Vec<String>> = Arc::new(servers.iter().map(|s| s.ws_url()).collect());
    // The game is created on A; one player is connected to A, the other to
    // B (proxied to A).
    let mut host = Seat::open(urls.clone(), 0, "host", create_request(7)).await;
    let code = host.folded.clone().unwrap().code;
    let mut on_a = Seat::open(
        urls.clone(),
        0,
        "on-a",
        ClientRequest::JoinGame {
            code: code.clone(),
            name: "Ana".into(),
            faction: Some(Faction::Liberals),
        },
    )
    .await;
    let mut via_b = Seat::open(
        urls.clone(),
        1,
        "via-b",
        ClientRequest::JoinGame {
            code: code.clone(),
            name: "Boris".into(),
            faction: Some(Faction::Bolsheviks),
        },
    )
    .await;
    assert!(matches!(
        host.request(ClientRequest::StartGame).await,
        ServerMsg::Ack { .. }
    ));
    let mut acked = Vec::new();
    for (i, seat) in [&mut on_a, &mut via_b].into_iter().enumerate() {
        let text = format!("before {i}");
        let answer = seat
            .request(ClientRequest::Chat {
                channel: Channel::Floor,
                text: text.clone(),
            })
            .await;
        assert!(matches!(answer, ServerMsg::Ack { .. }), "{answer:?}");
        acked.push(text);
    }
    let (owner, epoch) = owner_and_epoch(&db, &code).await;
    assert_eq!(owner, urls[0], "the game runs where it was created");
    let log_before = stored_log(&db, &code).await.len();

    // Freeze A past its lease: another process takes the game over.
    signal(servers[0].pid(), "-STOP");
    let frozen = Instant::now();
    let (new_owner, new_epoch) = loop {
        let (o, e) = owner_and_epoch(&db, &code).await;
        if e > epoch {
            break (o, e);
        }
        assert!(
            frozen.elapsed() < Duration::from_secs(lease + 10),
            "nobody took the game over from the frozen process"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_ne!(new_owner, urls[0]);
    assert!(new_epoch > epoch);
    // The game goes on at its new owner (the host reconnects there).
    host.at = 1;
    host.ws = None;
    let answer = host
        .request(ClientRequest::Chat {
            channel: Channel::Floor,
            text: "the host, after the move".into(),
        })
        .await;
    assert!(matches!(answer, ServerMsg::Ack { .. }), "{answer:?}");
    acked.push("the host, after the move".into());

    // Thaw A. The very first thing: a write on the connection it still
    // holds. It must not be acknowledged, and must never be stored.
    signal(servers[0].pid(), "-CONT");
    let stale = on_a
        .once(ClientRequest::Chat {
            channel: Channel::Floor,
            text: "written to the frozen owner".into(),
        })
        .await;
    assert!(
        !matches!(stale, Some(ServerMsg::Ack { .. })),
        "the old owner acknowledged a write after losing its lease: {stale:?}"
    );
    // Both players are moved to the new owner and go on, with no gap and
    // no duplicate in their streams (checked by every seat as it reads).
    for (i, seat) in [&mut on_a, &mut via_b].into_iter().enumerate() {
        let text = format!("after {i}");
        let answer = seat
            .request(ClientRequest::Chat {
                channel: Channel::Floor,
                text: text.clone(),
            })
            .await;
        assert!(
            matches!(answer, ServerMsg::Ack { .. }),
            "{}: {answer:?}",
            seat.name
        );
        acked.push(text);
        assert!(seat.reconnects >= 1, "{} was moved", seat.name);
    }
    for seat in [&mut host, &mut on_a, &mut via_b] {
        seat.request(ClientRequest::Ping).await;
    }
    let log = stored_log(&db, &code).await;
    assert!(log.len() > log_before);
    let texts: Vec<String> = log
        .iter()
        .filter_map(|e| match e {
            GameEvent::Chat { text, .. } => Some(text.clone()),
            _ => None,
        })
        .collect();
    assert!(
        !texts.iter().any(|t| t == "written to the frozen owner"),
        "the frozen owner's write was stored"
    );
    for text in &acked {
        assert_eq!(
            texts.iter().filter(|t| *t == text).count(),
            1,
            "{text:?} is stored exactly once"
        );
    }
    // Every seat saw exactly the stored chats, in order.
    for seat in [&host, &on_a, &via_b] {
        let seen: Vec<String> = seat
            .events
            .iter()
            .filter_map(|(_, e)| match e {
                GameEvent::Chat { text, .. } => Some(text.clone()),
                _ => None,
            })
            .collect();
        let tail = &texts[texts.len() - seen.len()..];
        assert_eq!(seen, tail, "{} saw the stored chats", seat.name);
    }
    let (owner, _) = owner_and_epoch(&db, &code).await;
    assert_ne!(
        owner, urls[0],
        "the thawed process did not take the game back"
    );
}

/// The bundled terminal client, given two servers' addresses, plays on
/// when the game's server is killed: it reconnects to the other, resumes,
/// and its next line is said.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_terminal_client_moves_to_the_next_server_when_its_server_dies() {
    use std::io::{BufRead, BufReader, Write};
    use std::process::Stdio;
    let Some(db) = TestDb::create("e2e_postgres::terminal_client").await else {
        return;
    };
    let servers: Vec<TestServer> = (0..2).map(|_| start(&db, 0, 3)).collect();
    let urls: Arc<Vec<String>> = Arc::new(servers.iter().map(|s| s.ws_url()).collect());
    let mut host = Seat::open(urls.clone(), 0, "host", create_request(3)).await;
    let code = host.folded.clone().unwrap().code;
    let home = std::env::temp_dir().join(format!("dualpower-pg-cli-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&home);
    std::fs::create_dir_all(&home).unwrap();
    let both = format!("{},{}", urls[0], urls[1]);
    let mut child = Command::new(tests::binary("dualpower"))
        .args([
            "join",
            &code,
            "--name",
            "Ana",
            "--faction",
            "soviet",
            "--server",
            &both,
            "--strict",
        ])
        .current_dir(&home)
        .env("DUALPOWER_HOME", &home)
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start dualpower");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"wait phase negotiation\nsay Still here on another server.\necho done\n")
        .unwrap();
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    for out in [
        Box::new(child.stdout.take().unwrap()) as Box<dyn std::io::Read + Send>,
        Box::new(child.stderr.take().unwrap()),
    ] {
        let tx = tx.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
    }
    drop(tx);
    // Ana is in; the game starts; its server (A, where it was created)
    // dies.
    loop {
        let view = host.state().await;
        if view.players.iter().any(|p| p.name == "Ana") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(matches!(
        host.request(ClientRequest::StartGame).await,
        ServerMsg::Ack { .. }
    ));
    let mut servers = servers;
    signal(servers[0].pid(), "-KILL");
    let _dead = servers.remove(0);
    // The host follows (to B), resumes the paused game and moves on.
    host.at = 1;
    host.ws = None;
    loop {
        let view = host.state().await;
        if view.paused_remaining_ms.is_some() {
            host.request(ClientRequest::ResumeGame).await;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(matches!(
        host.request(ClientRequest::AdvancePhase).await,
        ServerMsg::Ack { .. }
    ));
    let started = Instant::now();
    loop {
        host.request(ClientRequest::Ping).await;
        if host.events.iter().any(|(_, e)| {
            matches!(e, GameEvent::Chat { text, .. } if text == "Still here on another server.")
        }) {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the client's line never arrived: {:?}",
            rx.try_iter().collect::<Vec<_>>()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the client did not finish"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    let out: Vec<String> = rx.iter().collect();
    assert!(status.success(), "{}", out.join("\n"));
    let out = out.join("\n");
    assert!(out.contains("Reconnected"), "{out}");
    let _ = std::fs::remove_dir_all(&home);
}

/// Wait until `server`'s log names `ip` among the addresses exempt from
/// the per-address limits (it reads the other servers' addresses every
/// third of a lease).
async fn wait_until_peer(server: &TestServer, ip: &str) {
    let started = Instant::now();
    loop {
        let log = server.log();
        if log
            .lines()
            .any(|l| l.contains("not held to the per-address limits") && l.contains(ip))
        {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "the server never learnt that {ip} is a peer:\n{log}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn students_passed_along_by_another_server_are_not_held_to_the_per_address_cap() {
    let Some(db) = TestDb::create("e2e_postgres::peers_not_capped").await else {
        return;
    };
    // Two servers on addresses of their own, each letting one address hold
    // at most 8 connections; every student on a machine (address) of its
    // own.
    let args = |bind: &'static str| {
        [
            "--bind",
            bind,
            "--db",
            db.url.as_str(),
            "--lease-secs",
            "3",
            "--max-connections-per-address",
            "8",
            "--address-rate-per-sec",
            "5",
            "--address-rate-burst",
            "10",
        ]
    };
    let a = TestServer::start_logged(&args("127.0.0.2:0"));
    let b = TestServer::start_logged(&args("127.0.0.3:0"));
    wait_until_peer(&a, "127.0.0.3").await;
    let student = |k: u8| std::net::IpAddr::from([127, 0, 1, k]);

    // The game runs on A; its 12 students all reach it through B, which
    // passes each connection on from its own address: 12 connections from
    // one address, past A's cap of 8 and its address rate limit.
    let (mut host, code) = tests::host_game(&a.ws_url(), 600, 7).await;
    let factions = [Faction::Liberals, Faction::Soviet, Faction::Bolsheviks];
    let mut students = Vec::new();
    for k in 1..=12u8 {
        let name = format!("student{k}");
        let mut c = tests::Client::connect_from(&b.ws_url(), student(k), &name)
            .await
            .unwrap_or_else(|e| panic!("{name} through B: {e}"));
        let answer = c
            .request(ClientRequest::JoinGame {
                code: code.clone(),
                name: name.clone(),
                faction: Some(factions[k as usize % 3]),
            })
            .await;
        assert!(
            matches!(answer, ServerMsg::Joined { .. }),
            "{name}: {answer:?}"
        );
        c.wait_snapshot().await;
        students.push(c);
    }
    assert!(
        a.log().contains("127.0.0.3") && !a.log().contains("refused connections"),
        "A refused none of B's connections:\n{}",
        a.log()
    );
    // They play: one student's line reaches every other student and the
    // host, through both servers.
    let line = "All power to the soviets, all twelve of us".to_string();
    let answer = students[11]
        .request(ClientRequest::Chat {
            channel: Channel::Floor,
            text: line.clone(),
        })
        .await;
    assert!(!matches!(answer, ServerMsg::Error { .. }), "{answer:?}");
    for c in students.iter_mut().take(11).chain([&mut host]) {
        c.wait_for(|e| matches!(e, GameEvent::Chat { text, .. } if *text == line))
            .await;
    }

    // One student machine is still held to the cap, on either server.
    for server in [&a, &b] {
        let mut held = Vec::new();
        for i in 0..8 {
            held.push(
                tests::Client::connect_from(&server.ws_url(), student(99), &format!("tab{i}"))
                    .await
                    .unwrap_or_else(|e| panic!("connection {i} from one machine: {e}")),
            );
        }
        assert!(
            tests::Client::connect_from(&server.ws_url(), student(99), "ninth")
                .await
                .is_err(),
            "a ninth connection from one machine is refused"
        );
    }
}

/// A configuration block of the README (```nginx … ```), as printed there.
fn readme_block(lang: &str) -> String {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md"))
        .expect("read README.md");
    let open = format!("```{lang}\n");
    let start = readme
        .find(&open)
        .unwrap_or_else(|| panic!("README.md has no {lang} block"))
        + open.len();
    let len = readme[start..].find("```").expect("the block ends");
    readme[start..start + len].to_string()
}

/// The README's example servers replaced by `servers` (the third
/// dropped), and its listening port by `port` on 127.0.0.1.
fn configured(block: &str, servers: &[&str], port: u16) -> String {
    let mut out = String::new();
    for line in block.lines() {
        let line = if line.contains("10.0.0.7:8080") {
            continue;
        } else if line.contains("10.0.0.5:8080") {
            line.replace("10.0.0.5:8080", servers[0])
        } else if line.contains("10.0.0.6:8080") {
            line.replace("10.0.0.6:8080", servers[1])
        } else if line.trim() == "listen 80;" {
            line.replace("80", &format!("127.0.0.1:{port}"))
        } else if line.trim() == "bind :80" {
            line.replace(":80", &format!("127.0.0.1:{port}"))
        } else {
            line.to_string()
        };
        out.push_str(&line);
        out.push('\n');
    }
    for s in servers {
        assert!(out.contains(s), "the README's block names two servers");
    }
    out
}

/// The load balancer's program, or `None` (the test is skipped, unless
/// PostgreSQL tests are required: then it fails).
fn program(name: &str) -> Option<std::path::PathBuf> {
    let path = std::env::var("PATH").unwrap_or_default();
    let found = path
        .split(':')
        .chain(["/usr/sbin", "/sbin", "/usr/local/sbin"])
        .map(|d| std::path::Path::new(d).join(name))
        .find(|p| p.is_file());
    if found.is_none() {
        assert!(
            !tests::pg::required(),
            "DUALPOWER_REQUIRE_POSTGRES=1 but {name} is not installed: apt-get install -y {name} (.ci/run does)"
        );
        let _ = std::io::Write::write_fmt(
            &mut std::io::stderr(),
            format_args!("SKIPPED: {name} is not installed (apt-get install -y {name})\n"),
        );
    }
    found
}

/// A child process killed when dropped.
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// How many connections a server has (its `/health`).
async fn connections(addr: &str) -> u64 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut tcp = tokio::net::TcpStream::connect(addr).await.expect("connect");
    tcp.write_all(b"GET /health HTTP/1.0\r\n\r\n")
        .await
        .unwrap();
    let mut text = String::new();
    tcp.read_to_string(&mut text).await.unwrap();
    let body = text.split("\r\n\r\n").nth(1).unwrap_or_default();
    let health: serde_json::Value = serde_json::from_str(body).expect("health JSON");
    health["connections"].as_u64().expect("a count")
}

/// Two servers behind `lb` (started from the README's block by `start_lb`
/// with the two servers' addresses and a port): a class plays through it,
/// its players land on both servers, and when the game's server is
/// SIGKILLed they are back in the game within the lease and a few seconds.
async fn play_through_load_balancer(
    lb: &str,
    start_lb: impl FnOnce(&str, &std::path::Path) -> std::process::Child,
) {
    let Some(db) = TestDb::create(&format!("e2e_postgres::{lb}")).await else {
        return;
    };
    let port = free_port();
    let lb_url = format!("ws://127.0.0.1:{port}/ws");
    // The load balancer is at 127.0.0.1: a peer (as the README says).
    let start =
        || TestServer::start_with(&["--db", &db.url, "--lease-secs", "3", "--peer", "127.0.0.1"]);
    let mut servers = vec![start(), start()];
    let addrs: Vec<String> = servers.iter().map(|s| s.addr.clone()).collect();
    let block = readme_block(lb);
    let config = configured(&block, &[&addrs[0], &addrs[1]], port);
    let dir = std::env::temp_dir().join(format!("dp-{lb}-{}-{port}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let _lb = Child(start_lb(&config, &dir));
    // Up when it answers.
    let started = Instant::now();
    while hello(&lb_url).await.is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "{lb} does not pass a WebSocket through with the README's configuration:\n{config}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    let urls = Arc::new(vec![lb_url.clone()]);
    let mut host = Seat::open(urls.clone(), 0, "host", create_request(17)).await;
    let code = code_of(&host);
    let mut players = Vec::new();
    for (i, faction) in [
        Faction::Liberals,
        Faction::Soviet,
        Faction::Bolsheviks,
        Faction::Soviet,
    ]
    .into_iter()
    .enumerate()
    {
        let name = format!("p{i}");
        players.push(
            Seat::open(
                urls.clone(),
                0,
                &name,
                ClientRequest::JoinGame {
                    code: code.clone(),
                    name: name.clone(),
                    faction: Some(faction),
                },
            )
            .await,
        );
    }
    // The players landed on both servers: the one not running the game
    // passes its clients along.
    let (owner, _) = owner_and_epoch(&db, &code).await;
    let owner_at = addrs
        .iter()
        .position(|a| owner.contains(a.as_str()))
        .expect("a known owner");
    let other = &addrs[1 - owner_at];
    assert!(
        connections(other).await > 0,
        "{lb} sent every client to the game's own server; nothing was passed along"
    );
    let line = |s: &str| format!("{s} chat through {lb}");
    let answer = players[0]
        .request(ClientRequest::Chat {
            channel: Channel::Floor,
            text: line("before"),
        })
        .await;
    assert!(!matches!(answer, ServerMsg::Error { .. }), "{answer:?}");

    // The game's server dies; the next line is sent as soon as the player
    // gets back in (through the load balancer, to the other server).
    signal(servers[owner_at].pid(), "-KILL");
    let killed = Instant::now();
    let answer = players[1]
        .request(ClientRequest::Chat {
            channel: Channel::Floor,
            text: line("after"),
        })
        .await;
    let back = killed.elapsed();
    assert!(!matches!(answer, ServerMsg::Error { .. }), "{answer:?}");
    assert!(
        back < Duration::from_secs(15),
        "served again {back:?} after its server died (lease 3 s)"
    );
    let _ = std::io::Write::write_fmt(
        &mut std::io::stderr(),
        format_args!("{lb}: the game was served again {back:?} after its server was SIGKILLed\n"),
    );
    // Everyone sees both lines, in order, with no gap in their `seq`s
    // (each seat checks that as it reads).
    for seat in players.iter_mut().chain([&mut host]) {
        seat.state().await;
        let said = chats(seat.events.iter().map(|e| e.1.clone()));
        let ours: Vec<&String> = said.iter().filter(|t| t.contains(lb)).collect();
        assert_eq!(
            ours,
            vec![&line("before"), &line("after")],
            "{}: {said:?}",
            seat.name
        );
    }
    servers.remove(owner_at);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_readme_s_nginx_configuration_works() {
    let Some(nginx) = program("nginx") else {
        return;
    };
    play_through_load_balancer("nginx", |config, dir| {
        let d = dir.display();
        let conf = dir.join("nginx.conf");
        std::fs::write(
            &conf,
            format!(
                "daemon off;\nmaster_process off;\npid {d}/nginx.pid;\nerror_log {d}/error.log;\n\
                 events {{}}\nhttp {{\naccess_log off;\nclient_body_temp_path {d};\nproxy_temp_path {d};\n\
                 fastcgi_temp_path {d};\nuwsgi_temp_path {d};\nscgi_temp_path {d};\n{config}}}\n"
            ),
        )
        .unwrap();
        Command::new(nginx)
            .arg("-p")
            .arg(dir)
            .arg("-c")
            .arg(&conf)
            .stdin(std::process::Stdio::null())
            .spawn()
            .expect("start nginx")
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_readme_s_haproxy_configuration_works() {
    let Some(haproxy) = program("haproxy") else {
        return;
    };
    play_through_load_balancer("haproxy", |config, dir| {
        let conf = dir.join("haproxy.cfg");
        std::fs::write(&conf, config).unwrap();
        Command::new(haproxy)
            .arg("-db")
            .arg("-f")
            .arg(&conf)
            .stdin(std::process::Stdio::null())
            .spawn()
            .expect("start haproxy")
    })
    .await;
}
