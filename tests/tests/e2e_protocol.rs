//! Protocol v1 at the edges, against the real server binary: the handshake,
//! bad input, timers, reconnection, health and shutdown.

use protocol::*;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tests::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

#[tokio::test]
async fn hello_must_come_first_and_name_version_1() {
    let server = TestServer::start();
    let url = server.ws_url();

    let mut c = Client::connect_raw(&url, "early").await;
    let answer = c.request(ClientRequest::Ping).await;
    assert!(
        matches!(
            answer,
            ServerMsg::Error {
                code: ErrorCode::HelloRequired,
                ..
            }
        ),
        "{answer:?}"
    );
    // Still usable: hello now works.
    let answer = c
        .request(ClientRequest::Hello {
            protocol_version: 1,
            client: None,
            catalog_on_request: true,
        })
        .await;
    assert!(
        matches!(
            answer,
            ServerMsg::Welcome {
                protocol_version: 1,
                ..
            }
        ),
        "{answer:?}"
    );

    let mut old = Client::connect_raw(&url, "old").await;
    let answer = old
        .request(ClientRequest::Hello {
            protocol_version: 2,
            client: None,
            catalog_on_request: true,
        })
        .await;
    assert!(
        matches!(
            answer,
            ServerMsg::Error {
                code: ErrorCode::VersionMismatch,
                ..
            }
        ),
        "{answer:?}"
    );
    // ...and the server closes the connection.
    loop {
        match old.next().await {
            None => break,
            Some(ServerMsg::Goodbye { .. }) => {}
            Some(other) => panic!("unexpected {other:?}"),
        }
    }
}

#[tokio::test]
async fn bad_input_gets_a_clear_error_and_the_connection_stays_usable() {
    let server = TestServer::start();
    let url = server.ws_url();
    let (mut host, code) = host_game(&url, 600, 1).await;
    let mut ana = join(&url, &code, "Ana", Faction::Soviet).await;

    let cases: &[(&str, &str)] = &[
        ("not json", r#"{"type":"chat","#),
        ("unknown type", r#"{"type":"launch_rockets","id":7}"#),
        (
            "wrong field type",
            r#"{"type":"vote","id":8,"motion":"one","vote":"yes"}"#,
        ),
        (
            "missing field",
            r#"{"type":"chat","id":9,"channel":{"kind":"floor"}}"#,
        ),
        (
            "huge number",
            r#"{"type":"vote","id":10,"motion":99999999999999999999999,"vote":"yes"}"#,
        ),
        (
            "deep nesting",
            &format!("{}{}", "[".repeat(5000), "]".repeat(5000)),
        ),
    ];
    for (what, text) in cases {
        ana.send_text(text);
        match ana.next().await {
            Some(ServerMsg::Error {
                code: ErrorCode::BadRequest,
                message,
                ..
            }) => {
                assert!(!message.is_empty(), "{what}");
            }
            other => panic!("{what}: expected bad_request, got {other:?}"),
        }
    }
    ana.send_binary(vec![0, 1, 2]);
    assert!(matches!(
        ana.next().await,
        Some(ServerMsg::Error {
            code: ErrorCode::BadRequest,
            ..
        })
    ));

    // The id of a bad request is echoed when it can be read.
    ana.send_text(r#"{"type":"vote","id":"x1","motion":true}"#);
    let answer = ana.answer_to(&RequestId::Text("x1".into())).await;
    assert!(
        matches!(
            answer,
            ServerMsg::Error {
                code: ErrorCode::BadRequest,
                ..
            }
        ),
        "{answer:?}"
    );

    // Chat limits.
    ana.refused(
        ClientRequest::Chat {
            channel: Channel::Floor,
            text: "x".repeat(501),
        },
        ErrorCode::TooLong,
    )
    .await;
    ana.refused(
        ClientRequest::Chat {
            channel: Channel::Floor,
            text: "   ".into(),
        },
        ErrorCode::EmptyMessage,
    )
    .await;
    ana.refused(
        ClientRequest::Chat {
            channel: Channel::Floor,
            text: "evil \u{202E}txet".into(),
        },
        ErrorCode::BadRequest,
    )
    .await;
    ana.refused(
        ClientRequest::Chat {
            channel: Channel::Private { to: PlayerId(99) },
            text: "hi".into(),
        },
        ErrorCode::NoSuchPlayer,
    )
    .await;
    // Names.
    let mut bad = Client::connect(&url, "bad").await;
    for name in [
        "",
        "   ",
        "a name that is far too long for anyone",
        "bell\u{7}",
        "\u{202E}nimda",
    ] {
        let answer = bad
            .request(ClientRequest::JoinGame {
                code: code.clone(),
                name: name.into(),
                faction: None,
            })
            .await;
        assert!(
            matches!(
                answer,
                ServerMsg::Error {
                    code: ErrorCode::InvalidName,
                    ..
                }
            ),
            "{name:?}: {answer:?}"
        );
    }
    // A request that needs a game, before joining one.
    bad.refused(
        ClientRequest::Vote {
            motion: MotionId(1),
            vote: Vote::Yes,
        },
        ErrorCode::NotJoined,
    )
    .await;

    // The game is unaffected and everyone is still connected.
    ana.ok(ClientRequest::Chat {
        channel: Channel::Floor,
        text: "still here".into(),
    })
    .await;
    host.ok(ClientRequest::StartGame).await;
    let view = host.get_state().await;
    assert_eq!(view.players.len(), 1);
    assert_eq!(view.status, GameStatus::Running);
}

#[tokio::test]
async fn phases_advance_on_the_servers_clock() {
    let server = TestServer::start();
    let url = server.ws_url();
    let (mut host, code) = host_game(&url, 1, 5).await;
    let mut ana = join(&url, &code, "Ana", Faction::Liberals).await;
    let before = now_ms();
    host.ok(ClientRequest::StartGame).await;
    let GameEvent::PhaseStarted {
        deadline_ms,
        phase: Phase::Briefing,
        ..
    } = ana
        .wait_for(|e| matches!(e, GameEvent::PhaseStarted { .. }))
        .await
    else {
        panic!("the game starts with the briefing")
    };
    assert!(
        deadline_ms >= before + 1000 && deadline_ms <= now_ms() + 1000,
        "an absolute deadline one second ahead"
    );
    // Nobody advances: the timer does, phase after phase.
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
    assert!(
        now_ms() >= before + 3000,
        "three phases took their three seconds"
    );
    ana.wait_for(|e| matches!(e, GameEvent::Resolved { round: 1, .. }))
        .await;
}

#[tokio::test]
async fn a_dropped_player_resumes_without_gaps_or_duplicates() {
    let server = TestServer::start();
    let url = server.ws_url();
    let (mut host, code) = host_game(&url, 600, 2).await;
    let mut ana = join(&url, &code, "Ana", Faction::Bolsheviks).await;
    let mut bob = join(&url, &code, "Bob", Faction::Bolsheviks).await;
    host.ok(ClientRequest::StartGame).await;
    ana.drain().await;
    let token = ana.token.clone().expect("a player token");
    let last = ana.last_seq();
    let seen_before = ana.events.clone();
    ana.disconnect();

    // Others see Ana go.
    let ana_id = PlayerId(1);
    bob.wait_for(|e| matches!(e, GameEvent::PlayerConnection { player, connected: false, .. } if *player == ana_id)).await;
    // The game goes on while she is away, including her faction's channel.
    host.ok(ClientRequest::AdvancePhase).await;
    bob.ok(ClientRequest::Chat {
        channel: Channel::Faction,
        text: "where is Ana?".into(),
    })
    .await;

    let mut back = Client::connect(&url, "Ana again").await;
    let answer = back
        .request(ClientRequest::Resume {
            token: token.clone(),
            last_seq: Some(last),
        })
        .await;
    assert!(
        matches!(
            answer,
            ServerMsg::Joined {
                viewer: Viewer::Player { .. },
                ..
            }
        ),
        "{answer:?}"
    );
    // Exactly the missed events, numbered on from where she left.
    back.wait_for(|e| matches!(e, GameEvent::Chat { text, .. } if text == "where is Ana?"))
        .await;
    let first = back.events.first().expect("missed events").0;
    assert_eq!(
        first,
        last + 1,
        "the missed events start right after the last seen"
    );
    assert!(back.saw(|e| matches!(
        e,
        GameEvent::PhaseStarted {
            phase: Phase::Negotiation,
            ..
        }
    )));
    assert!(
        !back
            .events
            .iter()
            .any(|(seq, _)| seen_before.iter().any(|(s, _)| s == seq)),
        "no duplicates"
    );
    // Then live events, and she is shown back.
    bob.wait_for(|e| matches!(e, GameEvent::PlayerConnection { player, connected: true, .. } if *player == ana_id)).await;
    bob.ok(ClientRequest::Chat {
        channel: Channel::Floor,
        text: "welcome back".into(),
    })
    .await;
    back.wait_for(|e| matches!(e, GameEvent::Chat { text, .. } if text == "welcome back"))
        .await;

    // Without last_seq: a fresh snapshot.
    let mut again = Client::connect(&url, "Ana thrice").await;
    let answer = again
        .request(ClientRequest::Resume {
            token: token.clone(),
            last_seq: None,
        })
        .await;
    assert!(matches!(answer, ServerMsg::Joined { .. }));
    let view = again.wait_snapshot().await;
    assert_eq!(view.phase, Some(Phase::Negotiation));
    assert_eq!(view.factions.len(), 1, "her own faction's secrets only");

    // A forged token, or a token of another game, is refused.
    let (_host2, code2) = host_game(&url, 600, 3).await;
    let secret = token.split_once('.').unwrap().1;
    let mut thief = Client::connect(&url, "thief").await;
    thief
        .refused(
            ClientRequest::Resume {
                token: format!("{code2}.{secret}"),
                last_seq: None,
            },
            ErrorCode::InvalidToken,
        )
        .await;
    thief
        .refused(
            ClientRequest::Resume {
                token: format!("{code}.00000000000000000000000000000000"),
                last_seq: None,
            },
            ErrorCode::InvalidToken,
        )
        .await;
    thief
        .refused(
            ClientRequest::Resume {
                token: "nonsense".into(),
                last_seq: None,
            },
            ErrorCode::InvalidToken,
        )
        .await;
}

#[tokio::test]
async fn health_answers_with_small_json() {
    let server = TestServer::start();
    let mut s = tokio::net::TcpStream::connect(&server.addr).await.unwrap();
    s.write_all(b"GET /health HTTP/1.0\r\nHost: localhost\r\n\r\n")
        .await
        .unwrap();
    let mut response = String::new();
    s.read_to_string(&mut response).await.unwrap();
    assert!(
        response.starts_with("HTTP/1.0 200") || response.starts_with("HTTP/1.1 200"),
        "{response}"
    );
    let body = response.split("\r\n\r\n").nth(1).expect("a body");
    let health: Health = serde_json::from_str(body).expect("health JSON");
    assert_eq!(health.status, "ok");
    assert_eq!(health.protocol_version, PROTOCOL_VERSION);
}

#[tokio::test]
async fn sigterm_says_goodbye_and_exits_cleanly() {
    let server = TestServer::start();
    let url = server.ws_url();
    let (_host, code) = host_game(&url, 600, 4).await;
    let mut ana = join(&url, &code, "Ana", Faction::Soviet).await;
    ana.drain().await;
    let status = tokio::task::spawn_blocking(move || server.terminate())
        .await
        .unwrap();
    assert!(status.success(), "exit status {status:?}");
    let mut goodbye = false;
    while let Ok(Some(msg)) = tokio::time::timeout(Duration::from_secs(5), ana.next()).await {
        if matches!(msg, ServerMsg::Goodbye { .. }) {
            goodbye = true;
        }
    }
    assert!(goodbye, "clients are told the server is going down");
}

/// A client that folds events into its snapshot (`GameView::apply`) holds
/// exactly what a fresh `get_state` returns, for every role, through votes
/// (a faction-mate's included), actions, a coalition, a move and a kick.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_view_kept_current_from_events_equals_a_fresh_snapshot() {
    let server = TestServer::start();
    let url = server.ws_url();
    let (mut host, code) = host_game(&url, 600, 31).await;
    let mut lib = join(&url, &code, "Kerensky", Faction::Liberals).await;
    let mut sov = join(&url, &code, "Chkheidze", Faction::Soviet).await;
    let mut bol = join(&url, &code, "Trotsky", Faction::Bolsheviks).await;
    let mut extra = join(&url, &code, "Kamenev", Faction::Bolsheviks).await;
    let mut spec = Client::connect(&url, "projector").await;
    let joined = spec
        .request(ClientRequest::Spectate {
            code: code.clone(),
            last_seq: None,
        })
        .await;
    assert!(matches!(joined, ServerMsg::Joined { .. }), "{joined:?}");
    spec.wait_snapshot().await;
    host.ok(ClientRequest::StartGame).await;
    for round in 1..=3u8 {
        host.ok(ClientRequest::AdvancePhase).await;
        bol.ok(ClientRequest::Chat {
            channel: Channel::Faction,
            text: format!("r{round}"),
        })
        .await;
        sov.ok(ClientRequest::Chat {
            channel: Channel::Private { to: PlayerId(1) },
            text: "psst".into(),
        })
        .await;
        host.ok(ClientRequest::AdvancePhase).await; // proposals
        let _ = lib
            .request(ClientRequest::TableMotion {
                motion: Motion::OfferCoalition,
            })
            .await;
        let _ = sov
            .request(ClientRequest::TableMotion {
                motion: Motion::JoinCoalition,
            })
            .await;
        let _ = bol
            .request(ClientRequest::TableMotion {
                motion: Motion::PeaceAppeal,
            })
            .await;
        host.ok(ClientRequest::AdvancePhase).await; // voting
        host.drain().await;
        let open: Vec<MotionId> = host
            .events
            .iter()
            .filter_map(|(_, e)| match e {
                GameEvent::MotionTabled { motion } if motion.round == round => Some(motion.id),
                _ => None,
            })
            .collect();
        for id in open {
            let _ = lib
                .request(ClientRequest::Vote {
                    motion: id,
                    vote: Vote::Yes,
                })
                .await;
            let _ = sov
                .request(ClientRequest::Vote {
                    motion: id,
                    vote: Vote::Yes,
                })
                .await;
            let _ = bol
                .request(ClientRequest::Vote {
                    motion: id,
                    vote: Vote::No,
                })
                .await;
            // A faction-mate's ballot (Trotsky's, then the Soviet
            // delegates' once Kamenev moves): part of the faction's view.
            let _ = extra
                .request(ClientRequest::Vote {
                    motion: id,
                    vote: Vote::Abstain,
                })
                .await;
        }
        let _ = bol
            .request(ClientRequest::PlanAction {
                action: Action::Agitate {
                    group: Group::Workers,
                },
            })
            .await;
        let _ = lib
            .request(ClientRequest::PlanAction {
                action: Action::PressCampaign,
            })
            .await;
        bol.ok(ClientRequest::SetReady { ready: true }).await;
        if round == 2 {
            host.ok(ClientRequest::MovePlayer {
                player: PlayerId(4),
                faction: Faction::Soviet,
                reason: None,
            })
            .await;
        }
        if round == 3 {
            host.ok(ClientRequest::Kick {
                player: PlayerId(4),
                reason: None,
            })
            .await;
        }
        // While the ballots are open, too.
        for c in [&mut host, &mut lib, &mut sov, &mut bol, &mut spec] {
            let fresh = c.get_state().await;
            let folded = c.folded_before_snapshot.clone().expect("a folded view");
            assert_eq!(
                folded, fresh,
                "{}: in round {round}'s vote, the folded view differs from get_state",
                c.name
            );
            if round == 1 && c.name == "Trotsky" {
                assert!(
                    fresh
                        .motions
                        .iter()
                        .any(|m| m.ballots.iter().any(|b| b.player == PlayerId(4))),
                    "Trotsky sees Kamenev's open ballot"
                );
            }
        }
        host.ok(ClientRequest::AdvancePhase).await; // resolution
        host.ok(ClientRequest::AdvancePhase).await; // next briefing
    }
    let _ = extra.try_next();
    for c in [&mut host, &mut lib, &mut sov, &mut bol, &mut spec] {
        let fresh = c.get_state().await;
        let folded = c.folded_before_snapshot.clone().expect("a folded view");
        assert_eq!(
            folded, fresh,
            "{}: the folded view differs from get_state",
            c.name
        );
    }
}

/// A projector that lost its connection watches again where it was:
/// `spectate` with its `last_seq` is answered with the public events said
/// meanwhile, numbered on from it, and no snapshot (a class's projector
/// no longer misses the chat line said while the school's wifi dropped);
/// a faction's chat stays the faction's. A `last_seq` the stream has not
/// reached gets a snapshot, as without one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_projector_watching_again_gets_what_was_said_while_it_was_away() {
    let server = TestServer::start();
    let url = server.ws_url();
    let (_host, code) = host_game(&url, 600, 17).await;
    let mut ana = join(&url, &code, "Ana", Faction::Soviet).await;
    async fn said(ana: &mut Client, channel: Channel, text: &str) {
        ana.ok(ClientRequest::Chat {
            channel,
            text: text.into(),
        })
        .await
    }
    let mut spec = Client::connect(&url, "projector").await;
    spec.request(ClientRequest::Spectate {
        code: code.clone(),
        last_seq: None,
    })
    .await;
    spec.wait_snapshot().await;
    said(&mut ana, Channel::Floor, "before the wifi dropped").await;
    spec.wait_for(
        |e| matches!(e, GameEvent::Chat { text, .. } if text == "before the wifi dropped"),
    )
    .await;
    let seq = spec.last_seq();
    spec.disconnect();
    said(&mut ana, Channel::Floor, "while the projector was away").await;
    said(&mut ana, Channel::Faction, "only for the Soviet").await;
    said(&mut ana, Channel::Floor, "still away").await;

    let mut again = Client::connect(&url, "projector again").await;
    let joined = again
        .request(ClientRequest::Spectate {
            code: code.clone(),
            last_seq: Some(seq),
        })
        .await;
    assert!(matches!(joined, ServerMsg::Joined { .. }), "{joined:?}");
    again.drain().await;
    assert!(again.last_view.is_none(), "no snapshot: the stream goes on");
    let lines: Vec<&str> = again
        .events
        .iter()
        .filter_map(|(_, e)| match e {
            GameEvent::Chat { text, .. } => Some(text.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(lines, ["while the projector was away", "still away"]);
    assert_eq!(again.events[0].0, seq + 1, "numbered on from its last seq");
    // Live again: the next line arrives too.
    said(&mut ana, Channel::Floor, "back on screen").await;
    again
        .wait_for(|e| matches!(e, GameEvent::Chat { text, .. } if text == "back on screen"))
        .await;

    let mut ahead = Client::connect(&url, "projector from elsewhere").await;
    ahead
        .request(ClientRequest::Spectate {
            code,
            last_seq: Some(seq + 1_000),
        })
        .await;
    let view = ahead.wait_snapshot().await;
    assert!(view.players.iter().any(|p| p.name == "Ana"));
}
