//! The host fills empty seats with bots: they play by the same rules as
//! people, from their own view, and the host can remove them.

use protocol::*;
use tests::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bots_fill_seats_play_the_round_and_can_be_removed() {
    let server = TestServer::start();
    let url = server.ws_url();
    let (mut host, code) = host_game(&url, 600, 12).await;
    let mut ana = join(&url, &code, "Ana", Faction::Liberals).await;

    // Only the host seats bots.
    ana.refused(
        ClientRequest::AddBot { faction: None },
        ErrorCode::Forbidden,
    )
    .await;
    host.ok(ClientRequest::AddBot {
        faction: Some(Faction::Soviet),
    })
    .await;
    host.ok(ClientRequest::AddBot {
        faction: Some(Faction::Bolsheviks),
    })
    .await;
    host.ok(ClientRequest::AddBot { faction: None }).await; // the smallest faction
    let view = host.get_state().await;
    let bots: Vec<&PlayerInfo> = view.players.iter().filter(|p| p.bot).collect();
    assert_eq!(bots.len(), 3, "{:?}", view.players);
    assert!(bots
        .iter()
        .all(|b| b.name.ends_with("(bot)") && b.connected));
    let soviet_bot = bots
        .iter()
        .find(|b| b.faction == Faction::Soviet)
        .unwrap()
        .id;
    let bolshevik_bot = bots
        .iter()
        .find(|b| b.faction == Faction::Bolsheviks)
        .unwrap()
        .id;

    // Ana plays; the bots act at once in each phase and say they are ready,
    // so each phase ends when Ana is ready too.
    host.ok(ClientRequest::StartGame).await;
    for _ in 0..2 {
        ana.ok(ClientRequest::SetReady { ready: true }).await; // briefing, negotiation
    }
    ana.ok(ClientRequest::TableMotion {
        motion: Motion::CivilLiberties,
    })
    .await;
    ana.ok(ClientRequest::SetReady { ready: true }).await; // proposals
    ana.drain().await;
    let civil = ana
        .events
        .iter()
        .find_map(|(_, e)| match e {
            GameEvent::MotionTabled { motion } if motion.motion == Motion::CivilLiberties => {
                Some(motion.id)
            }
            _ => None,
        })
        .expect("Ana's motion");
    ana.ok(ClientRequest::Vote {
        motion: civil,
        vote: Vote::Yes,
    })
    .await;
    ana.ok(ClientRequest::SetReady { ready: true }).await; // voting
    let closed = ana
        .wait_for(|e| matches!(e, GameEvent::VotesClosed { .. }))
        .await;
    let GameEvent::VotesClosed { results } = closed else {
        unreachable!()
    };
    // The bots tabled Soviet resolutions and voted on them.
    let bot_votes: Vec<&RollCallEntry> = results
        .iter()
        .flat_map(|r| r.tally.roll_call.iter())
        .filter(|c| c.player == soviet_bot || c.player == bolshevik_bot)
        .collect();
    assert!(!bot_votes.is_empty(), "the bots voted: {results:?}");
    assert!(
        ana.saw(|e| matches!(e, GameEvent::MotionTabled { motion } if motion.proposer == soviet_bot || motion.proposer == bolshevik_bot)),
        "the bots tabled motions"
    );
    ana.ok(ClientRequest::SetReady { ready: true }).await; // resolution
    ana.wait_for(|e| matches!(e, GameEvent::PhaseStarted { round: 2, .. }))
        .await;
    // What the bots did shows in the resolution, like anyone's actions.
    assert!(ana.saw(|e| matches!(e, GameEvent::Resolved { actions, .. } if actions.iter().any(|a| a.faction == Faction::Bolsheviks && !a.actions.is_empty()))));

    // The host removes a bot like any player.
    host.ok(ClientRequest::Kick {
        player: bolshevik_bot,
        reason: Some("A student arrived".into()),
    })
    .await;
    let view = host.get_state().await;
    assert!(view.players.iter().all(|p| p.id != bolshevik_bot));
    assert_eq!(view.players.iter().filter(|p| p.bot).count(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bots_started_from_the_cli_play_a_whole_game_over_websockets() {
    let server = TestServer::start();
    let url = server.ws_url();
    let (mut host, code) = host_game(&url, 600, 21).await;
    let bots = std::process::Command::new(binary("dualpower"))
        .args([
            "bots", &code, "--count", "4", "--server", &url, "--seed", "3",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start the bots");
    // Four players join, in the smallest factions.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        host.drain().await;
        let joined = host
            .events
            .iter()
            .filter(|(_, e)| matches!(e, GameEvent::PlayerJoined { .. }))
            .count();
        if joined == 4 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "only {joined} bots joined"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    host.ok(ClientRequest::StartGame).await;
    // Every bot says `ready` once it has acted: the whole game runs by
    // itself, through the rules, to an ending.
    let ended = host
        .wait_for(|e| matches!(e, GameEvent::GameEnded { .. }))
        .await;
    let GameEvent::GameEnded { outcome } = ended else {
        unreachable!()
    };
    assert_ne!(outcome.ending, Ending::EndedByHost);
    let out = tokio::task::spawn_blocking(move || bots.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(stdout.matches("the game is over").count(), 4, "{stdout}");
    // They took part: motions tabled, votes in the roll calls.
    assert!(host.saw(|e| matches!(e, GameEvent::MotionTabled { .. })));
    assert!(host.saw(|e| matches!(e, GameEvent::VotesClosed { results } if results.iter().any(|r| !r.tally.roll_call.is_empty()))));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rooms_bots_come_back_after_a_server_restart_and_play_on() {
    let dir = std::env::temp_dir().join(format!("dualpower-bots-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("bots.db");
    let db = db.to_str().unwrap().to_string();
    let server = TestServer::start_with(&["--db", &db]);
    let (mut host, _code) = host_game(&server.ws_url(), 600, 33).await;
    for f in Faction::ALL {
        host.ok(ClientRequest::AddBot { faction: Some(f) }).await;
    }
    let token = host.token.clone().unwrap();
    drop(host);
    drop(server); // SIGKILL

    let server = TestServer::start_with(&["--db", &db, "--bind", "127.0.0.1:0"]);
    let mut host = Client::connect(&server.ws_url(), "host").await;
    let answer = host
        .request(ClientRequest::Resume {
            token,
            last_seq: None,
        })
        .await;
    assert!(matches!(answer, ServerMsg::Joined { .. }), "{answer:?}");
    let view = host.wait_snapshot().await;
    assert_eq!(
        view.players.iter().filter(|p| p.bot && p.connected).count(),
        3,
        "{:?}",
        view.players
    );
    // Started, the bots play every phase of the game with the class (here
    // the host moves each phase on), through the rules, to an ending.
    // (Bots alone never end a phase early: that is the class's call.)
    host.ok(ClientRequest::StartGame).await;
    let mut ended = None;
    for _ in 0..60 {
        host.ok(ClientRequest::AdvancePhase).await;
        host.drain().await;
        if let Some((_, e)) = host
            .events
            .iter()
            .find(|(_, e)| matches!(e, GameEvent::GameEnded { .. }))
        {
            ended = Some(e.clone());
            break;
        }
    }
    let ended = ended.expect("the game reached its end");
    assert!(
        matches!(&ended, GameEvent::GameEnded { outcome } if outcome.ending != Ending::EndedByHost)
    );
    // The bots took part in it.
    assert!(host.saw(|e| matches!(e, GameEvent::MotionTabled { .. })));
    assert!(host.saw(|e| matches!(e, GameEvent::ActionPlanned { .. })));
    let _ = std::fs::remove_dir_all(&dir);
}
