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

/// A bot seated beside people is a teammate: it tells them in the faction
/// channel (and only there) what it would do and why, leaves the faction's
/// influence to them for most of the voting phase, spends only what they
/// leave, and votes for what they tabled.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bot_beside_people_suggests_in_the_faction_channel_and_spends_only_what_they_leave() {
    let server = TestServer::start();
    let url = server.ws_url();
    let mut host = Client::connect(&url, "host").await;
    let voting_secs = 8;
    let answer = host
        .request(ClientRequest::CreateGame {
            scenario: None,
            preset: TimerPreset::Standard,
            timers: Some(PhaseTimers {
                briefing: 600,
                negotiation: 600,
                proposals: 600,
                voting: voting_secs,
                resolution: 600,
            }),
            faction_choice: FactionChoice::Choose,
            characters: false,
            seed: Some(4),
        })
        .await;
    let ServerMsg::GameCreated { code, .. } = answer else {
        panic!("create_game: {answer:?}");
    };
    host.wait_snapshot().await;
    let mut ana = join(&url, &code, "Ana", Faction::Soviet).await;
    let mut boris = join(&url, &code, "Boris", Faction::Soviet).await;
    let mut lena = join(&url, &code, "Lena", Faction::Liberals).await;
    let mut kolya = join(&url, &code, "Kolya", Faction::Bolsheviks).await;
    let mut spectator = Client::connect(&url, "projector").await;
    assert!(matches!(
        spectator
            .request(ClientRequest::Spectate {
                code: code.clone(),
                last_seq: None
            })
            .await,
        ServerMsg::Joined { .. }
    ));
    spectator.wait_snapshot().await;
    host.ok(ClientRequest::AddBot {
        faction: Some(Faction::Soviet),
    })
    .await;
    let bot = host
        .get_state()
        .await
        .players
        .iter()
        .find(|p| p.bot)
        .expect("the bot")
        .id;
    host.ok(ClientRequest::StartGame).await;
    let people = [&mut ana, &mut boris, &mut lena, &mut kolya];
    for p in people {
        p.ok(ClientRequest::SetReady { ready: true }).await; // briefing
    }
    for p in [&mut ana, &mut boris, &mut lena, &mut kolya] {
        p.ok(ClientRequest::SetReady { ready: true }).await; // negotiation
    }
    // Proposals: Ana tables the faction's resolution; the bot, whose
    // people tabled, adds none of its own.
    ana.ok(ClientRequest::TableMotion {
        motion: Motion::PeaceAppeal,
    })
    .await;
    for p in [&mut ana, &mut boris, &mut lena, &mut kolya] {
        p.ok(ClientRequest::SetReady { ready: true }).await; // proposals
    }
    ana.wait_for(|e| {
        matches!(
            e,
            GameEvent::PhaseStarted {
                phase: Phase::Voting,
                ..
            }
        )
    })
    .await;
    let voting_opened = std::time::Instant::now();
    // The people plan first, and leave part of the faction's influence.
    let view = ana.get_state().await;
    let ip = view.secrets(Faction::Soviet).expect("our IP").ip;
    assert!(ip >= 7, "the Soviet delegates' income: {ip}");
    assert!(
        view.motions
            .iter()
            .all(|m| m.proposer != bot || m.motion == Motion::PeaceAppeal),
        "the bot tabled nothing of its own: {:?}",
        view.motions
    );
    ana.ok(ClientRequest::PlanAction {
        action: Action::Organize,
    })
    .await;
    boris
        .ok(ClientRequest::PlanAction {
            action: Action::Agitate {
                group: Group::Workers,
            },
        })
        .await;
    let ours: Vec<PlannedAction> = ana
        .get_state()
        .await
        .secrets(Faction::Soviet)
        .unwrap()
        .plan
        .clone();
    assert_eq!(ours.len(), 2);
    let left = ip - 5;
    let motion = view
        .motions
        .iter()
        .find(|m| m.motion == Motion::PeaceAppeal)
        .expect("Ana's motion")
        .id;
    // The phase closes at its deadline (nobody says ready).
    let closed = ana
        .wait_for(|e| matches!(e, GameEvent::VotesClosed { .. }))
        .await;
    // What the faction's stream shows, in order, for this voting phase.
    let since_voting: Vec<&GameEvent> = ana
        .events
        .iter()
        .map(|(_, e)| e)
        .skip_while(|e| {
            !matches!(
                e,
                GameEvent::PhaseStarted {
                    phase: Phase::Voting,
                    ..
                }
            )
        })
        .collect();
    let suggestion = since_voting
        .iter()
        .position(|e| {
            matches!(e, GameEvent::Chat { scope: ChatScope::Faction { faction: Faction::Soviet }, from: Some(p), .. } if *p == bot)
        })
        .expect("the bot's suggestion in the faction channel");
    let GameEvent::Chat { text, .. } = since_voting[suggestion] else {
        unreachable!()
    };
    assert!(
        text.starts_with("I would ") && text.contains(": ") && text.len() < 400,
        "one sentence, what and why: {text}"
    );
    let bot_plans: Vec<(usize, PlannedAction)> = since_voting
        .iter()
        .enumerate()
        .filter_map(|(i, e)| match e {
            GameEvent::ActionPlanned { planned, .. } if planned.by == bot => Some((i, *planned)),
            _ => None,
        })
        .collect();
    assert!(!bot_plans.is_empty(), "the bot spent what was left");
    let people_planned = since_voting
        .iter()
        .rposition(|e| matches!(e, GameEvent::ActionPlanned { planned, .. } if planned.by != bot))
        .unwrap();
    assert!(
        bot_plans
            .iter()
            .all(|(i, _)| *i > suggestion && *i > people_planned),
        "the bot speaks first, and spends after its people"
    );
    let spent: u32 = bot_plans.iter().map(|(_, p)| p.cost).sum();
    assert!(spent <= left, "the bot spent {spent} of the {left} left");
    assert!(
        !since_voting
            .iter()
            .any(|e| matches!(e, GameEvent::ActionUnplanned { .. })),
        "nobody's plan was undone"
    );
    // It waited for most of the phase before spending.
    let waited = voting_opened.elapsed();
    assert!(
        waited.as_secs_f64() >= voting_secs as f64 * 0.6,
        "the phase ran {waited:?}"
    );
    // The people's plan is intact in what the faction did.
    ana.wait_for(|e| matches!(e, GameEvent::Resolved { .. }))
        .await;
    let resolved = ana
        .events
        .iter()
        .find_map(|(_, e)| match e {
            GameEvent::Resolved { actions, .. } => Some(actions.clone()),
            _ => None,
        })
        .unwrap();
    let soviet = resolved
        .iter()
        .find(|a| a.faction == Faction::Soviet)
        .expect("the Soviet delegates acted");
    for p in &ours {
        assert!(
            soviet.actions.contains(&p.action),
            "{:?} was carried out: {:?}",
            p.action,
            soviet.actions
        );
    }
    assert_eq!(soviet.actions.len(), 2 + bot_plans.len());
    // The bot voted with its people for Ana's motion.
    let GameEvent::VotesClosed { results } = closed else {
        unreachable!()
    };
    let bot_vote = results
        .iter()
        .find(|r| r.motion == motion)
        .and_then(|r| r.tally.roll_call.iter().find(|c| c.player == bot))
        .map(|c| c.vote);
    assert_eq!(bot_vote, Some(Vote::Yes));
    // Boris (same faction) got the suggestion; the other factions and the
    // projector did not.
    let from_bot = |c: &Client| {
        c.saw(|e| matches!(e, GameEvent::Chat { from: Some(p), scope: ChatScope::Faction { .. }, .. } if *p == bot))
    };
    boris.drain().await;
    assert!(from_bot(&boris));
    for c in [&mut lena, &mut kolya, &mut spectator] {
        c.drain().await;
        assert!(
            c.saw(|e| matches!(e, GameEvent::Resolved { .. })),
            "{} followed the game",
            c.name
        );
        assert!(!from_bot(c), "{} saw the Soviet bot's suggestion", c.name);
    }
}

/// A bot beside people votes with them: a faction sees its members' open
/// ballots, so when its two people vote no on a resolution the bot would
/// have voted for, it votes no too, and says so in the faction channel in
/// one sentence. The other factions and the projector see neither the
/// people's ballots nor the bot's sentence before the roll call.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bot_beside_people_votes_with_them_when_they_have_voted() {
    let server = TestServer::start();
    let url = server.ws_url();
    let (mut host, code) = host_game(&url, 600, 21).await;
    let mut ana = join(&url, &code, "Ana", Faction::Soviet).await;
    let mut boris = join(&url, &code, "Boris", Faction::Soviet).await;
    let mut lena = join(&url, &code, "Lena", Faction::Liberals).await;
    let mut kolya = join(&url, &code, "Kolya", Faction::Bolsheviks).await;
    let mut spectator = Client::connect(&url, "projector").await;
    assert!(matches!(
        spectator
            .request(ClientRequest::Spectate {
                code: code.clone(),
                last_seq: None
            })
            .await,
        ServerMsg::Joined { .. }
    ));
    spectator.wait_snapshot().await;
    host.ok(ClientRequest::AddBot {
        faction: Some(Faction::Soviet),
    })
    .await;
    let bot = host
        .get_state()
        .await
        .players
        .iter()
        .find(|p| p.bot)
        .expect("the bot")
        .id;
    host.ok(ClientRequest::StartGame).await;
    host.ok(ClientRequest::AdvancePhase).await; // negotiation
    host.ok(ClientRequest::AdvancePhase).await; // proposals
                                                // The Bolsheviks' workers' control: the Soviet delegates' bot, on its
                                                // own, votes for it.
    kolya
        .ok(ClientRequest::TableMotion {
            motion: Motion::WorkersControl,
        })
        .await;
    host.ok(ClientRequest::AdvancePhase).await; // voting
    ana.wait_for(|e| {
        matches!(
            e,
            GameEvent::PhaseStarted {
                phase: Phase::Voting,
                ..
            }
        )
    })
    .await;
    let motion = MotionId(1);
    for c in [&mut lena, &mut kolya] {
        c.ok(ClientRequest::SetReady { ready: true }).await;
    }
    // The people vote no, then say they are done: the bot acts.
    for c in [&mut ana, &mut boris] {
        c.ok(ClientRequest::Vote {
            motion,
            vote: Vote::No,
        })
        .await;
    }
    for c in [&mut ana, &mut boris] {
        c.ok(ClientRequest::SetReady { ready: true }).await;
    }
    let closed = ana
        .wait_for(|e| matches!(e, GameEvent::VotesClosed { .. }))
        .await;
    let GameEvent::VotesClosed { results } = closed else {
        unreachable!()
    };
    let bot_vote = results
        .iter()
        .find(|r| r.motion == motion)
        .and_then(|r| r.tally.roll_call.iter().find(|c| c.player == bot))
        .map(|c| c.vote);
    assert_eq!(bot_vote, Some(Vote::No), "the bot voted with Ana and Boris");
    // It said so, in one sentence, in the faction channel.
    let said: Vec<String> = ana
        .events
        .iter()
        .filter_map(|(_, e)| match e {
            GameEvent::Chat {
                scope: ChatScope::Faction { .. },
                from: Some(p),
                text,
                ..
            } if *p == bot && text.starts_with("I vote ") => Some(text.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(
        said,
        vec!["I vote no on workers_control with Ana and Boris: the faction votes as one, though I would have voted yes.".to_string()]
    );
    // The other factions and the projector saw none of it before the close.
    for c in [&mut lena, &mut kolya, &mut spectator] {
        c.drain().await;
        assert!(
            !c.saw(|e| matches!(e, GameEvent::VoteCast { motion: m, .. } if *m == motion)),
            "{} saw an open ballot on the Soviet delegates' side",
            c.name
        );
        assert!(
            !c.saw(|e| matches!(e, GameEvent::Chat { scope: ChatScope::Faction { .. }, from: Some(p), .. } if *p == bot)),
            "{} saw the bot's sentence in its faction's channel",
            c.name
        );
    }
}
