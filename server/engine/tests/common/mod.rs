//! A table of players driving one game through `engine::Game` the way the
//! server does: commands with an explicit clock, each phase advanced by the
//! host. Shared by the engine's integration tests.

#![allow(dead_code)]

use engine::{Command, Emitted, Game, Refusal, Scenario};
use protocol::*;
use std::collections::BTreeMap;
use std::sync::Arc;

/// The players of a three-player table, one per faction, in join order.
pub const LIB: PlayerId = PlayerId(1);
pub const SOV: PlayerId = PlayerId(2);
pub const BOL: PlayerId = PlayerId(3);

pub fn settings(characters: bool) -> GameSettings {
    GameSettings {
        scenario: "petrograd-1917".into(),
        timers: PhaseTimers {
            briefing: 60,
            negotiation: 300,
            proposals: 120,
            voting: 120,
            resolution: 60,
        },
        faction_choice: FactionChoice::Choose,
        characters,
    }
}

pub fn scenario() -> Scenario {
    Scenario::default_scenario()
}

/// One game and everything it emitted.
pub struct Table {
    pub game: Game,
    pub seed: u64,
    pub scenario: Arc<Scenario>,
    pub settings: GameSettings,
    /// The clock, in ms; each advance moves it by a second.
    pub now: u64,
    pub log: Vec<Emitted>,
}

impl Table {
    /// A game in the lobby.
    pub fn lobby(scenario: Scenario, seed: u64, characters: bool) -> Table {
        let scenario = Arc::new(scenario);
        let settings = settings(characters);
        Table {
            game: Game::new(scenario.clone(), settings.clone(), seed, "TEST".into()),
            seed,
            scenario,
            settings,
            now: 1_000_000,
            log: Vec::new(),
        }
    }

    /// One player per faction (LIB, SOV, BOL), started: round 1 briefing.
    pub fn new(seed: u64) -> Table {
        Table::with(scenario(), seed)
    }

    pub fn with(scenario: Scenario, seed: u64) -> Table {
        Table::with_players(
            scenario,
            seed,
            &[Faction::Liberals, Faction::Soviet, Faction::Bolsheviks],
        )
    }

    /// Players join in this order (ids 1, 2, 3, ...), then the game starts.
    pub fn with_players(scenario: Scenario, seed: u64, factions: &[Faction]) -> Table {
        let mut t = Table::lobby(scenario, seed, false);
        for (i, f) in factions.iter().enumerate() {
            t.exec(Command::Join {
                name: format!("P{}", i + 1),
                faction: Some(*f),
            });
        }
        let now = t.now;
        t.exec(Command::Start { now_ms: now });
        t
    }

    pub fn state(&self) -> &engine::State {
        self.game.state()
    }

    pub fn round(&self) -> u8 {
        self.state().round
    }

    pub fn phase(&self) -> Option<Phase> {
        self.state().phase
    }

    pub fn ended(&self) -> bool {
        self.state().status == GameStatus::Ended
    }

    pub fn outcome(&self) -> Option<&Outcome> {
        self.state().outcome.as_ref()
    }

    /// Run a command that must be accepted.
    pub fn exec(&mut self, c: Command) -> Vec<Emitted> {
        match self.try_exec(c.clone()) {
            Ok(e) => e,
            Err(r) => panic!("{c:?} refused: {r}"),
        }
    }

    /// The host adds a bot to `faction`: who joined.
    pub fn add_bot(&mut self, faction: Faction) -> PlayerInfo {
        self.exec(Command::AddBot {
            faction: Some(faction),
        })
        .iter()
        .find_map(|e| match &e.event {
            GameEvent::PlayerJoined { player } => Some(player.clone()),
            _ => None,
        })
        .expect("a bot joined")
    }

    /// Run a command; a refusal must leave the state exactly as it was.
    pub fn try_exec(&mut self, c: Command) -> Result<Vec<Emitted>, Refusal> {
        let r = self.game.execute(c);
        if let Ok(events) = &r {
            self.log.extend(events.iter().cloned());
        }
        r
    }

    /// The host ends the current phase.
    pub fn advance(&mut self) -> Vec<Emitted> {
        self.now += 1000;
        let now = self.now;
        self.exec(Command::Advance { now_ms: now })
    }

    /// Advance until `phase` (of this round or, if it is past, the next).
    pub fn goto(&mut self, phase: Phase) -> Vec<Emitted> {
        let mut out = Vec::new();
        for _ in 0..6 {
            if self.phase() == Some(phase) {
                return out;
            }
            assert!(!self.ended(), "the game ended before the {phase:?} phase");
            out.extend(self.advance());
        }
        panic!("never reached the {phase:?} phase");
    }

    /// Table a motion (moving to the proposals phase first); its id.
    pub fn table(&mut self, player: PlayerId, motion: Motion) -> MotionId {
        self.goto(Phase::Proposals);
        let events = self.exec(Command::Table { player, motion });
        match events.first().map(|e| &e.event) {
            Some(GameEvent::MotionTabled { motion }) => motion.id,
            other => panic!("expected MotionTabled, got {other:?}"),
        }
    }

    pub fn vote(&mut self, player: PlayerId, motion: MotionId, vote: Vote) {
        self.goto(Phase::Voting);
        self.exec(Command::Vote {
            player,
            motion,
            vote,
        });
    }

    pub fn plan(&mut self, player: PlayerId, action: Action) -> ActionId {
        self.goto(Phase::Voting);
        let events = self.exec(Command::Plan { player, action });
        match events.first().map(|e| &e.event) {
            Some(GameEvent::ActionPlanned { planned, .. }) => planned.id,
            other => panic!("expected ActionPlanned, got {other:?}"),
        }
    }

    /// Every player who may vote on a motion votes `vote` on it.
    pub fn all_vote(&mut self, motion: MotionId, vote: Vote) {
        self.goto(Phase::Voting);
        let inst = self.state().motion(motion).expect("motion").institution;
        let voters: Vec<PlayerId> = self
            .state()
            .players
            .iter()
            .filter(|p| self.state().may_sit(p.faction, inst))
            .map(|p| p.id)
            .collect();
        for p in voters {
            self.vote(p, motion, vote);
        }
    }

    /// Table a motion with the first eligible player and have everyone
    /// eligible vote yes (a pass unless a precondition fails at resolution).
    pub fn pass(&mut self, motion: Motion) -> MotionId {
        let inst = motion.institution().expect("a catalog motion");
        let proposer = self
            .state()
            .players
            .iter()
            .find(|p| self.state().may_sit(p.faction, inst))
            .map(|p| p.id)
            .expect("someone may table it");
        let id = self.table(proposer, motion);
        self.all_vote(id, Vote::Yes);
        id
    }

    /// Close the voting: the resolution's events.
    pub fn resolve(&mut self) -> Vec<Emitted> {
        self.goto(Phase::Voting);
        self.advance()
    }

    /// Resolve, then (unless the game ended) start the next round.
    pub fn finish_round(&mut self) -> Vec<Emitted> {
        let mut out = self.resolve();
        if !self.ended() && self.round() < self.scenario.rounds {
            out.extend(self.advance());
        }
        out
    }

    /// One whole round: these motions pass (all tabled, everyone votes
    /// yes), these actions are planned, then the resolution.
    pub fn round_with(
        &mut self,
        motions: &[Motion],
        actions: &[(PlayerId, Action)],
    ) -> Vec<Emitted> {
        let ids: Vec<MotionId> = motions
            .iter()
            .map(|m| {
                let inst = m.institution().expect("a catalog motion");
                let proposer = self
                    .state()
                    .players
                    .iter()
                    .find(|p| self.state().may_sit(p.faction, inst))
                    .map(|p| p.id)
                    .expect("someone may table it");
                self.table(proposer, *m)
            })
            .collect();
        for id in ids {
            self.all_vote(id, Vote::Yes);
        }
        for (p, a) in actions {
            self.plan(*p, *a);
        }
        self.resolve()
    }

    /// Every event as `viewer` would receive it, in order.
    pub fn seen_by(&self, viewer: Viewer) -> Vec<&GameEvent> {
        self.log
            .iter()
            .filter(|e| e.audience.includes(&viewer))
            .map(|e| &e.event)
            .collect()
    }

    /// Rebuild the game from its seed and the emitted events.
    pub fn replayed(&self) -> Game {
        Game::replay(
            self.scenario.clone(),
            self.settings.clone(),
            self.seed,
            "TEST".into(),
            self.log.iter().map(|e| &e.event),
        )
    }

    pub fn snap(&self) -> Snap {
        snap(self.state())
    }

    /// The summary lines of the last resolution.
    pub fn summary(&self) -> &[String] {
        &self.state().last_summary
    }
}

/// Every number of the state by name, to compare two states.
pub type Snap = BTreeMap<String, i64>;

pub fn snap(s: &engine::State) -> Snap {
    let mut m = Snap::new();
    let t = &s.public.tracks;
    let mut put = |k: &str, v: i64| {
        m.insert(k.to_string(), v);
    };
    put("gov_legitimacy", t.gov_legitimacy.into());
    put("soviet_legitimacy", t.soviet_legitimacy.into());
    put("war_weariness", t.war_weariness.into());
    put("bread", t.bread.into());
    put("order", t.order.into());
    put("reaction", s.hidden.reaction.into());
    put("red_guards", s.hidden.red_guards.into());
    put("loyal_troops", s.hidden.loyal_troops.into());
    put("seats.bolsheviks", s.public.soviet_seats.bolsheviks.into());
    put("seats.soviet", s.public.soviet_seats.soviet.into());
    put("election_round", s.public.election_round.into());
    put("coalition", i64::from(s.public.coalition));
    for (g, gs) in &s.public.groups {
        for f in Faction::ALL {
            put(&format!("{}.{}", g.id(), f.id()), gs.support[f].into());
        }
        put(&format!("{}.unrest", g.id()), gs.unrest.into());
    }
    for f in Faction::ALL {
        put(&format!("ip.{}", f.id()), s.factions[f].ip.into());
    }
    for fl in &s.public.flags {
        put(&format!("flag.{}", fl.id()), 1);
    }
    m
}

/// What changed from `a` to `b` (only the keys that differ).
pub fn diff(a: &Snap, b: &Snap) -> BTreeMap<String, i64> {
    let keys: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    keys.into_iter()
        .filter_map(|k| {
            let d = b.get(k).copied().unwrap_or(0) - a.get(k).copied().unwrap_or(0);
            (d != 0).then(|| (k.clone(), d))
        })
        .collect()
}

/// Build an expected diff from pairs.
pub fn changes(pairs: &[(&str, i64)]) -> BTreeMap<String, i64> {
    pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
}

/// The effect of `act` in one round: the state after the resolution of a
/// game where `act` ran, minus the state of the same game (same seed, same
/// `prep`) where it did not. Drift and by-elections cancel out as long as
/// the difference does not change them.
pub fn effect(
    scenario: &Scenario,
    seed: u64,
    prep: impl Fn(&mut Table),
    act: impl Fn(&mut Table),
) -> BTreeMap<String, i64> {
    let mut base = Table::with(scenario.clone(), seed);
    prep(&mut base);
    let mut with = Table::with(scenario.clone(), seed);
    prep(&mut with);
    act(&mut with);
    base.resolve();
    with.resolve();
    let mut d = diff(&base.snap(), &with.snap());
    d.remove("order");
    d
}

/// The outcome event, if the game ended in these events.
pub fn ended_in(events: &[Emitted]) -> Option<&Outcome> {
    events.iter().find_map(|e| match &e.event {
        GameEvent::GameEnded { outcome } => Some(outcome),
        _ => None,
    })
}

impl Table {
    /// Resolve and return this round's vote results (motion, tally).
    pub fn table_results_after_resolve(&mut self) -> Vec<(MotionId, Tally)> {
        let events = self.resolve();
        events
            .iter()
            .find_map(|e| match &e.event {
                GameEvent::VotesClosed { results } => Some(
                    results
                        .iter()
                        .map(|r| (r.motion, r.tally.clone()))
                        .collect(),
                ),
                _ => None,
            })
            .unwrap_or_default()
    }
}
