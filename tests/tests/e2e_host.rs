//! The teacher's controls over the protocol, against the real server: each
//! is refused to players and shown to everyone as a public event.

use protocol::*;
use tests::*;

fn id_of(c: &Client) -> PlayerId {
    match c.viewer {
        Some(Viewer::Player { id, .. }) => id,
        _ => panic!("{} is not a player", c.name),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn host_controls_are_the_hosts_and_everyone_sees_them() {
    let server = TestServer::start();
    let url = server.ws_url();
    let (mut host, code) = host_game(&url, 600, 21).await;
    let mut ana = join(&url, &code, "Ana", Faction::Liberals).await;
    let mut boris = join(&url, &code, "Boris", Faction::Bolsheviks).await;
    let mut vera = join(&url, &code, "Vera", Faction::Soviet).await;
    let mut spec = Client::connect(&url, "projector").await;
    spec.request(ClientRequest::Spectate {
        code: code.clone(),
        last_seq: None,
    })
    .await;
    let boris_id = id_of(&boris);
    let vera_id = id_of(&vera);

    // Timers before the game: a preset, or exact seconds.
    host.ok(ClientRequest::SetTimers {
        preset: Some(TimerPreset::Short),
        timers: None,
    })
    .await;
    let short = host.get_state().await.settings.timers;
    assert_eq!(
        short.negotiation, 150,
        "the short preset halves the scenario's 300 s"
    );
    host.refused(
        ClientRequest::SetTimers {
            preset: None,
            timers: Some(PhaseTimers {
                briefing: 0,
                negotiation: 1,
                proposals: 1,
                voting: 1,
                resolution: 1,
            }),
        },
        ErrorCode::InvalidSettings,
    )
    .await;
    host.ok(ClientRequest::SetTimers {
        preset: None,
        timers: Some(PhaseTimers {
            briefing: 600,
            negotiation: 600,
            proposals: 600,
            voting: 600,
            resolution: 600,
        }),
    })
    .await;

    // None of the host's controls work for a player or a spectator.
    let controls = vec![
        ClientRequest::StartGame,
        ClientRequest::AdvancePhase,
        ClientRequest::EndPhase { reason: None },
        ClientRequest::Pause { reason: None },
        ClientRequest::ResumeGame,
        ClientRequest::Extend {
            seconds: 60,
            reason: None,
        },
        ClientRequest::SetTimers {
            preset: Some(TimerPreset::Short),
            timers: None,
        },
        ClientRequest::Kick {
            player: vera_id,
            reason: None,
        },
        ClientRequest::MovePlayer {
            player: vera_id,
            faction: Faction::Bolsheviks,
            reason: None,
        },
        ClientRequest::EndGame { reason: None },
        ClientRequest::InjectEvent {
            event: "july_days".into(),
        },
        ClientRequest::Mute {
            player: vera_id,
            seconds: 60,
            reason: None,
        },
        ClientRequest::Redact {
            chat: 1,
            reason: None,
        },
        ClientRequest::SetReadyRule { enabled: false },
    ];
    for c in &controls {
        boris.refused(c.clone(), ErrorCode::Forbidden).await;
        spec.refused(c.clone(), ErrorCode::Forbidden).await;
    }

    host.ok(ClientRequest::StartGame).await;

    // Pause freezes the deadline; resume gives the time that was left.
    host.ok(ClientRequest::Pause {
        reason: Some("Fire drill".into()),
    })
    .await;
    let v = ana.get_state().await;
    assert!(v.deadline_ms.is_none());
    let left = v.paused_remaining_ms.expect("paused");
    assert!(left > 590_000 && left <= 600_000, "{left}");
    host.refused(
        ClientRequest::Pause { reason: None },
        ErrorCode::PreconditionFailed,
    )
    .await;
    host.ok(ClientRequest::Extend {
        seconds: 120,
        reason: Some("More time".into()),
    })
    .await;
    host.ok(ClientRequest::ResumeGame).await;
    let v = ana.get_state().await;
    let deadline = v.deadline_ms.expect("running");
    host.ok(ClientRequest::Extend {
        seconds: 60,
        reason: None,
    })
    .await;
    assert_eq!(ana.get_state().await.deadline_ms, Some(deadline + 60_000));

    // Advance with a reason.
    host.ok(ClientRequest::EndPhase {
        reason: Some("Let's negotiate".into()),
    })
    .await;
    assert_eq!(ana.get_state().await.phase, Some(Phase::Negotiation));

    // Mute and unmute.
    host.ok(ClientRequest::Mute {
        player: boris_id,
        seconds: 120,
        reason: Some("Shouting".into()),
    })
    .await;
    let msg = boris
        .refused(
            ClientRequest::Chat {
                channel: Channel::Floor,
                text: "Down with the Government!".into(),
            },
            ErrorCode::Forbidden,
        )
        .await;
    assert!(msg.contains("muted"), "{msg}");
    host.ok(ClientRequest::Mute {
        player: boris_id,
        seconds: 0,
        reason: None,
    })
    .await;
    boris
        .ok(ClientRequest::Chat {
            channel: Channel::Floor,
            text: "Peace, land, bread!".into(),
        })
        .await;

    // Redact: players see the message removed; the host keeps it.
    ana.ok(ClientRequest::Chat {
        channel: Channel::Floor,
        text: "something unkind".into(),
    })
    .await;
    host.drain().await;
    let chat_id = host
        .events
        .iter()
        .find_map(|(_, e)| match e {
            GameEvent::Chat { id, text, .. } if text == "something unkind" => Some(*id),
            _ => None,
        })
        .expect("the host saw the message");
    host.ok(ClientRequest::Redact {
        chat: chat_id,
        reason: Some("Be kind".into()),
    })
    .await;
    vera.wait_for(|e| matches!(e, GameEvent::ChatRedacted { chat, .. } if *chat == chat_id))
        .await;
    // A late joiner's resume replays the chat without its text.
    let mut late = Client::connect(&url, "Vera again").await;
    late.request(ClientRequest::Resume {
        token: vera.token.clone().unwrap(),
        last_seq: Some(0),
    })
    .await;
    late.drain().await;
    let replayed = late.events.iter().find_map(|(_, e)| match e {
        GameEvent::Chat { id, text, .. } if *id == chat_id => Some(text.clone()),
        _ => None,
    });
    assert_eq!(replayed.as_deref(), Some("[removed by the host]"));
    vera = late;

    // Inject an event now.
    host.ok(ClientRequest::InjectEvent {
        event: "congress_of_soviets".into(),
    })
    .await;
    let e = spec.wait_for(|e| matches!(e, GameEvent::EventRevealed { card, .. } if card.id == "congress_of_soviets")).await;
    assert!(matches!(e, GameEvent::EventRevealed { .. }));
    host.refused(
        ClientRequest::InjectEvent {
            event: "alien_invasion".into(),
        },
        ErrorCode::PreconditionFailed,
    )
    .await;

    // Move a player: they now see their new faction's secrets, not the old.
    host.ok(ClientRequest::MovePlayer {
        player: vera_id,
        faction: Faction::Bolsheviks,
        reason: Some("Balance".into()),
    })
    .await;
    let view = vera.wait_snapshot().await;
    assert_eq!(view.factions.len(), 1);
    assert_eq!(view.factions[0].faction, Faction::Bolsheviks);
    boris
        .ok(ClientRequest::Chat {
            channel: Channel::Faction,
            text: "welcome, comrade".into(),
        })
        .await;
    vera.wait_for(|e| matches!(e, GameEvent::Chat { text, .. } if text == "welcome, comrade"))
        .await;

    // Ready to move on: when every connected player is ready, the phase ends.
    for p in [&mut ana, &mut boris] {
        p.ok(ClientRequest::SetReady { ready: true }).await;
    }
    assert_eq!(
        host.get_state().await.phase,
        Some(Phase::Negotiation),
        "Vera is not ready yet"
    );
    vera.ok(ClientRequest::SetReady { ready: true }).await;
    assert_eq!(
        host.get_state().await.phase,
        Some(Phase::Proposals),
        "everyone was ready"
    );
    // The host can turn that off.
    host.ok(ClientRequest::SetReadyRule { enabled: false })
        .await;
    for p in [&mut ana, &mut boris, &mut vera] {
        p.ok(ClientRequest::SetReady { ready: true }).await;
    }
    assert_eq!(host.get_state().await.phase, Some(Phase::Proposals));
    // Turned on again: a class that got ready while the host had paused
    // moves on as soon as the clock runs again.
    host.ok(ClientRequest::SetReadyRule { enabled: true }).await;
    host.ok(ClientRequest::Pause { reason: None }).await;
    assert_eq!(host.get_state().await.phase, Some(Phase::Proposals));
    host.ok(ClientRequest::ResumeGame).await;
    assert_eq!(
        host.get_state().await.phase,
        Some(Phase::Voting),
        "everyone was already ready when the clock started again"
    );

    // Kick: the player is gone, their connection closed, their token dead.
    let token = boris.token.clone().unwrap();
    host.ok(ClientRequest::Kick {
        player: boris_id,
        reason: Some("Left the class".into()),
    })
    .await;
    ana.wait_for(|e| matches!(e, GameEvent::PlayerKicked { player, .. } if *player == boris_id))
        .await;
    let mut closed = false;
    while let Some(m) = boris.next().await {
        if matches!(m, ServerMsg::Goodbye { .. }) {
            closed = true;
        }
    }
    assert!(closed, "the kicked player was told");
    let mut again = Client::connect(&url, "Boris again").await;
    again
        .refused(
            ClientRequest::Resume {
                token,
                last_seq: None,
            },
            ErrorCode::Removed,
        )
        .await;
    assert!(host
        .get_state()
        .await
        .players
        .iter()
        .all(|p| p.id != boris_id));

    // End the game.
    host.ok(ClientRequest::EndGame {
        reason: Some("The bell rang".into()),
    })
    .await;
    let GameEvent::GameEnded { outcome } = spec
        .wait_for(|e| matches!(e, GameEvent::GameEnded { .. }))
        .await
    else {
        unreachable!()
    };
    assert_eq!(outcome.ending, Ending::EndedByHost);
    assert!(outcome.summary.contains("The bell rang"));
    assert!(outcome.winners.is_empty());

    // Every control was shown to the spectator as a public event, with its reason.
    spec.drain().await;
    let saw = |pred: &dyn Fn(&GameEvent) -> bool| spec.events.iter().any(|(_, e)| pred(e));
    assert!(saw(&|e| matches!(e, GameEvent::TimersChanged { .. })));
    assert!(saw(
        &|e| matches!(e, GameEvent::Paused { reason: Some(r), .. } if r == "Fire drill")
    ));
    assert!(saw(&|e| matches!(e, GameEvent::Resumed { .. })));
    assert!(saw(&|e| matches!(e, GameEvent::DeadlineChanged { .. })));
    assert!(saw(
        &|e| matches!(e, GameEvent::PhaseEndedEarly { reason: Some(r), .. } if r == "Let's negotiate")
    ));
    assert!(saw(
        &|e| matches!(e, GameEvent::PlayerMuted { reason: Some(r), .. } if r == "Shouting")
    ));
    assert!(saw(
        &|e| matches!(e, GameEvent::ChatRedacted { reason: Some(r), .. } if r == "Be kind")
    ));
    assert!(saw(
        &|e| matches!(e, GameEvent::PlayerMoved { reason: Some(r), .. } if r == "Balance")
    ));
    assert!(saw(&|e| matches!(e, GameEvent::ReadyChanged { .. })));
    assert!(saw(&|e| matches!(
        e,
        GameEvent::ReadyRuleChanged { enabled: false }
    )));
    assert!(saw(
        &|e| matches!(e, GameEvent::PlayerKicked { reason: Some(r), .. } if r == "Left the class")
    ));
}
