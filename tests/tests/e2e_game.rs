//! A whole game over real WebSockets against the real server binary: a host,
//! six players (two per faction) and a spectator play to an ending with
//! chat on every channel, a coalition, motions, votes and actions; then
//! every client's stream is checked against what its role may see.

use protocol::*;
use tests::*;

fn floor() -> Channel {
    Channel::Floor
}

/// Which motions each side tables in a round (liberal decrees, soviet and
/// bolshevik resolutions).
fn script(round: u8) -> (Vec<Motion>, Vec<Motion>, Vec<Motion>) {
    use Motion::*;
    match round {
        1 => (
            vec![CivilLiberties, Amnesty],
            vec![OrderNo1, ConditionalSupport],
            vec![],
        ),
        2 => (
            vec![ContinueWar, OfferCoalition],
            vec![PeaceAppeal],
            vec![ArmWorkers],
        ),
        3 => (
            vec![GrainMonopoly],
            vec![JoinCoalition],
            vec![WorkersControl],
        ),
        4 => (vec![PeaceWithoutAnnexations], vec![], vec![FormMrc]),
        5 => (vec![ScheduleElections { round: 8 }], vec![], vec![]),
        _ => (vec![], vec![], vec![ArmWorkers]),
    }
}

/// The motions tabled in `round`, as `c` saw them.
fn tabled_in(c: &Client, round: u8) -> Vec<(MotionId, Motion, Institution)> {
    c.events
        .iter()
        .filter_map(|(_, e)| match e {
            GameEvent::MotionTabled { motion } if motion.round == round => {
                Some((motion.id, motion.motion, motion.institution))
            }
            _ => None,
        })
        .collect()
}

fn current_phase(c: &Client) -> Option<(u8, Phase)> {
    c.events.iter().rev().find_map(|(_, e)| match e {
        GameEvent::PhaseStarted { round, phase, .. } => Some((*round, *phase)),
        _ => None,
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_whole_game_with_six_players_and_a_spectator() {
    let server = TestServer::start();
    let url = server.ws_url();
    let (mut host, code) = host_game(&url, 600, 1917).await;

    let mut lib1 = join(&url, &code, "Milyukov", Faction::Liberals).await;
    let mut lib2 = join(&url, &code, "Lvov", Faction::Liberals).await;
    let mut sov1 = join(&url, &code, "Tsereteli", Faction::Soviet).await;
    let mut sov2 = join(&url, &code, "Chkheidze", Faction::Soviet).await;
    let mut bol1 = join(&url, &code, "Lenin", Faction::Bolsheviks).await;
    let mut bol2 = join(&url, &code, "Trotsky", Faction::Bolsheviks).await;
    let mut spec = Client::connect(&url, "projector").await;
    let answer = spec
        .request(ClientRequest::Spectate {
            code: code.to_lowercase(),
            last_seq: None,
        })
        .await;
    assert!(
        matches!(
            answer,
            ServerMsg::Joined {
                viewer: Viewer::Spectator,
                token: None,
                ..
            }
        ),
        "{answer:?}"
    );

    // Lobby: names are unique, only the host starts, nothing to vote on yet.
    let mut dup = Client::connect(&url, "dup").await;
    let answer = dup
        .request(ClientRequest::JoinGame {
            code: code.clone(),
            name: " lenin ".into(),
            faction: None,
        })
        .await;
    assert!(
        matches!(
            answer,
            ServerMsg::Error {
                code: ErrorCode::NameTaken,
                ..
            }
        ),
        "{answer:?}"
    );
    let answer = dup
        .request(ClientRequest::JoinGame {
            code: "ZZZZZ".into(),
            name: "Kamenev".into(),
            faction: None,
        })
        .await;
    assert!(
        matches!(
            answer,
            ServerMsg::Error {
                code: ErrorCode::UnknownGame,
                ..
            }
        ),
        "{answer:?}"
    );
    drop(dup);
    bol1.refused(ClientRequest::StartGame, ErrorCode::Forbidden)
        .await;
    spec.refused(
        ClientRequest::Chat {
            channel: floor(),
            text: "hi".into(),
        },
        ErrorCode::Forbidden,
    )
    .await;
    bol1.refused(
        ClientRequest::Vote {
            motion: MotionId(1),
            vote: Vote::Yes,
        },
        ErrorCode::NotStarted,
    )
    .await;

    let id_of = |c: &Client| match c.viewer {
        Some(Viewer::Player { id, .. }) => id,
        _ => panic!("not a player"),
    };
    let lib2_id = id_of(&lib2);

    host.ok(ClientRequest::StartGame).await;
    host.refused(ClientRequest::StartGame, ErrorCode::AlreadyStarted)
        .await;

    let mut private_text = String::new();
    let mut ended = None;
    for round in 1..=8u8 {
        // Briefing -> negotiation.
        host.ok(ClientRequest::AdvancePhase).await;

        // Negotiation: every channel.
        lib1.ok(ClientRequest::Chat {
            channel: floor(),
            text: format!("Round {round}: the Government stands."),
        })
        .await;
        bol1.ok(ClientRequest::Chat {
            channel: Channel::Faction,
            text: format!("Round {round}: comrades, prepare."),
        })
        .await;
        lib2.ok(ClientRequest::Chat {
            channel: Channel::Faction,
            text: format!("Round {round}: liberal secret."),
        })
        .await;
        private_text = format!("Round {round}: a private word for Lvov.");
        sov1.ok(ClientRequest::Chat {
            channel: Channel::Private { to: lib2_id },
            text: private_text.clone(),
        })
        .await;
        host.ok(ClientRequest::Chat {
            channel: floor(),
            text: "Five minutes.".into(),
        })
        .await;
        sov2.refused(
            ClientRequest::TableMotion {
                motion: Motion::PeaceAppeal,
            },
            ErrorCode::WrongPhase,
        )
        .await;
        host.ok(ClientRequest::AdvancePhase).await;

        // Proposals.
        let (decrees, soviet, bolshevik) = script(round);
        for (i, m) in decrees.into_iter().enumerate() {
            let proposer = if i % 2 == 0 { &mut lib1 } else { &mut lib2 };
            proposer.ok(ClientRequest::TableMotion { motion: m }).await;
        }
        for m in soviet {
            sov1.ok(ClientRequest::TableMotion { motion: m }).await;
        }
        for m in bolshevik {
            bol2.ok(ClientRequest::TableMotion { motion: m }).await;
        }
        if round == 1 {
            bol1.refused(
                ClientRequest::TableMotion {
                    motion: Motion::Amnesty,
                },
                ErrorCode::NotEligible,
            )
            .await;
            lib1.refused(
                ClientRequest::TableMotion {
                    motion: Motion::LandReform,
                },
                ErrorCode::MotionLimit,
            )
            .await;
            sov2.refused(
                ClientRequest::TableMotion {
                    motion: Motion::OrderNo1,
                },
                ErrorCode::DuplicateMotion,
            )
            .await;
            sov2.refused(
                ClientRequest::TableMotion {
                    motion: Motion::JoinCoalition,
                },
                ErrorCode::MotionLimit,
            )
            .await;
            // A motion id from no catalog, as a third-party client might send.
            sov2.send_text(
                r#"{"type":"table_motion","id":"u1","motion":{"id":"abolish_the_duma"}}"#,
            );
            let answer = sov2.answer_to(&RequestId::Text("u1".into())).await;
            assert!(
                matches!(
                    answer,
                    ServerMsg::Error {
                        code: ErrorCode::UnknownMotion,
                        ..
                    }
                ),
                "{answer:?}"
            );
        }
        host.ok(ClientRequest::AdvancePhase).await;

        // Voting: each side votes its interest; actions are planned.
        host.drain().await;
        let tabled = tabled_in(&host, round);
        for (id, motion, institution) in &tabled {
            match institution {
                Institution::Government => {
                    lib1.ok(ClientRequest::Vote {
                        motion: *id,
                        vote: Vote::Yes,
                    })
                    .await;
                    lib2.ok(ClientRequest::Vote {
                        motion: *id,
                        vote: Vote::Yes,
                    })
                    .await;
                    if round >= 4 {
                        // In coalition the moderates sit in the cabinet.
                        sov1.ok(ClientRequest::Vote {
                            motion: *id,
                            vote: Vote::Abstain,
                        })
                        .await;
                    }
                    bol1.refused(
                        ClientRequest::Vote {
                            motion: *id,
                            vote: Vote::No,
                        },
                        ErrorCode::NotEligible,
                    )
                    .await;
                }
                Institution::Soviet => {
                    let bolshevik_motion = matches!(
                        motion,
                        Motion::ArmWorkers | Motion::WorkersControl | Motion::FormMrc
                    );
                    let moderate = if bolshevik_motion {
                        Vote::No
                    } else {
                        Vote::Yes
                    };
                    sov1.ok(ClientRequest::Vote {
                        motion: *id,
                        vote: moderate,
                    })
                    .await;
                    sov2.ok(ClientRequest::Vote {
                        motion: *id,
                        vote: Vote::Yes,
                    })
                    .await;
                    // A changed mind: the later ballot counts.
                    sov2.ok(ClientRequest::Vote {
                        motion: *id,
                        vote: moderate,
                    })
                    .await;
                    bol1.ok(ClientRequest::Vote {
                        motion: *id,
                        vote: if bolshevik_motion {
                            Vote::Yes
                        } else {
                            Vote::No
                        },
                    })
                    .await;
                    bol2.ok(ClientRequest::Vote {
                        motion: *id,
                        vote: if bolshevik_motion {
                            Vote::Yes
                        } else {
                            Vote::Abstain
                        },
                    })
                    .await;
                    lib1.refused(
                        ClientRequest::Vote {
                            motion: *id,
                            vote: Vote::No,
                        },
                        ErrorCode::NotEligible,
                    )
                    .await;
                }
            }
        }
        bol1.ok(ClientRequest::PlanAction {
            action: Action::Agitate {
                group: Group::Workers,
            },
        })
        .await;
        bol2.ok(ClientRequest::PlanAction {
            action: Action::PressCampaign,
        })
        .await;
        lib1.ok(ClientRequest::PlanAction {
            action: Action::PressCampaign,
        })
        .await;
        sov1.ok(ClientRequest::PlanAction {
            action: Action::Relief,
        })
        .await;
        if round == 1 {
            sov2.refused(
                ClientRequest::PlanAction {
                    action: Action::Suppress,
                },
                ErrorCode::NotEligible,
            )
            .await;
            bol1.refused(
                ClientRequest::PlanAction {
                    action: Action::SeizePower,
                },
                ErrorCode::InsufficientIp,
            )
            .await;
            sov2.send_text(
                r#"{"type":"plan_action","id":"u2","action":{"id":"bribe_the_guards"}}"#,
            );
            let answer = sov2.answer_to(&RequestId::Text("u2".into())).await;
            assert!(
                matches!(
                    answer,
                    ServerMsg::Error {
                        code: ErrorCode::UnknownAction,
                        ..
                    }
                ),
                "{answer:?}"
            );
        }
        host.ok(ClientRequest::AdvancePhase).await;

        // Resolution: the votes are public now.
        host.drain().await;
        if tabled.is_empty() {
            // Nothing to check.
        } else {
            let (_, closed) = host
                .events
                .iter()
                .rev()
                .find(|(_, e)| matches!(e, GameEvent::VotesClosed { .. }))
                .expect("votes closed");
            let GameEvent::VotesClosed { results } = closed else {
                unreachable!()
            };
            assert_eq!(
                results.len(),
                tabled.len(),
                "every tabled motion has a result in round {round}"
            );
            for r in results {
                assert!(
                    !r.tally.roll_call.is_empty(),
                    "round {round}: a roll call for {:?}",
                    r.motion
                );
            }
        }
        let over = host.saw(|e| matches!(e, GameEvent::GameEnded { .. }));
        if let (false, Some((first_id, _, _))) = (over, tabled.first()) {
            lib1.refused(
                ClientRequest::Vote {
                    motion: *first_id,
                    vote: Vote::No,
                },
                ErrorCode::WrongPhase,
            )
            .await;
        }
        if let Some(GameEvent::GameEnded { outcome }) = host
            .events
            .iter()
            .rev()
            .map(|(_, e)| e)
            .find(|e| matches!(e, GameEvent::GameEnded { .. }))
        {
            ended = Some(outcome.clone());
            break;
        }
        assert_eq!(current_phase(&host), Some((round, Phase::Resolution)));
        host.ok(ClientRequest::AdvancePhase).await;
    }
    let outcome = ended.expect("the game reached an ending");
    assert_eq!(outcome.scores.len(), 3);
    assert!(outcome.scores.iter().all(|s| s.score > 0), "{outcome:?}");
    if outcome.ending == Ending::ConstituentAssembly {
        let seats: u32 = outcome
            .scores
            .iter()
            .map(|s| s.assembly_seats.unwrap_or(0))
            .sum();
        assert_eq!(seats, 700, "the Assembly's seats are all apportioned");
    }
    for s in &outcome.scores {
        assert_eq!(s.won, outcome.winners.contains(&s.faction));
    }
    host.refused(ClientRequest::AdvancePhase, ErrorCode::GameOver)
        .await;

    // Everyone saw the same ending; every stream had no gap (checked as
    // each event arrived).
    let mut clients = vec![host, lib1, lib2, sov1, sov2, bol1, bol2, spec];
    for c in clients.iter_mut() {
        c.drain().await;
        let seen = c.events.iter().find_map(|(_, e)| match e {
            GameEvent::GameEnded { outcome } => Some(outcome.clone()),
            _ => None,
        });
        assert_eq!(seen.as_ref(), Some(&outcome), "{} saw the ending", c.name);
        assert!(
            c.events
                .iter()
                .any(|(_, e)| matches!(e, GameEvent::Resolved { .. })),
            "{} saw resolutions",
            c.name
        );
    }
    let [host, lib1, lib2, sov1, sov2, bol1, bol2, spec] = <[Client; 8]>::try_from(clients)
        .ok()
        .expect("eight clients");

    // What each role may see.
    let faction_chat = |c: &Client, f: Faction| {
        c.saw(|e| matches!(e, GameEvent::Chat { scope: ChatScope::Faction { faction }, .. } if *faction == f))
    };
    let private = |c: &Client| {
        c.saw(|e| {
            matches!(
                e,
                GameEvent::Chat {
                    scope: ChatScope::Private { .. },
                    ..
                }
            )
        })
    };
    let hidden = |c: &Client| c.saw(|e| matches!(e, GameEvent::HiddenChanged { .. }));
    let secrets_of = |c: &Client, f: Faction| {
        c.saw(|e| match e {
            GameEvent::IncomeReceived { faction, .. }
            | GameEvent::ActionPlanned { faction, .. }
            | GameEvent::ActionUnplanned { faction, .. } => *faction == f,
            _ => false,
        })
    };
    // Open ballots: a faction sees its own members' (nobody moves in this
    // game: players 1-2 are liberals, 3-4 Soviet delegates, 5-6 Bolsheviks).
    let faction_of = |p: PlayerId| Faction::ALL[(p.0 as usize - 1) / 2];
    let ballots_of_others = |c: &Client| {
        let mine = match c.viewer {
            Some(Viewer::Player { faction, .. }) => Some(faction),
            _ => None,
        };
        c.saw(|e| matches!(e, GameEvent::VoteCast { player, .. } if Some(faction_of(*player)) != mine))
    };
    let ballots_of_mates = |c: &Client| {
        let (me, mine) = match c.viewer {
            Some(Viewer::Player { id, faction }) => (Some(id), Some(faction)),
            _ => (None, None),
        };
        c.saw(|e| matches!(e, GameEvent::VoteCast { player, .. } if Some(*player) != me && Some(faction_of(*player)) == mine))
    };

    // The host sees everything.
    assert!(faction_chat(&host, Faction::Liberals) && faction_chat(&host, Faction::Bolsheviks));
    assert!(private(&host) && hidden(&host) && ballots_of_others(&host));
    for f in Faction::ALL {
        assert!(secrets_of(&host, f), "host sees the {f} faction's secrets");
    }
    // A Bolshevik never receives a liberal faction message, nor their IP or plan.
    for b in [&bol1, &bol2] {
        assert!(
            faction_chat(b, Faction::Bolsheviks),
            "{} sees own faction chat",
            b.name
        );
        assert!(
            !faction_chat(b, Faction::Liberals),
            "{} must not see liberal chat",
            b.name
        );
        assert!(!secrets_of(b, Faction::Liberals) && !secrets_of(b, Faction::Soviet));
        assert!(secrets_of(b, Faction::Bolsheviks));
        assert!(!hidden(b) && !ballots_of_others(b) && !private(b));
        assert!(
            ballots_of_mates(b),
            "{} sees the other Bolshevik's ballots",
            b.name
        );
    }
    for l in [&lib1, &lib2] {
        assert!(faction_chat(l, Faction::Liberals) && !faction_chat(l, Faction::Bolsheviks));
        assert!(!secrets_of(l, Faction::Bolsheviks) && !hidden(l) && !ballots_of_others(l));
    }
    // Only the two ends receive a private message.
    for (c, expect) in [
        (&sov1, true),
        (&lib2, true),
        (&sov2, false),
        (&lib1, false),
        (&bol1, false),
        (&bol2, false),
        (&spec, false),
    ] {
        let got = c.saw(|e| matches!(e, GameEvent::Chat { text, .. } if *text == private_text));
        assert_eq!(got, expect, "{} and the private message", c.name);
    }
    // The spectator sees the public view only.
    assert!(
        !faction_chat(&spec, Faction::Liberals)
            && !faction_chat(&spec, Faction::Soviet)
            && !faction_chat(&spec, Faction::Bolsheviks)
    );
    for f in Faction::ALL {
        assert!(!secrets_of(&spec, f));
    }
    assert!(!hidden(&spec) && !ballots_of_others(&spec));
    assert!(spec.saw(|e| matches!(
        e,
        GameEvent::Chat {
            scope: ChatScope::Announcement,
            ..
        }
    )));
    // Public state never carries exact hidden numbers.
    for c in [&bol1, &lib1, &spec] {
        assert!(!c.saw(|e| matches!(e, GameEvent::StateChanged { state } if state.forces.red_guards.exact.is_some())));
        let v = c.last_view.as_ref().expect("a snapshot");
        assert!(v.hidden.is_none(), "{} got exact hidden tracks", c.name);
    }
    let sov_view = sov2.last_view.as_ref().expect("snapshot");
    assert!(sov_view
        .factions
        .iter()
        .all(|f| f.faction == Faction::Soviet));
}
