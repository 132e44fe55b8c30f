//! Self-play in-process: a game of the engine with bots on every seat,
//! each deciding from its own player's view, phases moved on as soon as
//! every bot has acted. No network, no clock: fast enough for thousands of
//! games.

use crate::brain::{Bot, Costs, Strategy, Temperament};
use engine::{Command, Game, Scenario};
use protocol::*;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::BTreeSet;
use std::sync::Arc;

/// Who plays: the strategy mixes the balance tool measures the scenario
/// under (docs/BALANCE.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Mix {
    /// The default bots: goals, half of them bold, half cautious.
    Bots,
    /// Every bot cautious.
    Cautious,
    /// Every bot bold.
    Aggressive,
    /// One faction follows the historical line of 1917; the others are the
    /// default bots.
    Historical(Faction),
    /// Every seat plays any legal move at random.
    Random,
}

impl Mix {
    pub const ALL: [Mix; 7] = [
        Mix::Bots,
        Mix::Cautious,
        Mix::Aggressive,
        Mix::Historical(Faction::Liberals),
        Mix::Historical(Faction::Soviet),
        Mix::Historical(Faction::Bolsheviks),
        Mix::Random,
    ];

    pub fn id(self) -> String {
        match self {
            Mix::Bots => "bots".into(),
            Mix::Cautious => "cautious".into(),
            Mix::Aggressive => "aggressive".into(),
            Mix::Historical(f) => format!("historical-{}", f.id()),
            Mix::Random => "random".into(),
        }
    }

    pub fn parse(s: &str) -> Option<Mix> {
        Mix::ALL.into_iter().find(|m| m.id() == s)
    }

    /// The mixes of goal-directed bots, for which the balance goals must
    /// hold (the historical and random mixes are measured and explained).
    pub fn is_bot_mix(self) -> bool {
        matches!(self, Mix::Bots | Mix::Cautious | Mix::Aggressive)
    }

    /// How a seat of `faction` plays, given the temperament the seed drew.
    fn seat(self, faction: Faction, drawn: Temperament) -> (Strategy, Temperament) {
        match self {
            Mix::Bots => (Strategy::Goals, drawn),
            Mix::Cautious => (Strategy::Goals, Temperament::Cautious),
            Mix::Aggressive => (Strategy::Goals, Temperament::Bold),
            Mix::Historical(f) if f == faction => (Strategy::Historical, drawn),
            Mix::Historical(_) => (Strategy::Goals, drawn),
            Mix::Random => (Strategy::Random, drawn),
        }
    }
}

/// How a request from a bot's player becomes an engine command: the
/// engine's one mapping, with the same checks as the server's rooms apply
/// to people and bots (role, mute, text, limits).
pub fn command_for(
    game: &Game,
    player: PlayerId,
    request: &ClientRequest,
    now_ms: u64,
) -> Option<Command> {
    engine::request::command_for(
        game,
        engine::request::Member::Player(player),
        request,
        &engine::request::RequestLimits::default(),
        now_ms,
    )
    .ok()
    .flatten()
}

/// The result of one self-played game.
#[derive(Debug, Clone)]
pub struct Played {
    pub outcome: Outcome,
    /// The public state at the end of each round's resolution.
    pub history: Vec<PublicState>,
    /// Requests the bots made, and how many the engine refused.
    pub requests: u64,
    pub refused: u64,
    /// A digest of the final state (same seed, same game).
    pub hash: u64,
    /// Motions tabled (accepted by the rules) in this game, by id.
    pub tabled: BTreeSet<&'static str>,
    /// Actions planned (accepted by the rules) in this game, by id.
    pub planned: BTreeSet<&'static str>,
}

/// How many players each faction gets: 1 to 3 each, drawn from the seed.
pub fn seats(seed: u64) -> [usize; 3] {
    let mut rng = ChaCha8Rng::seed_from_u64(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    [
        rng.random_range(1..=3),
        rng.random_range(1..=3),
        rng.random_range(1..=3),
    ]
}

pub fn costs_of(scenario: &Scenario) -> Costs {
    Costs {
        agitate: scenario.actions.agitate.cost,
        press_campaign: scenario.actions.press_campaign.cost,
        organize: scenario.actions.organize.cost,
        relief: scenario.actions.relief.cost,
        suppress: scenario.actions.suppress.cost,
        seize_power: scenario.actions.seize_power.cost,
    }
}

/// Play one game with the default bots on every seat.
pub fn play(scenario: &Arc<Scenario>, seed: u64) -> Played {
    play_mix(scenario, seed, Mix::Bots)
}

/// Play one game with bots of a strategy mix on every seat.
pub fn play_mix(scenario: &Arc<Scenario>, seed: u64, mix: Mix) -> Played {
    let settings = GameSettings {
        scenario: scenario.id.clone(),
        timers: scenario.timers,
        faction_choice: FactionChoice::Choose,
        characters: false,
    };
    let mut game = Game::new(scenario.clone(), settings, seed, "SELF".into());
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let costs = costs_of(scenario);
    let mut bots: Vec<Bot> = Vec::new();
    for (f, n) in Faction::ALL.iter().zip(seats(seed)) {
        for _ in 0..n {
            let events = game
                .execute(Command::AddBot { faction: Some(*f) })
                .expect("a bot joins");
            let id = events
                .iter()
                .find_map(|e| match &e.event {
                    GameEvent::PlayerJoined { player } => Some(player.id),
                    _ => None,
                })
                .expect("a joined event");
            let temperament = if rng.random_bool(0.5) {
                Temperament::Bold
            } else {
                Temperament::Cautious
            };
            let (strategy, temperament) = mix.seat(*f, temperament);
            bots.push(
                Bot::new(id, temperament, seed)
                    .with_costs(costs)
                    .with_strategy(strategy),
            );
        }
    }
    let mut now = 1_000_000u64;
    game.execute(Command::Start { now_ms: now })
        .expect("the game starts");
    let (mut requests, mut refused) = (0u64, 0u64);
    let mut history = Vec::new();
    let mut last_round = game.state().round;
    let (mut tabled, mut planned) = (BTreeSet::new(), BTreeSet::new());
    // Each pass: every bot looks at its view and acts; then the phase
    // ends (bots say `ready`, which usually ends it already).
    for _ in 0..200 {
        if game.state().status == GameStatus::Ended {
            break;
        }
        let before = (game.state().round, game.state().phase);
        // Who acts first in a phase is a race in a class: a new order
        // each time (the Soviet's two places go to the quicker).
        bots.shuffle(&mut rng);
        for bot in &mut bots {
            let Some(faction) = game.state().player(bot.me).map(|p| p.faction) else {
                continue;
            };
            let view = game.view(Viewer::Player {
                id: bot.me,
                faction,
            });
            for request in bot.decide(&view, now) {
                let Some(cmd) = command_for(&game, bot.me, &request, now) else {
                    continue;
                };
                requests += 1;
                match game.execute(cmd) {
                    Ok(events) => {
                        for e in events {
                            match e.event {
                                GameEvent::MotionTabled { motion } => {
                                    tabled.insert(motion.motion.id());
                                }
                                GameEvent::ActionPlanned { planned: a, .. } => {
                                    planned.insert(a.action.id());
                                }
                                _ => {}
                            }
                        }
                    }
                    Err(_) => refused += 1,
                }
            }
        }
        now += 1000;
        // Move on, unless the bots' `ready` already did.
        if game.state().status != GameStatus::Ended
            && before == (game.state().round, game.state().phase)
        {
            let _ = game.execute(Command::EndPhase {
                now_ms: now,
                reason: None,
            });
        }
        if game.state().round != last_round {
            history.push(game.state().public.clone());
            last_round = game.state().round;
        }
    }
    if game.state().status == GameStatus::Ended {
        history.push(game.state().public.clone());
    }
    let outcome = game
        .state()
        .outcome
        .clone()
        .expect("a game of bots reaches an ending");
    Played {
        outcome,
        history,
        requests,
        refused,
        hash: game.state().hash(),
        tabled,
        planned,
    }
}
