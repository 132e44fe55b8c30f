//! Hostile clients (issue 20): long request ids, large downloads, readers
//! that stop reading, silent and half-open connections, the hello deadline,
//! numeric types, invisible and look-alike names, flooders that reconnect,
//! and protocol-level refusals with their close codes.

use protocol::*;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};
use tests::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

const UPGRADE: &[u8] = b"GET /ws HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";

/// A TCP connection to the server from the loopback address `from`.
async fn tcp_from(server: &TestServer, from: [u8; 4]) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    socket
        .bind(SocketAddr::new(IpAddr::from(from), 0))
        .expect("bind a loopback source address");
    let to: SocketAddr = server.addr.parse().unwrap();
    socket.connect(to).await.expect("connect")
}

/// A raw WebSocket: the upgrade done by hand, frames written and read as
/// bytes.
async fn raw_ws(server: &TestServer) -> TcpStream {
    let mut s = TcpStream::connect(&server.addr).await.unwrap();
    s.write_all(UPGRADE).await.unwrap();
    read_switching_protocols(&mut s).await;
    s
}

/// Read the server's answer to the upgrade request, up to its blank line
/// (and not a byte further): it must be `101 Switching Protocols`.
async fn read_switching_protocols(s: &mut TcpStream) {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        s.read_exact(&mut byte).await.unwrap();
        head.push(byte[0]);
    }
    assert!(head.starts_with(b"HTTP/1.1 101"), "{head:?}");
}

/// A client frame: FIN, `opcode`, masked unless `unmasked`.
fn frame(opcode: u8, payload: &[u8], masked: bool) -> Vec<u8> {
    let mut f = vec![0x80 | opcode];
    let mask_bit = if masked { 0x80 } else { 0 };
    match payload.len() {
        n if n < 126 => f.push(mask_bit | n as u8),
        n if n < 65536 => {
            f.push(mask_bit | 126);
            f.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            f.push(mask_bit | 127);
            f.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    if masked {
        let key = [1u8, 2, 3, 4];
        f.extend_from_slice(&key);
        f.extend(payload.iter().enumerate().map(|(i, b)| b ^ key[i % 4]));
    } else {
        f.extend_from_slice(payload);
    }
    f
}

/// Read the server's frames until its close frame (or the end): the text
/// frames, and the close code and reason.
async fn read_until_close(
    s: &mut (impl tokio::io::AsyncRead + Unpin),
) -> (Vec<String>, Option<(u16, String)>) {
    let mut buf = Vec::new();
    let mut texts = Vec::new();
    let deadline = Instant::now() + WAIT;
    loop {
        // Parse what we have.
        while buf.len() >= 2 {
            let opcode = buf[0] & 0x0f;
            let (len, start) = match buf[1] & 0x7f {
                126 if buf.len() >= 4 => (u16::from_be_bytes([buf[2], buf[3]]) as usize, 4),
                127 if buf.len() >= 10 => (
                    u64::from_be_bytes(buf[2..10].try_into().unwrap()) as usize,
                    10,
                ),
                126 | 127 => break,
                n => (n as usize, 2),
            };
            if buf.len() < start + len {
                break;
            }
            let payload: Vec<u8> = buf[start..start + len].to_vec();
            buf.drain(..start + len);
            match opcode {
                1 => texts.push(String::from_utf8(payload).unwrap()),
                8 => {
                    let code = u16::from_be_bytes([payload[0], payload[1]]);
                    let reason = String::from_utf8_lossy(&payload[2..]).into_owned();
                    return (texts, Some((code, reason)));
                }
                _ => {}
            }
        }
        let mut chunk = [0u8; 4096];
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, s.read(&mut chunk)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return (texts, None),
            Ok(Ok(n)) => buf.extend_from_slice(&chunk[..n]),
            Err(_) => panic!("no close frame within {WAIT:?}"),
        }
    }
}

fn goodbye_code(texts: &[String]) -> Option<GoodbyeCode> {
    texts.iter().find_map(|t| match serde_json::from_str(t) {
        Ok(ServerMsg::Goodbye { code, .. }) => code,
        _ => None,
    })
}

fn chat(text: &str) -> ClientRequest {
    ClientRequest::Chat {
        channel: Channel::Floor,
        text: text.into(),
    }
}

/// The server process's resident memory, in KiB (Linux).
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse().ok())
        .expect("VmRSS")
}

#[tokio::test]
async fn long_request_ids_are_refused_and_the_answer_cache_stays_bounded() {
    let server = TestServer::start_with(&["--rate-per-sec", "1000000", "--rate-burst", "1000000"]);
    let url = server.ws_url();
    let (_host, code) = host_game(&url, 600, 1).await;
    let mut ana = join(&url, &code, "Ana", Faction::Soviet).await;

    // An id longer than 64 characters is refused, and not echoed.
    for n in [65, 16_000] {
        ana.send_text(&format!(r#"{{"type":"ping","id":"{}"}}"#, "x".repeat(n)));
        match ana.next().await {
            Some(ServerMsg::Error {
                id: None,
                code: ErrorCode::BadRequest,
                message,
            }) => assert!(message.contains("64 characters"), "{message}"),
            other => panic!("{n}: {other:?}"),
        }
    }

    // 30,000 refused requests with 64-character ids (each answer is kept
    // for resends): the server's memory does not grow with them.
    let id = |i: usize| format!("{i:0>64}");
    let before = rss_kib(server.pid());
    for batch in 0..30 {
        for i in batch * 1000..(batch + 1) * 1000 {
            ana.send_text(&format!(
                r#"{{"type":"vote","id":"{}","motion":99,"vote":"yes"}}"#,
                id(i)
            ));
        }
        let last = RequestId::Text(id((batch + 1) * 1000 - 1));
        assert!(matches!(
            ana.answer_to(&last).await,
            ServerMsg::Error { .. }
        ));
    }
    let grown = rss_kib(server.pid()).saturating_sub(before);
    assert!(
        grown < 6 * 1024,
        "30,000 answers grew the server by {grown} KiB"
    );

    // The cache forgets the oldest answers first, per member: a resend of
    // a recent request is still answered once; one from 200 requests ago
    // is not remembered any more and counts as new.
    let send_chat = |c: &Client, id: &str, text: &str| {
        c.send_text(&format!(
            r#"{{"type":"chat","id":"{id}","channel":{{"kind":"floor"}},"text":"{text}"}}"#
        ))
    };
    send_chat(&ana, "old", "first");
    for i in 0..200 {
        send_chat(&ana, &format!("n{i}"), &format!("line {i}"));
    }
    send_chat(&ana, "old", "first");
    send_chat(&ana, "n199", "line 199");
    ana.drain().await;
    let count = |c: &Client, text: &str| {
        c.events
            .iter()
            .filter(|(_, e)| matches!(e, GameEvent::Chat { text: t, .. } if t == text))
            .count()
    };
    assert_eq!(
        count(&ana, "line 199"),
        1,
        "a recent resend is applied once"
    );
    assert_eq!(
        count(&ana, "first"),
        2,
        "the oldest answer was forgotten (the cache is bounded)"
    );
}

#[tokio::test]
async fn a_2_mb_download_arrives_in_parts_and_the_host_stays_connected() {
    let server = TestServer::start();
    let url = server.ws_url();
    let (mut host, _code) = host_game(&url, 600, 2).await;
    // 4,500 announcements of 480 characters: the log is over 2 MB.
    let line = "x".repeat(470);
    for batch in 0..9 {
        for i in 0..500 {
            host.send_text(&format!(
                r#"{{"type":"chat","id":"a{batch}-{i}","channel":{{"kind":"floor"}},"text":"{i:>9} {line}"}}"#
            ));
        }
        let last = RequestId::Text(format!("a{batch}-499"));
        assert!(matches!(host.answer_to(&last).await, ServerMsg::Ack { .. }));
    }
    let id = RequestId::Text("dl".into());
    host.send_text(r#"{"type":"download","id":"dl","format":"log"}"#);
    let mut content = String::new();
    let started = Instant::now();
    loop {
        match host.answer_to(&id).await {
            ServerMsg::Download {
                content: piece,
                part,
                parts,
                ..
            } => {
                assert!(piece.len() <= DOWNLOAD_PART_BYTES);
                content.push_str(&piece);
                let (part, parts) = (part.unwrap(), parts.unwrap());
                if part == parts {
                    break;
                }
            }
            other => panic!("{other:?}"),
        }
    }
    assert!(started.elapsed() < Duration::from_secs(10));
    assert!(content.len() > 2_000_000, "{} bytes", content.len());
    let log: GameLog = serde_json::from_str(&content).expect("the parts join into the log");
    let chats = log
        .events
        .iter()
        .filter(|e| matches!(e.event, GameEvent::Chat { .. }))
        .count();
    assert_eq!(chats, 4500);
    // The host's connection is still there.
    host.get_state().await;
}

#[tokio::test]
async fn a_reader_that_stops_is_cut_within_the_deadline_at_a_low_rate_and_misses_nothing() {
    let server = TestServer::start_logged(&["--slow-reader-secs", "2"]);
    let url = server.ws_url();
    let (mut host, code) = host_game(&url, 600, 3).await;
    let mut ana = join(&url, &code, "Ana", Faction::Soviet).await;
    let mut slow = join(&url, &code, "Slow", Faction::Liberals).await;
    let token = slow.token.clone().unwrap();
    slow.pause_reading();
    // It has written something the server will have read (as in the
    // issue: a reset would then discard what it was sent).
    for _ in 0..3 {
        slow.send_text(r#"{"type":"ping"}"#);
    }
    // Five short lines a second, far below any queue or buffer limit.
    let started = Instant::now();
    let mut sent = 0;
    let cut_after = loop {
        ana.ok(chat(&format!("slow line {sent}"))).await;
        sent += 1;
        tokio::time::sleep(Duration::from_millis(200)).await;
        let view = host.get_state().await;
        if view
            .players
            .iter()
            .any(|p| p.name == "Slow" && !p.connected)
        {
            break started.elapsed();
        }
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "the reader that stopped was never cut"
        );
    };
    assert!(
        cut_after < Duration::from_secs(6),
        "cut after {cut_after:?} at 5 lines/s (deadline 2 s)"
    );
    assert!(server.log().contains("too slow"), "{}", server.log());
    // Its connection is gone from the server (not held open while the
    // client does not read): only the host's and Ana's remain.
    let gone = Instant::now();
    while !http_get(&server.addr, "/health")
        .await
        .contains(r#""connections":2"#)
    {
        assert!(
            gone.elapsed() < Duration::from_secs(5),
            "the cut connection is still counted"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // Nothing already sent is lost: when it reads again, it finds every
    // event in order (the harness checks seq), then the goodbye.
    slow.resume_reading();
    let mut goodbye = None;
    while let Some(msg) = slow.next().await {
        if let ServerMsg::Goodbye { code, .. } = msg {
            goodbye = code;
        }
    }
    assert_eq!(goodbye, Some(GoodbyeCode::TooSlow));
    let last_seq = slow.last_seq();

    // Far more than a queue's worth happens while it is away…
    for batch in 0..8 {
        for i in 0..100 {
            ana.send_text(&format!(
                r#"{{"type":"chat","id":"b{batch}-{i}","channel":{{"kind":"floor"}},"text":"away {batch}-{i}"}}"#
            ));
        }
        let last = RequestId::Text(format!("b{batch}-99"));
        assert!(matches!(ana.answer_to(&last).await, ServerMsg::Ack { .. }));
    }
    // …and the resume delivers every missed event, not a snapshot.
    let mut back = Client::connect(&url, "back").await;
    back.send_text(
        &serde_json::to_string(&ClientMsg::new(
            Some(RequestId::Number(1)),
            ClientRequest::Resume {
                token,
                last_seq: Some(last_seq),
            },
        ))
        .unwrap(),
    );
    back.drain().await;
    let mut seqs = Vec::new();
    for (seq, _) in &back.events {
        seqs.push(*seq);
    }
    assert!(back.last_view.is_none(), "a snapshot instead of the events");
    assert_eq!(seqs.first(), Some(&(last_seq + 1)));
    assert!(seqs.windows(2).all(|w| w[1] == w[0] + 1));
    let away = back
        .events
        .iter()
        .filter(|(_, e)| matches!(e, GameEvent::Chat { text, .. } if text.starts_with("away")))
        .count();
    assert_eq!(away, 800);
}

#[tokio::test]
async fn silent_and_half_open_connections_neither_exhaust_the_server_nor_stay_open() {
    // The common open-file limit of 1,024: the server raises it.
    let server = TestServer::start_in_shell(
        "ulimit -Sn 1024",
        &[
            "--http-timeout-secs",
            "5",
            "--max-connections-per-address",
            "300",
        ],
    );
    let url = server.ws_url();
    // 1,100 connections from four addresses that say nothing, or half a
    // request.
    let mut silent = Vec::new();
    for i in 0..1100u32 {
        let mut s = tcp_from(&server, [127, 0, 0, 2 + (i % 4) as u8]).await;
        if i % 2 == 0 {
            s.write_all(b"GET /ws HTTP/1.1\r\nHost: loc").await.unwrap();
        }
        silent.push(s);
    }
    // Meanwhile the server answers and a class can play.
    let health = http_get(&server.addr, "/health").await;
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
    let (mut host, code) = host_game(&url, 600, 4).await;
    let mut ana = join(&url, &code, "Ana", Faction::Soviet).await;
    ana.ok(chat("still here")).await;
    host.ok(ClientRequest::StartGame).await;

    // One address past its cap: the extra connections are closed at once,
    // and the log says so.
    let mut over = Vec::new();
    for _ in 0..310 {
        over.push(tcp_from(&server, [127, 0, 0, 7]).await);
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut closed_at_once = 0;
    for s in &mut over {
        let mut b = [0u8; 1];
        if let Ok(Ok(0) | Err(_)) =
            tokio::time::timeout(Duration::from_millis(1), s.read(&mut b)).await
        {
            closed_at_once += 1;
        }
    }
    assert_eq!(closed_at_once, 10, "310 connections, 300 allowed");
    assert!(
        server.log().contains("--max-connections-per-address"),
        "{}",
        server.log()
    );
    assert!(
        server.log().contains("open-file limit raised"),
        "{}",
        server.log()
    );

    // Past the HTTP timeout, every silent connection has been closed.
    tokio::time::sleep(Duration::from_secs(5)).await;
    let started = Instant::now();
    for s in &mut silent {
        let mut b = [0u8; 64];
        let end = tokio::time::timeout(Duration::from_secs(5), s.read(&mut b)).await;
        assert!(
            matches!(end, Ok(Ok(0)) | Ok(Err(_))),
            "a silent connection is still open after {:?}",
            started.elapsed()
        );
    }
    drop(silent);
    drop(over);
    // The players were never affected.
    ana.ok(chat("and still")).await;
}

async fn http_get(addr: &str, path: &str) -> String {
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes())
        .await
        .unwrap();
    let mut out = Vec::new();
    tokio::time::timeout(WAIT, s.read_to_end(&mut out))
        .await
        .expect("an answer")
        .unwrap();
    String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test]
async fn pings_do_not_extend_the_hello_deadline() {
    let server = TestServer::start_with(&["--hello-timeout-secs", "2"]);
    let (mut r, mut w) = raw_ws(&server).await.into_split();
    let started = Instant::now();
    // A ping every half second, never a hello.
    let pinger = tokio::spawn(async move {
        loop {
            if w.write_all(&frame(0x9, b"hi", true)).await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    });
    let (texts, close) = read_until_close(&mut r).await;
    pinger.abort();
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(goodbye_code(&texts), Some(GoodbyeCode::ProtocolError));
    let (code, reason) = close.expect("a close frame");
    assert_eq!(code, 1008);
    assert!(reason.contains("hello"), "{reason}");
}

#[tokio::test]
async fn only_the_documented_type_strings_are_requests() {
    let server = TestServer::start();
    let mut c = Client::connect_raw(&server.ws_url(), "numbers").await;
    // 0 was taken as hello, 1 as create_game, 2 as join_game.
    for (i, text) in [
        r#"{"type":0,"id":10,"protocol_version":1}"#,
        r#"{"type":1,"id":11}"#,
        r#"{"type":2,"id":12,"code":"K7QX3","name":"Ana"}"#,
    ]
    .into_iter()
    .enumerate()
    {
        c.send_text(text);
        match c.answer_to(&RequestId::Number(10 + i as u64)).await {
            ServerMsg::Error {
                code: ErrorCode::BadRequest,
                ..
            } => {}
            other => panic!("{text}: {other:?}"),
        }
    }
    let health = http_get(&server.addr, "/health").await;
    assert!(health.contains(r#""games":0"#), "{health}");
}

#[tokio::test]
async fn invisible_and_look_alike_names_and_blank_chat_are_refused() {
    let server = TestServer::start();
    let url = server.ws_url();
    let (_host, code) = host_game(&url, 600, 5).await;
    let mut lenin = join(&url, &code, "Lenin", Faction::Bolsheviks).await;
    let mut c = Client::connect(&url, "other").await;
    for (name, expected) in [
        ("\u{200B}\u{200D}", ErrorCode::InvalidName),
        ("\u{3164}", ErrorCode::InvalidName),
        ("\u{2800}", ErrorCode::InvalidName),
        ("Ana\u{2028}Boris", ErrorCode::InvalidName),
        ("L\u{0435}nin", ErrorCode::NameTaken),
        ("lenin", ErrorCode::NameTaken),
    ] {
        c.refused(
            ClientRequest::JoinGame {
                code: code.clone(),
                name: name.into(),
                faction: None,
            },
            expected,
        )
        .await;
    }
    lenin
        .refused(chat("\u{200B}\u{FEFF}\u{2060}"), ErrorCode::EmptyMessage)
        .await;
}

#[tokio::test]
async fn a_flooder_that_reconnects_keeps_its_seats_rate_limit() {
    let server = TestServer::start_with(&["--rate-per-sec", "5", "--rate-burst", "10"]);
    let url = server.ws_url();
    let (_host, code) = host_game(&url, 600, 6).await;
    let mut ana = join(&url, &code, "Ana", Faction::Soviet).await;
    let mut flood = join(&url, &code, "Flood", Faction::Bolsheviks).await;
    let token = flood.token.clone().unwrap();
    let started = Instant::now();
    let mut reconnects = 0;
    while started.elapsed() < Duration::from_secs(4) {
        // Flood until cut, then come back to the same seat at once.
        let mut n = 0;
        while !flood.closed && n < 2000 {
            flood.send_text(&format!(
                r#"{{"type":"chat","channel":{{"kind":"floor"}},"text":"flood {reconnects} {n}"}}"#
            ));
            n += 1;
            tokio::time::sleep(Duration::from_millis(1)).await;
            while flood.try_next().is_some() {}
        }
        flood = reconnect(&url, &token).await;
        reconnects += 1;
    }
    let elapsed = started.elapsed().as_secs_f64();
    ana.drain().await;
    let through = ana
        .events
        .iter()
        .filter(|(_, e)| matches!(e, GameEvent::Chat { text, .. } if text.starts_with("flood")))
        .count();
    // One burst and five a second, whatever the reconnects.
    let allowed = 10.0 + 5.0 * (elapsed + 1.0);
    assert!(reconnects >= 2, "the flooder was cut and came back");
    assert!(
        (through as f64) <= allowed,
        "{through} lines in {elapsed:.1} s through one seat with {reconnects} reconnects"
    );
}

/// Connect and resume `token`, waiting while the address's rate limit
/// refuses (reconnecting very fast is flooding too).
async fn reconnect(url: &str, token: &str) -> Client {
    loop {
        let mut c = Client::connect_raw(url, "flood again").await;
        let hello = c
            .request(ClientRequest::Hello {
                protocol_version: PROTOCOL_VERSION,
                client: None,
                catalog_on_request: true,
            })
            .await;
        if matches!(hello, ServerMsg::Welcome { .. }) {
            loop {
                match c
                    .request(ClientRequest::Resume {
                        token: token.to_string(),
                        last_seq: None,
                    })
                    .await
                {
                    ServerMsg::Joined { .. } => return c,
                    ServerMsg::Error {
                        code: ErrorCode::RateLimited,
                        ..
                    } => tokio::time::sleep(Duration::from_millis(200)).await,
                    other => panic!("{other:?}"),
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn protocol_refusals_close_with_the_code_that_says_why() {
    let server = TestServer::start_logged(&["--max-message-bytes", "4096"]);
    let hello = br#"{"type":"hello","protocol_version":1}"#;
    let cases: Vec<(&str, Vec<u8>, u16)> = vec![
        ("too big", frame(0x1, &vec![b'a'; 10_000], true), 1009),
        ("not UTF-8", frame(0x1, &[0xff, 0xfe, 0x80], true), 1007),
        ("unmasked", frame(0x1, hello, false), 1002),
        ("bad opcode", frame(0x3, b"??", true), 1002),
    ];
    for (what, bytes, expected) in cases {
        let mut s = raw_ws(&server).await;
        s.write_all(&frame(0x1, hello, true)).await.unwrap();
        s.write_all(&bytes).await.unwrap();
        let (texts, close) = read_until_close(&mut s).await;
        let (code, reason) = close.unwrap_or_else(|| panic!("{what}: no close frame"));
        assert_eq!(code, expected, "{what}: {reason}");
        assert!(
            reason.len() > 10 && reason.ends_with('.'),
            "{what}: {reason:?}"
        );
        assert_eq!(
            goodbye_code(&texts),
            Some(GoodbyeCode::ProtocolError),
            "{what}"
        );
    }

    // A flooder (here before it has a seat: its address's limit) is told
    // why before the close.
    let server = TestServer::start_with(&[
        "--rate-per-sec",
        "1",
        "--rate-burst",
        "1",
        "--address-rate-per-sec",
        "1",
        "--address-rate-burst",
        "1",
    ]);
    let mut s = raw_ws(&server).await;
    let mut flood = Vec::new();
    for _ in 0..150 {
        flood.extend(frame(0x1, br#"{"type":"ping"}"#, true));
    }
    s.write_all(&flood).await.unwrap();
    let (texts, close) = read_until_close(&mut s).await;
    assert_eq!(goodbye_code(&texts), Some(GoodbyeCode::RateLimited));
    assert_eq!(close.map(|c| c.0), Some(1008));
}

#[tokio::test]
async fn too_slow_is_logged_only_for_connections_that_were() {
    let server = TestServer::start_logged(&[]);
    let url = server.ws_url();
    let (mut host, code) = host_game(&url, 600, 7).await;
    let ana = join(&url, &code, "Ana", Faction::Soviet).await;
    let mut boris = join(&url, &code, "Boris", Faction::Liberals).await;
    // Ana leaves; events keep coming to the seat she left.
    ana.disconnect();
    for i in 0..20 {
        boris.ok(chat(&format!("after {i}"))).await;
    }
    host.ok(ClientRequest::StartGame).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (status, log) = server.terminate_keeping_log();
    assert!(status.success());
    assert!(log.contains("server stopped"), "{log}");
    assert!(!log.contains("too slow"), "{log}");
}

/// The next message from a WebSocket but the server's own pings, within
/// [`WAIT`].
async fn next<S>(ws: &mut S) -> Option<S::Item>
where
    S: futures_util::Stream<
            Item = Result<
                tokio_tungstenite::tungstenite::Message,
                tokio_tungstenite::tungstenite::Error,
            >,
        > + Unpin,
{
    use futures_util::StreamExt;
    loop {
        let item = tokio::time::timeout(WAIT, ws.next())
            .await
            .expect("an answer in time");
        if !matches!(
            item,
            Some(Ok(tokio_tungstenite::tungstenite::Message::Ping(_)))
        ) {
            return item;
        }
    }
}

#[tokio::test]
async fn a_ping_gets_its_pong_and_a_close_its_close() {
    use futures_util::SinkExt;
    use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
    use tokio_tungstenite::tungstenite::protocol::CloseFrame;
    use tokio_tungstenite::tungstenite::Message;
    let server = TestServer::start();
    let (mut ws, _) = tokio_tungstenite::connect_async(server.ws_url())
        .await
        .unwrap();
    // The ping is answered with its own payload, before and after hello.
    ws.send(Message::Ping(b"are you there".to_vec().into()))
        .await
        .unwrap();
    match next(&mut ws).await {
        Some(Ok(Message::Pong(p))) => assert_eq!(&p[..], b"are you there"),
        other => panic!("expected a pong, got {other:?}"),
    }
    ws.send(Message::Text(
        r#"{"type":"hello","protocol_version":1}"#.into(),
    ))
    .await
    .unwrap();
    assert!(matches!(next(&mut ws).await, Some(Ok(Message::Text(_)))));
    ws.send(Message::Ping(b"still?".to_vec().into()))
        .await
        .unwrap();
    match next(&mut ws).await {
        Some(Ok(Message::Pong(p))) => assert_eq!(&p[..], b"still?"),
        other => panic!("expected a pong, got {other:?}"),
    }
    // A close is answered with a close frame, then the connection ends.
    ws.send(Message::Close(Some(CloseFrame {
        code: CloseCode::Normal,
        reason: "bye".into(),
    })))
    .await
    .unwrap();
    match next(&mut ws).await {
        Some(Ok(Message::Close(Some(c)))) => assert_eq!(c.code, CloseCode::Normal),
        other => panic!("expected a close frame, got {other:?}"),
    }
    assert!(matches!(next(&mut ws).await, None | Some(Err(_))));
}

#[tokio::test]
async fn frames_sent_with_the_upgrade_request_are_read() {
    // A client may send its first frames without waiting for the 101:
    // they arrive with the request, and are read after it.
    let server = TestServer::start();
    let mut s = TcpStream::connect(&server.addr).await.unwrap();
    let mut packet = UPGRADE.to_vec();
    packet.extend(frame(
        1,
        br#"{"type":"hello","protocol_version":1,"id":1}"#,
        true,
    ));
    packet.extend(frame(1, br#"{"type":"get_catalog","id":2}"#, true));
    packet.extend(frame(8, &1000u16.to_be_bytes(), true));
    s.write_all(&packet).await.unwrap();
    read_switching_protocols(&mut s).await;
    let (texts, close) = read_until_close(&mut s).await;
    assert!(texts[0].contains(r#""type":"welcome""#), "{texts:?}");
    assert!(texts.iter().any(|t| t.contains(r#""id":2"#)), "{texts:?}");
    assert_eq!(close.map(|c| c.0), Some(1000));
}
