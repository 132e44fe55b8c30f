//! Limits that keep one client from hurting the others: rate limiting, slow
//! readers, message size, idle connections, browser origins, connection
//! and game caps.

use protocol::*;
use std::time::Duration;
use tests::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[tokio::test]
async fn a_flood_is_rate_limited_then_disconnected_and_the_game_goes_on() {
    let server = TestServer::start_with(&["--rate-per-sec", "5", "--rate-burst", "10"]);
    let url = server.ws_url();
    let (mut host, code) = host_game(&url, 600, 1).await;
    let mut ana = join(&url, &code, "Ana", Faction::Soviet).await;
    let spammer = join(&url, &code, "Spam", Faction::Bolsheviks).await;
    // Messages far faster than anyone types: the burst passes, the rest is
    // refused with rate_limited, and the connection is closed after 100
    // refusals in a row.
    let mut spammer = spammer;
    for i in 0..400 {
        if spammer.closed {
            break;
        }
        spammer.send_text(&format!(
            r#"{{"type":"chat","id":{i},"channel":{{"kind":"floor"}},"text":"spam {i}"}}"#
        ));
        tokio::time::sleep(Duration::from_millis(2)).await;
        while let Some(msg) = spammer.try_next() {
            spammer.inbox.push(msg);
        }
    }
    let (mut limited, mut goodbye) = (0, false);
    while let Some(msg) = spammer.next().await {
        spammer.inbox.push(msg);
    }
    for msg in std::mem::take(&mut spammer.inbox) {
        match msg {
            ServerMsg::Error {
                code: ErrorCode::RateLimited,
                ..
            } => limited += 1,
            ServerMsg::Goodbye { .. } => goodbye = true,
            _ => {}
        }
    }
    assert!(limited >= 90, "excess requests were refused ({limited})");
    assert!(goodbye, "sustained abuse is disconnected");
    // What got through was the burst (less hello and join), not the flood.
    ana.ok(ClientRequest::Chat {
        channel: Channel::Floor,
        text: "still fine".into(),
    })
    .await;
    let spam = ana
        .events
        .iter()
        .filter(|(_, e)| matches!(e, GameEvent::Chat { text, .. } if text.starts_with("spam")))
        .count();
    assert!(
        (5..=20).contains(&spam),
        "{spam} spam messages reached the floor"
    );
    // The game is unaffected: others play on.
    host.ok(ClientRequest::StartGame).await;
}

#[tokio::test]
async fn a_client_that_stops_reading_is_dropped_and_can_resume() {
    let server = TestServer::start_with(&["--outbound-queue", "64"]);
    let url = server.ws_url();
    let (mut host, code) = host_game(&url, 600, 2).await;
    let mut ana = join(&url, &code, "Ana", Faction::Liberals).await;
    // A raw TCP WebSocket client that joins and then never reads.
    let mut slow = Client::connect(&url, "slow").await;
    let answer = slow
        .request(ClientRequest::JoinGame {
            code: code.clone(),
            name: "Slow".into(),
            faction: None,
        })
        .await;
    let ServerMsg::Joined {
        token: Some(token), ..
    } = answer
    else {
        panic!("{answer:?}")
    };
    slow.pause_reading();
    let text = "x".repeat(480);
    let started = std::time::Instant::now();
    let mut dropped = false;
    'flood: for batch in 0..1000 {
        // Twenty messages at a time, then wait for the last answer.
        for i in 0..20 {
            let n = batch * 20 + i;
            ana.send_text(&format!(
                r#"{{"type":"chat","id":"c{n}","channel":{{"kind":"floor"}},"text":"{n} {text}"}}"#
            ));
        }
        let last = RequestId::Text(format!("c{}", batch * 20 + 19));
        assert!(matches!(ana.answer_to(&last).await, ServerMsg::Ack { .. }));
        let view = host.get_state().await;
        if view
            .players
            .iter()
            .any(|p| p.name == "Slow" && !p.connected)
        {
            dropped = true;
            break 'flood;
        }
    }
    assert!(dropped, "the slow reader was disconnected");
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "the game never stalled"
    );
    // Reading again, it finds what it was sent, then why it was cut.
    slow.resume_reading();
    let mut last = None;
    while let Some(msg) = slow.next().await {
        last = Some(msg);
    }
    assert!(
        matches!(
            last,
            Some(ServerMsg::Goodbye {
                code: Some(GoodbyeCode::TooSlow),
                ..
            })
        ),
        "{last:?}"
    );
    // It comes back and catches up from where it was.
    let mut back = Client::connect(&url, "slow again").await;
    let answer = back
        .request(ClientRequest::Resume {
            token,
            last_seq: None,
        })
        .await;
    assert!(matches!(answer, ServerMsg::Joined { .. }), "{answer:?}");
    let view = back.wait_snapshot().await;
    assert!(view.players.iter().any(|p| p.name == "Slow" && p.connected));
}

#[tokio::test]
async fn an_oversized_message_closes_only_that_connection() {
    let server = TestServer::start_with(&["--max-message-bytes", "4096"]);
    let url = server.ws_url();
    let (mut host, code) = host_game(&url, 600, 3).await;
    let mut big = join(&url, &code, "Big", Faction::Soviet).await;
    big.send_text(&format!(
        r#"{{"type":"chat","channel":{{"kind":"floor"}},"text":"{}"}}"#,
        "a".repeat(10_000)
    ));
    // The server closes the connection rather than read 10 KB.
    while big.next().await.is_some() {}
    assert!(big.closed);
    host.ok(ClientRequest::StartGame).await;
}

#[tokio::test]
async fn idle_connections_are_closed() {
    let server = TestServer::start_with(&["--idle-timeout-secs", "2"]);
    // A raw TCP client that completes the upgrade and then goes silent
    // (never answers pings).
    let mut s = tokio::net::TcpStream::connect(&server.addr).await.unwrap();
    s.write_all(
        b"GET /ws HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
    )
    .await
    .unwrap();
    let mut buf = vec![0u8; 4096];
    let closed = tokio::time::timeout(Duration::from_secs(15), async {
        loop {
            match s.read(&mut buf).await {
                Ok(0) | Err(_) => return true,
                Ok(_) => {}
            }
        }
    })
    .await;
    assert_eq!(closed, Ok(true), "the silent connection was closed");
}

#[tokio::test]
async fn browsers_from_other_origins_are_refused_when_an_allowlist_is_set() {
    let server = TestServer::start_with(&["--allow-origin", "http://class.example"]);
    let upgrade = |origin: &str| {
        format!(
            "GET /ws HTTP/1.1\r\nHost: localhost\r\nOrigin: {origin}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        )
    };
    for (origin, status) in [
        ("http://evil.example", "403"),
        ("http://class.example", "101"),
    ] {
        let mut s = tokio::net::TcpStream::connect(&server.addr).await.unwrap();
        s.write_all(upgrade(origin).as_bytes()).await.unwrap();
        let mut buf = vec![0u8; 1024];
        let n = s.read(&mut buf).await.unwrap();
        let head = String::from_utf8_lossy(&buf[..n]);
        assert!(
            head.starts_with(&format!("HTTP/1.1 {status}")),
            "{origin}: {head}"
        );
    }
    // Clients that are not browsers send no Origin and are welcome.
    let _ = Client::connect(&server.ws_url(), "cli").await;
}

#[tokio::test]
async fn caps_on_players_and_games_give_a_clear_refusal() {
    let server = TestServer::start_with(&["--max-players-per-game", "2", "--max-games", "1"]);
    let url = server.ws_url();
    let (_host, code) = host_game(&url, 600, 4).await;
    let _a = join(&url, &code, "A", Faction::Soviet).await;
    let _b = join(&url, &code, "B", Faction::Soviet).await;
    let mut c = Client::connect(&url, "C").await;
    c.refused(
        ClientRequest::JoinGame {
            code: code.clone(),
            name: "C".into(),
            faction: None,
        },
        ErrorCode::Full,
    )
    .await;
    c.refused(
        ClientRequest::CreateGame {
            scenario: None,
            preset: TimerPreset::Short,
            timers: None,
            faction_choice: FactionChoice::Auto,
            characters: false,
            seed: None,
        },
        ErrorCode::Full,
    )
    .await;
}
