//! The terminal client when things restart (the issue "A restart never
//! costs a class its game"): a student who runs `join` again gets what was
//! said while away; a seat opened twice keeps the newer window and the
//! older one stops once; the projector never shows a secret; a spectator
//! and a student ride out a server restart; `--server` takes the address
//! as people write it. Each drives the real `dualpower` binary, in script
//! mode or in a pseudo-terminal.

use protocol::*;
use std::process::Command;
use std::time::Duration;
use tests::cli::*;
use tests::*;

/// `dualpower ARGS` in a pseudo-terminal, as a person runs it.
fn pty(args: &[&str], home: &std::path::Path) -> expectrl::Session {
    let mut cmd = Command::new(binary("dualpower"));
    cmd.args(args)
        .env("DUALPOWER_HOME", home)
        .env("NO_COLOR", "1")
        .env("TERM", "xterm");
    let mut term = expectrl::Session::spawn(cmd).expect("spawn in a pty");
    term.set_expect_timeout(Some(Duration::from_secs(20)));
    term
}

/// `dualpower ARGS` in a pseudo-terminal, with `stty -a` before and after:
/// the terminal as the shell left it, and as the shell finds it again.
fn pty_then_stty(args: &[&str], home: &std::path::Path) -> expectrl::Session {
    let line = format!(
        "stty -a; echo BEFORE-END; {}; echo EXITED $?; stty -a",
        shell_words_join(binary("dualpower").to_str().unwrap(), args)
    );
    let mut cmd = Command::new("sh");
    cmd.args(["-c", &line])
        .env("DUALPOWER_HOME", home)
        .env("NO_COLOR", "1")
        .env("TERM", "xterm");
    let mut term = expectrl::Session::spawn(cmd).expect("spawn in a pty");
    term.set_expect_timeout(Some(Duration::from_secs(20)));
    term
}

fn shell_words_join(program: &str, args: &[&str]) -> String {
    std::iter::once(program)
        .chain(args.iter().copied())
        .map(|a| format!("'{}'", a.replace('\'', "'\\''")))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Everything the terminal prints until the program exits.
fn rest_until_exit(term: &mut expectrl::Session) -> String {
    let found = term.expect(expectrl::Eof).expect("the client exits");
    // Eof matches everything left: the match, not what is before it.
    String::from_utf8_lossy(found.get(0).unwrap_or_default()).into_owned()
}

fn seats(home: &std::path::Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(home.join("tokens.json")).unwrap()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn running_join_again_replays_what_was_said_while_away() {
    let server = TestServer::start();
    let url = server.ws_url();
    let (mut host, code) = host_game(&url, 600, 21).await;
    let dir = home("rejoin");
    // A home that does not exist yet: the client makes it, private.
    let saved = dir.join("home");
    let run = |script: &str| {
        let mut cmd = Command::new(binary("dualpower"));
        cmd.args([
            "join",
            &code,
            "--name",
            "Ana",
            "--faction",
            "soviet",
            "--server",
            &url,
        ])
        .env("DUALPOWER_HOME", &saved)
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(script.as_bytes())
            .unwrap();
        child
    };
    let out = |child: std::process::Child| {
        let o = child.wait_with_output().unwrap();
        (
            o.status.code(),
            format!(
                "{}{}",
                String::from_utf8_lossy(&o.stdout),
                String::from_utf8_lossy(&o.stderr)
            ),
        )
    };

    // Ana joins, hears the host, sees Boris join, and her laptop restarts
    // (the client ends).
    let ana = run("wait players 2\n");
    let joined = host
        .wait_for(|e| matches!(e, GameEvent::PlayerJoined { .. }))
        .await;
    let GameEvent::PlayerJoined { player } = joined else {
        unreachable!()
    };
    let ana_id = player.id;
    host.ok(ClientRequest::Chat {
        channel: Channel::Floor,
        text: "Welcome, delegates.".into(),
    })
    .await;
    let mut boris = join(&url, &code, "Boris", Faction::Bolsheviks).await;
    let (exit, first) = tokio::task::spawn_blocking(move || out(ana)).await.unwrap();
    assert_eq!(exit, Some(0), "{first}");
    assert!(first.contains("Welcome, delegates."), "{first}");
    // The seat is saved with the last event she received, in a file and a
    // directory only she can read.
    let file = seats(&saved);
    let seat = file.as_object().unwrap().values().next().unwrap().clone();
    assert!(seat["last_seq"].as_u64().unwrap() > 0, "{file}");
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&saved.join("tokens.json")), 0o600);
        assert_eq!(mode(&saved), 0o700);
    }

    // While she is away: a private message from Boris and an announcement.
    boris
        .ok(ClientRequest::Chat {
            channel: Channel::Private { to: ana_id },
            text: "Meet me at the Smolny.".into(),
        })
        .await;
    host.ok(ClientRequest::Chat {
        channel: Channel::Floor,
        text: "The Soviet convenes at noon.".into(),
    })
    .await;

    // The same `join` again: her seat, and what she missed, in order.
    let ana = run("log 30\n");
    let (exit, second) = tokio::task::spawn_blocking(move || out(ana)).await.unwrap();
    assert_eq!(exit, Some(0), "{second}");
    assert!(second.contains("Welcome back"), "{second}");
    let private = second
        .find("Meet me at the Smolny.")
        .unwrap_or_else(|| panic!("the private message is lost:\n{second}"));
    let floor = second
        .find("The Soviet convenes at noon.")
        .unwrap_or_else(|| panic!("the announcement is lost:\n{second}"));
    assert!(private < floor, "{second}");
    // Shown once as it is replayed and once by `log 30`; what she had
    // already seen is not shown again.
    assert_eq!(
        second.matches("Meet me at the Smolny.").count(),
        2,
        "{second}"
    );
    assert!(!second.contains("Welcome, delegates."), "{second}");
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_seat_opened_twice_keeps_the_newer_window_and_the_older_stops_once() {
    let server = TestServer::start();
    let url = server.ws_url();
    let (mut host, code) = host_game(&url, 600, 22).await;
    let dir = home("twice");
    let args: Vec<String> = [
        "join",
        &code,
        "--name",
        "Ana",
        "--faction",
        "liberals",
        "--server",
        &url,
    ]
    .map(String::from)
    .to_vec();
    let (older, newer) = tokio::task::spawn_blocking({
        let dir = dir.clone();
        move || {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let mut older = pty_then_stty(&args, &dir);
            let found = older.expect("BEFORE-END").unwrap();
            let before = String::from_utf8_lossy(found.before()).trim().to_string();
            older.expect("[lobby                ] Ana> ").unwrap();
            // The same command in a second terminal.
            let mut newer = pty(&args, &dir);
            newer.expect("Welcome back").unwrap();
            newer.expect("[lobby                ] Ana> ").unwrap();
            // The older says so once, in one sentence, and stops.
            older.expect("taken by a newer window or device").unwrap();
            let rest = rest_until_exit(&mut older);
            assert!(!rest.contains("taken by a newer"), "said twice:\n{rest}");
            assert!(!rest.contains("Reconnected"), "{rest}");
            // It stopped by itself (status 1), and left the terminal as it
            // found it: echo and line editing on for the shell.
            let after = rest
                .split_once("EXITED 1")
                .unwrap_or_else(|| panic!("no exit status 1:\n{rest}"))
                .1
                .trim();
            assert!(before.contains(" icanon"), "{before}");
            assert_eq!(before, after, "the terminal is not as it was");
            assert!(
                !older.is_alive().unwrap_or(false),
                "the older client still runs"
            );
            (older, newer)
        }
    })
    .await
    .unwrap();
    drop(older);
    // The newer one plays on.
    let mut newer = tokio::task::spawn_blocking(move || {
        let mut newer = newer;
        newer.send("say From the second window\r").unwrap();
        newer
    })
    .await
    .unwrap();
    host.wait_for(
        |e| matches!(e, GameEvent::Chat { text, .. } if text == "From the second window"),
    )
    .await;
    // And it is left alone: nothing about reconnecting or being replaced.
    tokio::time::sleep(Duration::from_secs(2)).await;
    tokio::task::spawn_blocking(move || {
        newer.send("quit\r").unwrap();
        let rest = rest_until_exit(&mut newer);
        assert!(!rest.contains("taken by a newer"), "{rest}");
        assert!(!rest.contains("Reconnected"), "{rest}");
        assert!(!rest.contains("again from elsewhere"), "{rest}");
    })
    .await
    .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_host_screen_never_shows_the_host_token_and_resume_code_takes_the_controls_back() {
    let server = TestServer::start();
    let url = server.ws_url();
    let dir = home("projector");
    let url2 = url.clone();
    let dir2 = dir.clone();
    let first = tokio::task::spawn_blocking(move || {
        let mut host = pty(&["host", "--server", &url2, "--seed", "3"], &dir2);
        let found = host.expect("] host> ").unwrap();
        let screen = String::from_utf8_lossy(found.before()).into_owned();
        let code = screen
            .split("dualpower join ")
            .nth(1)
            .and_then(|s| s.split_whitespace().next())
            .expect("the join line")
            .to_string();
        // The token is saved on this computer, not shown.
        let file = seats(&dir2);
        let token = file
            .as_object()
            .unwrap()
            .values()
            .find_map(|s| s["token"].as_str().map(str::to_string))
            .expect("the host's seat is saved");
        assert!(
            screen.contains(&format!("dualpower resume {code}")),
            "{screen}"
        );
        // `token` warns, and shows it only when asked again.
        host.send("token\r").unwrap();
        let found = host.expect("token show").unwrap();
        let warned = String::from_utf8_lossy(found.before()).into_owned();
        assert!(
            warned.contains("whoever has it can play as you"),
            "{warned}"
        );
        assert!(!warned.contains(&token), "{warned}");
        host.send("token show\r").unwrap();
        host.expect(format!("dualpower resume {token}").as_str())
            .unwrap();
        (host, screen, code, token)
    })
    .await
    .unwrap();
    let (mut host, first_screen, code, token) = first;
    let _ana = join(&url, &code, "Ana", Faction::Soviet).await;
    let url2 = url.clone();
    let dir2 = dir.clone();
    let code2 = code.clone();
    let token2 = token.clone();
    tokio::task::spawn_blocking(move || {
        let (code, token) = (code2, token2);
        // The teacher's laptop restarts; on it, `resume CODE` takes the
        // controls back (and this window, were it still open, would stop).
        let mut again = pty(&["resume", &code, "--server", &url2], &dir2);
        let found = again.expect("[lobby                ] host> ").unwrap();
        let second = String::from_utf8_lossy(found.before()).into_owned();
        assert!(!second.contains(&token), "{second}");
        host.expect("taken by a newer window or device").unwrap();
        // The controls work from the new window; the prompt follows the
        // game at once (not `[lobby]` until Enter is pressed again).
        again.send("start\r").unwrap();
        again.expect("[R1 briefing").unwrap();
        again.send("quit\r").unwrap();
        let rest = rest_until_exit(&mut again);
        assert!(!rest.contains(&token), "{rest}");
    })
    .await
    .unwrap();
    assert!(!first_screen.contains(&token), "{first_screen}");
    // A code with no seat saved here: a clear refusal, no guess.
    let (exit, out) = Cli::spawn(
        "resume",
        &["resume", "ZZZZZ", "--server", &url],
        "",
        &home("projector-other"),
    )
    .finish();
    assert_eq!(exit, 1, "{out}");
    assert!(out.contains("No host seat for game ZZZZZ"), "{out}");
    let _ = code;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_spectator_and_a_student_ride_out_a_server_restart() {
    let dir = home("restart-spectator");
    let db = dir.join("game.db");
    let db = db.to_str().unwrap().to_string();
    let server = TestServer::start_with(&["--db", &db]);
    let addr = server.addr.clone();
    let url = server.ws_url();
    let (host, code) = host_game(&url, 600, 23).await;
    let token = host.token.clone().unwrap();

    // The projector, in script mode: it waits for the announcement.
    let mut projector = Cli::spawn(
        "projector",
        &["spectate", &code, "--server", &url],
        // Ana's line first, then the host's announcement.
        "wait event chat\nwait event chat\necho still watching\n",
        &dir,
    );
    // A student at a terminal.
    let student_dir = dir.join("ana");
    std::fs::create_dir_all(&student_dir).unwrap();
    let url2 = url.clone();
    let code2 = code.clone();
    let mut ana = tokio::task::spawn_blocking(move || {
        let mut ana = pty(
            &["join", &code2, "--name", "Ana", "--server", &url2],
            &student_dir,
        );
        ana.expect("[lobby                ] Ana> ").unwrap();
        ana
    })
    .await
    .unwrap();
    let projector_in = tokio::task::spawn_blocking(move || {
        projector.expect("You are in game");
        projector
    });
    let mut projector = projector_in.await.unwrap();

    // The server stops (SIGTERM) and starts again on the same address.
    drop(host);
    server.terminate();
    let mut ana = tokio::task::spawn_blocking(move || {
        ana.expect("Connection to the server lost").unwrap();
        // Typed while the server is down: the student is told.
        ana.send("say Typed while the server was down\r").unwrap();
        ana.expect("will be sent once the connection is back")
            .unwrap();
        ana
    })
    .await
    .unwrap();
    let server = TestServer::start_with(&["--db", &db, "--bind", &addr]);
    let mut host = Client::connect(&server.ws_url(), "host").await;
    let answer = host
        .request(ClientRequest::Resume {
            token,
            last_seq: None,
        })
        .await;
    assert!(matches!(answer, ServerMsg::Joined { .. }), "{answer:?}");
    host.wait_snapshot().await;
    // The student's line arrives once she is back.
    host.wait_for(
        |e| matches!(e, GameEvent::Chat { text, .. } if text == "Typed while the server was down"),
    )
    .await;
    // The projector is back too, then the host speaks.
    let mut projector = tokio::task::spawn_blocking(move || {
        projector.expect("Reconnected");
        projector
    })
    .await
    .unwrap();
    // A spectator has no seat to resume: it watches again from the seq
    // it had, so Ana's line reaches it even when she was back first.
    host.ok(ClientRequest::Chat {
        channel: Channel::Floor,
        text: "We are back.".into(),
    })
    .await;
    let seen = tokio::task::spawn_blocking(move || {
        projector.expect("We are back.");
        projector.finish()
    })
    .await
    .unwrap();
    let (exit, out) = seen;
    assert_eq!(exit, 0, "{out}");
    assert!(!out.contains("Cannot go on"), "{out}");
    assert!(out.contains("Reconnected"), "{out}");
    assert!(out.contains("Typed while the server was down"), "{out}");
    assert!(out.contains("still watching"), "{out}");
    tokio::task::spawn_blocking(move || {
        ana.expect("Reconnected").unwrap();
        ana.expect("We are back.").unwrap();
        ana.send("quit\r").unwrap();
        rest_until_exit(&mut ana);
    })
    .await
    .unwrap();
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn server_addresses_are_taken_as_people_write_them() {
    let server = TestServer::start();
    let addr = server.addr.clone();
    let dir = home("addresses");
    let mut host = Cli::spawn(
        "host",
        &["host", "--server", &addr],
        "wait players 2\n",
        &dir,
    );
    let line = host.expect("dualpower join ");
    let code = line.split_whitespace().nth(2).unwrap().to_string();
    // The host's join line names the address in full, for students to copy.
    assert!(line.contains(&format!("--server ws://{addr}/ws")), "{line}");
    for (name, server) in [
        ("Ana", format!("http://{addr}")),
        ("Boris", format!("ws://{addr}/")),
    ] {
        let (exit, out) = Cli::spawn(
            name,
            &["join", &code, "--name", name, "--server", &server],
            "echo in\n",
            &dir,
        )
        .finish();
        assert_eq!(exit, 0, "{server}: {out}");
        assert!(out.contains("You are in game"), "{server}: {out}");
    }
    let (exit, out) = host.finish();
    assert_eq!(exit, 0, "{out}");

    // Nothing there: what was tried, from what was typed.
    let (exit, out) = Cli::spawn(
        "nobody",
        &["join", &code, "--name", "X", "--server", "127.0.0.1:1"],
        "",
        &dir,
    )
    .finish();
    assert_eq!(exit, 1, "{out}");
    assert!(
        out.contains("ws://127.0.0.1:1/ws (from --server 127.0.0.1:1)"),
        "{out}"
    );
    // A web server at that address, but not the game's WebSocket.
    let (exit, out) = Cli::spawn(
        "wrong path",
        &[
            "join",
            &code,
            "--name",
            "X",
            "--server",
            &format!("http://{addr}/nothing"),
        ],
        "",
        &dir,
    )
    .finish();
    assert_eq!(exit, 1, "{out}");
    assert!(out.contains(&format!("ws://{addr}/nothing")), "{out}");
    assert!(out.contains("404"), "{out}");
    assert!(out.contains("Dual Power server"), "{out}");
    let _ = std::fs::remove_dir_all(&dir);
}
