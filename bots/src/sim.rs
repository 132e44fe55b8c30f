//! Self-play in-process: a game of the engine with bots on every seat,
//! each deciding from its own player's view, phases moved on as soon as
//! every bot has acted. No network, no clock: fast enough for thousands of
//! games.

use crate::brain::{Bot, Costs, Temperament};
use engine::{Command, Game, Scenario};
use protocol::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::sync::Arc;

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

/// Play one game with bots on every seat.
pub fn play(scenario: &Arc<Scenario>, seed: u64) -> Played {
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
        for i in 0..n {
            let events = game
                .execute(Command::Join {
                    name: format!("{}-{i}", f.id()),
                    faction: Some(*f),
                })
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
            bots.push(Bot::new(id, temperament, seed).with_costs(costs));
        }
    }
    let mut now = 1_000_000u64;
    game.execute(Command::Start { now_ms: now })
        .expect("the game starts");
    let (mut requests, mut refused) = (0u64, 0u64);
    let mut history = Vec::new();
    let mut last_round = game.state().round;
    // Each pass: every bot looks at its view and acts; then the phase
    // ends (bots say `ready`, which usually ends it already).
    for _ in 0..200 {
        if game.state().status == GameStatus::Ended {
            break;
        }
        let before = (game.state().round, game.state().phase);
        for bot in &mut bots {
            let Some(faction) = game.state().player(bot.me).map(|p| p.faction) else {
                continue;
            };
            let view = game.view(Viewer::Player {
                id: bot.me,
                faction,
            });
            for request in bot.decide(&view) {
                let Some(cmd) = command_for(&game, bot.me, &request, now) else {
                    continue;
                };
                requests += 1;
                if game.execute(cmd).is_err() {
                    refused += 1;
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
    }
}
