//! The authorization matrix: every client request, sent by every role,
//! against the real server. Each cell is either success or one exact error
//! code; and nothing a refused request or another game's player does ever
//! reaches game A.
//!
//! Roles: the host; a player of each faction; a spectator; a connection
//! that said hello but joined nothing; and a player of another game (B,
//! still in its lobby), who uses game A's ids.
//!
//! Game A is in round 1's voting phase with a liberal decree (m1) and a
//! Soviet resolution (m2) on the table. Each request gets a fresh pair of
//! games, so a destructive success (the host ending the game, a kick) never
//! changes the next row.

use protocol::*;
use tests::*;
use ErrorCode::*;

const ROLES: [&str; 7] = [
    "host",
    "liberal",
    "soviet",
    "bolshevik",
    "spectator",
    "unjoined",
    "other game",
];

/// `None`: success; `Some(code)`: refused with exactly that code.
type Row = [Option<ErrorCode>; 7];

const OK: Option<ErrorCode> = None;
const fn no(code: ErrorCode) -> Option<ErrorCode> {
    Some(code)
}

struct Fixture {
    clients: Vec<Client>,
    code_a: String,
    lib_token: String,
}

async fn fixture(url: &str, seed: u64) -> Fixture {
    let (mut host, code_a) = host_game(url, 600, seed).await;
    let mut lib = join(url, &code_a, "Milyukov", Faction::Liberals).await;
    let mut sov = join(url, &code_a, "Tsereteli", Faction::Soviet).await;
    let bol = join(url, &code_a, "Lenin", Faction::Bolsheviks).await;
    let mut spec = Client::connect(url, "spectator").await;
    let joined = spec
        .request(ClientRequest::Spectate {
            code: code_a.clone(),
            last_seq: None,
        })
        .await;
    assert!(matches!(joined, ServerMsg::Joined { .. }), "{joined:?}");
    spec.wait_snapshot().await;
    let unjoined = Client::connect(url, "unjoined").await;
    let (_host_b, code_b) = host_game(url, 600, seed + 1).await;
    let other = join(url, &code_b, "Outsider", Faction::Liberals).await;

    host.ok(ClientRequest::StartGame).await;
    host.ok(ClientRequest::AdvancePhase).await; // negotiation
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
    let lib_token = lib.token.clone().unwrap();
    // The other game's host stays connected (dropped at the end).
    std::mem::forget(_host_b);
    Fixture {
        clients: vec![host, lib, sov, bol, spec, unjoined, other],
        code_a,
        lib_token,
    }
}

/// Every request kind, with game A's ids, and what each role gets.
fn rows(code_a: &str, lib_token: &str) -> Vec<(ClientRequest, Row)> {
    use ClientRequest as R;
    let m1 = MotionId(1);
    let m2 = MotionId(2);
    let p1 = PlayerId(1);
    let p2 = PlayerId(2);
    let in_game = no(AlreadyJoined);
    let host_only = [
        OK,
        no(Forbidden),
        no(Forbidden),
        no(Forbidden),
        no(Forbidden),
        no(NotJoined),
        no(Forbidden),
    ];
    let text = |t: &str| t.to_string();
    vec![
        (
            R::Hello {
                protocol_version: 1,
                client: None,
                catalog_on_request: false,
            },
            [in_game, in_game, in_game, in_game, in_game, OK, in_game],
        ),
        (
            R::CreateGame {
                scenario: None,
                preset: TimerPreset::Short,
                timers: None,
                faction_choice: FactionChoice::Choose,
                characters: false,
                seed: None,
            },
            [in_game, in_game, in_game, in_game, in_game, OK, in_game],
        ),
        (
            R::JoinGame {
                code: code_a.into(),
                name: "Newcomer".into(),
                faction: None,
            },
            [in_game, in_game, in_game, in_game, in_game, OK, in_game],
        ),
        (
            R::Spectate {
                code: code_a.into(),
                last_seq: None,
            },
            [in_game, in_game, in_game, in_game, in_game, OK, in_game],
        ),
        // Someone else's token works only for whoever holds it; a guessed
        // one does not.
        (
            R::Resume {
                token: format!("{code_a}.{}", "0".repeat(32)),
                last_seq: None,
            },
            [
                in_game,
                in_game,
                in_game,
                in_game,
                in_game,
                no(InvalidToken),
                in_game,
            ],
        ),
        (
            R::Resume {
                token: lib_token.into(),
                last_seq: None,
            },
            [in_game, in_game, in_game, in_game, in_game, OK, in_game],
        ),
        (
            R::StartGame,
            [
                no(AlreadyStarted),
                no(Forbidden),
                no(Forbidden),
                no(Forbidden),
                no(Forbidden),
                no(NotJoined),
                no(Forbidden),
            ],
        ),
        (R::AdvancePhase, host_only),
        (
            // Game B's player speaks in game B's lobby, never in A.
            R::Chat {
                channel: Channel::Floor,
                text: text("from the floor"),
            },
            [OK, OK, OK, OK, no(Forbidden), no(NotJoined), OK],
        ),
        (
            R::Chat {
                channel: Channel::Faction,
                text: text("to my faction"),
            },
            [no(Forbidden), OK, OK, OK, no(Forbidden), no(NotJoined), OK],
        ),
        (
            // p1 is the liberal in A, and the outsider themself in B.
            R::Chat {
                channel: Channel::Private { to: p1 },
                text: text("psst"),
            },
            [
                no(Forbidden),
                no(NoSuchPlayer),
                OK,
                OK,
                no(Forbidden),
                no(NotJoined),
                no(NoSuchPlayer),
            ],
        ),
        (
            R::TableMotion {
                motion: Motion::LandReform,
            },
            [
                no(Forbidden),
                no(WrongPhase),
                no(WrongPhase),
                no(WrongPhase),
                no(Forbidden),
                no(NotJoined),
                no(NotStarted),
            ],
        ),
        (
            R::WithdrawMotion { motion: m1 },
            [
                no(Forbidden),
                no(WrongPhase),
                no(WrongPhase),
                no(WrongPhase),
                no(Forbidden),
                no(NotJoined),
                no(NotStarted),
            ],
        ),
        (
            R::Vote {
                motion: m1,
                vote: Vote::Yes,
            },
            [
                no(Forbidden),
                OK,
                no(NotEligible),
                no(NotEligible),
                no(Forbidden),
                no(NotJoined),
                no(NotStarted),
            ],
        ),
        (
            R::Vote {
                motion: m2,
                vote: Vote::No,
            },
            [
                no(Forbidden),
                no(NotEligible),
                OK,
                OK,
                no(Forbidden),
                no(NotJoined),
                no(NotStarted),
            ],
        ),
        (
            R::PlanAction {
                action: Action::Agitate {
                    group: Group::Workers,
                },
            },
            [
                no(Forbidden),
                OK,
                OK,
                OK,
                no(Forbidden),
                no(NotJoined),
                no(NotStarted),
            ],
        ),
        (
            R::UnplanAction {
                action: ActionId(99),
            },
            [
                no(Forbidden),
                no(NoSuchAction),
                no(NoSuchAction),
                no(NoSuchAction),
                no(Forbidden),
                no(NotJoined),
                no(NotStarted),
            ],
        ),
        (R::GetState, [OK, OK, OK, OK, OK, no(NotJoined), OK]),
        (R::GetCatalog, [OK, OK, OK, OK, OK, no(NotJoined), OK]),
        (
            R::SetReady { ready: true },
            [
                no(Forbidden),
                OK,
                OK,
                OK,
                no(Forbidden),
                no(NotJoined),
                no(NotStarted),
            ],
        ),
        (
            R::SetTimers {
                preset: Some(TimerPreset::Short),
                timers: None,
            },
            host_only,
        ),
        (
            R::Pause {
                reason: Some(text("questions")),
            },
            host_only,
        ),
        (
            R::ResumeGame,
            [
                no(PreconditionFailed),
                no(Forbidden),
                no(Forbidden),
                no(Forbidden),
                no(Forbidden),
                no(NotJoined),
                no(Forbidden),
            ],
        ),
        (
            R::Extend {
                seconds: 60,
                reason: None,
            },
            host_only,
        ),
        (
            R::EndPhase {
                reason: Some(text("time")),
            },
            host_only,
        ),
        (
            R::Kick {
                player: p2,
                reason: None,
            },
            host_only,
        ),
        (
            R::MovePlayer {
                player: p2,
                faction: Faction::Bolsheviks,
                reason: None,
            },
            host_only,
        ),
        (R::EndGame { reason: None }, host_only),
        (
            // Game A was created without characters: even the host is
            // refused, after the role check.
            R::AssignCharacter {
                player: p2,
                character: text("Irakli Tsereteli"),
            },
            [
                no(PreconditionFailed),
                no(Forbidden),
                no(Forbidden),
                no(Forbidden),
                no(Forbidden),
                no(NotJoined),
                no(Forbidden),
            ],
        ),
        (
            R::InjectEvent {
                event: text("july_days"),
            },
            host_only,
        ),
        (
            R::Mute {
                player: p2,
                seconds: 60,
                reason: None,
            },
            host_only,
        ),
        (
            R::Redact {
                chat: 0,
                reason: None,
            },
            [
                no(PreconditionFailed),
                no(Forbidden),
                no(Forbidden),
                no(Forbidden),
                no(Forbidden),
                no(NotJoined),
                no(Forbidden),
            ],
        ),
        (R::SetReadyRule { enabled: false }, host_only),
        (
            R::Download {
                format: DownloadFormat::Log,
                faction: None,
            },
            host_only,
        ),
        (
            R::Download {
                format: DownloadFormat::Html,
                faction: Some(Faction::Liberals),
            },
            host_only,
        ),
        (R::DeleteGame, host_only),
        (R::Ping, [OK, OK, OK, OK, OK, OK, OK]),
    ]
}

fn outcome(answer: &ServerMsg) -> Option<ErrorCode> {
    match answer {
        ServerMsg::Error { code, .. } => Some(*code),
        _ => None,
    }
}

fn show(o: Option<ErrorCode>) -> String {
    o.map_or("ok".into(), |c| c.to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_request_as_every_role_gets_success_or_its_exact_error() {
    let server = TestServer::start();
    let url = server.ws_url();
    let probe = fixture(&url, 100).await;
    let n = rows(&probe.code_a, &probe.lib_token).len();
    drop(probe);
    let mut mismatches = Vec::new();
    let mut cells = 0;
    for row in 0..n {
        let mut fx = fixture(&url, 200 + row as u64).await;
        let (request, expected) = rows(&fx.code_a, &fx.lib_token).swap_remove(row);
        // The host last: its successes may end or empty the game.
        for role in [1, 2, 3, 4, 5, 6, 0] {
            let answer = fx.clients[role].request(request.clone()).await;
            cells += 1;
            let got = outcome(&answer);
            if got != expected[role] {
                mismatches.push(format!(
                    "{} as {}: expected {}, got {answer:?}",
                    request.kind(),
                    ROLES[role],
                    show(expected[role])
                ));
            }
        }
        // Nothing from the other game's player reached game A (which is
        // gone after `delete_game`).
        if request == ClientRequest::DeleteGame {
            continue;
        }
        let host = &mut fx.clients[0];
        host.drain().await;
        assert!(
            !host.saw(|e| matches!(e, GameEvent::Chat { from: Some(PlayerId(p)), .. } if *p > 3)),
            "a message from outside game A reached it"
        );
    }
    assert!(
        mismatches.is_empty(),
        "{} of {cells} cells differ:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
    assert_eq!(cells, n * ROLES.len());
}

/// What each role may see: after a round with chat on every channel, votes
/// and plans, each client's received events fall inside its audience.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_role_receives_what_it_may_not_see() {
    let server = TestServer::start();
    let url = server.ws_url();
    let mut fx = fixture(&url, 300).await;
    let [host, lib, sov, bol, spec, _, other] = &mut fx.clients[..] else {
        unreachable!()
    };
    lib.ok(ClientRequest::Chat {
        channel: Channel::Faction,
        text: "liberal secret".into(),
    })
    .await;
    bol.ok(ClientRequest::Chat {
        channel: Channel::Faction,
        text: "bolshevik secret".into(),
    })
    .await;
    sov.ok(ClientRequest::Chat {
        channel: Channel::Private { to: PlayerId(3) },
        text: "to Lenin only".into(),
    })
    .await;
    lib.ok(ClientRequest::Vote {
        motion: MotionId(1),
        vote: Vote::Yes,
    })
    .await;
    bol.ok(ClientRequest::PlanAction {
        action: Action::Agitate {
            group: Group::Soldiers,
        },
    })
    .await;
    host.ok(ClientRequest::AdvancePhase).await;
    for c in [
        &mut *host,
        &mut *lib,
        &mut *sov,
        &mut *bol,
        &mut *spec,
        &mut *other,
    ] {
        c.drain().await;
    }
    let texts = |c: &Client| -> Vec<String> {
        c.events
            .iter()
            .filter_map(|(_, e)| match e {
                GameEvent::Chat { text, .. } => Some(text.clone()),
                _ => None,
            })
            .collect()
    };
    assert!(
        texts(host).contains(&"liberal secret".to_string()),
        "the host sees every channel"
    );
    assert!(texts(host).contains(&"to Lenin only".to_string()));
    assert!(texts(lib).contains(&"liberal secret".to_string()));
    for c in [&*sov, &*bol, &*spec, &*other] {
        assert!(
            !texts(c).contains(&"liberal secret".to_string()),
            "{} saw the liberals' channel",
            c.name
        );
    }
    for c in [&*lib, &*sov, &*spec, &*other] {
        assert!(
            !texts(c).contains(&"bolshevik secret".to_string()),
            "{} saw the Bolsheviks' channel",
            c.name
        );
    }
    assert!(texts(bol).contains(&"to Lenin only".to_string()));
    for c in [&*lib, &*spec, &*other] {
        assert!(
            !texts(c).contains(&"to Lenin only".to_string()),
            "{} saw a private message",
            c.name
        );
    }
    // Open ballots: only one's own faction's (Milyukov is the one liberal);
    // plans: only one's own faction's (and the host's).
    for c in [&*sov, &*bol, &*spec] {
        assert!(
            !c.saw(|e| matches!(e, GameEvent::VoteCast { .. })),
            "{} saw a ballot",
            c.name
        );
    }
    for c in [&*lib, &*sov, &*spec] {
        assert!(
            !c.saw(|e| matches!(e, GameEvent::ActionPlanned { .. })),
            "{} saw another plan",
            c.name
        );
        assert!(
            !c.saw(|e| matches!(e, GameEvent::HiddenChanged { .. })),
            "{} saw hidden tracks",
            c.name
        );
    }
    assert!(
        other
            .events
            .iter()
            .all(|(_, e)| !matches!(e, GameEvent::MotionTabled { .. })),
        "game B saw game A"
    );
    // Snapshots too: a player sees only their own faction's secrets.
    for (c, f) in [
        (&mut *lib, Faction::Liberals),
        (&mut *bol, Faction::Bolsheviks),
    ] {
        let view = c.get_state().await;
        assert_eq!(
            view.factions.iter().map(|s| s.faction).collect::<Vec<_>>(),
            vec![f]
        );
        assert!(view.hidden.is_none());
        assert!(view.motions.iter().all(|m| m.ballots.is_empty()));
    }
}

/// A faction caucuses: while a vote is open its players see one another's
/// ballots (live, in a snapshot, and replayed on resumption); another
/// faction and the projector do not, until the roll call at the close.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_faction_sees_its_own_members_open_ballots_and_no_one_elses() {
    let server = TestServer::start();
    let url = server.ws_url();
    let (mut host, code) = host_game(&url, 600, 400).await;
    let mut lenin = join(&url, &code, "Lenin", Faction::Bolsheviks).await;
    let mut trotsky = join(&url, &code, "Trotsky", Faction::Bolsheviks).await;
    let mut chkheidze = join(&url, &code, "Chkheidze", Faction::Soviet).await;
    let mut milyukov = join(&url, &code, "Milyukov", Faction::Liberals).await;
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
    host.ok(ClientRequest::AdvancePhase).await; // negotiation
    host.ok(ClientRequest::AdvancePhase).await; // proposals
    lenin
        .ok(ClientRequest::TableMotion {
            motion: Motion::ArmWorkers,
        })
        .await;
    host.ok(ClientRequest::AdvancePhase).await; // voting
    let m = MotionId(1);
    for (c, vote) in [
        (&mut lenin, Vote::Yes),
        (&mut chkheidze, Vote::No),
        (&mut trotsky, Vote::No),
    ] {
        c.ok(ClientRequest::Vote { motion: m, vote }).await;
    }
    let lenin_id = lenin.viewer.map(|v| match v {
        Viewer::Player { id, .. } => id,
        _ => unreachable!(),
    });
    let ballots_seen = |c: &Client| -> Vec<String> {
        c.events
            .iter()
            .filter_map(|(_, e)| match e {
                GameEvent::VoteCast { player, vote, .. } => Some(format!("{player} {vote:?}")),
                _ => None,
            })
            .collect()
    };
    let in_view = |v: &GameView| -> Vec<String> {
        v.motions[0]
            .ballots
            .iter()
            .map(|b| format!("{} {:?}", b.player, b.vote))
            .collect()
    };
    // Live: Lenin sees Trotsky's ballot and his own, not Chkheidze's.
    lenin.drain().await;
    trotsky.drain().await;
    let bolsheviks = vec!["p1 Yes".to_string(), "p2 No".to_string()];
    assert_eq!(ballots_seen(&lenin), bolsheviks);
    assert_eq!(ballots_seen(&trotsky), bolsheviks);
    // In a snapshot: the same.
    assert_eq!(in_view(&lenin.get_state().await), bolsheviks);
    assert_eq!(in_view(&trotsky.get_state().await), bolsheviks);
    // Chkheidze only his own; the liberal and the projector none.
    chkheidze.drain().await;
    assert_eq!(ballots_seen(&chkheidze), vec!["p3 No".to_string()]);
    assert_eq!(in_view(&chkheidze.get_state().await), vec!["p3 No"]);
    for c in [&mut milyukov, &mut spec] {
        c.drain().await;
        assert!(ballots_seen(c).is_empty(), "{} saw a ballot", c.name);
        assert!(in_view(&c.get_state().await).is_empty());
    }
    // Replayed on resumption: Trotsky's stream has Lenin's ballot, the
    // liberal's does not.
    for (c, expected) in [(&trotsky, bolsheviks.clone()), (&milyukov, vec![])] {
        let mut again = Client::connect(&url, &format!("{} again", c.name)).await;
        let answer = again
            .request(ClientRequest::Resume {
                token: c.token.clone().unwrap(),
                last_seq: Some(0),
            })
            .await;
        assert!(matches!(answer, ServerMsg::Joined { .. }), "{answer:?}");
        again.drain().await;
        assert_eq!(ballots_seen(&again), expected, "{} replayed", c.name);
    }
    // At the close, everyone sees the roll call, Lenin's ballot included
    // (Milyukov's first connection gave way to his resumed one).
    host.ok(ClientRequest::AdvancePhase).await; // resolution
    for c in [&mut chkheidze, &mut spec] {
        let closed = c
            .wait_for(|e| matches!(e, GameEvent::VotesClosed { .. }))
            .await;
        let GameEvent::VotesClosed { results } = closed else {
            unreachable!()
        };
        assert!(
            results[0]
                .tally
                .roll_call
                .iter()
                .any(|r| Some(r.player) == lenin_id && r.vote == Vote::Yes),
            "{}: {results:?}",
            c.name
        );
    }
}
