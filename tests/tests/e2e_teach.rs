//! The game explains itself, over the real protocol: every catalog id has
//! both texts in the catalog any viewer may ask for (once: snapshots stay
//! small); each player is briefed when the game starts
//! (their faction's aims, their character's brief and secret objective),
//! and no one else receives it; a class of 30 gets 30 distinct historical
//! characters, which the host can also assign.

use protocol::*;
use tests::*;

/// A host with characters on and long timers.
async fn host_with_characters(url: &str, seed: u64) -> (Client, String) {
    let mut host = Client::connect(url, "host").await;
    let answer = host
        .request(ClientRequest::CreateGame {
            scenario: None,
            preset: TimerPreset::Standard,
            timers: None,
            faction_choice: FactionChoice::Choose,
            characters: true,
            seed: Some(seed),
        })
        .await;
    let ServerMsg::GameCreated { code, .. } = answer else {
        panic!("create_game: {answer:?}");
    };
    host.wait_snapshot().await;
    (host, code)
}

fn names(list: &[Explained]) -> Vec<&str> {
    list.iter().map(|e| e.id.as_str()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_catalog_id_has_both_texts_for_every_viewer_and_snapshots_stay_small() {
    let server = TestServer::start();
    let url = server.ws_url();
    let (mut host, code) = host_game(&url, 600, 1).await;
    let mut ana = join(&url, &code, "Ana", Faction::Soviet).await;
    let mut spec = Client::connect(&url, "spectator").await;
    spec.request(ClientRequest::Spectate {
        code: code.clone(),
        last_seq: None,
    })
    .await;
    spec.wait_snapshot().await;
    let scenario = engine::Scenario::default_scenario();
    for client in [&mut host, &mut ana, &mut spec] {
        let answer = client.request(ClientRequest::GetCatalog).await;
        let ServerMsg::Catalog { catalog: c, .. } = answer else {
            panic!("get_catalog: {answer:?}");
        };
        // The same for everyone: the scenario's own.
        assert_eq!(&*c, &*scenario.catalog);
        for m in Motion::CATALOG {
            let e = c
                .motions
                .iter()
                .find(|e| e.id == m.id())
                .unwrap_or_else(|| panic!("{}", m.id()));
            assert!(e.does.len() > 20 && e.history.len() > 60, "{}", m.id());
            assert_eq!(Some(e.institution), m.institution());
        }
        for a in Action::CATALOG {
            let e = c
                .actions
                .iter()
                .find(|e| e.id == a.id())
                .unwrap_or_else(|| panic!("{}", a.id()));
            assert!(e.does.len() > 20 && e.history.len() > 60, "{}", a.id());
            assert!(e.cost > 0);
        }
        for f in Faction::ALL {
            assert!(names(&c.factions).contains(&f.id()), "{f}");
        }
        for g in Group::ALL {
            assert!(names(&c.groups).contains(&g.id()), "{g}");
        }
        for t in [
            "gov_legitimacy",
            "soviet_legitimacy",
            "war_weariness",
            "bread",
            "order",
            "soviet_seats",
            "reaction",
            "red_guards",
            "loyal_troops",
        ] {
            assert!(names(&c.tracks).contains(&t), "{t}");
        }
        for e in &scenario.events {
            assert!(names(&c.events).contains(&e.id.as_str()), "{}", e.id);
        }
        for i in ["influence", "phases", "voting"] {
            assert!(names(&c.ideas).contains(&i), "{i}");
        }
        for e in c
            .factions
            .iter()
            .chain(&c.groups)
            .chain(&c.tracks)
            .chain(&c.events)
            .chain(&c.ideas)
        {
            assert!(
                !e.name.is_empty() && e.does.len() > 20 && e.history.len() > 60,
                "{}",
                e.id
            );
        }
        assert!(c.characters.len() >= 30);
    }
    // It travels once, on request: a snapshot (sent to every connection
    // that joins, resumes or asks) carries the viewer's briefing but not
    // the ~30 KB catalog.
    host.ok(ClientRequest::StartGame).await;
    ana.wait_for(|e| matches!(e, GameEvent::PhaseStarted { .. }))
        .await;
    let catalog_size = scenario.catalog_json.len();
    assert!(catalog_size > 20_000, "the catalog is {catalog_size} bytes");
    for view in [host.get_state().await, ana.get_state().await] {
        let size = serde_json::to_string(&view).unwrap().len();
        assert!(
            size < catalog_size / 2,
            "{:?}'s snapshot is {size} bytes, the catalog {catalog_size}",
            view.viewer
        );
    }
    // Asked for outside a game: a clear refusal, not a silence.
    let mut lobby = Client::connect(&url, "lobby").await;
    let answer = lobby.request(ClientRequest::GetCatalog).await;
    assert!(
        matches!(answer, ServerMsg::Error { .. }),
        "get_catalog before joining: {answer:?}"
    );
}

/// A version-1 client written before `get_catalog` (its `hello` does not
/// say `catalog_on_request`) still finds the catalog in every snapshot.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_does_not_ask_for_the_catalog_finds_it_in_every_snapshot() {
    let server = TestServer::start();
    let url = server.ws_url();
    let (_host, code) = host_game(&url, 600, 3).await;
    let mut old = Client::connect_raw(&url, "old client").await;
    let welcome = old
        .request(ClientRequest::Hello {
            protocol_version: PROTOCOL_VERSION,
            client: Some("written from the first PROTOCOL.md".into()),
            catalog_on_request: false,
        })
        .await;
    assert!(matches!(welcome, ServerMsg::Welcome { .. }), "{welcome:?}");
    old.request(ClientRequest::JoinGame {
        code,
        name: "Irakli".into(),
        faction: Some(Faction::Soviet),
    })
    .await;
    let scenario = engine::Scenario::default_scenario();
    for view in [old.wait_snapshot().await, old.get_state().await] {
        assert_eq!(view.catalog.as_deref(), Some(&*scenario.catalog));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_player_is_briefed_at_the_start_and_nobody_else_reads_it() {
    let server = TestServer::start();
    let url = server.ws_url();
    let (mut host, code) = host_with_characters(&url, 2).await;
    let mut players = Vec::new();
    for (name, f) in [
        ("Ana", Faction::Liberals),
        ("Boris", Faction::Soviet),
        ("Vera", Faction::Bolsheviks),
        ("Gleb", Faction::Bolsheviks),
    ] {
        players.push((join(&url, &code, name, f).await, f));
    }
    let mut spec = Client::connect(&url, "spectator").await;
    spec.request(ClientRequest::Spectate {
        code: code.clone(),
        last_seq: None,
    })
    .await;
    spec.wait_snapshot().await;
    host.ok(ClientRequest::StartGame).await;
    host.wait_for(|e| matches!(e, GameEvent::PhaseStarted { round: 1, .. }))
        .await;

    let scenario = engine::Scenario::default_scenario();
    for (c, f) in &mut players {
        let me = c.folded.as_ref().and_then(|v| v.me()).unwrap();
        let event = c
            .wait_for(|e| matches!(e, GameEvent::Briefing { .. }))
            .await;
        let GameEvent::Briefing {
            player,
            briefing,
            character,
        } = event
        else {
            unreachable!()
        };
        assert_eq!(player, me);
        assert_eq!(&briefing, scenario.briefing(*f).unwrap());
        let character = character.expect("characters are on: the brief comes with it");
        let def = scenario.character(&character.name).unwrap();
        assert_eq!(def.faction, *f);
        assert_eq!(character.objective, def.objective);
        // Before the round's first phase.
        c.wait_for(|e| matches!(e, GameEvent::PhaseStarted { .. }))
            .await;
        let order: Vec<&str> = c.events.iter().map(|(_, e)| e.kind()).collect();
        let b = order.iter().position(|k| *k == "briefing").unwrap();
        let p = order.iter().position(|k| *k == "phase_started").unwrap();
        assert!(b < p, "{order:?}");
        // Nobody else's briefing or secret objective.
        assert_eq!(
            c.events
                .iter()
                .filter(|(_, e)| matches!(e, GameEvent::Briefing { .. }))
                .count(),
            1
        );
        // `me` at any time: the view holds the player's own briefing only.
        let view = c.get_state().await;
        assert_eq!(view.briefings, vec![(*briefing).clone()]);
        assert_eq!(view.character.as_ref(), Some(&character));
        assert_eq!(c.folded.as_ref().unwrap().briefings, view.briefings);
    }
    let others_objectives: Vec<String> = players
        .iter()
        .map(|(c, _)| {
            c.folded
                .as_ref()
                .unwrap()
                .character
                .clone()
                .unwrap()
                .objective
        })
        .collect();
    for (i, (c, _)) in players.iter().enumerate() {
        let seen = serde_json::to_string(&c.events).unwrap();
        for (j, objective) in others_objectives.iter().enumerate() {
            if i != j && objective != &others_objectives[i] {
                assert!(
                    !seen.contains(objective.as_str()),
                    "player {i} saw player {j}'s objective"
                );
            }
        }
    }
    assert!(!spec.saw(|e| matches!(e, GameEvent::Briefing { .. })));
    assert!(spec.get_state().await.briefings.is_empty());
    let host_view = host.get_state().await;
    assert_eq!(
        host_view.briefings.len(),
        3,
        "the host reads every faction's"
    );

    // Moved to another faction: the new faction's briefing and character.
    let (vera, _) = &mut players[2];
    let vera_id = vera.folded.as_ref().and_then(|v| v.me()).unwrap();
    host.ok(ClientRequest::MovePlayer {
        player: vera_id,
        faction: Faction::Soviet,
        reason: None,
    })
    .await;
    let event = vera
        .wait_for(|e| matches!(e, GameEvent::Briefing { briefing, .. } if briefing.faction == Faction::Soviet))
        .await;
    let GameEvent::Briefing { character, .. } = event else {
        unreachable!()
    };
    let character = character.unwrap();
    assert_eq!(
        scenario.character(&character.name).unwrap().faction,
        Faction::Soviet
    );
    let view = vera.get_state().await;
    assert_eq!(view.briefings[0].faction, Faction::Soviet);
    assert_eq!(view.character.unwrap().name, character.name);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_class_of_thirty_gets_distinct_characters_and_the_host_can_assign_them() {
    let server = TestServer::start();
    let url = server.ws_url();
    let (mut host, code) = host_with_characters(&url, 3).await;
    let mut class = Vec::new();
    for i in 0..30 {
        let f = Faction::ALL[i % 3];
        class.push(join(&url, &code, &format!("Student{i}"), f).await);
    }
    let view = host.get_state().await;
    let mut dealt: Vec<String> = view
        .players
        .iter()
        .map(|p| p.character.clone().expect("everyone is dealt a character"))
        .collect();
    let scenario = engine::Scenario::default_scenario();
    for p in &view.players {
        let c = scenario.character(p.character.as_deref().unwrap()).unwrap();
        assert_eq!(c.faction, p.faction, "{} got {}", p.name, c.name);
    }
    dealt.sort();
    dealt.dedup();
    assert_eq!(
        dealt.len(),
        30,
        "thirty students, thirty distinct characters"
    );

    // The host assigns one: a free Bolshevik to a Bolshevik student.
    let student = view
        .players
        .iter()
        .find(|p| p.faction == Faction::Bolsheviks)
        .unwrap()
        .clone();
    let free = scenario
        .characters
        .iter()
        .find(|c| c.faction == Faction::Bolsheviks && !dealt.contains(&c.name))
        .expect("more characters than students")
        .name
        .clone();
    host.ok(ClientRequest::AssignCharacter {
        player: student.id,
        character: free.clone(),
    })
    .await;
    let idx = view
        .players
        .iter()
        .position(|p| p.id == student.id)
        .unwrap();
    let me = &mut class[idx];
    me.wait_for(|e| matches!(e, GameEvent::CharacterAssigned { brief, .. } if brief.name == free))
        .await;
    assert_eq!(me.get_state().await.character.unwrap().name, free);
    let other = &mut class[(idx + 1) % 30];
    other
        .wait_for(
            |e| matches!(e, GameEvent::PlayerCharacter { character, .. } if *character == free),
        )
        .await;
    assert!(
        !other.saw(
            |e| matches!(e, GameEvent::CharacterAssigned { player, .. } if *player == student.id)
        ),
        "the brief and objective go to the student alone"
    );

    // Taken, another faction's, unknown; and only the host may.
    let taken = view
        .players
        .iter()
        .find(|p| p.faction == Faction::Bolsheviks && p.id != student.id)
        .unwrap();
    let msg = host
        .refused(
            ClientRequest::AssignCharacter {
                player: taken.id,
                character: free.clone(),
            },
            ErrorCode::PreconditionFailed,
        )
        .await;
    assert!(msg.contains("already played by"), "{msg}");
    let msg = host
        .refused(
            ClientRequest::AssignCharacter {
                player: student.id,
                character: "Pavel Milyukov".into(),
            },
            ErrorCode::PreconditionFailed,
        )
        .await;
    assert!(msg.contains("move the player first"), "{msg}");
    let msg = host
        .refused(
            ClientRequest::AssignCharacter {
                player: student.id,
                character: "Rasputin".into(),
            },
            ErrorCode::NoSuchCharacter,
        )
        .await;
    assert!(
        msg.contains("Leon Trotsky"),
        "the refusal lists the faction's characters: {msg}"
    );
    class[0]
        .refused(
            ClientRequest::AssignCharacter {
                player: student.id,
                character: free,
            },
            ErrorCode::Forbidden,
        )
        .await;
}

/// A played round over the protocol: the story's "Now:" levels are the
/// state every client holds after the resolution, and each change names
/// its cause.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rounds_story_over_the_wire_ends_with_the_states_levels() {
    let server = TestServer::start();
    let url = server.ws_url();
    let (mut host, code) = host_game(&url, 600, 5).await;
    let mut lib = join(&url, &code, "Ana", Faction::Liberals).await;
    let mut sov = join(&url, &code, "Boris", Faction::Soviet).await;
    let mut bol = join(&url, &code, "Vera", Faction::Bolsheviks).await;
    host.ok(ClientRequest::StartGame).await;
    host.ok(ClientRequest::AdvancePhase).await; // negotiation
    host.ok(ClientRequest::AdvancePhase).await; // proposals
    sov.ok(ClientRequest::TableMotion {
        motion: Motion::OrderNo1,
    })
    .await;
    lib.ok(ClientRequest::TableMotion {
        motion: Motion::CivilLiberties,
    })
    .await;
    host.ok(ClientRequest::AdvancePhase).await; // voting
    for (c, m) in [
        (&mut sov, MotionId(1)),
        (&mut bol, MotionId(1)),
        (&mut lib, MotionId(2)),
    ] {
        c.ok(ClientRequest::Vote {
            motion: m,
            vote: Vote::Yes,
        })
        .await;
    }
    bol.ok(ClientRequest::PlanAction {
        action: Action::Agitate {
            group: Group::Workers,
        },
    })
    .await;
    host.ok(ClientRequest::AdvancePhase).await; // resolution
    let GameEvent::Resolved { summary, .. } = lib
        .wait_for(|e| matches!(e, GameEvent::Resolved { .. }))
        .await
    else {
        unreachable!()
    };
    let story = summary.join("\n");
    assert!(
        story.contains("Order No. 1 (soldiers elect committees and obey the Soviet first): the Soviet's legitimacy rose 8"),
        "{story}"
    );
    assert!(
        story.contains("The Bolsheviks agitated among the workers: the Bolsheviks won"),
        "{story}"
    );
    assert!(
        story.contains("Bread ran short, as every month: bread fell 5."),
        "{story}"
    );
    let now = summary.last().unwrap();
    let state = lib.get_state().await.state;
    let t = state.tracks;
    let w = state.groups[&Group::Workers].support;
    for expected in [
        format!("the Government's legitimacy {}", t.gov_legitimacy),
        format!("the Soviet's legitimacy {}", t.soviet_legitimacy),
        format!("bread {}", t.bread),
        format!("order {}", t.order),
        format!(
            "Soviet seats: the Bolsheviks {}, the Soviet delegates {}",
            state.soviet_seats.bolsheviks, state.soviet_seats.soviet
        ),
        format!(
            "among the workers: the Duma liberals {}%, the Soviet delegates {}%, the Bolsheviks {}%",
            w.liberals, w.soviet, w.bolsheviks
        ),
    ] {
        assert!(now.contains(&expected), "{expected:?} is not in {now}");
    }
    assert!(now.starts_with("Now: "), "{now}");
}
