//! Bots play legal, reproducible games, from their own view only.

use bots::sim;
use bots::{Bot, Temperament};
use engine::{Command, Game, Scenario};
use protocol::*;
use std::sync::Arc;

fn scenario() -> Arc<Scenario> {
    Arc::new(Scenario::default_scenario())
}

#[test]
fn games_of_bots_reach_an_ending_with_few_refused_moves() {
    let scenario = scenario();
    let (mut requests, mut refused) = (0, 0);
    for seed in 0..200 {
        let played = sim::play(&scenario, seed);
        assert!(
            played.outcome.round >= 1 && played.outcome.round <= 9,
            "{:?}",
            played.outcome
        );
        assert_ne!(played.outcome.ending, Ending::EndedByHost);
        requests += played.requests;
        refused += played.refused;
    }
    assert!(requests > 10_000, "bots played: {requests} requests");
    let rate = refused as f64 / requests as f64;
    assert!(
        rate < 0.05,
        "{:.1}% of the bots' moves were refused",
        rate * 100.0
    );
}

#[test]
fn the_same_seed_plays_the_same_game() {
    let scenario = scenario();
    for seed in [3, 17, 99] {
        let a = sim::play(&scenario, seed);
        let b = sim::play(&scenario, seed);
        assert_eq!(a.hash, b.hash);
        assert_eq!(a.outcome, b.outcome);
    }
    // And different seeds give different games.
    let hashes: std::collections::BTreeSet<u64> =
        (0..20).map(|s| sim::play(&scenario, s).hash).collect();
    assert!(
        hashes.len() > 15,
        "only {} distinct games in 20 seeds",
        hashes.len()
    );
}

#[test]
fn every_faction_acts_votes_and_speaks() {
    let scenario = scenario();
    let played = sim::play(&scenario, 5);
    let passed: Vec<&str> = played
        .history
        .last()
        .unwrap()
        .passed
        .iter()
        .map(|m| m.id())
        .collect();
    assert!(!passed.is_empty(), "bots pass motions");
    // Run one round by hand and look at what each faction's bot asks for.
    let mut game = Game::new(
        scenario.clone(),
        GameSettings {
            scenario: scenario.id.clone(),
            timers: scenario.timers,
            faction_choice: FactionChoice::Choose,
            characters: false,
        },
        5,
        "T".into(),
    );
    let mut ids = Vec::new();
    for f in Faction::ALL {
        let e = game
            .execute(Command::Join {
                name: f.id().into(),
                faction: Some(f),
            })
            .unwrap();
        ids.push(match &e[0].event {
            GameEvent::PlayerJoined { player } => (player.id, f),
            other => panic!("{other:?}"),
        });
    }
    game.execute(Command::Start { now_ms: 1 }).unwrap();
    let mut asked: Vec<(Faction, ClientRequest)> = Vec::new();
    let mut bots: Vec<Bot> = ids
        .iter()
        .map(|(id, _)| Bot::new(*id, Temperament::Bold, 5))
        .collect();
    for step in 0..5 {
        for (bot, (id, f)) in bots.iter_mut().zip(&ids) {
            let view = game.view(Viewer::Player {
                id: *id,
                faction: *f,
            });
            for r in bot.decide(&view) {
                if let Some(cmd) = sim::command_for(&game, *id, &r, 10 + step) {
                    let _ = game.execute(cmd);
                }
                asked.push((*f, r));
            }
        }
        let _ = game.execute(Command::EndPhase {
            now_ms: 10 + step,
            reason: None,
        });
    }
    for f in Faction::ALL {
        let mine: Vec<&ClientRequest> = asked
            .iter()
            .filter(|(g, _)| *g == f)
            .map(|(_, r)| r)
            .collect();
        assert!(
            mine.iter().any(|r| matches!(
                r,
                ClientRequest::Vote { .. } | ClientRequest::TableMotion { .. }
            )),
            "{f:?} took part: {mine:?}"
        );
        assert!(
            mine.iter()
                .any(|r| matches!(r, ClientRequest::PlanAction { .. })),
            "{f:?} spent IP: {mine:?}"
        );
    }
    assert!(
        asked
            .iter()
            .any(|(_, r)| matches!(r, ClientRequest::Chat { .. })),
        "bots speak in character"
    );
}

#[test]
fn a_bot_decides_from_its_own_view_only() {
    // Two games that differ only in what the Bolsheviks planned (a secret
    // of theirs): the liberal bot sees the same view and decides the same.
    let scenario = scenario();
    let setup = |bolshevik_plans: bool| {
        let mut game = Game::new(
            scenario.clone(),
            GameSettings {
                scenario: scenario.id.clone(),
                timers: scenario.timers,
                faction_choice: FactionChoice::Choose,
                characters: false,
            },
            8,
            "T".into(),
        );
        for f in Faction::ALL {
            game.execute(Command::Join {
                name: f.id().into(),
                faction: Some(f),
            })
            .unwrap();
        }
        game.execute(Command::Start { now_ms: 1 }).unwrap();
        for t in 2..5 {
            game.execute(Command::EndPhase {
                now_ms: t,
                reason: None,
            })
            .unwrap();
        }
        assert_eq!(game.state().phase, Some(Phase::Voting));
        if bolshevik_plans {
            game.execute(Command::Plan {
                player: PlayerId(3),
                action: Action::Organize,
            })
            .unwrap();
        }
        game
    };
    let (a, b) = (setup(false), setup(true));
    let liberal = Viewer::Player {
        id: PlayerId(1),
        faction: Faction::Liberals,
    };
    assert_ne!(a.state().hash(), b.state().hash(), "the games differ");
    assert_eq!(
        a.view(liberal),
        b.view(liberal),
        "…but not in what the liberal sees"
    );
    let decide = |g: &Game| Bot::new(PlayerId(1), Temperament::Bold, 42).decide(&g.view(liberal));
    assert_eq!(decide(&a), decide(&b));
}

/// The balance goals of docs/BALANCE.md, over 1,000 seeded self-play
/// games: every faction wins 20-45% of games, every ending happens in at
/// least 2% and none in more than 50%.
#[test]
fn the_default_scenario_meets_the_balance_goals() {
    let scenario = scenario();
    let n = 1000u64;
    let mut endings: std::collections::BTreeMap<&str, u64> = Default::default();
    let mut wins: std::collections::BTreeMap<Faction, u64> = Default::default();
    for seed in 1..=n {
        let o = sim::play(&scenario, seed).outcome;
        *endings.entry(o.ending.title()).or_default() += 1;
        for f in o.winners {
            *wins.entry(f).or_default() += 1;
        }
    }
    let pct = |k: u64| k as f64 * 100.0 / n as f64;
    for e in [
        Ending::MilitaryDictatorship,
        Ending::Collapse,
        Ending::OctoberInsurrection,
        Ending::AllPowerToSoviets,
        Ending::ConstituentAssembly,
    ] {
        let p = pct(*endings.get(e.title()).unwrap_or(&0));
        assert!(
            (2.0..=50.0).contains(&p),
            "{}: {p:.1}% of games ({endings:?})",
            e.title()
        );
    }
    for f in Faction::ALL {
        let p = pct(*wins.get(&f).unwrap_or(&0));
        assert!((20.0..=45.0).contains(&p), "{f:?} win {p:.1}% ({wins:?})");
    }
}
