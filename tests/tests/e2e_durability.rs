//! Nothing lost: the server is killed (SIGKILL) or stopped (SIGTERM) while
//! games are played, restarted on the same database, and every
//! acknowledged command is still there; requests resent after a reconnect
//! are applied once.

use protocol::*;
use std::collections::HashSet;
use std::path::PathBuf;
use std::process::Command;
use tests::*;

/// A fresh database path under the target directory.
fn db_path(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("dualpower-tests-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{name}.db"));
    for ext in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{ext}", path.display()));
    }
    path
}

fn kill9(server: TestServer) {
    // SIGKILL: no chance to flush or say goodbye.
    let _ = Command::new("kill")
        .args(["-KILL", &server.pid().to_string()])
        .status();
    drop(server);
}

/// Reattach with a token; return the client and its full stream from seq 1.
async fn resume_all(url: &str, name: &str, token: &str) -> Client {
    let mut c = Client::connect(url, name).await;
    let answer = c
        .request(ClientRequest::Resume {
            token: token.into(),
            last_seq: Some(0),
        })
        .await;
    assert!(
        matches!(answer, ServerMsg::Joined { .. }),
        "{name}: {answer:?}"
    );
    c.drain().await;
    c
}

fn chats(c: &Client) -> Vec<String> {
    c.events
        .iter()
        .filter_map(|(_, e)| match e {
            GameEvent::Chat { text, .. } => Some(text.clone()),
            _ => None,
        })
        .collect()
}

/// A tiny deterministic generator for "random" moments.
struct Lcg(u64);
impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_commands_survive_twenty_sigkills_and_games_finish() {
    let db = db_path("crash");
    let db_arg = db.to_str().unwrap().to_string();
    let mut rng = Lcg(1917);

    // Set up two games.
    let server = TestServer::start_with(&["--db", &db_arg]);
    let url = server.ws_url();
    let mut games = Vec::new();
    for g in 0..2u64 {
        let (mut host, code) = host_game(&url, 600, 100 + g).await;
        let mut tokens = Vec::new();
        for (i, f) in Faction::ALL.into_iter().enumerate() {
            let p = join(&url, &code, &format!("p{i}"), f).await;
            tokens.push(p.token.clone().unwrap());
        }
        host.ok(ClientRequest::StartGame).await;
        games.push((code, host.token.clone().unwrap(), tokens));
    }
    let mut acked: HashSet<String> = HashSet::new();
    let mut server = Some(server);

    for kill in 0..22 {
        let srv = match server.take() {
            Some(s) => s,
            None => TestServer::start_with(&["--db", &db_arg]),
        };
        let url = srv.ws_url();
        // Play a little in every game: chats, and the host moves phases on.
        let ops = 2 + rng.next(6);
        for (gi, (_, host_token, tokens)) in games.iter().enumerate() {
            let mut host = resume_all(&url, "host", host_token).await;
            let mut players = Vec::new();
            for (i, t) in tokens.iter().enumerate() {
                players.push(resume_all(&url, &format!("p{i}"), t).await);
            }
            for op in 0..ops {
                let who = rng.next(players.len() as u64) as usize;
                let text = format!("g{gi} k{kill} op{op} from p{who}");
                players[who]
                    .ok(ClientRequest::Chat {
                        channel: Channel::Floor,
                        text: text.clone(),
                    })
                    .await;
                acked.insert(text);
                if rng.next(3) == 0 {
                    let over = host.saw(|e| matches!(e, GameEvent::GameEnded { .. }));
                    if !over {
                        host.ok(ClientRequest::AdvancePhase).await;
                    }
                }
            }
            // Requests still in flight when the kill comes: these may or may
            // not survive, but must not break anything.
            for i in 0..3 {
                players[i % players.len()].send_text(&format!(
                    r#"{{"type":"chat","id":"inflight-{kill}-{i}","channel":{{"kind":"floor"}},"text":"in flight {gi} {kill} {i}"}}"#
                ));
            }
        }
        kill9(srv);
    }

    // After the last restart: every acknowledged chat is there, exactly once,
    // in every game's stream; then both games play to an ending.
    let srv = TestServer::start_with(&["--db", &db_arg]);
    let url = srv.ws_url();
    let mut seen_all: Vec<String> = Vec::new();
    for (gi, (_, host_token, tokens)) in games.iter().enumerate() {
        let mut host = resume_all(&url, "host", host_token).await;
        let c = chats(&host);
        let unique: HashSet<&String> = c.iter().collect();
        assert_eq!(
            unique.len(),
            c.len(),
            "game {gi}: no chat was applied twice"
        );
        seen_all.extend(c);
        let p = resume_all(&url, "p0", &tokens[0]).await;
        assert_eq!(
            chats(&p),
            chats(&host),
            "game {gi}: the player's stream matches the host's"
        );
        let mut rounds = 0;
        while !host.saw(|e| matches!(e, GameEvent::GameEnded { .. })) {
            host.ok(ClientRequest::AdvancePhase).await;
            host.drain().await;
            rounds += 1;
            assert!(rounds < 60, "game {gi} never ended");
        }
    }
    let seen: HashSet<String> = seen_all.into_iter().collect();
    for text in &acked {
        assert!(seen.contains(text), "acknowledged chat {text:?} was lost");
    }
    assert!(
        acked.len() >= 40,
        "the test acknowledged {} chats",
        acked.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resent_request_is_applied_once_even_across_a_restart() {
    let db = db_path("resend");
    let db_arg = db.to_str().unwrap().to_string();
    let server = TestServer::start_with(&["--db", &db_arg]);
    let url = server.ws_url();
    let (mut host, code) = host_game(&url, 600, 9).await;
    let mut ana = join(&url, &code, "Ana", Faction::Soviet).await;
    host.ok(ClientRequest::StartGame).await;
    let token = ana.token.clone().unwrap();

    let resend = r#"{"type":"chat","id":"once-1","channel":{"kind":"floor"},"text":"said once"}"#;
    ana.send_text(resend);
    let first = ana.answer_to(&RequestId::Text("once-1".into())).await;
    assert!(matches!(first, ServerMsg::Ack { .. }), "{first:?}");
    ana.disconnect();

    // Same connection-independent id after a reconnect: same answer, not
    // applied again.
    let mut back = resume_all(&url, "Ana", &token).await;
    back.send_text(resend);
    let again = back.answer_to(&RequestId::Text("once-1".into())).await;
    assert_eq!(again, first);
    back.drain().await;
    assert_eq!(chats(&back).iter().filter(|t| *t == "said once").count(), 1);
    // A refused request resent is refused the same way.
    let bad = r#"{"type":"vote","id":"v-1","motion":1,"vote":"yes"}"#;
    back.send_text(bad);
    let refused = back.answer_to(&RequestId::Text("v-1".into())).await;
    back.send_text(bad);
    assert_eq!(
        back.answer_to(&RequestId::Text("v-1".into())).await,
        refused
    );

    // And across a crash.
    kill9(server);
    let server = TestServer::start_with(&["--db", &db_arg]);
    let mut after = resume_all(&server.ws_url(), "Ana", &token).await;
    after.send_text(resend);
    let third = after.answer_to(&RequestId::Text("once-1".into())).await;
    assert_eq!(third, first);
    after.drain().await;
    assert_eq!(
        chats(&after).iter().filter(|t| *t == "said once").count(),
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graceful_shutdown_loses_nothing() {
    let db = db_path("graceful");
    let db_arg = db.to_str().unwrap().to_string();
    let server = TestServer::start_with(&["--db", &db_arg]);
    let url = server.ws_url();
    let (mut host, code) = host_game(&url, 600, 11).await;
    let mut ana = join(&url, &code, "Ana", Faction::Liberals).await;
    let mut boris = join(&url, &code, "Boris", Faction::Bolsheviks).await;
    host.ok(ClientRequest::StartGame).await;
    for _ in 0..2 {
        host.ok(ClientRequest::AdvancePhase).await;
    }
    ana.ok(ClientRequest::TableMotion {
        motion: Motion::CivilLiberties,
    })
    .await;
    boris
        .ok(ClientRequest::Chat {
            channel: Channel::Faction,
            text: "secret plan".into(),
        })
        .await;
    let before = match host.request(ClientRequest::GetState).await {
        ServerMsg::Snapshot { view, seq, .. } => (view, seq),
        other => panic!("{other:?}"),
    };
    let host_token = host.token.clone().unwrap();

    let status = tokio::task::spawn_blocking(move || server.terminate())
        .await
        .unwrap();
    assert!(status.success());

    let server = TestServer::start_with(&["--db", &db_arg]);
    let mut host = Client::connect(&server.ws_url(), "host").await;
    let (old, old_seq) = before;
    host.request(ClientRequest::Resume {
        token: host_token,
        last_seq: Some(old_seq),
    })
    .await;
    let view = host.get_state().await;
    // The stream continues where it was: the only new events say that the
    // players are away until they reconnect, and that the game waits for
    // the host to resume it.
    assert_eq!(host.events.first().map(|(seq, _)| *seq), Some(old_seq + 1));
    for (_, e) in &host.events {
        assert!(
            matches!(
                e,
                GameEvent::PlayerConnection {
                    connected: false,
                    ..
                } | GameEvent::Paused { .. }
            ),
            "unexpected {e:?}"
        );
    }
    assert!(view.players.iter().all(|p| !p.connected));
    let left = view.paused_remaining_ms.expect("a restored game is paused");
    assert!(
        left > 500_000,
        "the phase keeps the time it had left ({left} ms of 600 s)"
    );
    host.ok(ClientRequest::ResumeGame).await;
    let view2 = host.get_state().await;
    assert!(view2.deadline_ms.is_some() && view2.paused_remaining_ms.is_none());
    assert_eq!(view.state, old.state);
    assert_eq!(view.motions, old.motions);
    assert_eq!(view.factions, old.factions);
    assert_eq!(view.phase, old.phase);
    assert_eq!(view.round, old.round);
    assert_eq!(
        view.players.iter().map(|p| &p.name).collect::<Vec<_>>(),
        old.players.iter().map(|p| &p.name).collect::<Vec<_>>()
    );
}
