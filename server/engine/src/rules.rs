//! The rules of GAME.md: briefings, the resolution, and the narrative.
//!
//! Phase transitions are computed on a [`World`] (the tracks, groups and
//! influence) and turned into events: `StateChanged`, `HiddenChanged`,
//! `IncomeReceived`, `Resolved`, `GameEnded`. Applying those events is all a
//! replay needs; nothing here runs again on replay.

use crate::game::{roll_call, Emitted};
use crate::scenario::{ActionDef, Condition, Effect, EffectSpec, EventDef, Scenario};
use crate::state::{FactionState, State};
use protocol::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::borrow::Cow;
use std::collections::BTreeMap;

/// The lobby state of a new game.
pub(crate) fn initial_state(
    scenario: &Scenario,
    settings: GameSettings,
    seed: u64,
    code: String,
) -> State {
    let st = &scenario.start;
    let groups = Group::ALL
        .into_iter()
        .map(|g| {
            let setup = scenario.group(g);
            (
                g,
                GroupState {
                    support: setup.support,
                    unrest: setup.unrest,
                },
            )
        })
        .collect();
    let hidden = HiddenTracks {
        reaction: st.reaction,
        red_guards: st.red_guards,
        loyal_troops: st.loyal_troops,
    };
    let mut flags = st.flags.clone();
    flags.sort();
    flags.dedup();
    let mut public = PublicState {
        tracks: PublicTracks {
            gov_legitimacy: st.gov_legitimacy,
            soviet_legitimacy: st.soviet_legitimacy,
            war_weariness: st.war_weariness,
            bread: st.bread,
            order: 0,
        },
        forces: bands(scenario, &hidden),
        groups,
        soviet_seats: PerFaction::new(0, 100 - st.bolshevik_seats, st.bolshevik_seats),
        coalition: false,
        coalition_offer_until: None,
        election_round: scenario.rounds + 1,
        flags,
        passed: Vec::new(),
    };
    public.tracks.order = order(&public);
    State {
        code,
        seed,
        settings,
        status: GameStatus::Lobby,
        round: 0,
        phase: None,
        deadline_ms: None,
        players: Vec::new(),
        public,
        hidden,
        factions: PerFaction::from_fn(|f| FactionState {
            ip: st.ip[f],
            plan: Vec::new(),
        }),
        motions: Vec::new(),
        ballots: BTreeMap::new(),
        next_motion: 1,
        next_action: 1,
        event: None,
        characters: BTreeMap::new(),
        last_summary: Vec::new(),
        outcome: None,
        paused_remaining_ms: None,
        muted: BTreeMap::new(),
        ready: Default::default(),
        ready_ends_phase: true,
        next_chat: 1,
        redacted: Default::default(),
        kicked: Default::default(),
        former_names: Default::default(),
    }
}

/// Order: 100 minus the mean unrest (rounded).
fn order(p: &PublicState) -> u8 {
    let sum: u32 = p.groups.values().map(|g| u32::from(g.unrest)).sum();
    let n = p.groups.len().max(1) as u32;
    (100 - (sum + n / 2) / n) as u8
}

/// An offensive's odds (in 100) as the public story tells them: in
/// steps of a fifth, no finer than the bands of the hidden tracks they
/// come from.
fn odds_in_words(odds: i32) -> &'static str {
    match odds {
        ..20 => "slim",
        20..40 => "poor",
        40..60 => "even",
        60..80 => "good",
        _ => "strong",
    }
}

fn band(scenario: &Scenario, v: u8) -> Band {
    let [rising, high, overwhelming] = scenario.rules.bands;
    if v >= overwhelming {
        Band::Overwhelming
    } else if v >= high {
        Band::High
    } else if v >= rising {
        Band::Rising
    } else {
        Band::Low
    }
}

fn bands(scenario: &Scenario, h: &HiddenTracks) -> Forces {
    let f = |v| Force {
        band: band(scenario, v),
        exact: None,
    };
    Forces {
        reaction: f(h.reaction),
        red_guards: f(h.red_guards),
        loyal_troops: f(h.loyal_troops),
    }
}

/// A command being decided: the events so far and, for phase transitions,
/// the state as they leave it.
pub(crate) struct Tx<'a> {
    pub scenario: &'a Scenario,
    state: Cow<'a, State>,
    out: Vec<Emitted>,
    /// How many of `out` are applied to `state`. They are applied when the
    /// state is next looked at, not when emitted: most commands emit one
    /// event and never look again (a chat line, a ballot), and applying it
    /// would copy the whole game's state for nothing (a copy per chat line
    /// was 1.5% of a busy server's CPU).
    applied: usize,
}

impl<'a> Tx<'a> {
    pub fn new(scenario: &'a Scenario, state: &'a State) -> Self {
        Tx {
            scenario,
            state: Cow::Borrowed(state),
            out: Vec::new(),
            applied: 0,
        }
    }

    /// The state with every event emitted so far applied.
    pub fn state(&mut self) -> &State {
        if self.applied < self.out.len() {
            let state = self.state.to_mut();
            for e in &self.out[self.applied..] {
                state.apply(&e.event);
            }
            self.applied = self.out.len();
        }
        &self.state
    }

    pub fn emit(&mut self, audience: Audience, event: GameEvent) {
        self.out.push(Emitted { audience, event });
    }

    pub fn finish(self) -> Vec<Emitted> {
        self.out
    }

    fn start_phase(&mut self, round: u8, phase: Phase, now_ms: u64) {
        let secs = self.state().settings.timers.get(phase);
        self.emit(
            Audience::Everyone,
            GameEvent::PhaseStarted {
                round,
                month: self.scenario.month(round).to_string(),
                phase,
                deadline_ms: now_ms + u64::from(secs) * 1000,
                at_ms: Some(now_ms),
            },
        );
    }

    /// Emit the events that carry `world` into the state.
    fn commit(&mut self, world: &World) {
        let mut public = world.public.clone();
        public.tracks.order = order(&public);
        public.forces = bands(self.scenario, &world.hidden);
        if public != self.state().public {
            self.emit(
                Audience::Everyone,
                GameEvent::StateChanged { state: public },
            );
        }
        if world.hidden != self.state().hidden {
            self.emit(
                Audience::Host,
                GameEvent::HiddenChanged {
                    hidden: world.hidden,
                },
            );
        }
    }
}

/// Start round `round` with its briefing: the event, then income.
pub(crate) fn begin_round(tx: &mut Tx, round: u8, now_ms: u64) {
    let sc = tx.scenario;
    tx.start_phase(round, Phase::Briefing, now_ms);
    let mut world = World::of(tx.state());
    if world
        .public
        .coalition_offer_until
        .is_some_and(|r| r < round)
    {
        world.public.coalition_offer_until = None;
    }
    if let Some(def) = sc.event(round) {
        let (card, effects) = play_event(sc, &mut world, def, round);
        tx.emit(
            Audience::Everyone,
            GameEvent::EventRevealed { card, effects },
        );
    }
    // Income, on the support after the event.
    let before_ip = tx.state().factions.clone();
    for f in Faction::ALL {
        let income = sc.rules.income_base
            + rounded_div(
                world.national_weighted(sc, f),
                world.weight_total(sc) * u64::from(sc.rules.income_divisor),
            ) as u32;
        world.ip[f] += income;
    }
    tx.commit(&world);
    for f in Faction::ALL {
        let ip = world.ip[f];
        tx.emit(
            Audience::Faction { faction: f },
            GameEvent::IncomeReceived {
                faction: f,
                amount: ip - before_ip[f].ip,
                ip,
            },
        );
    }
}

/// Apply a scenario event to `world`: its card (with whether the street
/// rises or the generals move) and the lines saying what it changed.
fn play_event(
    sc: &Scenario,
    world: &mut World,
    def: &EventDef,
    round: u8,
) -> (EventCard, Vec<String>) {
    let before = world.clone();
    world.apply_all(sc, &def.effects, None);
    let street_rises = def.july_days.as_ref().is_some_and(|j| {
        world.unrest(Group::Workers) >= j.unrest_at_least
            || world.unrest(Group::Soldiers) >= j.unrest_at_least
    });
    let coup_attempt = def
        .coup
        .as_ref()
        .is_some_and(|c| world.hidden.reaction >= c.reaction_at_least);
    let mut effects = describe(sc, &before, world);
    // The card's gifts of influence are public: the card says so.
    for f in Faction::ALL {
        if world.ip[f] > before.ip[f] {
            effects.push(format!(
                "the {} received {} influence points",
                f.name(),
                world.ip[f] - before.ip[f]
            ));
        }
    }
    if let Some(now) = standings(sc, &before, world) {
        effects.push(now);
    }
    if street_rises {
        effects.push("The street rises: the Bolsheviks must lead it or disown it.".into());
    } else if def.july_days.is_some() {
        effects.push("The street stays calm: unrest is not high enough for a rising.".into());
    }
    if coup_attempt {
        effects.push(
            "Reaction runs high: the generals attempt a coup this month. Only calling on the Soviet, or enough Red Guards, can stop it."
                .into(),
        );
    } else if def.coup.is_some() {
        effects.push("Reaction is too weak: the generals stay in their barracks.".into());
    }
    let card = EventCard {
        round,
        id: def.id.clone(),
        title: def.title.clone(),
        text: def.text.clone(),
        street_rises,
        coup_attempt,
    };
    (card, effects)
}

/// The host plays a scenario event now, in the current round.
pub(crate) fn inject_event(tx: &mut Tx, def: &EventDef) {
    let sc = tx.scenario;
    let round = tx.state().round;
    let mut world = World::of(tx.state());
    let (card, effects) = play_event(sc, &mut world, def, round);
    tx.emit(
        Audience::Everyone,
        GameEvent::EventRevealed { card, effects },
    );
    tx.commit(&world);
    for f in Faction::ALL {
        let ip = world.ip[f];
        let before = tx.state().factions[f].ip;
        if ip != before {
            tx.emit(
                Audience::Faction { faction: f },
                GameEvent::IncomeReceived {
                    faction: f,
                    amount: ip - before,
                    ip,
                },
            );
        }
    }
}

/// The outcome when the host ends the game: nobody wins; the scores as
/// they stand.
pub(crate) fn host_outcome(sc: &Scenario, s: &State, reason: Option<&str>) -> Outcome {
    let world = World::of(s);
    let mut summary = "The host ended the game before history did.".to_string();
    if let Some(r) = reason {
        summary.push_str(&format!(" ({r})"));
    }
    outcome(
        sc,
        &world,
        Ending::EndedByHost,
        s.round,
        vec![],
        summary,
        None,
    )
}

/// End the current phase: start the next, or resolve the round.
pub(crate) fn end_phase(tx: &mut Tx, now_ms: u64) {
    let s = tx.state();
    let (round, Some(phase)) = (s.round, s.phase) else {
        return;
    };
    match phase {
        Phase::Briefing | Phase::Negotiation | Phase::Proposals => {
            let next = phase.next().expect("not the last phase");
            tx.start_phase(round, next, now_ms);
        }
        Phase::Voting => {
            tx.start_phase(round, Phase::Resolution, now_ms);
            resolve(tx, now_ms);
        }
        Phase::Resolution => {
            if round < tx.scenario.rounds {
                begin_round(tx, round + 1, now_ms);
            }
        }
    }
}

/// Whether a motion may be tabled now; the reason if not.
pub(crate) fn check_motion(sc: &Scenario, s: &State, motion: Motion) -> Result<(), String> {
    let def = sc.motion(motion);
    if def.once && s.public.passed.iter().any(|m| m.id() == motion.id()) {
        return Err(format!(
            "{} has already passed; it can pass only once.",
            motion.id()
        ));
    }
    let world = World::of(s);
    for c in &def.requires {
        if !world.holds(c) {
            return Err(condition_failure(c));
        }
    }
    match motion {
        Motion::ScheduleElections { round } => {
            let earliest = s.round + sc.rules.elections_min_lead;
            let latest = sc.rounds + 1;
            if round < earliest || round > latest {
                return Err(format!(
                    "Elections can be scheduled for round {earliest} at the earliest and {latest} (after the last round) at the latest; not {round}."
                ));
            }
        }
        Motion::PostponeElections if s.public.election_round > sc.rounds => {
            return Err("The elections are already set for after the last round.".into());
        }
        _ => {}
    }
    Ok(())
}

/// A sentence saying why a condition does not hold.
pub(crate) fn condition_failure(c: &Condition) -> String {
    match c {
        Condition::AtLeast { track, value } => {
            format!("This needs {} of at least {value}.", track_noun(*track))
        }
        Condition::Exceeds { track, than } => format!(
            "This needs {} to exceed {}.",
            track_noun(*track),
            track_noun(*than)
        ),
        Condition::Flag { flag } => format!("This needs {} in force.", flag_name(*flag)),
        Condition::NotFlag { flag } => format!("Not while {} is in force.", flag_name(*flag)),
        Condition::OfferOpen => {
            "No offer of coalition stands: the Government must pass offer_coalition first.".into()
        }
        Condition::Coalition => "There is no coalition to leave.".into(),
        Condition::NoCoalition => "The coalition already holds.".into(),
    }
}

/// The parts of an action's definition that validation needs.
pub(crate) struct ActionRules<'a> {
    pub factions: Option<&'a [Faction]>,
    pub requires: &'a [Condition],
}

pub(crate) fn action_def(sc: &Scenario, action: Action) -> Option<ActionRules<'_>> {
    fn def(d: &ActionDef) -> ActionRules<'_> {
        ActionRules {
            factions: d.factions.as_deref(),
            requires: &d.requires,
        }
    }
    let a = &sc.actions;
    Some(match action {
        Action::Agitate { .. } => ActionRules {
            factions: None,
            requires: &[],
        },
        Action::PressCampaign => def(&a.press_campaign),
        Action::Organize => def(&a.organize),
        Action::Relief => def(&a.relief),
        Action::Suppress => def(&a.suppress),
        Action::SeizePower => def(&a.seize_power),
        Action::Unknown => return None,
    })
}

/// What an action costs this faction now (seizing power is free for the
/// Bolsheviks when the street has risen).
pub(crate) fn action_cost(sc: &Scenario, s: &State, faction: Faction, action: Action) -> u32 {
    let a = &sc.actions;
    match action {
        Action::Agitate { .. } => a.agitate.cost,
        Action::PressCampaign => a.press_campaign.cost,
        Action::Organize => a.organize.cost,
        Action::Relief => a.relief.cost,
        Action::Suppress => a.suppress.cost,
        Action::SeizePower => {
            let rising = s.event.as_ref().is_some_and(|e| e.street_rises);
            if rising && faction == Faction::Bolsheviks {
                0
            } else {
                a.seize_power.cost
            }
        }
        Action::Unknown => 0,
    }
}

// ---------------------------------------------------------------- world --

/// The mutable part of the state that rules change.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct World {
    pub public: PublicState,
    pub hidden: HiddenTracks,
    pub ip: PerFaction<u32>,
}

impl World {
    pub fn of(s: &State) -> World {
        World {
            public: s.public.clone(),
            hidden: s.hidden,
            ip: PerFaction::from_fn(|f| s.factions[f].ip),
        }
    }

    pub fn track(&self, t: Track) -> u8 {
        let p = &self.public.tracks;
        match t {
            Track::GovLegitimacy => p.gov_legitimacy,
            Track::SovietLegitimacy => p.soviet_legitimacy,
            Track::WarWeariness => p.war_weariness,
            Track::Bread => p.bread,
            Track::Reaction => self.hidden.reaction,
            Track::RedGuards => self.hidden.red_guards,
            Track::LoyalTroops => self.hidden.loyal_troops,
        }
    }

    fn track_mut(&mut self, t: Track) -> &mut u8 {
        let p = &mut self.public.tracks;
        match t {
            Track::GovLegitimacy => &mut p.gov_legitimacy,
            Track::SovietLegitimacy => &mut p.soviet_legitimacy,
            Track::WarWeariness => &mut p.war_weariness,
            Track::Bread => &mut p.bread,
            Track::Reaction => &mut self.hidden.reaction,
            Track::RedGuards => &mut self.hidden.red_guards,
            Track::LoyalTroops => &mut self.hidden.loyal_troops,
        }
    }

    fn add(&mut self, t: Track, by: i32) {
        let v = self.track_mut(t);
        *v = clamp(i32::from(*v) + by);
    }

    pub fn unrest(&self, g: Group) -> u8 {
        self.public.groups[&g].unrest
    }

    fn group_mut(&mut self, g: Group) -> &mut GroupState {
        self.public.groups.get_mut(&g).expect("every group exists")
    }

    fn add_unrest(&mut self, g: Group, by: i32) {
        let gs = self.group_mut(g);
        gs.unrest = clamp(i32::from(gs.unrest) + by);
    }

    pub fn has(&self, f: Flag) -> bool {
        self.public.flags.contains(&f)
    }

    fn set_flag(&mut self, f: Flag, on: bool) {
        self.public.flags.retain(|x| *x != f);
        if on {
            self.public.flags.push(f);
            self.public.flags.sort();
        }
    }

    pub fn holds(&self, c: &Condition) -> bool {
        match c {
            Condition::AtLeast { track, value } => self.track(*track) >= *value,
            Condition::Exceeds { track, than } => self.track(*track) > self.track(*than),
            Condition::Flag { flag } => self.has(*flag),
            Condition::NotFlag { flag } => !self.has(*flag),
            Condition::OfferOpen => self.public.coalition_offer_until.is_some(),
            Condition::Coalition => self.public.coalition,
            Condition::NoCoalition => !self.public.coalition,
        }
    }

    /// Sum over groups of weight × support (divide by [`Self::weight_total`]
    /// for the election-weighted mean).
    pub fn national_weighted(&self, sc: &Scenario, f: Faction) -> u64 {
        self.public
            .groups
            .iter()
            .map(|(g, gs)| u64::from(sc.group(*g).weight) * u64::from(gs.support[f]))
            .sum()
    }

    pub fn weight_total(&self, sc: &Scenario) -> u64 {
        Group::ALL
            .iter()
            .map(|g| u64::from(sc.group(*g).weight))
            .sum()
    }

    /// Election-weighted support, rounded.
    pub fn national(&self, sc: &Scenario, f: Faction) -> u32 {
        rounded_div(self.national_weighted(sc, f), self.weight_total(sc)) as u32
    }

    /// The factions whose players sit in the cabinet.
    fn cabinet_factions(&self) -> Vec<Faction> {
        if self.public.coalition {
            vec![Faction::Liberals, Faction::Soviet]
        } else {
            vec![Faction::Liberals]
        }
    }

    pub fn apply_all(&mut self, sc: &Scenario, effects: &[EffectSpec], _actor: Option<Faction>) {
        for e in effects {
            if e.when.is_none_or(|f| self.has(f)) {
                self.apply(sc, &e.effect);
            }
        }
    }

    pub fn apply(&mut self, _sc: &Scenario, effect: &Effect) {
        match effect {
            Effect::Add { track, by } => self.add(*track, *by),
            Effect::Set { track, to } => *self.track_mut(*track) = (*to).min(100),
            Effect::Halve { track } => {
                let v = self.track_mut(*track);
                *v /= 2;
            }
            Effect::Unrest { groups, by } => {
                for g in groups {
                    self.add_unrest(*g, *by);
                }
            }
            Effect::Shift {
                group,
                to,
                by,
                first,
            } => {
                let others: Vec<Faction> = Faction::ALL.into_iter().filter(|f| f != to).collect();
                let support = &mut self.group_mut(*group).support;
                let mut left = *by;
                if let Some(first) = first.filter(|f| f != to) {
                    let t = left.min(u32::from(support[first]));
                    support[first] -= t as u8;
                    support[*to] += t as u8;
                    left -= t;
                }
                shift_from(support, *to, &others, left);
            }
            Effect::Take { group, from, by } => {
                let support = &mut self.group_mut(*group).support;
                let t = (*by).min(u32::from(support[*from]));
                support[*from] -= t as u8;
                let others: Vec<Faction> = Faction::ALL.into_iter().filter(|f| f != from).collect();
                give_proportional(support, &others, t);
            }
            Effect::Move {
                group,
                from,
                to,
                by,
            } => {
                let support = &mut self.group_mut(*group).support;
                let t = (*by).min(u32::from(support[*from]));
                support[*from] -= t as u8;
                support[*to] += t as u8;
            }
            Effect::ShiftToSoviets { group, by } => {
                let seats = self.public.soviet_seats;
                let support = &mut self.group_mut(*group).support;
                let t = (*by).min(u32::from(support.liberals));
                support.liberals -= t as u8;
                let to_bolsheviks =
                    rounded_div(u64::from(t) * u64::from(seats.bolsheviks), 100) as u32;
                support.bolsheviks += to_bolsheviks as u8;
                support.soviet += (t - to_bolsheviks) as u8;
            }
            Effect::Flag { flag } => self.set_flag(*flag, true),
            Effect::ClearFlag { flag } => self.set_flag(*flag, false),
            Effect::Ip { faction, by } => self.ip[*faction] += by,
        }
    }
}

fn clamp(v: i32) -> u8 {
    v.clamp(0, 100) as u8
}

/// `a / b` rounded half up.
fn rounded_div(a: u64, b: u64) -> u64 {
    (2 * a + b) / (2 * b)
}

/// Move up to `amount` support to `to` from `donors`, in proportion to what
/// each donor has (largest remainder); returns what moved.
fn shift_from(support: &mut PerFaction<u8>, to: Faction, donors: &[Faction], amount: u32) -> u32 {
    let taken = take_proportional(support, donors, amount);
    support[to] += taken as u8;
    taken
}

fn take_proportional(support: &mut PerFaction<u8>, donors: &[Faction], amount: u32) -> u32 {
    let total: u32 = donors.iter().map(|f| u32::from(support[*f])).sum();
    let amount = amount.min(total);
    if amount == 0 {
        return 0;
    }
    let shares = apportion(
        amount,
        &donors
            .iter()
            .map(|f| u32::from(support[*f]))
            .collect::<Vec<_>>(),
    );
    for (f, share) in donors.iter().zip(shares) {
        support[*f] -= share as u8;
    }
    amount
}

fn give_proportional(support: &mut PerFaction<u8>, to: &[Faction], amount: u32) {
    let mut weights: Vec<u32> = to.iter().map(|f| u32::from(support[*f])).collect();
    if weights.iter().all(|w| *w == 0) {
        weights.iter_mut().for_each(|w| *w = 1);
    }
    for (f, share) in to.iter().zip(apportion(amount, &weights)) {
        support[*f] += share as u8;
    }
}

/// Split `amount` in proportion to `weights` by largest remainder (ties to
/// the earlier). Each share is at most `amount * w / total` rounded up.
fn apportion(amount: u32, weights: &[u32]) -> Vec<u32> {
    let total: u64 = weights.iter().map(|w| u64::from(*w)).sum();
    if total == 0 {
        return vec![0; weights.len()];
    }
    let mut shares: Vec<u32> = weights
        .iter()
        .map(|w| (u64::from(amount) * u64::from(*w) / total) as u32)
        .collect();
    let mut rest = amount - shares.iter().sum::<u32>();
    let mut order: Vec<usize> = (0..weights.len()).collect();
    order.sort_by_key(|i| std::cmp::Reverse(u64::from(amount) * u64::from(weights[*i]) % total));
    for i in order {
        if rest == 0 {
            break;
        }
        if weights[i] > 0 {
            shares[i] += 1;
            rest -= 1;
        }
    }
    shares
}

// ----------------------------------------------------------- resolution --

/// What the round's resolution needs to remember between its steps.
struct Round<'a> {
    def: Option<&'a EventDef>,
    card: Option<EventCard>,
    call_on_soviet: bool,
    all_power: bool,
    seize: bool,
}

/// Close the votes, apply everything in GAME.md's order, check the endings.
fn resolve(tx: &mut Tx, now_ms: u64) {
    let sc = tx.scenario;
    let s = tx.state().clone();
    let round = s.round;

    // Tally.
    let results: Vec<VoteResult> = s
        .round_motions()
        .filter(|m| m.status == MotionStatus::Tabled)
        .map(|m| VoteResult {
            motion: m.id,
            tally: tally(&s, m),
        })
        .collect();
    tx.emit(
        Audience::Everyone,
        GameEvent::VotesClosed {
            results: results.clone(),
        },
    );

    let mut world = World::of(&s);
    let mut story: Vec<String> = Vec::new();
    let mut ctx = Round {
        // The event on the table: the month's, or one the host injected.
        def: s
            .event
            .as_ref()
            .and_then(|c| sc.events.iter().find(|e| e.id == c.id))
            .or_else(|| sc.event(round)),
        card: s.event.clone(),
        call_on_soviet: false,
        all_power: false,
        seize: false,
    };
    let mut rng =
        ChaCha8Rng::seed_from_u64(s.seed ^ u64::from(round).wrapping_mul(0x9E37_79B9_7F4A_7C15));

    // The votes, in a line.
    for r in &results {
        let m = s.motion(r.motion).expect("tallied motions exist");
        story.push(vote_line(m, &r.tally));
    }

    // 1-2. Passed decrees, then passed resolutions, each in tabling order.
    for institution in [Institution::Government, Institution::Soviet] {
        for r in results.iter().filter(|r| r.tally.passed) {
            let m = s.motion(r.motion).expect("tallied motions exist");
            if m.institution == institution {
                apply_motion(
                    sc, &mut world, &mut ctx, &mut rng, round, m.motion, &mut story,
                );
            }
        }
    }

    // 3. Faction actions, all at once.
    let mut revealed = Vec::new();
    for f in Faction::ALL {
        let plan = &s.factions[f].plan;
        revealed.push(RevealedActions {
            faction: f,
            actions: plan.iter().map(|a| a.action).collect(),
        });
        // One line per action, so each change names its cause. The
        // insurrection's outcome is told with the endings.
        for a in plan {
            let before = world.clone();
            let done = apply_action(sc, &mut world, f, a.action);
            if a.action == Action::SeizePower {
                ctx.seize = true;
            }
            let cause = format!("The {} {}", f.name(), action_phrase(a.action));
            if !done {
                story.push(format!(
                    "{cause}, but it could not be carried out: {} The influence spent on it is lost.",
                    action_def(sc, a.action)
                        .and_then(|d| d.requires.iter().find(|c| !world.holds(c)))
                        .map_or_else(
                            || "its condition no longer held.".to_string(),
                            condition_failure
                        )
                ));
            } else if a.action == Action::SeizePower {
                story.push(format!("{cause}."));
            } else {
                story.push(sentence(&cause, &describe(sc, &before, &world)));
            }
        }
    }
    if ctx.card.as_ref().is_some_and(|c| c.street_rises) && !ctx.seize {
        if let Some(j) = ctx.def.and_then(|d| d.july_days.as_ref()) {
            let before = world.clone();
            world.apply(
                sc,
                &Effect::Take {
                    group: Group::Workers,
                    from: Faction::Bolsheviks,
                    by: u32::from(j.disowned_workers_support),
                },
            );
            story.push(sentence(
                "The Bolsheviks disowned the July rising",
                &describe(sc, &before, &world),
            ));
        }
    }

    // 4. The monthly drift, each of its causes in its own sentence.
    drift(sc, &mut world, &mut story);

    // 5. Soviet by-elections.
    let before = world.clone();
    by_elections(sc, &mut world, ctx.def);
    let changes = describe(sc, &before, &world);
    if !changes.is_empty() {
        let cause = match ctx.def {
            Some(d) if d.byelection_step.is_some() => format!(
                "Soviet by-elections (workers and soldiers re-elect their deputies; the month's event, {}, lets more seats move)",
                d.title
            ),
            _ => "Soviet by-elections (workers and soldiers re-elect their deputies)".to_string(),
        };
        story.push(sentence(&cause, &changes));
    }

    // 6. Endings.
    let ending = endings(sc, &mut world, &ctx, round, &mut story);

    // Where things stand after the whole resolution: the only absolute
    // figures of the story, so they always agree with the state.
    if let Some(now) = standings(sc, &World::of(&s), &world) {
        story.push(now);
    }

    tx.commit(&world);
    tx.emit(
        Audience::Everyone,
        GameEvent::Resolved {
            round,
            actions: revealed,
            summary: story,
        },
    );
    if let Some(mut outcome) = ending {
        outcome.at_ms = Some(now_ms);
        tx.emit(Audience::Everyone, GameEvent::GameEnded { outcome });
    }
}

/// Count a motion's ballots. Cabinet: one vote each, more yes than no.
/// Soviet: each faction's seats split among its players who voted; more
/// than 50 yes seats.
fn tally(s: &State, m: &MotionView) -> Tally {
    let empty = BTreeMap::new();
    let ballots = s.ballots.get(&m.id).unwrap_or(&empty);
    let roll_call = roll_call(s, ballots);
    let count =
        |entries: &[&RollCallEntry], v: Vote| entries.iter().filter(|e| e.vote == v).count() as f64;
    match m.institution {
        Institution::Government => {
            let members = s.cabinet();
            let voted: Vec<&RollCallEntry> = roll_call
                .iter()
                .filter(|e| members.contains(&e.player))
                .collect();
            let yes = count(&voted, Vote::Yes);
            let no = count(&voted, Vote::No);
            let abstain = members.len() as f64 - yes - no;
            Tally {
                yes,
                no,
                abstain,
                passed: yes > no,
                note: None,
                roll_call,
            }
        }
        Institution::Soviet => {
            let (mut yes, mut no, mut abstain) = (0.0, 0.0, 0.0);
            for f in [Faction::Soviet, Faction::Bolsheviks] {
                let seats = f64::from(s.public.soviet_seats[f]);
                let voted: Vec<&RollCallEntry> =
                    roll_call.iter().filter(|e| e.faction == f).collect();
                if voted.is_empty() {
                    abstain += seats;
                    continue;
                }
                let n = voted.len() as f64;
                yes += seats * count(&voted, Vote::Yes) / n;
                no += seats * count(&voted, Vote::No) / n;
                abstain += seats * count(&voted, Vote::Abstain) / n;
            }
            let round1 = |x: f64| (x * 10.0).round() / 10.0;
            Tally {
                yes: round1(yes),
                no: round1(no),
                abstain: round1(abstain),
                passed: yes > 50.0 + 1e-9,
                note: None,
                roll_call,
            }
        }
    }
}

fn vote_line(m: &MotionView, t: &Tally) -> String {
    let unit = match m.institution {
        Institution::Government => "votes",
        Institution::Soviet => "seats",
    };
    format!(
        "{} {} {} ({} yes, {} no, {} abstaining {unit}).",
        motion_title(m.motion),
        match m.institution {
            Institution::Government => "(decree)",
            Institution::Soviet => "(resolution)",
        },
        if t.passed { "passed" } else { "failed" },
        t.yes,
        t.no,
        t.abstain
    )
}

#[allow(clippy::too_many_arguments)]
fn apply_motion(
    sc: &Scenario,
    world: &mut World,
    ctx: &mut Round,
    rng: &mut ChaCha8Rng,
    round: u8,
    motion: Motion,
    story: &mut Vec<String>,
) {
    let def = sc.motion(motion);
    let title = motion_title(motion);
    if let Some(c) = def.requires.iter().find(|c| !world.holds(c)) {
        story.push(format!(
            "{title} passed but could not be carried out: {}",
            condition_failure(c)
        ));
        return;
    }
    let before = world.clone();
    let mut cause = match def.gist.trim() {
        "" => title.clone(),
        gist => format!("{title} ({gist})"),
    };
    match motion {
        Motion::Offensive => {
            let bonus = ctx.def.map_or(0, |d| d.offensive_bonus);
            let odds = i32::from(world.hidden.loyal_troops)
                - i32::from(world.public.tracks.war_weariness)
                    / sc.rules.offensive.weariness_divisor
                + bonus;
            let odds = odds.clamp(0, 100);
            let roll = rng.random_range(0..100);
            let won = roll < odds;
            let effects = if won {
                &sc.rules.offensive.success
            } else {
                &sc.rules.offensive.failure
            };
            world.apply_all(sc, effects, None);
            // In words: with war weariness public, the number would give
            // away the hidden loyal troops.
            cause = format!(
                "The offensive {} (its odds were {}{})",
                if won { "succeeded" } else { "failed" },
                odds_in_words(odds),
                match ctx.def {
                    Some(d) if bonus != 0 => format!(
                        "; the month's event, {}, made them {}",
                        d.title,
                        if bonus > 0 { "better" } else { "worse" }
                    ),
                    _ => String::new(),
                }
            );
        }
        Motion::ScheduleElections { round: r } => {
            world.public.election_round = r;
            world.apply_all(sc, &def.effects, None);
        }
        Motion::PostponeElections => {
            world.public.election_round = (world.public.election_round + 1).min(sc.rounds + 1);
            world.apply_all(sc, &def.effects, None);
        }
        Motion::OfferCoalition => {
            world.public.coalition_offer_until =
                Some(round + sc.rules.coalition.offer_extra_rounds);
            if ctx.def.is_some_and(|d| d.free_coalition_offer) {
                cause.push_str(" (at no cost this month)");
            } else {
                world.apply_all(sc, &def.effects, None);
            }
        }
        Motion::JoinCoalition => {
            world.public.coalition = true;
            world.public.coalition_offer_until = None;
            world.apply_all(sc, &def.effects, None);
        }
        Motion::LeaveCoalition => {
            world.public.coalition = false;
            world.apply_all(sc, &def.effects, None);
        }
        Motion::CallOnSoviet => {
            ctx.call_on_soviet = true;
            world.apply_all(sc, &def.effects, None);
        }
        Motion::AllPowerToSoviets => {
            ctx.all_power = true;
            world.apply_all(sc, &def.effects, None);
        }
        _ => world.apply_all(sc, &def.effects, None),
    }
    world.public.passed.push(motion);
    let changes = describe(sc, &before, world);
    if !changes.is_empty() {
        story.push(sentence(&cause, &changes));
    } else if motion == Motion::Offensive {
        story.push(format!("{cause}."));
    }
}

/// Apply one planned action; false if its precondition no longer holds.
fn apply_action(sc: &Scenario, world: &mut World, f: Faction, action: Action) -> bool {
    let a = &sc.actions;
    let def = match action {
        Action::Agitate { group } => {
            let ag = &a.agitate;
            let mut amount = u64::from(ag.amount) * 100 * 100;
            let mut percent_free = 100;
            let mut percent_unrest = 100;
            if world.has(Flag::FreePress) {
                percent_free = ag.free_press_percent;
            }
            if f == Faction::Bolsheviks && world.unrest(group) >= ag.bolshevik_unrest_at_least {
                percent_unrest = ag.bolshevik_unrest_percent;
            }
            amount = amount * u64::from(percent_free) / 100 * u64::from(percent_unrest) / 100;
            let amount = rounded_div(amount, 100 * 100) as u32;
            let others: Vec<Faction> = Faction::ALL.into_iter().filter(|x| *x != f).collect();
            let support = &mut world.group_mut(group).support;
            shift_from(support, f, &others, amount);
            return true;
        }
        Action::PressCampaign => &a.press_campaign,
        Action::Organize => &a.organize,
        Action::Relief => &a.relief,
        Action::Suppress => &a.suppress,
        Action::SeizePower => return true,
        Action::Unknown => return false,
    };
    if !def.requires.iter().all(|c| world.holds(c)) {
        return false;
    }
    world.apply_all(sc, &def.effects, Some(f));
    if let Some(effects) = def.by_faction.get(&f) {
        world.apply_all(sc, effects, Some(f));
    }
    true
}

/// The monthly drift (GAME.md's order), telling each cause apart.
fn drift(sc: &Scenario, world: &mut World, story: &mut Vec<String>) {
    let d = &sc.rules.drift;
    for e in &d.effects {
        let before = world.clone();
        world.apply_all(sc, std::slice::from_ref(e), None);
        let cause = match &e.effect {
            Effect::Add {
                track: Track::Bread,
                ..
            } => "Bread ran short, as every month",
            Effect::Add {
                track: Track::WarWeariness,
                ..
            } => "The war went on",
            Effect::Add {
                track: Track::SovietLegitimacy,
                ..
            } => "The Soviet's promises wore thin, as every month",
            _ => "The month passed",
        };
        push_changes(sc, story, cause, &before, world);
    }
    let t = world.public.tracks;
    let weariness = (i32::from(t.war_weariness) - d.weariness_pivot) / d.unrest_divisor;
    let hunger = (d.bread_pivot - i32::from(t.bread)) / d.unrest_divisor;
    let before = world.clone();
    for g in Group::ALL {
        world.add_unrest(g, weariness + hunger);
    }
    // No levels in the cause: they are told once, after the resolution.
    let cause = if weariness + hunger > 0 {
        "War weariness and hunger stirred unrest"
    } else {
        "Peace and bread calmed the country"
    };
    push_changes(sc, story, cause, &before, world);
    let cabinet = world.cabinet_factions();
    let before = world.clone();
    for g in [Group::Workers, Group::Soldiers] {
        if world.unrest(g) >= d.radical_unrest {
            let support = &mut world.group_mut(g).support;
            shift_from(
                support,
                Faction::Bolsheviks,
                &cabinet,
                u32::from(d.radical_shift),
            );
        }
    }
    push_changes(
        sc,
        story,
        &format!(
            "Angry workers and soldiers (unrest {} or more) turned from the cabinet to the Bolsheviks",
            d.radical_unrest
        ),
        &before,
        world,
    );
    if !world.has(Flag::ElectionsScheduled) {
        let before = world.clone();
        world.add(Track::GovLegitimacy, d.unelected_gov);
        push_changes(
            sc,
            story,
            "Nobody elected the Government, and no date is set for the elections",
            &before,
            world,
        );
    }
    if world.public.tracks.bread < d.bread_lines_below {
        let before = world.clone();
        world.add(Track::GovLegitimacy, d.bread_lines_gov);
        push_changes(
            sc,
            story,
            &format!("Bread lines (bread below {})", d.bread_lines_below),
            &before,
            world,
        );
    }
    if world.public.coalition {
        let before = world.clone();
        let c = &sc.rules.coalition;
        world.add(Track::SovietLegitimacy, c.soviet_legitimacy);
        for g in [Group::Workers, Group::Soldiers] {
            world.apply(
                sc,
                &Effect::Move {
                    group: g,
                    from: Faction::Soviet,
                    to: Faction::Bolsheviks,
                    by: u32::from(c.shift_to_bolsheviks),
                },
            );
        }
        push_changes(
            sc,
            story,
            "The coalition's drain (the moderates share the Government's blame)",
            &before,
            world,
        );
    }
}

/// A sentence for a cause, if it changed anything.
fn push_changes(sc: &Scenario, story: &mut Vec<String>, cause: &str, a: &World, b: &World) {
    let changes = describe(sc, a, b);
    if !changes.is_empty() {
        story.push(sentence(cause, &changes));
    }
}

fn by_elections(sc: &Scenario, world: &mut World, def: Option<&EventDef>) {
    let (mut b, mut s) = (0u64, 0u64);
    for g in [Group::Workers, Group::Soldiers] {
        let sup = world.public.groups[&g].support;
        b += u64::from(sup.bolsheviks);
        s += u64::from(sup.soviet);
    }
    if b + s == 0 {
        return;
    }
    let target = rounded_div(100 * b, b + s) as i32;
    let step = i32::from(
        def.and_then(|d| d.byelection_step)
            .unwrap_or(sc.rules.byelection_step),
    );
    let now = i32::from(world.public.soviet_seats.bolsheviks);
    let next = now + (target - now).clamp(-step, step);
    world.public.soviet_seats.bolsheviks = next as u8;
    world.public.soviet_seats.soviet = (100 - next) as u8;
}

/// Check the endings in GAME.md's order; the outcome if the game is over.
fn endings(
    sc: &Scenario,
    world: &mut World,
    ctx: &Round,
    round: u8,
    story: &mut Vec<String>,
) -> Option<Outcome> {
    let r = &sc.rules;
    // 1. Military dictatorship.
    let coup = ctx.card.as_ref().is_some_and(|c| c.coup_attempt)
        || world.hidden.reaction >= r.coup.reaction_trigger;
    if coup {
        let h = world.hidden;
        let wins = !ctx.call_on_soviet
            && i32::from(h.loyal_troops) + i32::from(h.reaction)
                > i32::from(h.red_guards) + r.coup.margin;
        if wins {
            story.push("The generals' coup succeeds: troops loyal to the commander-in-chief take Petrograd.".into());
            return Some(outcome(sc, world, Ending::MilitaryDictatorship, round, vec![],
                "General Kornilov's troops enter Petrograd; the Soviet is dispersed and the ministers answer to the army. A military dictatorship rules Russia, and every faction has lost.".into(), None));
        }
        let before = world.clone();
        world.apply_all(sc, &r.coup.failure, None);
        let why = if ctx.call_on_soviet {
            "The generals' coup collapses: the Government called on the Soviet, and armed workers and railwaymen stopped the troops"
        } else {
            "The generals' coup fails: the troops would not march against the capital's defenders"
        };
        story.push(sentence(why, &describe(sc, &before, world)));
    }
    // 2. Collapse.
    let order = order(&world.public);
    if order <= r.collapse_order {
        story.push(format!("Order has collapsed (order {order})."));
        return Some(outcome(sc, world, Ending::Collapse, round, vec![],
            "Bread riots, mutinies and land seizures spread beyond anyone's control. Neither the Government nor the Soviet can govern: Russia collapses into chaos, and every faction has lost.".into(), None));
    }
    // 3. The October insurrection.
    if ctx.seize {
        let mut red = i32::from(world.hidden.red_guards);
        if world.has(Flag::Mrc) {
            red += r.insurrection.mrc_bonus;
        }
        if ctx.card.as_ref().is_some_and(|c| c.street_rises) {
            if let Some(j) = ctx.def.and_then(|d| d.july_days.as_ref()) {
                red += j.led_red_guards;
            }
        }
        world.set_flag(Flag::Mrc, false);
        let seats_ok = world.public.soviet_seats.bolsheviks > r.insurrection.seats_above;
        let gov_weak = world.public.tracks.gov_legitimacy < r.insurrection.gov_below;
        if red > i32::from(world.hidden.loyal_troops) && (seats_ok || gov_weak) {
            story.push("The insurrection succeeds: the Red Guards outnumber the loyal troops, and the Winter Palace falls.".into());
            return Some(outcome(sc, world, Ending::OctoberInsurrection, round, vec![Faction::Bolsheviks],
                "Red Guards and sailors take the bridges, the telegraph and the Winter Palace; the ministers are arrested. The Bolsheviks have seized power in the name of the Soviets.".into(), None));
        }
        let before = world.clone();
        world.apply(
            sc,
            &Effect::Halve {
                track: Track::RedGuards,
            },
        );
        world.apply_all(sc, &r.insurrection.failure, None);
        let why = if !(seats_ok || gov_weak) {
            "The insurrection fails: without a Soviet majority, and with the Government still standing, the rising finds no mandate"
        } else {
            "The insurrection fails: the loyal troops outnumber the Red Guards"
        };
        story.push(sentence(why, &describe(sc, &before, world)));
    }
    // 4. All power to the Soviets.
    if ctx.all_power {
        let bonus = ctx.def.map_or(0, |d| d.all_power_bonus);
        let soviet = i32::from(world.public.tracks.soviet_legitimacy) + bonus;
        let gov = i32::from(world.public.tracks.gov_legitimacy);
        let seats = world.public.soviet_seats;
        let majority = [Faction::Soviet, Faction::Bolsheviks]
            .into_iter()
            .find(|f| seats[*f] > 50);
        match majority {
            Some(m) if soviet > gov => {
                story.push(format!("All power passes to the Soviets: their legitimacy ({soviet}) outweighs the Government's ({gov})."));
                return Some(outcome(sc, world, Ending::AllPowerToSoviets, round, vec![m],
                    format!("The Provisional Government hands over to the Soviets, which now rule Russia. The {} hold the Soviet majority and win.", m.name()), None));
            }
            Some(_) => story.push(format!(
                "The call for all power to the Soviets falls flat: the Soviet's legitimacy ({soviet}) does not exceed the Government's ({gov})."
            )),
            None => story.push("The call for all power to the Soviets falls flat: no faction holds a Soviet majority to take it.".into()),
        }
    }
    // 5. The Constituent Assembly.
    if round + 1 >= world.public.election_round || round >= sc.rounds {
        let national: Vec<u32> = Faction::ALL
            .iter()
            .map(|f| world.national_weighted(sc, *f) as u32)
            .collect();
        let seats = apportion(r.assembly.seats, &national);
        let seats = PerFaction::new(seats[0], seats[1], seats[2]);
        let most = Faction::ALL.iter().map(|f| seats[*f]).max().unwrap_or(0);
        let mut winners: Vec<Faction> = Faction::ALL
            .into_iter()
            .filter(|f| seats[*f] == most)
            .collect();
        let gov = world.public.tracks.gov_legitimacy;
        let handover = gov >= r.assembly.liberal_legitimacy;
        if handover && !winners.contains(&Faction::Liberals) {
            winners.insert(0, Faction::Liberals);
        }
        story.push(format!(
            "The Constituent Assembly is elected: {} seats to the liberals, {} to the Soviet delegates, {} to the Bolsheviks.",
            seats.liberals, seats.soviet, seats.bolsheviks
        ));
        let mut text = format!(
            "Russia votes. Of the Constituent Assembly's {} seats, the liberals win {}, the Soviet delegates {} and the Bolsheviks {}.",
            r.assembly.seats, seats.liberals, seats.soviet, seats.bolsheviks
        );
        if handover {
            text.push_str(&format!(" With its legitimacy at {gov}, the Provisional Government hands power to the elected Assembly."));
        }
        text.push_str(&format!(
            " Winners: {}.",
            join_and(
                &winners
                    .iter()
                    .map(|f| f.name().to_string())
                    .collect::<Vec<_>>()
            )
        ));
        return Some(outcome(
            sc,
            world,
            Ending::ConstituentAssembly,
            round,
            winners,
            text,
            Some(seats),
        ));
    }
    None
}

fn outcome(
    sc: &Scenario,
    world: &World,
    ending: Ending,
    round: u8,
    winners: Vec<Faction>,
    summary: String,
    assembly: Option<PerFaction<u32>>,
) -> Outcome {
    let scores = Faction::ALL
        .into_iter()
        .map(|f| {
            let institution = match f {
                Faction::Liberals => world.public.tracks.gov_legitimacy,
                Faction::Soviet => world.public.tracks.soviet_legitimacy,
                Faction::Bolsheviks => world.public.soviet_seats.bolsheviks,
            };
            FactionScore {
                faction: f,
                won: winners.contains(&f),
                score: world.national(sc, f) + u32::from(institution),
                assembly_seats: assembly.map(|a| a[f]),
            }
        })
        .collect();
    Outcome {
        ending,
        round,
        winners,
        scores,
        summary,
        at_ms: None,
    }
}

// ------------------------------------------------------------ narrative --

fn sentence(cause: &str, changes: &[String]) -> String {
    if changes.is_empty() {
        format!("{cause}: nothing changed.")
    } else {
        format!("{cause}: {}.", changes.join("; "))
    }
}

fn join_and(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

fn track_noun(t: Track) -> String {
    match t {
        Track::GovLegitimacy => "the Government's legitimacy".into(),
        Track::SovietLegitimacy => "the Soviet's legitimacy".into(),
        Track::WarWeariness => "war weariness".into(),
        Track::Bread => "bread".into(),
        Track::Reaction => "reaction".into(),
        Track::RedGuards => "the Red Guards".into(),
        Track::LoyalTroops => "loyal troops".into(),
    }
}

fn flag_name(f: Flag) -> &'static str {
    match f {
        Flag::FreePress => "a free press",
        Flag::AtWar => "the war-until-victory policy",
        Flag::ElectionsScheduled => "a date for the elections",
        Flag::Mrc => "the Military Revolutionary Committee",
    }
}

pub(crate) fn motion_title(m: Motion) -> String {
    let base = m.id().replace('_', " ");
    let mut title = match m {
        Motion::ScheduleElections { round } => format!("Schedule elections for round {round}"),
        Motion::OrderNo1 => "Order No. 1".into(),
        Motion::FormMrc => "Form the Military Revolutionary Committee".into(),
        _ => base,
    };
    if let Some(first) = title.get(0..1) {
        title = first.to_uppercase() + &title[1..];
    }
    title
}

fn action_phrase(a: Action) -> String {
    match a {
        Action::Agitate { group } => format!("agitated among the {}", group.id()),
        Action::PressCampaign => "ran a press campaign".into(),
        Action::Organize => "organized".into(),
        Action::Relief => "organized bread relief".into(),
        Action::Suppress => "sent troops to suppress the Red Guards".into(),
        Action::SeizePower => "rose to seize power".into(),
        Action::Unknown => "did something unknown".into(),
    }
}

fn possessive(g: Group) -> &'static str {
    match g {
        Group::Workers => "the workers'",
        Group::Soldiers => "the soldiers'",
        Group::Peasants => "the peasants'",
        Group::Middle => "the middle classes'",
    }
}

/// What changed between two worlds, in words a class can read aloud. Every
/// figure is a change ("rose 8", "won 5 points"), never a level: the levels
/// are told once, after the whole resolution, by [`standings`]. Hidden
/// tracks are told in bands only: the narrative is public.
fn describe(sc: &Scenario, a: &World, b: &World) -> Vec<String> {
    let mut out = Vec::new();
    let verb = |x: u8, y: u8| {
        if y > x {
            format!("rose {}", y - x)
        } else {
            format!("fell {}", x - y)
        }
    };
    for t in [
        Track::GovLegitimacy,
        Track::SovietLegitimacy,
        Track::WarWeariness,
        Track::Bread,
    ] {
        let (x, y) = (a.track(t), b.track(t));
        if x != y {
            out.push(format!("{} {}", track_noun(t), verb(x, y)));
        }
    }
    for t in [Track::RedGuards, Track::LoyalTroops, Track::Reaction] {
        let (x, y) = (a.track(t), b.track(t));
        if x != y {
            let grew = if y > x { "grew" } else { "weakened" };
            out.push(format!("{} {grew}", track_noun(t)));
        }
    }
    // Unrest: one phrase when every group moved alike.
    let unrest: Vec<(Group, u8, u8)> = Group::ALL
        .into_iter()
        .map(|g| (g, a.unrest(g), b.unrest(g)))
        .collect();
    let alike = unrest.iter().all(|(_, x, y)| x != y)
        && unrest.iter().all(|(_, x, y)| {
            i32::from(*y) - i32::from(*x) == i32::from(unrest[0].2) - i32::from(unrest[0].1)
        });
    if alike {
        let (_, x, y) = unrest[0];
        out.push(format!("every group's unrest {}", verb(x, y)));
    }
    for g in Group::ALL {
        let (ga, gb) = (&a.public.groups[&g], &b.public.groups[&g]);
        if let Some(line) = support_change(g, &ga.support, &gb.support) {
            out.push(line);
        }
        if ga.unrest != gb.unrest && !alike {
            out.push(format!(
                "{} unrest {}",
                possessive(g),
                verb(ga.unrest, gb.unrest)
            ));
        }
    }
    let (sa, sb) = (
        a.public.soviet_seats.bolsheviks,
        b.public.soviet_seats.bolsheviks,
    );
    if sa != sb {
        let (verb, n) = if sb > sa {
            ("won", sb - sa)
        } else {
            ("lost", sa - sb)
        };
        out.push(format!("the Bolsheviks {verb} {n} Soviet seats"));
    }
    for f in Flag::ALL {
        match (a.has(f), b.has(f)) {
            (false, true) => out.push(format!("{} is now in force", flag_name(f))),
            (true, false) => out.push(format!("{} is no longer in force", flag_name(f))),
            _ => {}
        }
    }
    if a.public.coalition != b.public.coalition {
        out.push(if b.public.coalition {
            "Soviet delegates now sit in a coalition cabinet".into()
        } else {
            "the coalition is over".into()
        });
    }
    if a.public.coalition_offer_until != b.public.coalition_offer_until {
        if let Some(r) = b.public.coalition_offer_until {
            out.push(format!("an offer of coalition stands until round {r}"));
        }
    }
    if a.public.election_round != b.public.election_round {
        let r = b.public.election_round;
        if r > sc.rounds {
            out.push("the Constituent Assembly will be elected after the last round".into());
        } else {
            out.push(format!(
                "the Constituent Assembly will be elected before round {r} ({})",
                sc.month(r)
            ));
        }
    }
    out
}

/// How a group's support moved, every faction's share accounted for:
/// "the Bolsheviks won 5 points among the workers (3 from the Soviet
/// delegates, 2 from the liberals)".
fn support_change(g: Group, a: &PerFaction<u8>, b: &PerFaction<u8>) -> Option<String> {
    let deltas: Vec<(Faction, i32)> = Faction::ALL
        .into_iter()
        .map(|f| (f, i32::from(b[f]) - i32::from(a[f])))
        .filter(|(_, d)| *d != 0)
        .collect();
    let gainers: Vec<&(Faction, i32)> = deltas.iter().filter(|(_, d)| *d > 0).collect();
    let losers: Vec<&(Faction, i32)> = deltas.iter().filter(|(_, d)| *d < 0).collect();
    let part = |(f, d): &&(Faction, i32), dir: &str| format!("{} {dir} the {}", d.abs(), f.name());
    match (gainers.as_slice(), losers.as_slice()) {
        ([], _) | (_, []) => None,
        ([(f, d)], losers) => Some(format!(
            "the {} won {d} points among the {} ({})",
            f.name(),
            g.id(),
            losers
                .iter()
                .map(|l| part(l, "from"))
                .collect::<Vec<_>>()
                .join(", ")
        )),
        (gainers, [(f, d)]) => Some(format!(
            "the {} lost {} points among the {} ({})",
            f.name(),
            -d,
            g.id(),
            gainers
                .iter()
                .map(|w| part(w, "to"))
                .collect::<Vec<_>>()
                .join(", ")
        )),
        _ => None,
    }
}

/// The levels that changed between `a` and `b`, in one sentence starting
/// "Now:". Hidden tracks in bands.
fn standings(sc: &Scenario, a: &World, b: &World) -> Option<String> {
    let mut parts = Vec::new();
    for t in [
        Track::GovLegitimacy,
        Track::SovietLegitimacy,
        Track::WarWeariness,
        Track::Bread,
    ] {
        if a.track(t) != b.track(t) {
            parts.push(format!("{} {}", track_noun(t), b.track(t)));
        }
    }
    let (oa, ob) = (order(&a.public), order(&b.public));
    if oa != ob {
        parts.push(format!("order {ob}"));
    }
    for t in [Track::RedGuards, Track::LoyalTroops, Track::Reaction] {
        if band(sc, a.track(t)) != band(sc, b.track(t)) {
            parts.push(format!("{} {}", track_noun(t), band(sc, b.track(t))));
        }
    }
    if a.public.soviet_seats != b.public.soviet_seats {
        parts.push(format!(
            "Soviet seats: the Bolsheviks {}, the Soviet delegates {}",
            b.public.soviet_seats.bolsheviks, b.public.soviet_seats.soviet
        ));
    }
    for g in Group::ALL {
        let (ga, gb) = (&a.public.groups[&g], &b.public.groups[&g]);
        if ga.support != gb.support {
            let shares: Vec<String> = Faction::ALL
                .into_iter()
                .map(|f| format!("the {} {}%", f.name(), gb.support[f]))
                .collect();
            parts.push(format!("among the {}: {}", g.id(), shares.join(", ")));
        }
        if ga.unrest != gb.unrest {
            parts.push(format!("{} unrest {}", possessive(g), gb.unrest));
        }
    }
    (!parts.is_empty()).then(|| format!("Now: {}.", parts.join("; ")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apportion_keeps_the_total_and_the_proportions() {
        assert_eq!(apportion(5, &[10, 70]), vec![1, 4]);
        assert_eq!(apportion(3, &[1, 1, 1]), vec![1, 1, 1]);
        assert_eq!(apportion(700, &[2275, 6955, 770]).iter().sum::<u32>(), 700);
        assert_eq!(apportion(4, &[0, 5]), vec![0, 4]);
    }

    #[test]
    fn take_never_takes_more_than_there_is() {
        let mut s = PerFaction::new(2u8, 97, 1);
        let taken = shift_from(
            &mut s,
            Faction::Soviet,
            &[Faction::Liberals, Faction::Bolsheviks],
            10,
        );
        assert_eq!(taken, 3);
        assert_eq!(s, PerFaction::new(0, 100, 0));
    }
}
