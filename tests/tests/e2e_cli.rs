//! The bundled CLI (`dualpower`), driven as users drive it: several
//! processes in script mode play a round against the real server; one
//! survives the server being killed and restarted; one runs in a
//! pseudo-terminal as a student would use it.

use protocol::*;
use std::process::Command;
use std::time::Duration;
use tests::cli::*;
use tests::*;

#[test]
fn four_cli_processes_play_a_whole_round_in_script_mode() {
    let server = TestServer::start();
    let url = server.ws_url();
    let dir = home("round");
    // The host sets long timers: the round moves on because every player
    // says `ready`, as a class would.
    let host = Cli::spawn(
        "host",
        &["host", "--server", &url, "--strict", "--seed", "5"],
        "timers 600 600 600 600 1\n\
         wait players 3\n\
         start\n\
         wait phase briefing round 2\n\
         motions\n\
         download log\n\
         download html bolsheviks\n",
        &dir,
    );
    let mut host = host;
    let code_line = host.expect("dualpower join ");
    let code = code_line.split_whitespace().nth(2).unwrap().to_string();
    assert_eq!(code.len(), 5, "{code_line}");

    let common = |faction: &str| {
        format!(
            "wait phase briefing\nready\n\
             wait phase negotiation\n\
             f {faction} only: our plan\n\
             ready\n"
        )
    };
    let ana = Cli::spawn(
        "Ana",
        &[
            "join",
            &code,
            "--name",
            "Ana",
            "--faction",
            "liberals",
            "--server",
            &url,
            "--strict",
        ],
        &format!(
            "{}say Citizens, the Assembly will decide.\n\
             wait phase proposals\ntable civil_liberties\nready\n\
             wait phase voting\nvote civil_liberties yes\nplan press_campaign\nme\nready\n\
             wait phase briefing round 2\nstate\n",
            common("liberals")
        ),
        &dir,
    );
    let irakli = Cli::spawn(
        "Irakli",
        &[
            "join",
            &code,
            "--name",
            "Irakli",
            "--faction",
            "soviet",
            "--server",
            &url,
            "--strict",
        ],
        &format!(
            "{}wait phase proposals\ntable order_no_1\nready\n\
             wait phase voting\nvote order_no_1 yes\nready\n\
             wait phase briefing round 2\n",
            common("soviet")
        ),
        &dir,
    );
    let vladimir = Cli::spawn(
        "Vladimir",
        &[
            "join",
            &code,
            "--name",
            "Vladimir",
            "--faction",
            "bolsheviks",
            "--server",
            &url,
            "--strict",
            "--json",
        ],
        &format!(
            "{}tell Irakli A word in private.\n\
             wait phase proposals\nready\n\
             wait phase voting\nvote order_no_1 yes\nplan agitate workers\nready\n\
             wait phase briefing round 2\n",
            common("bolsheviks")
        ),
        &dir,
    );

    let (code_ana, out_ana) = ana.finish();
    let (code_irakli, out_irakli) = irakli.finish();
    let (code_vlad, out_vlad) = vladimir.finish();
    let (code_host, out_host) = host.finish();
    for (who, code, out) in [
        ("Ana", code_ana, &out_ana),
        ("Irakli", code_irakli, &out_irakli),
        ("Vladimir", code_vlad, &out_vlad),
        ("host", code_host, &out_host),
    ] {
        assert_eq!(code, 0, "{who} exited {code}:\n{out}");
    }

    // Everyone saw the round resolve; the liberal decree passed.
    assert!(out_ana.contains("civil_liberties: PASSED"), "{out_ana}");
    assert!(out_ana.contains("Resolution of round 1"), "{out_ana}");
    assert!(out_ana.contains("Round 2: April 1917"), "{out_ana}");
    assert!(
        out_ana.contains("Duma liberals: 3 IP"),
        "the `me` command shows the plan's cost:\n{out_ana}"
    );
    assert!(out_ana.contains("Gov legitimacy"), "{out_ana}");
    // The phases ended because everyone was ready: one full stop.
    assert!(
        out_ana.contains("early: Everyone is ready."),
        "the phase ended early when all were ready:\n{out_ana}"
    );
    assert!(!out_ana.contains("ready.."), "{out_ana}");
    assert!(out_host.contains("order_no_1"), "{out_host}");
    // Channels: a faction hears its own channel only; the private message
    // reaches its addressee only.
    assert!(out_ana.contains("liberals only: our plan"));
    assert!(!out_ana.contains("soviet only") && !out_ana.contains("bolsheviks only"));
    assert!(out_irakli.contains("A word in private."));
    assert!(!out_ana.contains("A word in private."));
    assert!(out_irakli.contains("Citizens, the Assembly will decide."));

    // --json: one server message per line, each stream's seq without gaps.
    let mut last = None;
    let mut events = 0;
    for line in out_vlad.lines().filter(|l| l.starts_with('{')) {
        let msg: ServerMsg = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        match msg {
            ServerMsg::Snapshot { seq, .. } => last = Some(seq),
            ServerMsg::Event { seq, .. } => {
                if let Some(l) = last {
                    assert_eq!(seq, l + 1, "a gap or repeat in the stream");
                }
                last = Some(seq);
                events += 1;
            }
            _ => {}
        }
    }
    assert!(events > 20, "only {events} events in --json output");

    // The host saved the debrief record where it ran.
    let log: GameLog = serde_json::from_str(
        &std::fs::read_to_string(dir.join(format!("dualpower-{code}-host.json"))).unwrap(),
    )
    .unwrap();
    assert!(log
        .events
        .iter()
        .any(|e| matches!(e.event, GameEvent::Resolved { round: 1, .. })));
    let html =
        std::fs::read_to_string(dir.join(format!("dualpower-{code}-bolsheviks.html"))).unwrap();
    assert!(html.contains("bolsheviks only: our plan") && !html.contains("liberals only"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn strict_scripts_stop_at_the_first_refusal_with_the_servers_reason() {
    let server = TestServer::start();
    let url = server.ws_url();
    let dir = home("strict");
    let mut host = Cli::spawn(
        "host",
        &["host", "--server", &url],
        "wait players 2\n",
        &dir,
    );
    let code_line = host.expect("dualpower join ");
    let code = code_line.split_whitespace().nth(2).unwrap().to_string();

    // Tabling in the lobby: the server refuses; --strict exits 2.
    let (exit, out) = Cli::spawn(
        "Ana",
        &["join", &code, "--name", "Ana", "--server", &url, "--strict"],
        "table land_reform\necho never reached\n",
        &dir,
    )
    .finish();
    assert_eq!(exit, 2, "{out}");
    assert!(
        out.contains("not_started") || out.contains("wrong_phase"),
        "{out}"
    );
    assert!(!out.contains("never reached"), "{out}");

    // A typo: a suggestion, and the same exit.
    let (exit, out) = Cli::spawn(
        "Boris",
        &[
            "join", &code, "--name", "Boris", "--server", &url, "--strict",
        ],
        "vot m1 yes\n",
        &dir,
    )
    .finish();
    assert_eq!(exit, 2, "{out}");
    assert!(out.contains("Did you mean `vote`?"), "{out}");

    // Without --strict the script goes on after a refusal.
    let (exit, out) = Cli::spawn(
        "Boris",
        &["join", &code, "--name", "Boris", "--server", &url],
        "table land_reform\necho still here\n",
        &dir,
    )
    .finish();
    assert_eq!(exit, 0, "{out}");
    assert!(out.contains("still here"), "{out}");
    // Boris ran `join` twice with the same name: the second time the
    // saved token put him back in his seat instead of `name_taken`.
    assert!(out.contains("Welcome back"), "{out}");
    let (_, host_out) = host.finish();
    assert!(host_out.contains("Boris joined"), "{host_out}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cli_player_reconnects_on_its_own_when_the_server_restarts() {
    let dir = home("restart");
    let db = dir.join("game.db");
    let db = db.to_str().unwrap().to_string();
    let server = TestServer::start_with(&["--db", &db]);
    let addr = server.addr.clone();
    let url = server.ws_url();
    let (mut host, code) = host_game(&url, 600, 9).await;

    let mut ana = Cli::spawn(
        "Ana",
        &[
            "join",
            &code,
            "--name",
            "Ana",
            "--faction",
            "soviet",
            "--server",
            &url,
            "--strict",
        ],
        "wait phase negotiation\nsay Still here after the restart.\necho done\n",
        &dir,
    );
    host.wait_for(|e| matches!(e, GameEvent::PlayerJoined { .. }))
        .await;
    host.ok(ClientRequest::StartGame).await;
    let ana = tokio::task::spawn_blocking(move || {
        ana.expect("Round 1: March");
        ana
    })
    .await
    .unwrap();

    // The server dies and comes back on the same address.
    let token = host.token.clone().unwrap();
    drop(host);
    drop(server);
    let server = TestServer::start_with(&["--db", &db, "--bind", &addr]);
    let mut host = Client::connect(&server.ws_url(), "host").await;
    let answer = host
        .request(ClientRequest::Resume {
            token,
            last_seq: None,
        })
        .await;
    assert!(matches!(answer, ServerMsg::Joined { .. }), "{answer:?}");
    host.ok(ClientRequest::ResumeGame).await;
    host.ok(ClientRequest::AdvancePhase).await;
    let said = host
        .wait_for(|e| matches!(e, GameEvent::Chat { text, .. } if text == "Still here after the restart."))
        .await;
    assert!(matches!(said, GameEvent::Chat { .. }));
    let (exit, out) = tokio::task::spawn_blocking(move || ana.finish())
        .await
        .unwrap();
    assert_eq!(exit, 0, "{out}");
    assert!(out.contains("Connection to the server lost"), "{out}");
    assert!(out.contains("Reconnected"), "{out}");
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_interactive_client_in_a_terminal_shows_state_errors_and_chat() {
    let server = TestServer::start();
    let url = server.ws_url();
    let (mut host, code) = host_game(&url, 600, 11).await;
    let dir = home("pty");

    let mut cmd = Command::new(binary("dualpower"));
    cmd.args([
        "join",
        &code,
        "--name",
        "Ana",
        "--faction",
        "bolsheviks",
        "--server",
        &url,
    ])
    .env("DUALPOWER_HOME", &dir)
    .env("TERM", "xterm");
    let mut term = expectrl::Session::spawn(cmd).expect("spawn in a pty");
    term.set_expect_timeout(Some(Duration::from_secs(20)));
    let mut term = tokio::task::spawn_blocking(move || {
        term.expect("You are in game").unwrap();
        term.expect("[lobby                ] Ana> ").unwrap();
        // Show the state: the tracks as bars.
        term.send(concat!("state", "\r")).unwrap();
        term.expect("Gov legitimacy").unwrap();
        term.expect("Soviet seats: 85 Soviet delegates, 15 Bolsheviks")
            .unwrap();
        // A typo: a one-line explanation, and the client keeps running.
        term.send(concat!("vot m1 yes", "\r")).unwrap();
        term.expect("Did you mean `vote`?").unwrap();
        // An illegal move: the server's reason and code.
        term.send(concat!("table land_reform", "\r")).unwrap();
        term.expect("(not_started)").unwrap();
        // Tab completion of a command name.
        term.send("playe\t").unwrap();
        term.send("\r").unwrap();
        term.expect("Ana (p").unwrap();
        term
    })
    .await
    .unwrap();

    // The host starts the game (a 16-second briefing: its 0:10 status
    // line comes after the steps below even on a busy machine) and speaks: it
    // appears while Ana types.
    host.ok(ClientRequest::SetTimers {
        preset: None,
        timers: Some(PhaseTimers {
            briefing: 16,
            negotiation: 600,
            proposals: 600,
            voting: 600,
            resolution: 600,
        }),
    })
    .await;
    host.ok(ClientRequest::StartGame).await;
    host.ok(ClientRequest::Chat {
        channel: Channel::Floor,
        text: "Welcome to Petrograd.".into(),
    })
    .await;
    tokio::task::spawn_blocking(move || {
        term.expect("Round 1: March 1917").unwrap();
        term.expect("Welcome to Petrograd.").unwrap();
        // The prompt shows the round, the phase and the time left.
        term.expect("[R1 briefing ").unwrap();
        term.expect("] Ana> ").unwrap();
        term.send(concat!("me", "\r")).unwrap();
        term.expect("IP").unwrap();
        // The clock comes to the student: a status line at 0:10 left.
        term.expect("⏱ Round 1/8 · March · briefing · 0:10 left")
            .unwrap();
        term.expect("── negotiation").unwrap();
        // The next phase is in the prompt drawn under its banner, with
        // nothing typed (drawn again as messages come, not only on Enter).
        let next = term.expect("] Ana> ").unwrap();
        let next = String::from_utf8_lossy(next.before()).into_owned();
        assert!(next.contains("[R1 negotiation "), "{next:?}");
        term.send(concat!("quit", "\r")).unwrap();
        term.expect("Bye").unwrap();
    })
    .await
    .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_terminal_the_line_editor_cannot_drive_still_plays_with_plain_lines() {
    // TERM=dumb (an editor's or IDE's pane): the line editor refuses it.
    let server = TestServer::start();
    let url = server.ws_url();
    let (_host, code) = host_game(&url, 600, 11).await;
    let dir = home("dumb");
    let mut cmd = Command::new(binary("dualpower"));
    cmd.args(["join", &code, "--name", "Ana", "--server", &url])
        .env("DUALPOWER_HOME", &dir)
        .env("TERM", "dumb");
    let mut term = expectrl::Session::spawn(cmd).expect("spawn in a pty");
    term.set_expect_timeout(Some(Duration::from_secs(20)));
    tokio::task::spawn_blocking(move || {
        term.expect("reading plain lines instead").unwrap();
        term.expect("You are in game").unwrap();
        term.send("state\r").unwrap();
        term.expect("Gov legitimacy").unwrap();
        term.send("quit\r").unwrap();
        term.expect("Bye").unwrap();
    })
    .await
    .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_cli_saves_a_debrief_record_sent_in_parts() {
    let server = TestServer::start();
    let url = server.ws_url();
    let dir = home("parts");
    // 700 announcements of about 480 characters: the log is well over
    // one part (256 KiB).
    let line = "y".repeat(470);
    let mut script = String::new();
    for i in 0..700 {
        script.push_str(&format!("say {i:>5} {line}\n"));
    }
    script.push_str("download log\n");
    let mut host = Cli::spawn(
        "host",
        &["host", "--server", &url, "--strict"],
        &script,
        &dir,
    );
    let code_line = host.expect("dualpower join ");
    let code = code_line.split_whitespace().nth(2).unwrap().to_string();
    host.expect("Saved dualpower-");
    let (status, out) = host.finish();
    assert_eq!(status, 0, "{out}");
    let text = std::fs::read_to_string(dir.join(format!("dualpower-{code}-host.json"))).unwrap();
    assert!(text.len() > DOWNLOAD_PART_BYTES, "{} bytes", text.len());
    let log: GameLog = serde_json::from_str(&text).expect("the parts joined in order");
    let said = log
        .events
        .iter()
        .filter(|e| matches!(&e.event, GameEvent::Chat { text, .. } if text.ends_with(&line)))
        .count();
    assert_eq!(said, 700);
    let _ = std::fs::remove_dir_all(&dir);
}

/// The lines a script printed between `echo ==NAME==` and the next marker.
fn block<'a>(out: &'a str, name: &str) -> Vec<&'a str> {
    let start = format!("=={name}==");
    out.lines()
        .skip_while(|l| !l.contains(&start))
        .skip(1)
        .take_while(|l| !l.starts_with("=="))
        .collect()
}

/// A block's words, one space apart (wrapping does not matter).
fn flat(out: &str, name: &str) -> String {
    block(out, name)
        .join(" ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn the_cli_explains_the_game_in_an_80_by_24_terminal() {
    let server = TestServer::start();
    let url = server.ws_url();
    let dir = home("teach");
    let mut host = Cli::spawn(
        "host",
        &["host", "--server", &url, "--strict", "--characters"],
        // The student reads the help before the game starts (nothing else
        // is printed meanwhile), then gets the briefing; `me` comes once
        // the negotiation has begun, when no event is due for minutes.
        "wait players 1\nsleep 1\necho ==HOSTHELP==\nhelp\necho ==HOSTONLY==\nhelp host\necho ==END==\n\
         sleep 3\nstart\nwait phase briefing\nsleep 1\nnext\nwait phase negotiation\n",
        &dir,
    );
    let code_line = host.expect("dualpower join ");
    let code = code_line.split_whitespace().nth(2).unwrap().to_string();
    let script = "echo ==HELP==\nhelp\n\
                  echo ==LAND==\nhelp land_reform\n\
                  echo ==AGITATE==\nhelp agitate\n\
                  echo ==INFLUENCE==\nhelp influence\n\
                  echo ==PHASES==\nhelp phases\n\
                  echo ==VOTING==\nhelp voting\n\
                  echo ==SCRIPTS==\nhelp scripts\n\
                  echo ==CATALOG==\ncatalog\n\
                  echo ==DECREES1==\ncatalog decrees\n\
                  echo ==DECREES2==\ncatalog decrees 2\n\
                  echo ==UNKNOWN==\nhelp kerensky_offensive\n\
                  wait phase negotiation\n\
                  echo ==ME==\nme\necho ==STATE==\nstate\necho ==END==\n";
    let ana = Cli::spawn(
        "Ana",
        &[
            "join",
            &code,
            "--name",
            "Ana",
            "--faction",
            "liberals",
            "--server",
            &url,
        ],
        script,
        &dir,
    );
    let (code_ana, out) = ana.finish();
    assert_eq!(code_ana, 0, "{out}");
    let (_, out_host) = host.finish();

    // Everything the client prints on its own fits 80 columns; a page of
    // help or catalog fits 24 rows with the prompt.
    for name in [
        "HELP",
        "LAND",
        "AGITATE",
        "INFLUENCE",
        "PHASES",
        "VOTING",
        "SCRIPTS",
        "CATALOG",
        "DECREES1",
        "DECREES2",
        "ME",
        "STATE",
    ] {
        let lines = block(&out, name);
        assert!(!lines.is_empty(), "{name} printed nothing:\n{out}");
        for l in &lines {
            assert!(
                l.chars().count() <= 80,
                "{name}: a line wider than 80:\n{l}"
            );
        }
        if name != "ME" && name != "STATE" {
            assert!(
                lines.len() <= 23,
                "{name}: {} lines:\n{}",
                lines.len(),
                lines.join("\n")
            );
        }
    }
    for name in ["HOSTHELP", "HOSTONLY"] {
        let lines = block(&out_host, name);
        assert!(
            !lines.is_empty() && lines.len() <= 23,
            "{name}:\n{}",
            lines.join("\n")
        );
        assert!(
            lines.iter().all(|l| l.chars().count() <= 80),
            "{name}:\n{}",
            lines.join("\n")
        );
    }

    // `help`: the playing commands one a line; script commands apart.
    let help = block(&out, "HELP").join("\n");
    assert!(help.contains("  vote <motion> yes|no|abstain"), "{help}");
    assert!(help.contains("Scripts only: wait, sleep, echo"), "{help}");
    assert!(!help.contains("  wait <condition>"), "{help}");
    assert!(
        !help.contains("  kick "),
        "host commands are not a student's:\n{help}"
    );
    let scripts = block(&out, "SCRIPTS").join("\n");
    assert!(scripts.contains("  wait <condition>") && scripts.contains("  sleep <seconds>"));
    let host_only = block(&out_host, "HOSTONLY").join("\n");
    assert!(
        host_only.contains("  assign <player> <character>"),
        "{host_only}"
    );

    // `help ID`: what it does in this game, with the scenario's numbers,
    // and what it was in 1917.
    let land = flat(&out, "LAND");
    assert!(
        land.contains("land_reform — Land reform (decree, voted in the cabinet)"),
        "{land}"
    );
    assert!(
        land.contains("In this game:") && land.contains("reaction +10"),
        "{land}"
    );
    assert!(
        land.contains("In 1917:") && land.contains("landlords"),
        "{land}"
    );
    let agitate = flat(&out, "AGITATE");
    assert!(
        agitate.contains("agitate — Agitate (2 IP)") && agitate.contains("In 1917:"),
        "{agitate}"
    );
    let influence = flat(&out, "INFLUENCE");
    assert!(influence.contains("receives 3 plus"), "{influence}");
    assert!(flat(&out, "PHASES").contains("negotiation"));
    assert!(flat(&out, "VOTING").contains("more than 50 yes seats"));
    let unknown = flat(&out, "UNKNOWN");
    assert!(
        unknown.contains("No command or game term `kerensky_offensive`"),
        "{unknown}"
    );

    // `catalog`: every id grouped; a section a page at a time.
    let catalog = flat(&out, "CATALOG");
    for id in [
        "civil_liberties",
        "order_no_1",
        "seize_power",
        "july_days",
        "influence",
    ] {
        assert!(
            catalog.contains(id),
            "{id} missing from the catalog:\n{catalog}"
        );
    }
    let d1 = flat(&out, "DECREES1");
    assert!(
        d1.contains("page 1 of") && d1.contains("More: `catalog decrees 2`"),
        "{d1}"
    );
    assert!(
        d1.contains("civil_liberties — Civil liberties") && d1.contains("In 1917:"),
        "{d1}"
    );
    assert!(block(&out, "DECREES2").join("\n").contains("page 2 of"));

    // The briefing arrived at the start, and `me` shows it again, with the
    // character.
    let start = out.find("Your briefing: the Duma liberals").expect(&out);
    assert!(out[start..].contains("You want:") && out[start..].contains("First moves"));
    let me = flat(&out, "ME");
    assert!(me.contains("Your briefing: the Duma liberals"), "{me}");
    assert!(
        me.contains("You win:") && me.contains("Secret objective:"),
        "{me}"
    );
    assert!(me.contains("You play Pavel Milyukov"), "{me}");
    // The host is told who plays whom, and is not flooded with the
    // players' briefings.
    assert!(
        out_host.contains("Ana plays Pavel Milyukov (secret objective:"),
        "{out_host}"
    );
    assert!(!out_host.contains("Your briefing"), "{out_host}");
    assert!(!out_host.contains("You play"), "{out_host}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A faction caucuses: a student in the CLI sees, while the vote is open,
/// how a faction-mate voted (as it happens, and in `motions`); a student of
/// another faction does not.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_shows_how_ones_faction_voted_while_the_vote_is_open() {
    let server = TestServer::start();
    let url = server.ws_url();
    let (mut host, code) = host_game(&url, 600, 12).await;
    let mut ana = join(&url, &code, "Ana", Faction::Soviet).await;
    let dir = home("caucus");
    let cli = |name: &str, faction: &str, script: &str| {
        Cli::spawn(
            name,
            &[
                "join",
                &code,
                "--name",
                name,
                "--faction",
                faction,
                "--server",
                &url,
                "--strict",
            ],
            script,
            &dir,
        )
    };
    let boris = cli(
        "Boris",
        "soviet",
        "wait phase voting\necho watching\nwait event vote_cast\nmotions\n",
    );
    // Vera (a Bolshevik) looks at the motions while the vote is open.
    let vera = cli(
        "Vera",
        "bolsheviks",
        "wait phase voting\necho watching\nwait event vote_cast\nmotions\nwait phase resolution\n",
    );
    let joined = |c: &Client| {
        c.events
            .iter()
            .filter(|(_, e)| matches!(e, GameEvent::PlayerJoined { .. }))
            .count()
    };
    while joined(&host) < 3 {
        host.next().await.expect("the host stays connected");
    }
    host.ok(ClientRequest::StartGame).await;
    host.ok(ClientRequest::AdvancePhase).await; // negotiation
    host.ok(ClientRequest::AdvancePhase).await; // proposals
    ana.ok(ClientRequest::TableMotion {
        motion: Motion::PeaceAppeal,
    })
    .await;
    host.ok(ClientRequest::AdvancePhase).await; // voting
    let (boris, vera) = tokio::task::spawn_blocking(move || {
        let (mut boris, mut vera) = (boris, vera);
        boris.expect("watching");
        vera.expect("watching");
        (boris, vera)
    })
    .await
    .unwrap();
    ana.ok(ClientRequest::Vote {
        motion: MotionId(1),
        vote: Vote::No,
    })
    .await;
    let (exit, out) = tokio::task::spawn_blocking(move || boris.finish())
        .await
        .unwrap();
    assert_eq!(exit, 0, "{out}");
    assert!(
        out.contains("Your faction: Ana voted no on m1."),
        "the faction-mate's ballot as it happens:\n{out}"
    );
    assert!(
        out.contains("your faction: Ana voted no"),
        "the faction-mate's ballot in `motions`:\n{out}"
    );
    // Kolya, Vera's faction-mate, votes yes: her wait ends; she saw
    // Kolya's ballot and not Ana's, then the roll call at the close.
    let mut kolya = join(&url, &code, "Kolya", Faction::Bolsheviks).await;
    kolya
        .ok(ClientRequest::Vote {
            motion: MotionId(1),
            vote: Vote::Yes,
        })
        .await;
    let vera = tokio::task::spawn_blocking(move || {
        let mut vera = vera;
        vera.expect("your faction: Kolya voted yes");
        vera
    })
    .await
    .unwrap();
    host.ok(ClientRequest::AdvancePhase).await; // resolution
    let (exit, out) = tokio::task::spawn_blocking(move || vera.finish())
        .await
        .unwrap();
    assert_eq!(exit, 0, "{out}");
    assert!(
        !out.contains("Ana voted") && !out.contains("Ana votes"),
        "another faction's open ballot reached Vera:\n{out}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
