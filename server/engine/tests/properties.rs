//! Property tests: random, mostly legal command sequences over random seeds.
//!
//! After every command: each group's support sums to 100, every track stays
//! in 0..=100, the Soviet's 100 seats are split between soviet and
//! bolsheviks only, order is 100 minus the mean unrest, and a refused
//! command left the state unchanged. At the end: folding the emitted
//! events from the seed rebuilds exactly the live state.

mod common;

use common::*;
use engine::{Command, Game, Speaker};
use proptest::prelude::*;
use protocol::*;

/// One step, with indices resolved against the state when it runs.
#[derive(Debug, Clone)]
enum Op {
    Advance,
    Tick(u64),
    Table {
        who: usize,
        motion: usize,
        round: u8,
    },
    Withdraw {
        who: usize,
        pick: usize,
    },
    Vote {
        who: usize,
        pick: usize,
        vote: u8,
    },
    Plan {
        who: usize,
        action: usize,
        group: usize,
    },
    Unplan {
        who: usize,
        pick: usize,
    },
    Chat {
        who: usize,
        channel: u8,
    },
    InjectEvent(usize),
    Timers(u32),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => Just(Op::Advance),
        1 => (0u64..200_000).prop_map(Op::Tick),
        12 => (0usize..5, 0usize..25, 0u8..12)
            .prop_map(|(who, motion, round)| Op::Table { who, motion, round }),
        1 => (0usize..5, 0usize..8).prop_map(|(who, pick)| Op::Withdraw { who, pick }),
        12 => (0usize..5, 0usize..8, 0u8..3).prop_map(|(who, pick, vote)| Op::Vote { who, pick, vote }),
        7 => (0usize..5, 0usize..7, 0usize..4)
            .prop_map(|(who, action, group)| Op::Plan { who, action, group }),
        1 => (0usize..5, 0usize..8).prop_map(|(who, pick)| Op::Unplan { who, pick }),
        1 => (0usize..5, 0u8..3).prop_map(|(who, channel)| Op::Chat { who, channel }),
        1 => (0usize..10).prop_map(Op::InjectEvent),
        1 => (30u32..300).prop_map(Op::Timers),
    ]
}

/// Five players: two liberals, a soviet delegate, two Bolsheviks.
const FACTIONS: [Faction; 5] = [
    Faction::Liberals,
    Faction::Soviet,
    Faction::Bolsheviks,
    Faction::Liberals,
    Faction::Bolsheviks,
];

fn command(t: &Table, op: &Op) -> Command {
    let s = t.state();
    let pid = |who: usize| PlayerId(who as u32 + 1);
    let now = t.now;
    match *op {
        Op::Advance => Command::Advance { now_ms: now },
        Op::Timers(secs) => Command::SetTimers {
            timers: PhaseTimers {
                briefing: secs,
                negotiation: secs,
                proposals: secs,
                voting: secs,
                resolution: secs,
            },
        },
        Op::Tick(dt) => Command::Tick { now_ms: now + dt },
        Op::Table { who, motion, round } => {
            let motion = match Motion::CATALOG.get(motion).copied() {
                Some(Motion::ScheduleElections { .. }) => Motion::ScheduleElections { round },
                Some(m) => m,
                None => Motion::Unknown,
            };
            Command::Table {
                player: pid(who),
                motion,
            }
        }
        Op::Withdraw { who, pick } | Op::Vote { who, pick, .. } => {
            let ids: Vec<MotionId> = s.round_motions().map(|m| m.id).collect();
            let motion = ids.get(pick).copied().unwrap_or(MotionId(pick as u32 + 1));
            if let Op::Vote { vote, .. } = *op {
                let vote = [Vote::Yes, Vote::No, Vote::Abstain][usize::from(vote)];
                Command::Vote {
                    player: pid(who),
                    motion,
                    vote,
                }
            } else {
                Command::Withdraw {
                    player: pid(who),
                    motion,
                }
            }
        }
        Op::Plan { who, action, group } => {
            let action = match Action::CATALOG.get(action).copied() {
                Some(Action::Agitate { .. }) => Action::Agitate {
                    group: Group::ALL[group],
                },
                Some(a) => a,
                None => Action::Unknown,
            };
            Command::Plan {
                player: pid(who),
                action,
            }
        }
        Op::Unplan { who, pick } => {
            let f = FACTIONS[who];
            let ids: Vec<ActionId> = s.factions[f].plan.iter().map(|a| a.id).collect();
            Command::Unplan {
                player: pid(who),
                action: ids.get(pick).copied().unwrap_or(ActionId(999)),
            }
        }
        Op::Chat { who, channel } => Command::Chat {
            from: Speaker::Player(pid(who)),
            channel: match channel {
                0 => Channel::Floor,
                1 => Channel::Faction,
                _ => Channel::Private {
                    to: pid((who + 1) % 5),
                },
            },
            text: "hello".into(),
        },
        Op::InjectEvent(i) => Command::InjectEvent {
            event: t
                .scenario
                .events
                .get(i)
                .map_or("no_such_event".into(), |e| e.id.clone()),
        },
    }
}

fn check_invariants(s: &engine::State) -> Result<(), TestCaseError> {
    let p = &s.public;
    for (g, gs) in &p.groups {
        let sum: u32 = Faction::ALL.iter().map(|f| u32::from(gs.support[*f])).sum();
        prop_assert_eq!(sum, 100, "{:?} support {:?}", g, gs.support);
        prop_assert!(gs.unrest <= 100);
    }
    let t = &p.tracks;
    for v in [
        t.gov_legitimacy,
        t.soviet_legitimacy,
        t.war_weariness,
        t.bread,
        t.order,
        s.hidden.reaction,
        s.hidden.red_guards,
        s.hidden.loyal_troops,
    ] {
        prop_assert!(v <= 100, "a track out of range: {:?} {:?}", t, s.hidden);
    }
    prop_assert_eq!(p.soviet_seats.liberals, 0);
    prop_assert_eq!(
        u32::from(p.soviet_seats.soviet) + u32::from(p.soviet_seats.bolsheviks),
        100
    );
    let mean = p.groups.values().map(|g| f64::from(g.unrest)).sum::<f64>() / 4.0;
    prop_assert!((f64::from(t.order) - (100.0 - mean)).abs() <= 0.5 + 1e-9);
    Ok(())
}

fn run(seed: u64, ops: &[Op]) -> Result<(), TestCaseError> {
    let mut t = Table::with_players(scenario(), seed, &FACTIONS);
    for op in ops {
        if t.ended() {
            break;
        }
        t.now += 500;
        let c = command(&t, op);
        let before = t.state().clone();
        match t.game.handle(&c) {
            Ok(_) => {
                t.exec(c);
            }
            Err(r) => {
                let again = t.game.execute(c);
                prop_assert_eq!(again, Err(r));
                prop_assert!(*t.state() == before, "a refusal changed the state");
            }
        }
        check_invariants(t.state())?;
    }
    let replayed: Game = t.replayed();
    prop_assert!(
        replayed.state() == t.state(),
        "the replay differs from the live game"
    );
    prop_assert_eq!(replayed.state().hash(), t.state().hash());
    // The server's rewind (from the current settings) rebuilds it too.
    let rewound = t.game.rewound(t.log.iter().map(|e| &e.event));
    prop_assert!(
        rewound.state() == t.state(),
        "the rewind differs from the live game"
    );
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn random_games_keep_the_invariants_and_replay_exactly(
        seed in any::<u64>(),
        ops in proptest::collection::vec(op(), 100..400),
    ) {
        run(seed, &ops)?;
    }
}

/// Whole games to their end, always advancing: every ending path keeps the
/// invariants and replays.
#[test]
fn games_played_to_the_end_replay_exactly() {
    for seed in 0..20u64 {
        let mut t = Table::with_players(scenario(), seed, &FACTIONS);
        let mut round = 0;
        while !t.ended() {
            if t.round() != round {
                round = t.round();
                t.goto(Phase::Proposals);
                let m = Motion::CATALOG[(seed as usize + usize::from(round)) % 14];
                let _ = t.try_exec(Command::Table {
                    player: PlayerId(1),
                    motion: m,
                });
                t.goto(Phase::Voting);
                let ids: Vec<MotionId> = t.state().round_motions().map(|m| m.id).collect();
                for id in ids {
                    t.all_vote(id, Vote::Yes);
                }
                let _ = t.try_exec(Command::Plan {
                    player: PlayerId(3),
                    action: Action::Organize,
                });
            }
            t.advance();
            check_invariants(t.state()).unwrap();
        }
        assert!(t.replayed().state() == t.state(), "seed {seed}");
    }
}
