//! The balance figures of many self-played games under one strategy mix:
//! win rates, endings, rounds, how often each motion and action is used,
//! and the mean public tracks round by round. The `balance` tool prints
//! them; the balance test asserts the goals on them (docs/BALANCE.md).

use crate::sim::{self, Mix};
use engine::Scenario;
use protocol::*;
use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::Arc;

/// Every ending a game of the rules can reach (the host's is not one).
pub const ENDINGS: [Ending; 5] = [
    Ending::ConstituentAssembly,
    Ending::MilitaryDictatorship,
    Ending::AllPowerToSoviets,
    Ending::OctoberInsurrection,
    Ending::Collapse,
];

/// The public tracks followed round by round.
pub const TRACKS: [&str; 5] = [
    "gov_legitimacy",
    "soviet_legitimacy",
    "war_weariness",
    "bread",
    "order",
];

/// The goals: each faction wins 20-45% of games, every ending 2-50%.
pub const FACTION_GOAL: (f64, f64) = (20.0, 45.0);
pub const ENDING_GOAL: (f64, f64) = (2.0, 50.0);

#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Report {
    pub mix: String,
    pub games: u64,
    /// Games ending so, by ending title.
    pub endings: BTreeMap<String, u64>,
    /// Games won, by faction id.
    pub wins: BTreeMap<String, u64>,
    pub rounds: u64,
    pub requests: u64,
    pub refused: u64,
    /// Games in which each motion was tabled, by id (every catalog id).
    pub tabled: BTreeMap<String, u64>,
    /// Games in which each motion passed, by id (every catalog id).
    pub passed: BTreeMap<String, u64>,
    /// Games in which each action was planned, by id (every catalog id).
    pub planned: BTreeMap<String, u64>,
    /// After each round (index 0: after round 1), over the games still
    /// running: how many, and the sum of each track.
    pub after_round: Vec<(u64, BTreeMap<String, f64>)>,
}

/// Play `seeds` under `mix` and gather the figures.
pub fn measure(scenario: &Arc<Scenario>, mix: Mix, seeds: Range<u64>) -> Report {
    let mut r = Report {
        mix: mix.id(),
        ..Report::default()
    };
    for m in Motion::CATALOG {
        r.tabled.insert(m.id().into(), 0);
        r.passed.insert(m.id().into(), 0);
    }
    for a in Action::CATALOG {
        r.planned.insert(a.id().into(), 0);
    }
    for seed in seeds {
        let played = sim::play_mix(scenario, seed, mix);
        r.games += 1;
        *r.endings
            .entry(played.outcome.ending.title().into())
            .or_default() += 1;
        for f in &played.outcome.winners {
            *r.wins.entry(f.id().into()).or_default() += 1;
        }
        r.rounds += u64::from(played.outcome.round);
        r.requests += played.requests;
        r.refused += played.refused;
        for m in &played.tabled {
            *r.tabled.entry((*m).into()).or_default() += 1;
        }
        let passed: std::collections::BTreeSet<&str> = played
            .history
            .last()
            .map(|s| s.passed.iter().map(|m| m.id()).collect())
            .unwrap_or_default();
        for m in passed {
            *r.passed.entry(m.into()).or_default() += 1;
        }
        for a in &played.planned {
            *r.planned.entry((*a).into()).or_default() += 1;
        }
        for (i, s) in played.history.iter().enumerate() {
            if r.after_round.len() <= i {
                r.after_round.push((0, BTreeMap::new()));
            }
            let (n, sums) = &mut r.after_round[i];
            *n += 1;
            let t = &s.tracks;
            let g = |grp: Group| s.groups.get(&grp).copied();
            for (k, v) in [
                ("gov_legitimacy", t.gov_legitimacy),
                ("soviet_legitimacy", t.soviet_legitimacy),
                ("war_weariness", t.war_weariness),
                ("bread", t.bread),
                ("order", t.order),
                ("bolshevik_seats", s.soviet_seats.bolsheviks),
                ("workers_unrest", g(Group::Workers).map_or(0, |x| x.unrest)),
                (
                    "soldiers_unrest",
                    g(Group::Soldiers).map_or(0, |x| x.unrest),
                ),
                (
                    "bolshevik_workers",
                    g(Group::Workers).map_or(0, |x| x.support.bolsheviks),
                ),
                (
                    "bolshevik_soldiers",
                    g(Group::Soldiers).map_or(0, |x| x.support.bolsheviks),
                ),
                ("coalition", u8::from(s.coalition) * 100),
            ] {
                *sums.entry(k.into()).or_default() += f64::from(v);
            }
        }
    }
    r
}

impl Report {
    fn pct(&self, k: u64) -> f64 {
        k as f64 * 100.0 / self.games.max(1) as f64
    }

    /// Percent of games the faction won.
    pub fn win_rate(&self, f: Faction) -> f64 {
        self.pct(*self.wins.get(f.id()).unwrap_or(&0))
    }

    /// Percent of games that ended so.
    pub fn ending_share(&self, e: Ending) -> f64 {
        self.pct(*self.endings.get(e.title()).unwrap_or(&0))
    }

    pub fn mean_rounds(&self) -> f64 {
        self.rounds as f64 / self.games.max(1) as f64
    }

    pub fn refusal_rate(&self) -> f64 {
        self.refused as f64 * 100.0 / self.requests.max(1) as f64
    }

    /// Percent of games in which a motion was tabled / passed, or an
    /// action planned.
    pub fn tabled_share(&self, id: &str) -> f64 {
        self.pct(*self.tabled.get(id).unwrap_or(&0))
    }
    pub fn passed_share(&self, id: &str) -> f64 {
        self.pct(*self.passed.get(id).unwrap_or(&0))
    }
    pub fn planned_share(&self, id: &str) -> f64 {
        self.pct(*self.planned.get(id).unwrap_or(&0))
    }

    /// The mean of a track after `round` (1-based) over the games still
    /// running then.
    pub fn mean_after(&self, round: usize, track: &str) -> Option<f64> {
        let (n, sums) = self.after_round.get(round.checked_sub(1)?)?;
        Some(sums.get(track).copied().unwrap_or(0.0) / (*n).max(1) as f64)
    }

    /// Every goal the figures break, in words (empty: all met).
    pub fn broken_goals(&self) -> Vec<String> {
        let mut out = Vec::new();
        for f in Faction::ALL {
            let p = self.win_rate(f);
            if !(FACTION_GOAL.0..=FACTION_GOAL.1).contains(&p) {
                out.push(format!("{} win {p:.1}%", f.name()));
            }
        }
        for e in ENDINGS {
            let p = self.ending_share(e);
            if !(ENDING_GOAL.0..=ENDING_GOAL.1).contains(&p) {
                out.push(format!("{}: {p:.1}% of games", e.title()));
            }
        }
        out
    }

    /// What each broken goal is about, without its figure ("Collapse",
    /// "Soviet delegates win"): what docs/BALANCE.md explains per mix.
    pub fn broken_goal_labels(&self) -> Vec<String> {
        self.broken_goals()
            .into_iter()
            .map(|g| {
                g.split(|c: char| c.is_ascii_digit() || c == ':')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_string()
            })
            .collect()
    }

    /// Public tracks whose mean leaves 10..=90 in rounds 1 to `through`.
    pub fn saturated_tracks(&self, through: usize) -> Vec<String> {
        let mut out = Vec::new();
        for round in 1..=through {
            for t in TRACKS {
                if let Some(v) = self.mean_after(round, t) {
                    if !(10.0..=90.0).contains(&v) {
                        out.push(format!("{t} {v:.1} after round {round}"));
                    }
                }
            }
        }
        out
    }
}
