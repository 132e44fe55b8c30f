//! Scenarios: every number of the rules, as data.
//!
//! A scenario is a TOML file (see `scenarios/petrograd-1917.toml`, built
//! into the binary as [`Scenario::default_scenario`]). Teachers copy and edit
//! one; [`Scenario::from_toml`] refuses a malformed one with an error that
//! names the field and the reason.
//!
//! What the motions, actions and events *do* is written as lists of
//! [`Effect`]s; only the mechanisms that are more than arithmetic (the
//! offensive's dice, coalitions, elections, the coup, the insurrection) are
//! code, and their numbers are here too.

use protocol::{Briefing, Catalog, Faction, Flag, Group, Motion, PerFaction, PhaseTimers, Track};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

/// The built-in scenario's source.
pub const DEFAULT_SCENARIO_TOML: &str = include_str!("../../../scenarios/petrograd-1917.toml");

/// Why a scenario was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("scenario field `{field}`: {reason}")]
pub struct ScenarioError {
    /// The dotted path of the offending field, e.g. `groups.workers.support`.
    pub field: String,
    pub reason: String,
}

impl ScenarioError {
    pub(crate) fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        ScenarioError {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

/// A whole scenario.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Short id used in `create_game`, e.g. `petrograd-1917`.
    pub id: String,
    pub title: String,
    #[serde(default)]
    pub description: String,
    /// Number of rounds; one a month.
    pub rounds: u8,
    /// The month of each round; exactly `rounds` names.
    pub months: Vec<String>,
    /// Seconds per phase in the standard preset.
    pub timers: PhaseTimers,
    /// The short preset's timers as a percentage of the standard ones.
    pub short_timer_percent: u32,
    pub start: Start,
    /// Every group, with its starting support, unrest and election weight.
    pub groups: BTreeMap<Group, GroupSetup>,
    pub rules: Rules,
    pub actions: Actions,
    /// Every motion of the catalog, by id.
    pub motions: BTreeMap<String, MotionDef>,
    /// The monthly events.
    pub events: Vec<EventDef>,
    /// Optional historical characters.
    #[serde(default)]
    pub characters: Vec<CharacterDef>,
    /// What really happened, month by month (for the debrief's comparison
    /// of the class's 1917 with the real one).
    #[serde(default)]
    pub chronicle: Vec<ChronicleDef>,
    /// Each faction in words, with its briefing.
    #[serde(default)]
    pub factions: BTreeMap<Faction, FactionDef>,
    /// Each track in words, by id (the seven of [`Track`] plus `order` and
    /// `soviet_seats`).
    #[serde(default)]
    pub tracks: BTreeMap<String, TextDef>,
    /// The ideas a player needs (`influence`, `phases`, `voting`, …) in
    /// words.
    #[serde(default)]
    pub ideas: BTreeMap<String, TextDef>,
    /// Everything above in words, with this file's numbers filled in:
    /// built once when the file is loaded (see `words.rs`).
    #[serde(skip)]
    pub catalog: Arc<Catalog>,
    /// The catalog as JSON, serialized once: every `get_catalog` answer
    /// is framed around it.
    #[serde(skip)]
    pub catalog_json: Arc<str>,
    /// Each faction's briefing, numbers filled in.
    #[serde(skip)]
    pub briefings: Vec<std::sync::Arc<Briefing>>,
}

/// A thing of the game in words: its name, what it does in this game (a
/// template: `{path}` placeholders are filled from the file) and what it
/// was in 1917.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TextDef {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub does: String,
    #[serde(default)]
    pub history: String,
}

/// A faction in words, and its briefing (templates, like `does`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FactionDef {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub does: String,
    #[serde(default)]
    pub history: String,
    /// What the faction wants.
    #[serde(default)]
    pub wants: String,
    /// How it wins.
    #[serde(default)]
    pub wins: String,
    /// Dangers and opportunities.
    #[serde(default)]
    pub watch: String,
    /// First moves worth considering.
    #[serde(default)]
    pub first_moves: Vec<String>,
}

/// What really happened in one round's month. The debrief sets it beside
/// what the class did. One entry per round; an entry for round `rounds + 1`
/// tells what came after the game (the real ending).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChronicleDef {
    /// The round (1-based) this month is; `rounds + 1` for the aftermath.
    pub round: u8,
    /// A few words naming the month's turning point, e.g. "The July Days".
    #[serde(default)]
    pub title: String,
    /// Two or three sentences of what really happened that month.
    pub happened: String,
    /// The catalog motions history passed that month (ids), so the debrief
    /// can say where the class's 1917 parted from the real one.
    #[serde(default)]
    pub passed: Vec<String>,
}

/// The starting tracks.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Start {
    pub gov_legitimacy: u8,
    pub soviet_legitimacy: u8,
    pub war_weariness: u8,
    pub bread: u8,
    pub reaction: u8,
    pub red_guards: u8,
    pub loyal_troops: u8,
    /// Bolshevik seats of the Soviet's 100; the rest are the moderates'.
    pub bolshevik_seats: u8,
    /// Starting IP of each faction (before the first income).
    #[serde(default)]
    pub ip: PerFaction<u32>,
    /// Flags in force at the start.
    #[serde(default)]
    pub flags: Vec<Flag>,
}

/// One group's setup.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupSetup {
    /// Must sum to 100.
    pub support: PerFaction<u8>,
    pub unrest: u8,
    /// Election weight; the weights need not sum to 100.
    pub weight: u32,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub does: String,
    #[serde(default)]
    pub history: String,
}

/// The rules' numbers that belong to no single motion or action.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rules {
    /// IP income: `income_base + round(national_support / income_divisor)`.
    pub income_base: u32,
    pub income_divisor: u32,
    /// Motions each institution may have on the table per round.
    pub motions_per_institution: usize,
    /// A `schedule_elections(round)` must name at least the current round
    /// plus this.
    pub elections_min_lead: u8,
    /// Bands for hidden tracks: the values at which a track becomes
    /// rising, high and overwhelming.
    pub bands: [u8; 3],
    pub drift: Drift,
    pub coalition: CoalitionRules,
    /// Soviet by-elections: seats move toward the target by at most this
    /// many a round (events may raise it).
    pub byelection_step: u8,
    pub offensive: OffensiveRules,
    pub coup: CoupRules,
    /// Collapse when order is at or below this.
    pub collapse_order: u8,
    pub insurrection: InsurrectionRules,
    pub assembly: AssemblyRules,
}

/// The monthly drift.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Drift {
    /// Always applied first (bread −5, war weariness +4 while at war).
    pub effects: Vec<EffectSpec>,
    /// Unrest rises by `(war_weariness − weariness_pivot)/divisor +
    /// (bread_pivot − bread)/divisor`, each term rounded toward zero.
    pub weariness_pivot: i32,
    pub bread_pivot: i32,
    pub unrest_divisor: i32,
    /// Workers and soldiers at or above this unrest radicalise…
    pub radical_unrest: u8,
    /// …moving this much support to the Bolsheviks, from the cabinet's
    /// factions.
    pub radical_shift: u8,
    /// Government legitimacy each round unless elections are scheduled.
    pub unelected_gov: i32,
    /// Bread lines: below this bread…
    pub bread_lines_below: u8,
    /// …the Government loses this much more.
    pub bread_lines_gov: i32,
}

/// Coalition rules.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CoalitionRules {
    /// An offer stands for the round it passes and this many more.
    pub offer_extra_rounds: u8,
    /// Every resolution in coalition: Soviet legitimacy change.
    pub soviet_legitimacy: i32,
    /// Every resolution in coalition: workers' and soldiers' support moved
    /// from soviet to bolsheviks.
    pub shift_to_bolsheviks: u8,
}

/// The offensive's odds: `loyal_troops − war_weariness / weariness_divisor`
/// percent (plus event bonuses).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OffensiveRules {
    pub weariness_divisor: i32,
    pub success: Vec<EffectSpec>,
    pub failure: Vec<EffectSpec>,
}

/// The generals' coup: it wins when `loyal_troops + reaction > red_guards +
/// margin`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CoupRules {
    pub margin: i32,
    /// A coup is also attempted in any round reaction reaches this.
    pub reaction_trigger: u8,
    /// What a failed coup does.
    pub failure: Vec<EffectSpec>,
}

/// The October insurrection.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InsurrectionRules {
    /// It succeeds when effective red guards exceed loyal troops and either
    /// the Bolsheviks hold more than `seats_above` Soviet seats…
    pub seats_above: u8,
    /// …or Government legitimacy is below this.
    pub gov_below: u8,
    /// The Military Revolutionary Committee's bonus to red guards.
    pub mrc_bonus: i32,
    /// What a failed insurrection does (red guards are also halved).
    pub failure: Vec<EffectSpec>,
}

/// The Constituent Assembly.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssemblyRules {
    pub seats: u32,
    /// Liberals also win if Government legitimacy is at least this.
    pub liberal_legitimacy: u8,
}

/// The faction actions.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Actions {
    pub agitate: AgitateDef,
    pub press_campaign: ActionDef,
    pub organize: ActionDef,
    pub relief: ActionDef,
    pub suppress: ActionDef,
    pub seize_power: ActionDef,
}

/// `agitate(group)`: shift support in a group to the acting faction.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgitateDef {
    pub cost: u32,
    pub amount: u32,
    /// Percentage with `free_press`.
    pub free_press_percent: u32,
    /// Bolsheviks agitate better where unrest is at least this…
    pub bolshevik_unrest_at_least: u8,
    /// …by this percentage.
    pub bolshevik_unrest_percent: u32,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub does: String,
    #[serde(default)]
    pub history: String,
}

/// Any other action.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActionDef {
    pub cost: u32,
    /// Who may take it; everyone when absent.
    #[serde(default)]
    pub factions: Option<Vec<Faction>>,
    /// Checked when planned.
    #[serde(default)]
    pub requires: Vec<Condition>,
    /// Effects whoever takes it.
    #[serde(default)]
    pub effects: Vec<EffectSpec>,
    /// Effects that depend on the faction taking it.
    #[serde(default)]
    pub by_faction: BTreeMap<Faction, Vec<EffectSpec>>,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub does: String,
    #[serde(default)]
    pub history: String,
}

/// A catalog motion.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MotionDef {
    /// May pass only once a game.
    #[serde(default)]
    pub once: bool,
    /// Checked when tabled (and again when applied).
    #[serde(default)]
    pub requires: Vec<Condition>,
    #[serde(default)]
    pub effects: Vec<EffectSpec>,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub does: String,
    #[serde(default)]
    pub history: String,
    /// A few words on what it is, for the round's story ("Order No. 1
    /// (soldiers elect committees and obey the Soviet first): …").
    #[serde(default)]
    pub gist: String,
}

/// A monthly event.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventDef {
    pub round: u8,
    pub id: String,
    pub title: String,
    pub text: String,
    /// Applied at the briefing.
    #[serde(default)]
    pub effects: Vec<EffectSpec>,
    /// Added to the offensive's odds this round.
    #[serde(default)]
    pub offensive_bonus: i32,
    /// Overrides the by-election step this round.
    #[serde(default)]
    pub byelection_step: Option<u8>,
    /// Added to Soviet legitimacy in the `all_power_to_soviets` check.
    #[serde(default)]
    pub all_power_bonus: i32,
    /// `offer_coalition` costs no legitimacy this round.
    #[serde(default)]
    pub free_coalition_offer: bool,
    #[serde(default)]
    pub july_days: Option<JulyDaysDef>,
    #[serde(default)]
    pub coup: Option<CoupEventDef>,
    /// What it does in this game (a template, like a motion's).
    #[serde(default)]
    pub does: String,
    /// What happened that month in 1917.
    #[serde(default)]
    pub history: String,
}

/// The July Days: if the street rises, the Bolsheviks must choose.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JulyDaysDef {
    /// The street rises if workers' or soldiers' unrest is at least this.
    pub unrest_at_least: u8,
    /// Leading it (planning `seize_power`, free this round) counts red
    /// guards this much.
    pub led_red_guards: i32,
    /// Disowning it costs the Bolsheviks this much workers' support.
    pub disowned_workers_support: u8,
}

/// The generals move.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CoupEventDef {
    /// A coup is attempted if reaction is at least this at the briefing.
    pub reaction_at_least: u8,
}

/// A historical character.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CharacterDef {
    pub faction: Faction,
    pub name: String,
    pub brief: String,
    pub objective: String,
    /// What became of the real person after 1917.
    #[serde(default)]
    pub fate: String,
}

/// An effect, optionally only while a flag is in force.
#[derive(Debug, Clone, Deserialize)]
pub struct EffectSpec {
    #[serde(flatten)]
    pub effect: Effect,
    /// Apply only while this flag is in force.
    #[serde(default)]
    pub when: Option<Flag>,
}

/// One change to the state. In TOML: `{ op = "add", track = "bread", by = 5 }`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Effect {
    /// Add to a track (negative to lower it); clamped to 0..=100.
    Add { track: Track, by: i32 },
    /// Set a track.
    Set { track: Track, to: u8 },
    /// Halve a track (rounding down).
    Halve { track: Track },
    /// Change the unrest of groups.
    Unrest { groups: Vec<Group>, by: i32 },
    /// Move support in a group to a faction, from the other two in
    /// proportion (or from `first` first).
    Shift {
        group: Group,
        to: Faction,
        by: u32,
        #[serde(default)]
        first: Option<Faction>,
    },
    /// Move support in a group away from a faction, to the other two in
    /// proportion.
    Take {
        group: Group,
        from: Faction,
        by: u32,
    },
    /// Move support in a group from one faction to another.
    Move {
        group: Group,
        from: Faction,
        to: Faction,
        by: u32,
    },
    /// Move support in a group to the soviet and the bolsheviks, split by
    /// their Soviet seats, from the liberals.
    ShiftToSoviets { group: Group, by: u32 },
    /// Put a flag in force.
    Flag { flag: Flag },
    /// Lift a flag.
    ClearFlag { flag: Flag },
    /// Give a faction influence points.
    Ip { faction: Faction, by: u32 },
}

/// A precondition.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "if", rename_all = "snake_case")]
pub enum Condition {
    /// `track >= value`.
    AtLeast { track: Track, value: u8 },
    /// `track > than`.
    Exceeds { track: Track, than: Track },
    /// A flag is in force.
    Flag { flag: Flag },
    /// A flag is not in force.
    NotFlag { flag: Flag },
    /// An offer of coalition stands.
    OfferOpen,
    /// The Soviet delegates sit in the cabinet.
    Coalition,
    /// They do not.
    NoCoalition,
}

impl Scenario {
    /// The built-in Petrograd 1917 scenario.
    pub fn default_scenario() -> Scenario {
        Scenario::from_toml(DEFAULT_SCENARIO_TOML).expect("the built-in scenario is valid")
    }

    /// Parse and validate a scenario.
    pub fn from_toml(text: &str) -> Result<Scenario, ScenarioError> {
        let mut scenario: Scenario = toml::from_str(text).map_err(|e| {
            let reason = e.message().to_string();
            let field = match e.span() {
                Some(span) => locate(text, span.start),
                None => "(file)".to_string(),
            };
            ScenarioError::new(field, reason)
        })?;
        scenario.validate()?;
        scenario.validate_chronicle()?;
        // The file parsed, so it is a TOML table: the texts' placeholders
        // are looked up in it.
        let raw: toml::Table = toml::from_str(text)
            .map_err(|e| ScenarioError::new("(file)", e.message().to_string()))?;
        let (catalog, briefings) = crate::words::explain(&scenario, &raw)?;
        scenario.catalog_json = serde_json::to_string(&catalog)
            .expect("a catalog always serializes")
            .into();
        scenario.catalog = Arc::new(catalog);
        scenario.briefings = briefings.into_iter().map(std::sync::Arc::new).collect();
        Ok(scenario)
    }

    /// What really happened in a round (`rounds + 1`: after the game).
    pub fn chronicle(&self, round: u8) -> Option<&ChronicleDef> {
        self.chronicle.iter().find(|c| c.round == round)
    }

    /// The chronicle is optional (a teacher's own scenario may leave it
    /// out), but what is there must make sense.
    fn validate_chronicle(&self) -> Result<(), ScenarioError> {
        let mut seen = std::collections::BTreeSet::new();
        for (i, c) in self.chronicle.iter().enumerate() {
            if c.round == 0 || c.round > self.rounds + 1 {
                return Err(ScenarioError::new(
                    format!("chronicle[{i}].round"),
                    format!(
                        "is {}; must be between 1 and {} ({} is what came after the game)",
                        c.round,
                        self.rounds + 1,
                        self.rounds + 1
                    ),
                ));
            }
            if !seen.insert(c.round) {
                return Err(ScenarioError::new(
                    format!("chronicle[{i}].round"),
                    format!("round {} already has a chronicle entry", c.round),
                ));
            }
            if c.happened.trim().is_empty() {
                return Err(ScenarioError::new(
                    format!("chronicle[{i}].happened"),
                    "must say what happened",
                ));
            }
            if let Some(id) = c
                .passed
                .iter()
                .find(|id| Motion::parse(id, Some(0)).is_none())
            {
                return Err(ScenarioError::new(
                    format!("chronicle[{i}].passed"),
                    format!("`{id}` is not a motion of the catalog"),
                ));
            }
        }
        Ok(())
    }

    /// The definition of a catalog motion.
    pub fn motion(&self, motion: Motion) -> &MotionDef {
        static EMPTY: MotionDef = MotionDef {
            once: false,
            requires: Vec::new(),
            effects: Vec::new(),
            name: String::new(),
            does: String::new(),
            history: String::new(),
            gist: String::new(),
        };
        self.motions.get(motion.id()).unwrap_or(&EMPTY)
    }

    /// The event of a round, if any.
    pub fn event(&self, round: u8) -> Option<&EventDef> {
        self.events.iter().find(|e| e.round == round)
    }

    pub fn month(&self, round: u8) -> &str {
        match round {
            0 => "",
            r => self
                .months
                .get(usize::from(r) - 1)
                .map(String::as_str)
                .unwrap_or(""),
        }
    }

    pub fn group(&self, group: Group) -> &GroupSetup {
        &self.groups[&group]
    }

    /// A faction's briefing.
    pub fn briefing(&self, faction: Faction) -> Option<&std::sync::Arc<Briefing>> {
        self.briefings.iter().find(|b| b.faction == faction)
    }

    /// A character by name.
    pub fn character(&self, name: &str) -> Option<&CharacterDef> {
        self.characters
            .iter()
            .find(|c| c.name.eq_ignore_ascii_case(name.trim()))
    }

    /// Timers for a preset.
    pub fn timers(&self, preset: protocol::TimerPreset) -> PhaseTimers {
        match preset {
            protocol::TimerPreset::Standard => self.timers,
            protocol::TimerPreset::Short => {
                let p = |s: u32| (s * self.short_timer_percent / 100).max(1);
                PhaseTimers {
                    briefing: p(self.timers.briefing),
                    negotiation: p(self.timers.negotiation),
                    proposals: p(self.timers.proposals),
                    voting: p(self.timers.voting),
                    resolution: p(self.timers.resolution),
                }
            }
        }
    }

    fn validate(&self) -> Result<(), ScenarioError> {
        let err = |f: &str, r: &str| Err(ScenarioError::new(f, r));
        if self.id.trim().is_empty() {
            return err("id", "must not be empty");
        }
        if self.rounds == 0 || self.rounds > 24 {
            return err("rounds", "must be between 1 and 24");
        }
        if self.months.len() != usize::from(self.rounds) {
            return Err(ScenarioError::new(
                "months",
                format!("must name exactly {} months, one per round", self.rounds),
            ));
        }
        for phase in protocol::Phase::ALL {
            if self.timers.get(phase) == 0 {
                return Err(ScenarioError::new(
                    format!("timers.{phase}"),
                    "must be at least 1 second",
                ));
            }
        }
        if self.short_timer_percent == 0 || self.short_timer_percent > 100 {
            return err("short_timer_percent", "must be between 1 and 100");
        }
        let s = &self.start;
        for (name, v) in [
            ("gov_legitimacy", s.gov_legitimacy),
            ("soviet_legitimacy", s.soviet_legitimacy),
            ("war_weariness", s.war_weariness),
            ("bread", s.bread),
            ("reaction", s.reaction),
            ("red_guards", s.red_guards),
            ("loyal_troops", s.loyal_troops),
            ("bolshevik_seats", s.bolshevik_seats),
        ] {
            if v > 100 {
                return Err(ScenarioError::new(
                    format!("start.{name}"),
                    format!("is {v}; tracks run from 0 to 100"),
                ));
            }
        }
        for group in Group::ALL {
            let Some(g) = self.groups.get(&group) else {
                return Err(ScenarioError::new(
                    format!("groups.{group}"),
                    "is missing; every group (workers, soldiers, peasants, middle) needs a setup",
                ));
            };
            let sum: u32 = g.support.iter().map(|(_, v)| u32::from(*v)).sum();
            if sum != 100 {
                return Err(ScenarioError::new(
                    format!("groups.{group}.support"),
                    format!("sums to {sum}; support must sum to exactly 100"),
                ));
            }
            if g.unrest > 100 {
                return Err(ScenarioError::new(
                    format!("groups.{group}.unrest"),
                    "must be at most 100",
                ));
            }
        }
        if self.groups.values().map(|g| g.weight).sum::<u32>() == 0 {
            return err(
                "groups.*.weight",
                "at least one election weight must be positive",
            );
        }
        let r = &self.rules;
        if r.income_divisor == 0 {
            return err("rules.income_divisor", "must be at least 1");
        }
        if r.drift.unrest_divisor == 0 {
            return err("rules.drift.unrest_divisor", "must not be 0");
        }
        if r.offensive.weariness_divisor == 0 {
            return err("rules.offensive.weariness_divisor", "must not be 0");
        }
        if !(r.bands[0] <= r.bands[1] && r.bands[1] <= r.bands[2]) {
            return err("rules.bands", "must be in increasing order");
        }
        if r.assembly.seats == 0 {
            return err("rules.assembly.seats", "must be at least 1");
        }
        for m in Motion::CATALOG {
            if !self.motions.contains_key(m.id()) {
                return Err(ScenarioError::new(
                    format!("motions.{}", m.id()),
                    "is missing; every catalog motion needs an entry (it may be empty)",
                ));
            }
        }
        for id in self.motions.keys() {
            if Motion::parse(id, Some(0)).is_none() {
                return Err(ScenarioError::new(
                    format!("motions.{id}"),
                    "is not a motion of the catalog",
                ));
            }
        }
        let mut seen = std::collections::BTreeSet::new();
        for (i, e) in self.events.iter().enumerate() {
            if e.round == 0 || e.round > self.rounds {
                return Err(ScenarioError::new(
                    format!("events[{i}].round"),
                    format!("is {}; must be between 1 and {}", e.round, self.rounds),
                ));
            }
            if !seen.insert(e.round) {
                return Err(ScenarioError::new(
                    format!("events[{i}].round"),
                    format!("round {} already has an event", e.round),
                ));
            }
        }
        Ok(())
    }
}

/// Turn a byte offset into "line N" plus the nearest key, for errors.
fn locate(text: &str, offset: usize) -> String {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    // The innermost table header above the error names the field's parent.
    let table = before
        .lines()
        .rev()
        .find(|l| l.trim_start().starts_with('['))
        .map(|l| l.trim().trim_matches(|c| c == '[' || c == ']').to_string());
    let key = text[before.rfind('\n').map_or(0, |i| i + 1)..]
        .lines()
        .next()
        .and_then(|l| l.split('=').next())
        .map(|k| k.trim().to_string())
        .filter(|k| !k.is_empty() && !k.starts_with('['));
    match (table, key) {
        (Some(t), Some(k)) => format!("{t}.{k} (line {line})"),
        (Some(t), None) => format!("{t} (line {line})"),
        (None, Some(k)) => format!("{k} (line {line})"),
        (None, None) => format!("line {line}"),
    }
}

impl fmt::Display for Scenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.title, self.id)
    }
}
