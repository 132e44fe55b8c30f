//! The debrief record: downloaded by the host over the protocol and over
//! HTTP, replayable, per faction, kept across a restart, deletable.

use protocol::*;
use std::sync::Arc;
use tests::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

async fn download(
    c: &mut Client,
    format: DownloadFormat,
    faction: Option<Faction>,
) -> (String, String) {
    match c.request(ClientRequest::Download { format, faction }).await {
        ServerMsg::Download {
            content, filename, ..
        } => (filename, content),
        other => panic!("{}: {other:?}", c.name),
    }
}

/// Play a game of `rounds` rounds with chat on every channel; end it if asked.
async fn play(url: &str, seed: u64) -> (Client, Vec<Client>) {
    let (mut host, code) = host_game(url, 600, seed).await;
    let mut lib = join(url, &code, "Milyukov", Faction::Liberals).await;
    let mut sov = join(url, &code, "Tsereteli", Faction::Soviet).await;
    let mut bol = join(url, &code, "Lenin", Faction::Bolsheviks).await;
    host.ok(ClientRequest::StartGame).await;
    for round in 1..=2u8 {
        host.ok(ClientRequest::AdvancePhase).await; // negotiation
        lib.ok(ClientRequest::Chat {
            channel: Channel::Faction,
            text: format!("liberal secret {round}"),
        })
        .await;
        bol.ok(ClientRequest::Chat {
            channel: Channel::Faction,
            text: format!("bolshevik secret {round}"),
        })
        .await;
        sov.ok(ClientRequest::Chat {
            channel: Channel::Floor,
            text: format!("public speech {round}"),
        })
        .await;
        host.ok(ClientRequest::AdvancePhase).await; // proposals
        lib.ok(ClientRequest::TableMotion {
            motion: if round == 1 {
                Motion::CivilLiberties
            } else {
                Motion::Amnesty
            },
        })
        .await;
        sov.ok(ClientRequest::TableMotion {
            motion: if round == 1 {
                Motion::OrderNo1
            } else {
                Motion::PeaceAppeal
            },
        })
        .await;
        host.ok(ClientRequest::AdvancePhase).await; // voting
        host.drain().await;
        let motions: Vec<(MotionId, Institution)> = host
            .events
            .iter()
            .filter_map(|(_, e)| match e {
                GameEvent::MotionTabled { motion } if motion.round == round => {
                    Some((motion.id, motion.institution))
                }
                _ => None,
            })
            .collect();
        for (id, inst) in motions {
            match inst {
                Institution::Government => {
                    lib.ok(ClientRequest::Vote {
                        motion: id,
                        vote: Vote::Yes,
                    })
                    .await
                }
                Institution::Soviet => {
                    sov.ok(ClientRequest::Vote {
                        motion: id,
                        vote: Vote::Yes,
                    })
                    .await;
                    bol.ok(ClientRequest::Vote {
                        motion: id,
                        vote: Vote::No,
                    })
                    .await;
                }
            }
        }
        bol.ok(ClientRequest::PlanAction {
            action: Action::Agitate {
                group: Group::Workers,
            },
        })
        .await;
        host.ok(ClientRequest::AdvancePhase).await; // resolution
        host.ok(ClientRequest::AdvancePhase).await; // next briefing
    }
    (host, vec![lib, sov, bol])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_host_downloads_a_replayable_log_and_reports_and_no_one_else_can() {
    let server = TestServer::start();
    let url = server.ws_url();
    let (mut host, mut players) = play(&url, 77).await;

    // Players and spectators cannot download.
    for p in players.iter_mut() {
        p.refused(
            ClientRequest::Download {
                format: DownloadFormat::Html,
                faction: None,
            },
            ErrorCode::Forbidden,
        )
        .await;
        let own = match p.viewer {
            Some(Viewer::Player { faction, .. }) => faction,
            _ => unreachable!(),
        };
        p.refused(
            ClientRequest::Download {
                format: DownloadFormat::Log,
                faction: Some(own),
            },
            ErrorCode::Forbidden,
        )
        .await;
    }

    // The full log replays to the same state the server has.
    let (filename, json) = download(&mut host, DownloadFormat::Log, None).await;
    assert!(filename.ends_with("-host.json"), "{filename}");
    let log: GameLog = serde_json::from_str(&json).expect("the log is a GameLog");
    let scenario = Arc::new(engine::Scenario::default_scenario());
    let game = engine::Game::replay(
        scenario,
        log.settings.clone(),
        log.seed.expect("the host's log has the seed"),
        log.code.clone(),
        log.events.iter().map(|e| &e.event),
    );
    let live = host.get_state().await;
    let replayed = game.view(Viewer::Host);
    assert_eq!(replayed.state, live.state);
    assert_eq!(replayed.players, live.players);
    assert_eq!(replayed.factions, live.factions);
    assert_eq!(replayed.hidden, live.hidden);
    assert_eq!(replayed.round, live.round);

    // The reports contain the motions and the chat.
    let (_, md) = download(&mut host, DownloadFormat::Markdown, None).await;
    let (_, html) = download(&mut host, DownloadFormat::Html, None).await;
    for text in ["public speech 1", "Milyukov", "Lenin"] {
        assert!(md.contains(text), "markdown lacks {text}");
        assert!(html.contains(text), "html lacks {text}");
    }
    assert!(html.contains("<svg"), "the HTML report has charts");

    // One faction's view: its own channel, not the others'.
    let (_, bol_log) = download(&mut host, DownloadFormat::Log, Some(Faction::Bolsheviks)).await;
    assert!(bol_log.contains("bolshevik secret 1"));
    assert!(!bol_log.contains("liberal secret 1"));
    let parsed: GameLog = serde_json::from_str(&bol_log).unwrap();
    assert!(parsed.seed.is_none());
    assert!(parsed
        .events
        .iter()
        .all(|e| !matches!(e.event, GameEvent::HiddenChanged { .. })));
    let (_, bol_md) = download(
        &mut host,
        DownloadFormat::Markdown,
        Some(Faction::Bolsheviks),
    )
    .await;
    assert!(!bol_md.contains("liberal secret"));

    // Over HTTP with the host's token, and only with it.
    let code = live.code.clone();
    let token = host.token.clone().unwrap();
    let get = |auth: Option<String>| {
        let addr = server.addr.clone();
        let code = code.clone();
        async move {
            let mut s = tokio::net::TcpStream::connect(&addr).await.unwrap();
            let auth = auth
                .map(|t| format!("Authorization: Bearer {t}\r\n"))
                .unwrap_or_default();
            s.write_all(
                format!(
                    "GET /games/{code}/debrief?format=markdown HTTP/1.0\r\nHost: x\r\n{auth}\r\n"
                )
                .as_bytes(),
            )
            .await
            .unwrap();
            let mut r = String::new();
            s.read_to_string(&mut r).await.unwrap();
            r
        }
    };
    let ok = get(Some(token.clone())).await;
    assert!(
        ok.starts_with("HTTP/1.0 200") || ok.starts_with("HTTP/1.1 200"),
        "{ok}"
    );
    assert!(ok.contains("public speech 2"));
    let none = get(None).await;
    assert!(none.contains(" 401 "), "{none}");
    let player_token = players[0].token.clone().unwrap();
    let wrong = get(Some(player_token)).await;
    assert!(wrong.contains(" 403 "), "{wrong}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_finished_game_stays_downloadable_after_a_restart_until_the_host_deletes_it() {
    let dir = std::env::temp_dir().join(format!("dualpower-debrief-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("debrief.db");
    let db_arg = db.to_str().unwrap().to_string();
    let server = TestServer::start_with(&["--db", &db_arg]);
    let (mut host, _players) = play(&server.ws_url(), 78).await;
    host.ok(ClientRequest::EndGame {
        reason: Some("End of class".into()),
    })
    .await;
    let (_, before) = download(&mut host, DownloadFormat::Markdown, None).await;
    let token = host.token.clone().unwrap();
    drop(server);

    let server = TestServer::start_with(&["--db", &db_arg]);
    let mut host = Client::connect(&server.ws_url(), "host").await;
    let answer = host
        .request(ClientRequest::Resume {
            token: token.clone(),
            last_seq: None,
        })
        .await;
    assert!(matches!(answer, ServerMsg::Joined { .. }), "{answer:?}");
    let (_, after) = download(&mut host, DownloadFormat::Markdown, None).await;
    assert!(after.contains("public speech 2") && after.contains("End of class"));
    assert!(before.contains("public speech 2"));

    // Deleted at once: the record is gone, the code unknown.
    host.ok(ClientRequest::DeleteGame).await;
    drop(host);
    let mut again = Client::connect(&server.ws_url(), "host").await;
    again
        .refused(
            ClientRequest::Resume {
                token,
                last_seq: None,
            },
            ErrorCode::InvalidToken,
        )
        .await;
    drop(server);
    let server = TestServer::start_with(&["--db", &db_arg]);
    let mut health = Client::connect(&server.ws_url(), "x").await;
    health
        .refused(
            ClientRequest::Spectate {
                code: "ZZZZZ".into(),
                last_seq: None,
            },
            ErrorCode::UnknownGame,
        )
        .await;
    let _ = std::fs::remove_dir_all(&dir);
}

/// The default scenario with a fate for every character that has none (a
/// scenario file a teacher could load).
fn scenario_with_fates(dir: &std::path::Path) -> String {
    let text = include_str!("../../scenarios/petrograd-1917.toml");
    let mut out = String::new();
    let mut block: Vec<&str> = Vec::new();
    let flush = |block: &mut Vec<&str>, out: &mut String| {
        let is_character = block.first().is_some_and(|l| l.trim() == "[[characters]]");
        let has_fate = block.iter().any(|l| l.trim_start().starts_with("fate"));
        let name = block
            .iter()
            .find_map(|l| l.trim_start().strip_prefix("name = "))
            .map(|n| n.trim_matches('"').to_string());
        // Keep the block's trailing blank lines after the added fate.
        let keep = block
            .iter()
            .rposition(|l| !l.trim().is_empty())
            .map_or(0, |i| i + 1);
        for l in &block[..keep] {
            out.push_str(l);
            out.push('\n');
        }
        if let (true, false, Some(name)) = (is_character, has_fate, name) {
            out.push_str(&format!(
                "fate = \"The real {name} lived on after 1917.\"\n"
            ));
        }
        for l in &block[keep..] {
            out.push_str(l);
            out.push('\n');
        }
        block.clear();
    };
    for line in text.lines() {
        if line.trim_start().starts_with('[') {
            flush(&mut block, &mut out);
        }
        block.push(line);
    }
    flush(&mut block, &mut out);
    let path = dir.join("with-fates.toml");
    std::fs::write(&path, out).unwrap();
    path.to_str().unwrap().to_string()
}

/// The text a browser shows for the page's escaped HTML.
fn shown(html: &str) -> String {
    html.replace("&#34;", "\"")
        .replace("&#39;", "'")
        .replace("&#60;", "<")
        .replace("&#62;", ">")
        .replace("&#38;", "&")
}

/// One section of the Markdown report, by its `## ` heading.
fn section<'a>(md: &'a str, heading: &str) -> &'a str {
    let at = md
        .find(&format!("\n## {heading}\n"))
        .unwrap_or_else(|| panic!("no section {heading}"));
    let rest = &md[at + heading.len() + 5..];
    &rest[..rest.find("\n## ").unwrap_or(rest.len())]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_debrief_is_a_lesson_history_questions_participation_charts_and_the_session() {
    let dir = std::env::temp_dir().join(format!("dualpower-lesson-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("lesson.db");
    let db_arg = db.to_str().unwrap().to_string();
    let scenario_arg = scenario_with_fates(&dir);
    let args = ["--db", &db_arg, "--scenario", &scenario_arg];
    let server = TestServer::start_with(&args);
    let url = server.ws_url();

    let mut host = Client::connect(&url, "host").await;
    let ServerMsg::GameCreated { code, .. } = host
        .request(ClientRequest::CreateGame {
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
            characters: true,
            seed: Some(5),
        })
        .await
    else {
        panic!("create_game");
    };
    host.wait_snapshot().await;
    let mut lib = join(&url, &code, "Ana", Faction::Liberals).await;
    let mut sov = join(&url, &code, "Vera", Faction::Soviet).await;
    let mut bol = join(&url, &code, "Kolya", Faction::Bolsheviks).await;
    let ids: Vec<PlayerId> = host
        .get_state()
        .await
        .players
        .iter()
        .map(|p| p.id)
        .collect();
    let (ana, vera, kolya) = (ids[0], ids[1], ids[2]);
    host.ok(ClientRequest::StartGame).await;

    // March: civil liberties and Order No. 1, as in 1917.
    host.ok(ClientRequest::AdvancePhase).await; // negotiation
    lib.ok(ClientRequest::Chat {
        channel: Channel::Faction,
        text: "liberal secret: keep the war going".into(),
    })
    .await;
    bol.ok(ClientRequest::Chat {
        channel: Channel::Faction,
        text: "bolshevik secret: arm the factories".into(),
    })
    .await;
    sov.ok(ClientRequest::Chat {
        channel: Channel::Private { to: ana },
        text: "a private word for Ana".into(),
    })
    .await;
    bol.ok(ClientRequest::Chat {
        channel: Channel::Floor,
        text: "Peace, *land* and bread_now!".into(),
    })
    .await;
    host.ok(ClientRequest::Pause {
        reason: Some("Fire drill".into()),
    })
    .await;
    host.ok(ClientRequest::ResumeGame).await;
    host.ok(ClientRequest::Extend {
        seconds: 120,
        reason: Some("Still talking".into()),
    })
    .await;
    host.ok(ClientRequest::Mute {
        player: kolya,
        seconds: 30,
        reason: Some("Shouting".into()),
    })
    .await;
    host.ok(ClientRequest::AdvancePhase).await; // proposals
    lib.ok(ClientRequest::TableMotion {
        motion: Motion::CivilLiberties,
    })
    .await;
    sov.ok(ClientRequest::TableMotion {
        motion: Motion::OrderNo1,
    })
    .await;
    host.ok(ClientRequest::AdvancePhase).await; // voting
    host.drain().await;
    let tabled: Vec<(MotionId, Institution)> = host
        .events
        .iter()
        .filter_map(|(_, e)| match e {
            GameEvent::MotionTabled { motion } => Some((motion.id, motion.institution)),
            _ => None,
        })
        .collect();
    for (id, inst) in &tabled {
        match inst {
            Institution::Government => {
                lib.ok(ClientRequest::Vote {
                    motion: *id,
                    vote: Vote::Yes,
                })
                .await
            }
            // Kolya does not vote: a vote missed.
            Institution::Soviet => {
                sov.ok(ClientRequest::Vote {
                    motion: *id,
                    vote: Vote::Yes,
                })
                .await
            }
        }
    }
    bol.ok(ClientRequest::PlanAction {
        action: Action::Agitate {
            group: Group::Workers,
        },
    })
    .await;
    host.ok(ClientRequest::AdvancePhase).await; // resolution
    host.ok(ClientRequest::AdvancePhase).await; // April's briefing

    // Vera's laptop drops, then the server restarts under everyone.
    sov.disconnect();
    host.wait_for(|e| {
        matches!(e, GameEvent::PlayerConnection { player, connected: false, .. } if *player == vera)
    })
    .await;
    let host_token = host.token.clone().unwrap();
    drop((host, lib, bol));
    drop(server);
    let server = TestServer::start_with(&args);
    let mut host = Client::connect(&server.ws_url(), "host").await;
    let answer = host
        .request(ClientRequest::Resume {
            token: host_token,
            last_seq: None,
        })
        .await;
    assert!(matches!(answer, ServerMsg::Joined { .. }), "{answer:?}");
    host.ok(ClientRequest::ResumeGame).await;

    let (_, html) = download(&mut host, DownloadFormat::Html, None).await;
    let (_, md) = download(&mut host, DownloadFormat::Markdown, None).await;
    let page = shown(&html);
    let scenario =
        engine::Scenario::from_toml(&std::fs::read_to_string(&scenario_arg).unwrap()).unwrap();

    // Your 1917 and the real one: every month beside the chronicle, where
    // the class met history, and the real ending.
    for round in 1..=scenario.rounds + 1 {
        let real = &scenario.chronicle(round).unwrap().happened;
        assert!(
            md.contains(real.as_str()) && page.contains(real.as_str()),
            "{round}"
        );
    }
    let comparison = section(&md, "Your 1917 and the real one");
    assert!(comparison.contains("As in 1917: Civil liberties, Order No. 1."));
    assert!(
        comparison.contains("Government legitimacy 50 → "),
        "{comparison}"
    );
    let ending = section(&md, "The ending, and the real one");
    assert!(
        ending.contains("Your game has not ended yet. In history the Bolsheviks seized power in October and dispersed the Constituent Assembly in January 1918."),
        "{ending}"
    );

    // At least five discussion questions, naming this game.
    let questions = section(&md, "Questions for discussion");
    let numbered: Vec<&str> = questions
        .lines()
        .filter(|l| {
            l.split_once(". ")
                .is_some_and(|(n, _)| n.parse::<u32>().is_ok())
        })
        .collect();
    assert!(numbered.len() >= 5, "{questions}");
    assert!(
        questions.contains("Nobody offered a coalition in your game"),
        "{questions}"
    );
    assert!(questions
        .contains("The Bolsheviks never won a majority in the Soviet in your game (at most "));
    assert!(questions.contains("Bread fell to "));

    // Participation, per student.
    let table = section(&md, "Participation");
    let row = |name: &str| {
        table
            .lines()
            .find(|l| l.starts_with(&format!("| {name} |")))
            .unwrap_or_else(|| panic!("no row for {name}: {table}"))
            .split('|')
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(str::to_string)
            .collect::<Vec<String>>()
    };
    // player | faction | floor | faction channel | private | tabled | cast | missed | actions | time
    let r = row("Ana");
    assert_eq!(&r[2..9], ["0", "1", "0", "1", "1", "0", "0"], "{r:?}");
    let r = row("Vera");
    assert_eq!(&r[2..9], ["0", "0", "1", "1", "1", "0", "0"], "{r:?}");
    let r = row("Kolya");
    assert_eq!(&r[2..9], ["1", "1", "0", "0", "0", "1", "1"], "{r:?}");
    // A game played by robots in seconds: "3 s".
    assert!(r[9].ends_with(" s") || r[9].ends_with(" min"), "{r:?}");
    for col in [
        "private messages",
        "votes missed",
        "actions proposed",
        "time connected",
    ] {
        assert!(table.contains(col) && page.contains(col), "{col}");
    }

    // Every chart, with its human label.
    for label in [
        "Government legitimacy",
        "Soviet legitimacy",
        "Bolshevik seats",
        "Soviet delegates' seats",
        "Bolsheviks among the workers",
        "Duma liberals among the peasants",
        "Soviet delegates among the soldiers",
        "Bolsheviks among the middle classes",
        "Unrest of the workers",
        "Unrest of the middle classes",
        "Bread supply",
        "War weariness",
        "Order",
        "Red Guards",
        "Loyal troops",
        "Reaction (the generals)",
    ] {
        assert!(
            page.contains(&format!("{label}</li>")),
            "the HTML legend lacks {label}"
        );
        assert!(
            md.contains(&format!("| {label} |")),
            "the Markdown lacks {label}"
        );
    }
    assert_eq!(
        html.matches("<figure id=\"chart-").count(),
        9,
        "nine charts for the host"
    );

    // The session's timeline.
    let timeline = section(&md, "Timeline of the session");
    for mark in [
        "The host paused the game (Fire drill).",
        "The host resumed the game.",
        "The host extended the phase by 2 min (Still talking).",
        "The host muted Kolya (Shouting).",
        "Vera lost their connection.",
        "The server restarted: the game waited, paused, until the host resumed it.",
    ] {
        assert!(timeline.contains(mark), "{mark} not in {timeline}");
    }
    assert!(html.contains("data-kind=\"restart\""));
    // The session drawn to scale, with the restart's tick in red.
    assert!(html.contains("<figure id=\"session\">"));
    assert!(html.contains("<line data-kind=\"restart\""));

    // The characters' real fates.
    let fates = section(&md, "What became of them");
    for p in host.get_state().await.players {
        let c = p.character.expect("characters are on");
        let fate = &scenario
            .characters
            .iter()
            .find(|d| d.name == c)
            .expect("a character of the scenario")
            .fate;
        assert!(!fate.trim().is_empty(), "{c} has a fate in the scenario");
        assert!(
            fates.contains(&format!("**{c}**, played by {} (", p.name))
                && fates.contains(fate.as_str()),
            "{fates}"
        );
    }

    // Plain text: no escape backslashes; user text as typed.
    assert!(!md.contains('\\'));
    assert!(md.contains("Peace, *land* and bread_now!"));

    // A faction's debrief never shows another faction's secrets.
    for f in Faction::ALL {
        let (_, theirs) = download(&mut host, DownloadFormat::Html, Some(f)).await;
        let (_, theirs_md) = download(&mut host, DownloadFormat::Markdown, Some(f)).await;
        for text in [&theirs, &theirs_md] {
            if f != Faction::Liberals {
                assert!(!text.contains("liberal secret"), "{f:?}");
            }
            if f != Faction::Bolsheviks {
                assert!(!text.contains("bolshevik secret"), "{f:?}");
            }
            assert!(!text.contains("a private word"), "{f:?}");
            assert!(!text.contains("hidden forces") && !text.contains("Red Guards</li>"));
            assert!(!text.contains("private messages"));
            assert!(text.contains("Your 1917 and the real one"));
        }
        let own = match f {
            Faction::Liberals => "liberal secret",
            Faction::Soviet => "Peace, *land*",
            Faction::Bolsheviks => "bolshevik secret",
        };
        assert!(shown(&theirs).contains(own), "{f:?}");
        // Only its own players in the participation table.
        let table = section(&theirs_md, "Participation");
        for (name, faction) in [
            ("Ana", Faction::Liberals),
            ("Vera", Faction::Soviet),
            ("Kolya", Faction::Bolsheviks),
        ] {
            assert_eq!(
                table.contains(&format!("| {name} |")),
                faction == f,
                "{f:?}: {table}"
            );
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}
