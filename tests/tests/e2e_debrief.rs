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
            },
            ErrorCode::UnknownGame,
        )
        .await;
    let _ = std::fs::remove_dir_all(&dir);
}
