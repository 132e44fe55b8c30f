//! A restart never costs a class its game. The server is stopped (SIGTERM)
//! or killed (SIGKILL) in every phase of a game with bots of every faction
//! seated by the host; it comes back paused, with its bots, and nothing
//! moves until the host resumes. The phase keeps the time it had left.

use protocol::*;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;
use tests::*;

fn db_path(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("dualpower-restart-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{name}.db"));
    for ext in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{ext}", path.display()));
    }
    path
}

fn signal(server: &TestServer, sig: &str) {
    let _ = Command::new("kill")
        .args([sig, &server.pid().to_string()])
        .status();
}

#[derive(Clone, Copy, Debug)]
enum Stop {
    Term,
    Kill,
}

/// Stop the server as `how` says; SIGTERM must exit cleanly.
async fn stop(server: TestServer, how: Stop) {
    match how {
        Stop::Term => {
            let status = tokio::task::spawn_blocking(move || server.terminate())
                .await
                .unwrap();
            assert!(status.success(), "SIGTERM: {status:?}");
        }
        Stop::Kill => {
            signal(&server, "-KILL");
            drop(server);
        }
    }
}

/// Take the host's seat back on a restarted server.
async fn host_back(server: &TestServer, token: &str) -> (Client, GameView) {
    let mut host = Client::connect(&server.ws_url(), "host").await;
    let answer = host
        .request(ClientRequest::Resume {
            token: token.into(),
            last_seq: None,
        })
        .await;
    assert!(matches!(answer, ServerMsg::Joined { .. }), "{answer:?}");
    let view = host.wait_snapshot().await;
    (host, view)
}

fn progress(view: &GameView) -> (GameStatus, u8, Option<Phase>) {
    (view.status, view.round, view.phase)
}

/// Bots of every faction and one student; the server is stopped in every
/// phase, alternately by SIGTERM and SIGKILL (and the other way round in
/// the second round), and restarted on the same database. Each time the
/// game is paused where it was, its bots are seated and connected, and it
/// stays where it was (no phase, no ending) until the host resumes it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_with_seated_bots_comes_back_paused_in_every_phase() {
    let db = db_path("bots-every-phase");
    let db = db.to_str().unwrap().to_string();
    let mut server = TestServer::start_with(&["--db", &db]);
    let (mut host, _code) = host_game(&server.ws_url(), 600, 7).await;
    let code = _code;
    let mut ana = join(&server.ws_url(), &code, "Ana", Faction::Liberals).await;
    let ana_token = ana.token.clone().unwrap();
    for f in Faction::ALL {
        host.ok(ClientRequest::AddBot { faction: Some(f) }).await;
    }
    host.ok(ClientRequest::StartGame).await;
    let token = host.token.clone().unwrap();
    let mut n = 0;
    for round in 1..=2u8 {
        for phase in Phase::ALL {
            let view = host.get_state().await;
            assert_eq!(
                progress(&view),
                (GameStatus::Running, round, Some(phase)),
                "before the restart"
            );
            let how = if (n + usize::from(round)) % 2 == 0 {
                Stop::Term
            } else {
                Stop::Kill
            };
            n += 1;
            drop(host);
            drop(ana);
            stop(server, how).await;
            server = TestServer::start_with(&["--db", &db]);
            let (h, restored) = host_back(&server, &token).await;
            host = h;
            assert_eq!(
                progress(&restored),
                (GameStatus::Running, round, Some(phase)),
                "after {how:?} in {phase:?} of round {round}: the game must not move on"
            );
            assert!(
                restored.paused_remaining_ms.is_some(),
                "after {how:?} in {phase:?}: paused"
            );
            let bots: Vec<&PlayerInfo> = restored.players.iter().filter(|p| p.bot).collect();
            assert_eq!(bots.len(), 3, "{:?}", restored.players);
            assert!(bots.iter().all(|b| b.connected), "{:?}", restored.players);
            // Nothing moves while paused, even with the bots seated and
            // every person away.
            tokio::time::sleep(Duration::from_millis(300)).await;
            let still = host.get_state().await;
            assert_eq!(progress(&still), progress(&restored));
            assert!(!host.saw(|e| matches!(
                e,
                GameEvent::PhaseStarted { .. } | GameEvent::GameEnded { .. }
            )));
            // The student comes back, the host resumes, and the phase is
            // ended by the host: the game goes on from where it was.
            ana = Client::connect(&server.ws_url(), "Ana").await;
            let answer = ana
                .request(ClientRequest::Resume {
                    token: ana_token.clone(),
                    last_seq: None,
                })
                .await;
            assert!(matches!(answer, ServerMsg::Joined { .. }), "{answer:?}");
            ana.wait_snapshot().await;
            host.ok(ClientRequest::ResumeGame).await;
            host.ok(ClientRequest::AdvancePhase).await;
        }
    }
    let view = host.get_state().await;
    assert_eq!(progress(&view).1, 3, "two whole rounds were played");
    drop(server);
    let _ = std::fs::remove_file(&db);
}

/// With every person away, bots alone never end a phase early: a class
/// whose network drops does not come back to a finished game.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bots_alone_do_not_rush_the_game_while_the_class_is_away() {
    let server = TestServer::start();
    let (mut host, code) = host_game(&server.ws_url(), 600, 8).await;
    let ana = join(&server.ws_url(), &code, "Ana", Faction::Liberals).await;
    for f in Faction::ALL {
        host.ok(ClientRequest::AddBot { faction: Some(f) }).await;
    }
    host.ok(ClientRequest::StartGame).await;
    ana.disconnect();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let view = host.get_state().await;
    assert_eq!(
        progress(&view),
        (GameStatus::Running, 1, Some(Phase::Briefing)),
        "the bots must wait for the class"
    );
}

/// SIGTERM pauses the game before the server stops: the phase keeps the
/// time it had left, however long the server was down.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_graceful_stop_keeps_the_time_left_in_the_phase() {
    let db = db_path("graceful-time");
    let db = db.to_str().unwrap().to_string();
    let server = TestServer::start_with(&["--db", &db]);
    let (mut host, code) = host_game(&server.ws_url(), 600, 9).await;
    let _ana = join(&server.ws_url(), &code, "Ana", Faction::Liberals).await;
    host.ok(ClientRequest::StartGame).await;
    let view = host.get_state().await;
    let left_at_stop = view.deadline_ms.unwrap() - now_ms();
    let token = host.token.clone().unwrap();
    stop(server, Stop::Term).await;
    tokio::time::sleep(Duration::from_secs(3)).await; // the server is down
    let server = TestServer::start_with(&["--db", &db]);
    let (_host, view) = host_back(&server, &token).await;
    let left = view.paused_remaining_ms.expect("paused");
    assert!(
        left + 1_000 >= left_at_stop && left <= left_at_stop + 1_000,
        "{left} ms left after the restart, {left_at_stop} ms at the stop: the 3 s downtime must not count"
    );
}

/// After a crash the phase keeps the time it had left at the last commit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_keeps_the_time_left_at_the_last_commit() {
    let db = db_path("crash-time");
    let db = db.to_str().unwrap().to_string();
    let server = TestServer::start_with(&["--db", &db]);
    let (mut host, code) = host_game(&server.ws_url(), 600, 10).await;
    let mut ana = join(&server.ws_url(), &code, "Ana", Faction::Liberals).await;
    host.ok(ClientRequest::StartGame).await;
    ana.ok(ClientRequest::Chat {
        channel: Channel::Floor,
        text: "the last thing before the crash".into(),
    })
    .await;
    let view = host.get_state().await;
    let left_at_commit = view.deadline_ms.unwrap() - now_ms();
    let token = host.token.clone().unwrap();
    stop(server, Stop::Kill).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let server = TestServer::start_with(&["--db", &db]);
    let (_host, view) = host_back(&server, &token).await;
    let left = view.paused_remaining_ms.expect("paused");
    assert!(
        left + 1_000 >= left_at_commit && left <= left_at_commit + 1_000,
        "{left} ms left after the crash, {left_at_commit} ms at the last commit"
    );
}

/// When the phase's time ran out while the server was stopped (frozen,
/// then killed), the phase gets 30 s after the restart, not 0.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_phase_whose_time_ran_out_meanwhile_gets_thirty_seconds() {
    let db = db_path("grace");
    let db = db.to_str().unwrap().to_string();
    let server = TestServer::start_with(&["--db", &db]);
    let (mut host, code) = host_game(&server.ws_url(), 600, 11).await;
    let _ana = join(&server.ws_url(), &code, "Ana", Faction::Liberals).await;
    host.ok(ClientRequest::StartGame).await;
    // Two seconds left in the phase, then the server freezes past it.
    host.ok(ClientRequest::SetTimers {
        preset: None,
        timers: Some(PhaseTimers {
            briefing: 2,
            negotiation: 2,
            proposals: 2,
            voting: 2,
            resolution: 2,
        }),
    })
    .await;
    host.ok(ClientRequest::AdvancePhase).await;
    let view = host.get_state().await;
    assert_eq!(view.phase, Some(Phase::Negotiation));
    let token = host.token.clone().unwrap();
    signal(&server, "-STOP");
    tokio::time::sleep(Duration::from_secs(3)).await;
    signal(&server, "-KILL");
    drop(server);
    let server = TestServer::start_with(&["--db", &db]);
    let (_host, view) = host_back(&server, &token).await;
    assert_eq!(view.phase, Some(Phase::Negotiation));
    let left = view.paused_remaining_ms.expect("paused");
    assert_eq!(left, 30_000, "the grace period");
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

/// A removed player's id is never given to anyone else, new players can
/// still join, and after a restart the removed player's token is refused
/// for good: it never takes over another seat (a bot's, say).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_removed_player_never_comes_back_in_someone_elses_seat() {
    let db = db_path("kick");
    let db = db.to_str().unwrap().to_string();
    let server = TestServer::start_with(&["--db", &db]);
    let url = server.ws_url();
    let (mut host, code) = host_game(&url, 600, 12).await;
    let _a = join(&url, &code, "A", Faction::Liberals).await;
    let _b = join(&url, &code, "B", Faction::Soviet).await;
    let mut c = join(&url, &code, "C", Faction::Bolsheviks).await;
    c.ok(ClientRequest::Chat {
        channel: Channel::Private { to: PlayerId(1) },
        text: "C's private word".into(),
    })
    .await;
    let c_token = c.token.clone().unwrap();
    host.ok(ClientRequest::Kick {
        player: PlayerId(3),
        reason: None,
    })
    .await;
    // New people can still join, and a bot can take a seat: new ids.
    let d = join(&url, &code, "D", Faction::Bolsheviks).await;
    assert_eq!(
        d.viewer,
        Some(Viewer::Player {
            id: PlayerId(4),
            faction: Faction::Bolsheviks
        })
    );
    host.ok(ClientRequest::AddBot {
        faction: Some(Faction::Liberals),
    })
    .await;
    let view = host.get_state().await;
    let ids: Vec<u32> = view.players.iter().map(|p| p.id.0).collect();
    assert_eq!(ids, vec![1, 2, 4, 5], "{:?}", view.players);
    // The removed player's token: refused now, and after a restart.
    let mut again = Client::connect(&url, "C again").await;
    let code_now = again
        .refused(
            ClientRequest::Resume {
                token: c_token.clone(),
                last_seq: Some(0),
            },
            ErrorCode::Removed,
        )
        .await;
    assert!(code_now.contains("removed"), "{code_now}");
    let token = host.token.clone().unwrap();
    drop(host);
    stop(server, Stop::Kill).await;
    let server = TestServer::start_with(&["--db", &db]);
    let mut again = Client::connect(&server.ws_url(), "C after restart").await;
    again
        .refused(
            ClientRequest::Resume {
                token: c_token,
                last_seq: Some(0),
            },
            ErrorCode::Removed,
        )
        .await;
    assert!(again.events.is_empty(), "nothing of anyone's stream");
    let (_host, view) = host_back(&server, &token).await;
    assert_eq!(view.players.len(), 4);
}
