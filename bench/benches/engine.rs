//! A whole game through the rules engine: 6 players, 8 rounds (or until an
//! ending), with motions, votes and actions every round. Goal: under 1 ms.

use criterion::{criterion_group, criterion_main, Criterion};
use engine::{Command, Game, Scenario, Speaker};
use protocol::*;
use std::sync::Arc;

fn settings() -> GameSettings {
    GameSettings {
        scenario: "petrograd-1917".into(),
        timers: PhaseTimers {
            briefing: 60,
            negotiation: 60,
            proposals: 60,
            voting: 60,
            resolution: 60,
        },
        faction_choice: FactionChoice::Choose,
        characters: false,
    }
}

/// Play one game to its end; returns the number of events.
pub fn whole_game(scenario: &Arc<Scenario>, seed: u64) -> usize {
    let mut g = Game::new(scenario.clone(), settings(), seed, "BENCH".into());
    let mut events = 0;
    let mut run = |g: &mut Game, c: Command| {
        if let Ok(e) = g.execute(c) {
            events += e.len();
        }
    };
    for (i, f) in [Faction::Liberals, Faction::Soviet, Faction::Bolsheviks]
        .iter()
        .cycle()
        .take(6)
        .enumerate()
    {
        run(
            &mut g,
            Command::Join {
                name: format!("p{i}"),
                faction: Some(*f),
            },
        );
    }
    let mut now = 1_000_000u64;
    run(&mut g, Command::Start { now_ms: now });
    let plays: [(u32, Motion); 6] = [
        (1, Motion::CivilLiberties),
        (2, Motion::OrderNo1),
        (1, Motion::LandReform),
        (2, Motion::PeaceAppeal),
        (3, Motion::WorkersControl),
        (3, Motion::ArmWorkers),
    ];
    for _ in 0..60 {
        if g.state().status == GameStatus::Ended {
            break;
        }
        match g.state().phase {
            Some(Phase::Negotiation) => {
                run(
                    &mut g,
                    Command::Chat {
                        from: Speaker::Player(PlayerId(1)),
                        channel: Channel::Floor,
                        text: "Order!".into(),
                    },
                );
            }
            Some(Phase::Proposals) => {
                for (p, m) in plays {
                    run(
                        &mut g,
                        Command::Table {
                            player: PlayerId(p),
                            motion: m,
                        },
                    );
                }
            }
            Some(Phase::Voting) => {
                let open: Vec<MotionId> = g.state().round_motions().map(|m| m.id).collect();
                for m in open {
                    for p in 1..=6 {
                        run(
                            &mut g,
                            Command::Vote {
                                player: PlayerId(p),
                                motion: m,
                                vote: if p % 3 == 0 { Vote::No } else { Vote::Yes },
                            },
                        );
                    }
                }
                for p in 1..=3 {
                    run(
                        &mut g,
                        Command::Plan {
                            player: PlayerId(p),
                            action: Action::Agitate {
                                group: Group::Workers,
                            },
                        },
                    );
                }
            }
            _ => {}
        }
        now += 1000;
        run(
            &mut g,
            Command::EndPhase {
                now_ms: now,
                reason: None,
            },
        );
    }
    assert_eq!(g.state().status, GameStatus::Ended, "the game ends");
    events
}

fn bench(c: &mut Criterion) {
    let scenario = Arc::new(Scenario::default_scenario());
    let mut seed = 0;
    c.bench_function("engine: a whole 8-round game", |b| {
        b.iter(|| {
            seed += 1;
            whole_game(&scenario, seed)
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
