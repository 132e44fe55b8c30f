//! Property: whatever the players and the host do (including moving,
//! removing and muting players and hiding messages), no connection ever
//! receives an event outside what its role may see at that moment, live or
//! replayed on resumption; and the replay is the live stream, seq by seq.
//!
//! "May see" is judged here from each event's *content* (whose channel,
//! whose ballot, whose plan), independently of the server's own audience
//! tags, so a wrong tag would be caught too.

use proptest::prelude::*;
use protocol::*;
use std::sync::OnceLock;
use tests::*;

#[derive(Debug, Clone)]
enum Step {
    Floor(usize),
    FactionChat(usize),
    Private(usize, u32),
    Table(usize, usize),
    Vote(usize, u32, u8),
    Plan(usize, usize, usize),
    Unplan(usize, u32),
    Ready(usize),
    Advance,
    Move(usize, usize),
    Kick(usize),
    Mute(usize),
    Redact(u64),
}

fn step() -> impl Strategy<Value = Step> {
    let who = 0usize..5;
    prop_oneof![
        who.clone().prop_map(Step::Floor),
        who.clone().prop_map(Step::FactionChat),
        (who.clone(), 1u32..6).prop_map(|(a, b)| Step::Private(a, b)),
        (who.clone(), 0usize..Motion::CATALOG.len()).prop_map(|(a, b)| Step::Table(a, b)),
        (who.clone(), 1u32..8, 0u8..3).prop_map(|(a, b, c)| Step::Vote(a, b, c)),
        (who.clone(), 0usize..Action::CATALOG.len(), 0usize..4)
            .prop_map(|(a, b, c)| Step::Plan(a, b, c)),
        (who.clone(), 1u32..6).prop_map(|(a, b)| Step::Unplan(a, b)),
        who.clone().prop_map(Step::Ready),
        Just(Step::Advance),
        Just(Step::Advance),
        (who, 0usize..3).prop_map(|(a, f)| Step::Move(a, f)),
        (0usize..5).prop_map(Step::Kick),
        (0usize..5).prop_map(Step::Mute),
        (1u64..40).prop_map(Step::Redact),
    ]
}

/// The players' factions as the test set them (in join order, ids 1..),
/// then as each stream's moves change them.
const FACTIONS: [Faction; 5] = [
    Faction::Liberals,
    Faction::Soviet,
    Faction::Bolsheviks,
    Faction::Bolsheviks,
    Faction::Soviet,
];

/// Who plays for which faction, followed along one stream.
#[derive(Debug, Clone)]
struct Seats(std::collections::HashMap<PlayerId, Faction>);

impl Seats {
    fn new() -> Seats {
        Seats(
            FACTIONS
                .iter()
                .enumerate()
                .map(|(i, f)| (PlayerId(i as u32 + 1), *f))
                .collect(),
        )
    }

    /// Take a move into account (every stream receives the moves).
    fn after(&mut self, e: &GameEvent) {
        if let GameEvent::PlayerMoved {
            player, faction, ..
        } = e
        {
            self.0.insert(*player, *faction);
        }
    }
}

/// Whether `viewer` may receive `event`, from its content alone (and who
/// plays for which faction when it happens).
fn may_see(viewer: Viewer, seats: &Seats, event: &GameEvent) -> bool {
    let (me, mine) = match viewer {
        Viewer::Host => return true,
        Viewer::Spectator => (None, None),
        Viewer::Player { id, faction } => (Some(id), Some(faction)),
    };
    match event {
        GameEvent::Chat { scope, from, .. } => match scope {
            ChatScope::Floor | ChatScope::Announcement => true,
            ChatScope::Faction { faction } => mine == Some(*faction),
            ChatScope::Private { to } => me.is_some() && (me == Some(*to) || me == *from),
        },
        // A faction sees its own members' open ballots, no one else's.
        GameEvent::VoteCast { player, .. } => {
            mine.is_some() && seats.0.get(player).copied() == mine
        }
        GameEvent::ActionPlanned { faction, .. }
        | GameEvent::ActionUnplanned { faction, .. }
        | GameEvent::IncomeReceived { faction, .. } => mine == Some(*faction),
        GameEvent::HiddenChanged { .. } => false,
        GameEvent::CharacterAssigned { player, .. } => me == Some(*player),
        GameEvent::Briefing { player, .. } => me == Some(*player),
        _ => true,
    }
}

fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap()
    })
}

fn server() -> &'static TestServer {
    static SERVER: OnceLock<TestServer> = OnceLock::new();
    SERVER.get_or_init(TestServer::start)
}

async fn play(seed: u64, steps: Vec<Step>) -> Result<(), TestCaseError> {
    let url = server().ws_url();
    let (mut host, code) = host_game(&url, 600, seed).await;
    let mut players = Vec::new();
    for (i, f) in FACTIONS.iter().enumerate() {
        players.push(join(&url, &code, &format!("P{i}"), *f).await);
    }
    let mut spec = Client::connect(&url, "spectator").await;
    let joined = spec
        .request(ClientRequest::Spectate {
            code: code.clone(),
            last_seq: None,
        })
        .await;
    let ok = matches!(joined, ServerMsg::Joined { .. });
    prop_assert!(ok, "spectate: {:?}", joined);
    spec.wait_snapshot().await;
    host.ok(ClientRequest::StartGame).await;

    for (n, s) in steps.into_iter().enumerate() {
        let (who, request) = match s {
            Step::Floor(w) => (
                Some(w),
                ClientRequest::Chat {
                    channel: Channel::Floor,
                    text: format!("floor {n}"),
                },
            ),
            Step::FactionChat(w) => (
                Some(w),
                ClientRequest::Chat {
                    channel: Channel::Faction,
                    text: format!("faction {n}"),
                },
            ),
            Step::Private(w, to) => (
                Some(w),
                ClientRequest::Chat {
                    channel: Channel::Private { to: PlayerId(to) },
                    text: format!("private {n}"),
                },
            ),
            Step::Table(w, m) => {
                let motion = match Motion::CATALOG[m] {
                    Motion::ScheduleElections { .. } => Motion::ScheduleElections { round: 6 },
                    other => other,
                };
                (Some(w), ClientRequest::TableMotion { motion })
            }
            Step::Vote(w, m, v) => (
                Some(w),
                ClientRequest::Vote {
                    motion: MotionId(m),
                    vote: [Vote::Yes, Vote::No, Vote::Abstain][v as usize],
                },
            ),
            Step::Plan(w, a, g) => {
                let action = match Action::CATALOG[a] {
                    Action::Agitate { .. } => Action::Agitate {
                        group: Group::ALL[g],
                    },
                    other => other,
                };
                (Some(w), ClientRequest::PlanAction { action })
            }
            Step::Unplan(w, a) => (
                Some(w),
                ClientRequest::UnplanAction {
                    action: ActionId(a),
                },
            ),
            Step::Ready(w) => (Some(w), ClientRequest::SetReady { ready: true }),
            Step::Advance => (None, ClientRequest::AdvancePhase),
            Step::Move(w, f) => (
                None,
                ClientRequest::MovePlayer {
                    player: PlayerId(w as u32 + 1),
                    faction: Faction::ALL[f],
                    reason: None,
                },
            ),
            // Removing a player is rare in a class: only the last one.
            Step::Kick(w) if w == 4 => (
                None,
                ClientRequest::Kick {
                    player: PlayerId(w as u32 + 1),
                    reason: None,
                },
            ),
            Step::Kick(_) => (None, ClientRequest::Ping),
            Step::Mute(w) => (
                None,
                ClientRequest::Mute {
                    player: PlayerId(w as u32 + 1),
                    seconds: 1,
                    reason: None,
                },
            ),
            Step::Redact(chat) => (None, ClientRequest::Redact { chat, reason: None }),
        };
        // Refusals are fine (wrong phase, not eligible…); only what is
        // received matters.
        match who {
            Some(w) if players[w].closed => {} // removed by the host
            Some(w) => {
                players[w].request(request).await;
            }
            None => {
                let kick = matches!(request, ClientRequest::Kick { .. });
                host.request(request).await;
                if kick {
                    // Its connection ends with the news of its removal.
                    while players[4].next().await.is_some() {}
                }
            }
        }
    }

    host.drain().await;
    spec.drain().await;
    let mut all = vec![host, spec];
    for mut p in players {
        if !p.closed {
            p.drain().await;
        }
        all.push(p);
    }
    for c in &all {
        let mut viewer = c.viewer.expect("joined");
        let mut seats = Seats::new();
        for (seq, e) in &c.events {
            viewer = viewer_after(viewer, e);
            seats.after(e);
            prop_assert!(
                may_see(viewer, &seats, e),
                "{} (as {viewer:?}) received #{seq} {e:?}",
                c.name
            );
        }
    }
    // Replayed on resumption: exactly the live stream (a message the host
    // hid since comes without its text).
    for c in all.iter().skip(2) {
        let me = match c.viewer {
            Some(Viewer::Player { id, .. }) => Some(id),
            _ => None,
        };
        let kicked = c.events.iter().any(
            |(_, e)| matches!(e, GameEvent::PlayerKicked { player, .. } if Some(*player) == me),
        );
        let mut again = Client::connect(&url, &format!("{} again", c.name)).await;
        let answer = again
            .request(ClientRequest::Resume {
                token: c.token.clone().unwrap(),
                last_seq: Some(0),
            })
            .await;
        if kicked {
            let refused = matches!(answer, ServerMsg::Error { .. });
            prop_assert!(refused, "a removed player cannot come back: {:?}", answer);
            continue;
        }
        let ok = matches!(answer, ServerMsg::Joined { .. });
        prop_assert!(ok, "resume: {:?}", answer);
        again.drain().await;
        // The live client joined mid-stream (its snapshot covered the
        // first events); from there on, seq by seq, the same events.
        let replay: std::collections::BTreeMap<u64, &GameEvent> =
            again.events.iter().map(|(s, e)| (*s, e)).collect();
        prop_assert_eq!(
            replay.keys().next().copied(),
            Some(1),
            "a replay from 0 starts at 1"
        );
        for (seq, e) in &c.events {
            let replayed = replay.get(seq).map(|r| unredacted(r, e));
            prop_assert_eq!(
                Some(e),
                replayed.as_ref(),
                "{}: #{} differs on replay",
                c.name,
                seq
            );
        }
        let mut viewer = c.viewer.unwrap();
        let mut seats = Seats::new();
        for e in replay.values() {
            viewer = viewer_after(viewer, e);
            seats.after(e);
            prop_assert!(may_see(viewer, &seats, e), "{} replayed {:?}", c.name, e);
        }
    }
    Ok(())
}

/// A player's viewer after an event about them (moved to a faction).
fn viewer_after(viewer: Viewer, e: &GameEvent) -> Viewer {
    match (viewer, e) {
        (
            Viewer::Player { id, .. },
            GameEvent::PlayerMoved {
                player, faction, ..
            },
        ) if *player == id => Viewer::Player {
            id,
            faction: *faction,
        },
        _ => viewer,
    }
}

/// The replayed event, with the live text back if the host hid it since.
fn unredacted(replayed: &GameEvent, live: &GameEvent) -> GameEvent {
    match (replayed, live) {
        (
            GameEvent::Chat {
                id,
                scope,
                from,
                text,
            },
            GameEvent::Chat {
                id: live_id,
                text: live_text,
                ..
            },
        ) if id == live_id && text == "[removed by the host]" => GameEvent::Chat {
            id: *id,
            scope: *scope,
            from: *from,
            text: live_text.clone(),
        },
        _ => replayed.clone(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 8, max_shrink_iters: 20, ..ProptestConfig::default() })]

    #[test]
    fn no_connection_receives_an_event_outside_its_audience(
        seed in 0u64..1000,
        steps in proptest::collection::vec(step(), 20..70),
    ) {
        runtime().block_on(play(seed, steps))?;
    }
}
