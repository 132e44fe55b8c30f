//! One bot: a player of one faction that decides from what its role may see.
//!
//! [`Bot::decide`] takes the bot's own [`GameView`] (the server's view for
//! that player, or `Game::view` in-process) and returns protocol requests.
//! It never sees another faction's channel, IP or plan, because nothing it
//! gets contains them. Its choices follow its faction's goals (GAME.md,
//! "Factions"), shaded by a temperament, with a seeded RNG so a game of bots
//! is reproducible.
//!
//! **A bot beside people is a teammate.** When its faction has people (not
//! bots) connected, a bot leaves the proposals and the voting phase to them
//! for most of the phase: when the phase opens it says in the faction
//! channel, in a sentence, what it would do and why; it acts only when three
//! quarters of the phase have passed (or when its people are all ready), and
//! then spends only the IP they left, tables only if they tabled nothing,
//! and votes with its people: on a motion most of those who voted chose one
//! way (a faction sees its members' open ballots), it votes that way too,
//! says so in the faction channel, and follows them if they change their
//! minds before the close; where they have not voted (or split evenly) it
//! votes its own way, yes on what they tabled. [`Bot::next_wake`] tells the
//! caller when to ask again. A faction of bots only plays at once, as it
//! always did. A bot never acts while the game is paused.

use protocol::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::HashSet;

/// How a bot plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Temperament {
    /// Spends carefully, avoids confrontation.
    Cautious,
    /// Spends everything, goes for the decisive moves early.
    Bold,
}

/// What actions cost (public: GAME.md), so a bot plans within its IP.
#[derive(Debug, Clone, Copy)]
pub struct Costs {
    pub agitate: u32,
    pub press_campaign: u32,
    pub organize: u32,
    pub relief: u32,
    pub suppress: u32,
    pub seize_power: u32,
}

impl Default for Costs {
    fn default() -> Self {
        Costs {
            agitate: 2,
            press_campaign: 2,
            organize: 3,
            relief: 2,
            suppress: 3,
            seize_power: 5,
        }
    }
}

impl Costs {
    pub fn of(&self, action: Action) -> u32 {
        match action {
            Action::Agitate { .. } => self.agitate,
            Action::PressCampaign => self.press_campaign,
            Action::Organize => self.organize,
            Action::Relief => self.relief,
            Action::Suppress => self.suppress,
            Action::SeizePower => self.seize_power,
            Action::Unknown => u32::MAX,
        }
    }
}

/// What a bot plays for (the balance tool's strategy mixes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strategy {
    /// Its faction's goals, shaded by temperament: the default bots.
    Goals,
    /// What its faction's real actors did in 1917, month by month (the
    /// script of docs/HISTORICAL-SCRIPT.md); its goals where history is
    /// silent, and with the IP history leaves unspent.
    Historical,
    /// Any move the rules may allow, at random: a class without a plan.
    Random,
}

pub struct Bot {
    pub me: PlayerId,
    pub temperament: Temperament,
    pub strategy: Strategy,
    rng: ChaCha8Rng,
    costs: Costs,
    /// (round, phase) already handled.
    done: HashSet<(u8, Phase)>,
    /// (round, phase) in which the bot told its people what it suggests.
    suggested: HashSet<(u8, Phase)>,
}

/// The share of a phase a teammate bot leaves to its people, in quarters:
/// it acts once three quarters of the phase have passed.
const TEAMMATE_WAITS_QUARTERS: u64 = 3;

/// Lines a bot may say on the floor, by faction.
fn lines(f: Faction) -> &'static [&'static str] {
    match f {
        Faction::Liberals => &[
            "Order and law until the Constituent Assembly decides.",
            "Russia keeps faith with her allies.",
            "The Government answers to the people's elected Assembly, not the street.",
            "Freedom of the press is the revolution's first gift.",
        ],
        Faction::Soviet => &[
            "We support the Government insofar as it defends the revolution.",
            "Peace without annexations or indemnities!",
            "The Soviet speaks for the workers and soldiers.",
            "Neither counter-revolution nor adventure.",
        ],
        Faction::Bolsheviks => &[
            "Peace, land and bread!",
            "All power to the Soviets!",
            "No support for the Provisional Government!",
            "The factories to the workers, the land to the peasants.",
        ],
    }
}

impl Bot {
    pub fn new(me: PlayerId, temperament: Temperament, seed: u64) -> Bot {
        Bot {
            me,
            temperament,
            rng: ChaCha8Rng::seed_from_u64(seed ^ (u64::from(me.0) << 32)),
            strategy: Strategy::Goals,
            costs: Costs::default(),
            done: HashSet::new(),
            suggested: HashSet::new(),
        }
    }

    pub fn with_strategy(mut self, strategy: Strategy) -> Bot {
        self.strategy = strategy;
        self
    }

    pub fn with_costs(mut self, costs: Costs) -> Bot {
        self.costs = costs;
        self
    }

    fn bold(&self) -> bool {
        self.temperament == Temperament::Bold
    }

    /// What to do now (`now_ms`: the wall clock, ms since the Unix epoch,
    /// the same clock as the view's deadline). Call it whenever the view
    /// changes and at [`Bot::next_wake`]; the bot acts once per phase and
    /// then says it is ready. Nothing while the game is paused.
    pub fn decide(&mut self, view: &GameView, now_ms: u64) -> Vec<ClientRequest> {
        let (Some(me), Some(faction)) = (view.me(), view.my_faction()) else {
            return Vec::new();
        };
        debug_assert_eq!(me, self.me);
        let (GameStatus::Running, Some(phase)) = (view.status, view.phase) else {
            return Vec::new();
        };
        if view.paused_remaining_ms.is_some() {
            return Vec::new();
        }
        if self.done.contains(&(view.round, phase)) {
            // Voted already: its people may have voted (or changed their
            // minds) since; it follows them until the close.
            return match phase {
                Phase::Voting => self.follow_people(view),
                _ => Vec::new(),
            };
        }
        let mut out = Vec::new();
        if self.waits_for_people(view, faction, phase) {
            if self.suggested.insert((view.round, phase)) {
                if let Some(text) = self.suggestion(view, faction, phase) {
                    out.push(ClientRequest::Chat {
                        channel: Channel::Faction,
                        text,
                    });
                }
            }
            let due = self.wake_at(view, phase).is_some_and(|at| now_ms >= at)
                || self.people_ready(view, faction);
            if !due {
                return out;
            }
        }
        self.done.insert((view.round, phase));
        out.extend(match phase {
            Phase::Briefing | Phase::Resolution => Vec::new(),
            Phase::Negotiation => self.speak(faction),
            Phase::Proposals => self.propose(view, faction),
            Phase::Voting => {
                let mut v = self.vote(view, faction);
                v.extend(self.plan(view, faction));
                v
            }
        });
        out.push(ClientRequest::SetReady { ready: true });
        out
    }

    /// When to call [`Bot::decide`] again even if nothing happens: the
    /// moment a teammate bot stops waiting for its people. `None` when the
    /// bot has nothing left to do this phase (or the game is paused).
    pub fn next_wake(&self, view: &GameView) -> Option<u64> {
        let faction = view.my_faction()?;
        let phase = view.phase?;
        if view.status != GameStatus::Running
            || view.paused_remaining_ms.is_some()
            || self.done.contains(&(view.round, phase))
            || !self.waits_for_people(view, faction, phase)
        {
            return None;
        }
        self.wake_at(view, phase)
    }

    /// People (not bots) of the bot's faction who are connected.
    fn people(
        view: &GameView,
        faction: Faction,
        me: PlayerId,
    ) -> impl Iterator<Item = &PlayerInfo> {
        view.players
            .iter()
            .filter(move |p| p.faction == faction && p.id != me && !p.bot && p.connected)
    }

    /// Whether this bot leaves the phase to its people first: it is a bot
    /// seated by the host, beside people, in a phase where a faction plans.
    fn waits_for_people(&self, view: &GameView, faction: Faction, phase: Phase) -> bool {
        matches!(phase, Phase::Proposals | Phase::Voting)
            && view.player(self.me).is_some_and(|p| p.bot)
            && Self::people(view, faction, self.me).next().is_some()
    }

    /// Every person of the faction has said they are ready: they are done.
    fn people_ready(&self, view: &GameView, faction: Faction) -> bool {
        Self::people(view, faction, self.me).all(|p| view.ready.contains(&p.id))
    }

    /// Three quarters into the phase, from its deadline and its timer.
    fn wake_at(&self, view: &GameView, phase: Phase) -> Option<u64> {
        let deadline = view.deadline_ms?;
        let length = u64::from(view.settings.timers.get(phase)) * 1000;
        Some(deadline.saturating_sub(length * (4 - TEAMMATE_WAITS_QUARTERS) / 4))
    }

    /// One sentence for the faction channel: what the bot would do and why.
    fn suggestion(&mut self, view: &GameView, faction: Faction, phase: Phase) -> Option<String> {
        match phase {
            // Only the bot that would table (its faction's lead bot) says
            // what it would table.
            Phase::Proposals if !self.leads(view, faction) => None,
            Phase::Proposals => {
                let (motion, why) = self.motion_wishes(view, faction).into_iter().next()?;
                Some(format!(
                    "I would table {}: {why}. It is your call: I will only table it near the end of the phase if none of you has tabled anything.",
                    motion.id()
                ))
            }
            Phase::Voting => {
                let ip = view.secrets(faction).map_or(0, |s| s.ip);
                let (action, why) = self
                    .action_wishes(view, faction)
                    .into_iter()
                    .find(|(a, _)| self.costs.of(*a) <= ip)?;
                Some(format!(
                    "I would {}: {why}. The influence is yours to spend first: I will only spend what you leave, near the end of the phase.",
                    describe(action)
                ))
            }
            _ => None,
        }
    }

    fn speak(&mut self, faction: Faction) -> Vec<ClientRequest> {
        let chance = if self.bold() { 0.7 } else { 0.35 };
        if !self.rng.random_bool(chance) {
            return Vec::new();
        }
        let options = lines(faction);
        let text = options[self.rng.random_range(0..options.len())].to_string();
        vec![ClientRequest::Chat {
            channel: Channel::Floor,
            text,
        }]
    }

    /// Whether this bot leads its faction's bots (the lowest id among them;
    /// bots joined over the network, not flagged, count among players):
    /// only the lead tables, so a faction does not table the same motion
    /// twice.
    fn leads(&self, view: &GameView, faction: Faction) -> bool {
        let bot = view.player(self.me).is_some_and(|p| p.bot);
        view.players
            .iter()
            .filter(|p| p.faction == faction && p.bot == bot)
            .map(|p| p.id)
            .min()
            == Some(self.me)
    }

    fn passed(view: &GameView, id: &str) -> bool {
        view.state.passed.iter().any(|m| m.id() == id)
    }

    fn propose(&mut self, view: &GameView, faction: Faction) -> Vec<ClientRequest> {
        if !self.leads(view, faction) {
            return Vec::new();
        }
        let teammate = self.waits_for_people(view, faction, Phase::Proposals);
        if teammate {
            // The people's motions come first: a bot tables only if none
            // of them has tabled anything this round.
            let mates_tabled = view.motions.iter().any(|m| {
                m.proposer != self.me
                    && view
                        .player(m.proposer)
                        .is_some_and(|p| p.faction == faction)
            });
            if mates_tabled {
                return Vec::new();
            }
        }
        let in_cabinet = view.cabinet.contains(&self.me);
        let seats = view.state.soviet_seats[faction];
        let tabled: Vec<&str> = view.motions.iter().map(|m| m.motion.id()).collect();
        let wish = self.motion_wishes(view, faction);
        let limit = match self.strategy {
            _ if teammate => 1,
            Strategy::Historical => 2,
            _ if self.bold() => 2,
            _ => 1,
        };
        wish.into_iter()
            .map(|(m, _)| m)
            .filter(|m| match m.institution() {
                Some(Institution::Government) => in_cabinet,
                Some(Institution::Soviet) => seats > 0,
                None => false,
            })
            .filter(|m| !tabled.contains(&m.id()))
            .take(limit)
            .map(|motion| ClientRequest::TableMotion { motion })
            .collect()
    }

    /// The motions the bot would table now, best first, each with its
    /// reason (a clause for the faction channel).
    fn motion_wishes(&mut self, view: &GameView, faction: Faction) -> Vec<(Motion, String)> {
        match self.strategy {
            Strategy::Goals => self.goal_motions(view, faction),
            Strategy::Historical => {
                let coup = view.event.as_ref().is_some_and(|e| e.coup_attempt);
                let mut wish: Vec<(Motion, String)> = history(faction, view.round)
                    .motions
                    .iter()
                    .filter(|m| coup || **m != Motion::CallOnSoviet)
                    .map(|m| (*m, "it is what our side did this month in 1917".to_string()))
                    .collect();
                wish.extend(self.goal_motions(view, faction));
                wish
            }
            Strategy::Random => {
                let mut wish = Vec::new();
                for _ in 0..2 {
                    if self.rng.random_bool(0.6) {
                        let m = Motion::CATALOG[self.rng.random_range(0..Motion::CATALOG.len())];
                        let m = match m {
                            Motion::ScheduleElections { .. } => Motion::ScheduleElections {
                                round: {
                                    let earliest = view.round.saturating_add(2);
                                    self.rng
                                        .random_range(earliest..=earliest.max(view.rounds + 1))
                                },
                            },
                            other => other,
                        };
                        wish.push((m, "why not".to_string()));
                    }
                }
                wish
            }
        }
    }

    fn goal_motions(&mut self, view: &GameView, faction: Faction) -> Vec<(Motion, String)> {
        let s = &view.state;
        let t = &s.tracks;
        let mut wish: Vec<(Motion, String)> = Vec::new();
        let band = |f: &Force| f.band;
        let coup = view.event.as_ref().is_some_and(|e| e.coup_attempt);
        match faction {
            Faction::Liberals => {
                // Elections that would come too soon for an unpopular
                // Government are put off, as the real one did in August.
                if s.flags.contains(&Flag::ElectionsScheduled)
                    && s.election_round <= view.round + 2
                    && t.gov_legitimacy < 40
                {
                    wish.push((
                        Motion::PostponeElections,
                        format!(
                            "the Assembly is elected in round {} and the Government's legitimacy is only {}",
                            s.election_round, t.gov_legitimacy
                        ),
                    ));
                }
                if !Self::passed(view, "civil_liberties") {
                    wish.push((
                        Motion::CivilLiberties,
                        format!(
                            "free speech and assembly would lift the Government's legitimacy from {}",
                            t.gov_legitimacy
                        ),
                    ));
                }
                // Elections: a bold cabinet that is popular calls them
                // while it would still win; a cautious one, like the real
                // Provisional Government, keeps putting them off.
                if s.election_round > view.rounds
                    && view.round >= 2
                    && self.bold()
                    && t.gov_legitimacy >= 60
                {
                    wish.push((
                        Motion::ScheduleElections {
                            round: (view.round + 3).min(view.rounds),
                        },
                        format!(
                            "the Government is popular (legitimacy {}) and an elected Assembly would keep it so",
                            t.gov_legitimacy
                        ),
                    ));
                }
                if t.bread < 35 {
                    wish.push((
                        Motion::GrainMonopoly,
                        format!("bread is down to {} and the cities are hungry", t.bread),
                    ));
                }
                if !s.coalition && t.gov_legitimacy < 50 && s.coalition_offer_until.is_none() {
                    wish.push((
                        Motion::OfferCoalition,
                        format!(
                            "the Government's legitimacy is {}: with the Soviet's leaders in the cabinet they share the blame",
                            t.gov_legitimacy
                        ),
                    ));
                }
                if band(&s.forces.red_guards) >= Band::High {
                    wish.push((
                        Motion::ArrestBolsheviks,
                        format!("the Red Guards are {}", s.forces.red_guards.band),
                    ));
                }
                if coup {
                    wish.push((
                        Motion::CallOnSoviet,
                        "the generals are marching on the capital and only the Soviet can stop them"
                            .to_string(),
                    ));
                }
                // Russia keeps faith with the Allies: war until victory,
                // and (bold cabinets) the June offensive.
                if !s.flags.contains(&Flag::AtWar)
                    && view.round <= 2
                    && (self.bold() || self.rng.random_bool(0.5))
                {
                    wish.push((
                        Motion::ContinueWar,
                        "Russia keeps faith with her allies, and the army stays loyal".to_string(),
                    ));
                }
                if self.bold()
                    && s.flags.contains(&Flag::AtWar)
                    && s.forces.loyal_troops.band >= Band::Rising
                {
                    wish.push((
                        Motion::Offensive,
                        "a victory at the front would restore the Government".to_string(),
                    ));
                }
                if t.war_weariness > 70 {
                    wish.push((
                        Motion::PeaceWithoutAnnexations,
                        format!("war weariness is {}", t.war_weariness),
                    ));
                }
                // The army in retreat: the hard line (July 1917).
                if s.forces.red_guards.band > s.forces.loyal_troops.band
                    && s.forces.reaction.band < Band::High
                {
                    wish.push((
                        Motion::AppointHardlineCommander,
                        format!(
                            "the Red Guards are {} and the loyal troops only {}: the army needs a firm hand",
                            s.forces.red_guards.band, s.forces.loyal_troops.band
                        ),
                    ));
                }
                if s.flags.contains(&Flag::AtWar) && s.forces.loyal_troops.band == Band::Low {
                    wish.push((
                        Motion::DeathPenaltyAtFront,
                        "the front is melting away and the loyal troops are few".to_string(),
                    ));
                }
                if !Self::passed(view, "amnesty") && view.round <= 3 {
                    wish.push((
                        Motion::Amnesty,
                        "the exiles come home, and both the Government and the Soviet gain"
                            .to_string(),
                    ));
                }
                if self.rng.random_bool(0.3) {
                    wish.push((
                        Motion::LandReform,
                        "the peasants want land, and they are most of the voters".to_string(),
                    ));
                }
            }
            Faction::Soviet => {
                if !Self::passed(view, "order_no_1") {
                    wish.push((
                        Motion::OrderNo1,
                        "soldiers' committees put the garrison on our side".to_string(),
                    ));
                }
                if s.coalition_offer_until.is_some() && !s.coalition {
                    wish.push((
                        Motion::JoinCoalition,
                        "the Government offers us seats in the cabinet".to_string(),
                    ));
                }
                if s.coalition && (t.soviet_legitimacy < 40 || s.soviet_seats.bolsheviks >= 40) {
                    wish.push((
                        Motion::LeaveCoalition,
                        format!(
                            "the coalition costs us: the Soviet's legitimacy is {} and the Bolsheviks hold {} seats",
                            t.soviet_legitimacy, s.soviet_seats.bolsheviks
                        ),
                    ));
                }
                if coup {
                    // The cabinet must call on the Soviet; the Soviet arms
                    // the workers itself.
                    wish.push((
                        Motion::ArmWorkers,
                        "the generals are marching on the capital".to_string(),
                    ));
                }
                if s.soviet_seats.bolsheviks >= 35 || band(&s.forces.red_guards) >= Band::High {
                    wish.push((
                        Motion::CondemnBolsheviks,
                        format!(
                            "the Bolsheviks hold {} seats and their Red Guards are {}",
                            s.soviet_seats.bolsheviks, s.forces.red_guards.band
                        ),
                    ));
                }
                if t.war_weariness > 55 {
                    wish.push((
                        Motion::PeaceAppeal,
                        format!("war weariness is {}", t.war_weariness),
                    ));
                }
                if !s.coalition && t.gov_legitimacy < 45 {
                    wish.push((
                        Motion::ConditionalSupport,
                        format!(
                            "the Government's legitimacy is {}: if it falls, the generals or the Bolsheviks gain",
                            t.gov_legitimacy
                        ),
                    ));
                }
                wish.push((
                    Motion::WorkersControl,
                    "factory committees bring the workers to the Soviet".to_string(),
                ));
            }
            Faction::Bolsheviks => {
                let seats_b = s.soviet_seats.bolsheviks;
                if seats_b > 50 && t.soviet_legitimacy > t.gov_legitimacy {
                    wish.push((
                        Motion::AllPowerToSoviets,
                        format!(
                            "we hold {seats_b} Soviet seats and the Soviet's legitimacy ({}) beats the Government's ({})",
                            t.soviet_legitimacy, t.gov_legitimacy
                        ),
                    ));
                }
                if seats_b >= 35 || self.bold() {
                    wish.push((
                        Motion::FormMrc,
                        "a Military Revolutionary Committee readies the rising".to_string(),
                    ));
                }
                wish.push((
                    Motion::ArmWorkers,
                    format!("the Red Guards are only {}", s.forces.red_guards.band),
                ));
                wish.push((
                    Motion::WorkersControl,
                    "factory committees win the workers".to_string(),
                ));
                wish.push((
                    Motion::PeaceAppeal,
                    format!("war weariness is {}", t.war_weariness),
                ));
            }
        }
        wish
    }

    /// +1 for, −1 against, 0 indifferent.
    fn stance(
        &self,
        view: &GameView,
        faction: Faction,
        motion: Motion,
        proposer: Option<Faction>,
    ) -> i32 {
        use Motion::*;
        let s = &view.state;
        match faction {
            Faction::Liberals => match motion {
                CivilLiberties
                | ScheduleElections { .. }
                | ContinueWar
                | ConditionalSupport
                | CondemnBolsheviks
                | ArrestBolsheviks
                | GrainMonopoly
                | JoinCoalition
                | CallOnSoviet => 1,
                OfferCoalition => i32::from(s.tracks.gov_legitimacy < 55) * 2 - 1,
                AllPowerToSoviets | ArmWorkers | FormMrc | WorkersControl | OrderNo1
                | LeaveCoalition => -1,
                // Put the elections off only when they would come too soon.
                PostponeElections => {
                    i32::from(s.tracks.gov_legitimacy < 40 && s.election_round <= view.round + 2)
                        * 2
                        - 1
                }
                Offensive => i32::from(self.bold()) * 2 - 1,
                _ => i32::from(proposer == Some(Faction::Liberals)),
            },
            Faction::Soviet => match motion {
                OrderNo1
                | PeaceAppeal
                | WorkersControl
                | ScheduleElections { .. }
                | CivilLiberties
                | Amnesty
                | LandReform
                | PeaceWithoutAnnexations
                | CallOnSoviet
                | CondemnBolsheviks => 1,
                JoinCoalition => i32::from(s.coalition_offer_until.is_some()),
                ConditionalSupport => i32::from(!s.coalition),
                AllPowerToSoviets => {
                    // Only when it is the moderates' majority that takes power.
                    if s.soviet_seats.soviet > 50 && self.bold() {
                        1
                    } else {
                        -1
                    }
                }
                ArmWorkers => {
                    i32::from(view.event.as_ref().is_some_and(|e| e.coup_attempt)) * 2 - 1
                }
                ContinueWar
                | Offensive
                | DeathPenaltyAtFront
                | ArrestBolsheviks
                | AppointHardlineCommander
                | PostponeElections
                | FormMrc => -1,
                LeaveCoalition => {
                    i32::from(s.tracks.soviet_legitimacy < 40 || s.soviet_seats.bolsheviks >= 40)
                        * 2
                        - 1
                }
                _ => 0,
            },
            Faction::Bolsheviks => match motion {
                AllPowerToSoviets | ArmWorkers | FormMrc | WorkersControl | PeaceAppeal
                | Amnesty | OrderNo1 | LeaveCoalition | CallOnSoviet | CivilLiberties => 1,
                PeaceWithoutAnnexations => 1,
                ContinueWar
                | Offensive
                | CondemnBolsheviks
                | ArrestBolsheviks
                | ConditionalSupport
                | JoinCoalition
                | DeathPenaltyAtFront
                | AppointHardlineCommander
                | ScheduleElections { .. }
                | OfferCoalition => -1,
                _ => 0,
            },
        }
    }

    fn vote(&mut self, view: &GameView, faction: Faction) -> Vec<ClientRequest> {
        let in_cabinet = view.cabinet.contains(&self.me);
        let has_seats = view.state.soviet_seats[faction] > 0;
        let script = match self.strategy {
            Strategy::Historical => history(faction, view.round),
            _ => Month::EMPTY,
        };
        let mut out = Vec::new();
        for m in view
            .motions
            .iter()
            .filter(|m| m.status == MotionStatus::Tabled)
        {
            let eligible = match m.institution {
                Institution::Government => in_cabinet,
                Institution::Soviet => has_seats,
            };
            if !eligible {
                continue;
            }
            let proposer = view.player(m.proposer).map(|p| p.faction);
            if self.strategy == Strategy::Random {
                let vote = [Vote::Yes, Vote::No, Vote::Abstain][self.rng.random_range(0..3)];
                out.push(ClientRequest::Vote { motion: m.id, vote });
                continue;
            }
            let stance =
                if let Some((_, v)) = script.votes.iter().find(|(x, _)| x.id() == m.motion.id()) {
                    if *v == Vote::Yes {
                        1
                    } else {
                        -1
                    }
                } else if m.proposer != self.me
                    && view
                        .player(m.proposer)
                        .is_some_and(|p| p.faction == faction && !p.bot)
                {
                    // A motion one of its people tabled: the faction votes
                    // together.
                    1
                } else {
                    self.stance(view, faction, m.motion, proposer)
                };
            let own = match stance {
                1 => Vote::Yes,
                -1 => Vote::No,
                _ if proposer == Some(faction) => Vote::Yes,
                _ => {
                    if self.rng.random_bool(0.5) {
                        Vote::Abstain
                    } else {
                        Vote::Yes
                    }
                }
            };
            // Its people's ballots outweigh its own judgement.
            match self.people_vote(view, m) {
                Some((vote, names)) => {
                    out.push(Self::with_people_line(m, vote, &names, Some(own)));
                    out.push(ClientRequest::Vote { motion: m.id, vote });
                }
                None => out.push(ClientRequest::Vote {
                    motion: m.id,
                    vote: own,
                }),
            }
        }
        out
    }

    /// How most of the bot's people voted on an open motion, and who voted
    /// that way: the ballots of its faction's people (a faction sees its
    /// members' open ballots), for a bot seated by the host. `None` when
    /// none of them voted or their votes split evenly.
    fn people_vote(&self, view: &GameView, m: &MotionView) -> Option<(Vote, Vec<String>)> {
        if !view.player(self.me).is_some_and(|p| p.bot) {
            return None;
        }
        let faction = view.my_faction()?;
        let people: Vec<&RollCallEntry> = m
            .ballots
            .iter()
            .filter(|b| {
                b.player != self.me
                    && b.faction == faction
                    && view.player(b.player).is_some_and(|p| !p.bot)
            })
            .collect();
        let count = |v: Vote| people.iter().filter(|b| b.vote == v).count();
        let counts = [Vote::Yes, Vote::No, Vote::Abstain].map(|v| (v, count(v)));
        let &(top, n) = counts.iter().max_by_key(|(_, n)| *n)?;
        if n == 0 || counts.iter().filter(|(_, c)| *c == n).count() > 1 {
            return None;
        }
        let names = people
            .iter()
            .filter(|b| b.vote == top)
            .filter_map(|b| view.player(b.player).map(|p| p.name.clone()))
            .collect();
        Some((top, names))
    }

    /// One sentence for the faction channel: the bot votes with its people.
    fn with_people_line(
        m: &MotionView,
        vote: Vote,
        names: &[String],
        own: Option<Vote>,
    ) -> ClientRequest {
        let how = match vote {
            Vote::Yes => "vote yes on",
            Vote::No => "vote no on",
            Vote::Abstain => "abstain on",
        };
        let who = match names {
            [] => "you".to_string(),
            [one] => one.clone(),
            [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
        };
        let why = match own {
            Some(own) if own != vote => format!(
                "the faction votes as one, though I would have voted {}",
                match own {
                    Vote::Yes => "yes",
                    Vote::No => "no",
                    Vote::Abstain => "to abstain",
                }
            ),
            _ => "the faction votes as one".to_string(),
        };
        ClientRequest::Chat {
            channel: Channel::Faction,
            text: format!("I {how} {} with {who}: {why}.", m.motion.id()),
        }
    }

    /// After it voted: where most of its people now vote otherwise than
    /// the bot did, it changes its ballot to theirs, and says so.
    fn follow_people(&self, view: &GameView) -> Vec<ClientRequest> {
        let mut out = Vec::new();
        for m in view.motions.iter().filter(|m| {
            m.status == MotionStatus::Tabled && m.round == view.round && m.my_vote.is_some()
        }) {
            if let Some((vote, names)) = self.people_vote(view, m) {
                if m.my_vote != Some(vote) {
                    out.push(Self::with_people_line(m, vote, &names, None));
                    out.push(ClientRequest::Vote { motion: m.id, vote });
                }
            }
        }
        out
    }

    fn plan(&mut self, view: &GameView, faction: Faction) -> Vec<ClientRequest> {
        let Some(secrets) = view.secrets(faction) else {
            return Vec::new();
        };
        let mut budget = if self.waits_for_people(view, faction, Phase::Voting) {
            // Beside people: what they left (all of it when bold).
            if self.bold() {
                secrets.ip
            } else {
                secrets.ip * 2 / 3
            }
        } else {
            // Split the faction's IP among its players: each plans with a
            // share.
            let players = view
                .players
                .iter()
                .filter(|p| p.faction == faction)
                .count()
                .max(1) as u32;
            match self.strategy {
                Strategy::Historical => secrets.ip.div_ceil(players),
                Strategy::Random => {
                    let share = secrets.ip.div_ceil(players);
                    self.rng.random_range(0..=share)
                }
                Strategy::Goals if self.bold() => secrets.ip.div_ceil(players),
                Strategy::Goals => secrets.ip / players.max(1) * 2 / 3,
            }
        };
        let wish = self.action_wishes(view, faction);
        let mut out = Vec::new();
        let free_rising = view.event.as_ref().is_some_and(|e| e.street_rises);
        for (action, _) in wish {
            let cost = if action == Action::SeizePower && free_rising {
                0
            } else {
                self.costs.of(action)
            };
            if cost <= budget {
                budget -= cost;
                out.push(ClientRequest::PlanAction { action });
            }
        }
        out
    }

    /// The actions the bot would take now, in order, each with its reason.
    fn action_wishes(&mut self, view: &GameView, faction: Faction) -> Vec<(Action, String)> {
        match self.strategy {
            Strategy::Goals => self.goal_actions(view, faction),
            Strategy::Historical => {
                let mut wish: Vec<(Action, String)> = history(faction, view.round)
                    .actions
                    .iter()
                    .map(|a| (*a, "it is what our side did this month in 1917".to_string()))
                    .collect();
                wish.extend(self.goal_actions(view, faction));
                wish
            }
            Strategy::Random => (0..4)
                .map(|_| {
                    let a = Action::CATALOG[self.rng.random_range(0..Action::CATALOG.len())];
                    let a = match a {
                        Action::Agitate { .. } => Action::Agitate {
                            group: Group::ALL[self.rng.random_range(0..Group::ALL.len())],
                        },
                        other => other,
                    };
                    (a, "why not".to_string())
                })
                .collect(),
        }
    }

    fn goal_actions(&mut self, view: &GameView, faction: Faction) -> Vec<(Action, String)> {
        let Some(secrets) = view.secrets(faction) else {
            return Vec::new();
        };
        let s = &view.state;
        let t = &s.tracks;
        let unrest = |g: Group| s.groups.get(&g).map_or(0, |x| x.unrest);
        let support = |g: Group, f: Faction| s.groups.get(&g).map_or(0, |x| x.support[f]);
        let weakest = |f: Faction, among: &[Group]| -> Group {
            *among
                .iter()
                .min_by_key(|g| support(**g, f))
                .unwrap_or(&Group::Workers)
        };
        let lower = |g: Group| g.name().to_lowercase();
        let mut wish: Vec<(Action, String)> = Vec::new();
        match faction {
            Faction::Liberals => {
                if t.gov_legitimacy < 50 {
                    wish.push((
                        Action::PressCampaign,
                        format!("the Government's legitimacy is only {}", t.gov_legitimacy),
                    ));
                }
                if t.bread < 30 {
                    wish.push((Action::Relief, format!("bread is down to {}", t.bread)));
                }
                if s.forces.red_guards.band >= Band::High
                    && s.forces.loyal_troops.band >= Band::Rising
                {
                    wish.push((
                        Action::Suppress,
                        format!(
                            "the Red Guards are {} and the loyal troops can still act",
                            s.forces.red_guards.band
                        ),
                    ));
                }
                if self.bold() {
                    wish.push((
                        Action::Organize,
                        format!(
                            "the loyal troops are {}, and they are all that stands between the Government and the street",
                            s.forces.loyal_troops.band
                        ),
                    ));
                }
                let g = weakest(faction, &[Group::Middle, Group::Peasants]);
                wish.push((
                    Action::Agitate { group: g },
                    format!(
                        "only {}% of the {} are with us, and they vote",
                        support(g, faction),
                        lower(g)
                    ),
                ));
                wish.push((
                    Action::PressCampaign,
                    format!("the Government's legitimacy is {}", t.gov_legitimacy),
                ));
            }
            Faction::Soviet => {
                // The moderates calm the streets when they boil, feed the
                // city, and court the peasants (the SRs' base); only bold
                // ones fight the Bolsheviks for the factories and barracks.
                if unrest(Group::Workers).max(unrest(Group::Soldiers)) >= 65 {
                    wish.push((
                        Action::Organize,
                        format!(
                            "unrest is {} among the workers and {} among the soldiers, and the Bolsheviks gain where it boils",
                            unrest(Group::Workers),
                            unrest(Group::Soldiers)
                        ),
                    ));
                }
                if t.soviet_legitimacy < 50 {
                    wish.push((
                        Action::PressCampaign,
                        format!("the Soviet's legitimacy is only {}", t.soviet_legitimacy),
                    ));
                }
                if t.bread < 30 {
                    wish.push((Action::Relief, format!("bread is down to {}", t.bread)));
                }
                let contested: &[Group] = if self.bold() {
                    &[Group::Workers, Group::Soldiers, Group::Peasants]
                } else {
                    &[Group::Peasants]
                };
                let g = weakest(faction, contested);
                wish.push((
                    Action::Agitate { group: g },
                    format!(
                        "{}% of the {} are with us, and we must not lose them",
                        support(g, faction),
                        lower(g)
                    ),
                ));
                wish.push((
                    Action::PressCampaign,
                    format!("the Soviet's legitimacy is {}", t.soviet_legitimacy),
                ));
            }
            Faction::Bolsheviks => {
                let street = view.event.as_ref().is_some_and(|e| e.street_rises);
                let ready_to_rise = s.soviet_seats.bolsheviks > 50 || t.gov_legitimacy < 25;
                let strong = s.forces.red_guards.band > s.forces.loyal_troops.band
                    || (self.bold() && s.forces.red_guards.band >= s.forces.loyal_troops.band);
                let planned = secrets.plan.iter().any(|a| a.action == Action::SeizePower);
                if !planned && ((street && self.bold()) || (ready_to_rise && strong)) {
                    wish.push((
                        Action::SeizePower,
                        if street {
                            "the street has risen and we should lead it".to_string()
                        } else {
                            format!(
                                "the Red Guards are {} against loyal troops {}, and the Government's legitimacy is {}",
                                s.forces.red_guards.band, s.forces.loyal_troops.band, t.gov_legitimacy
                            )
                        },
                    ));
                }
                if s.forces.red_guards.band <= s.forces.loyal_troops.band {
                    wish.push((
                        Action::Organize,
                        format!(
                            "the Red Guards are {} and the loyal troops {}",
                            s.forces.red_guards.band, s.forces.loyal_troops.band
                        ),
                    ));
                }
                let hot = if unrest(Group::Soldiers) > unrest(Group::Workers) {
                    Group::Soldiers
                } else {
                    Group::Workers
                };
                wish.push((
                    Action::Agitate { group: hot },
                    format!(
                        "their unrest is {} and the Bolsheviks gain where unrest runs high",
                        unrest(hot)
                    ),
                ));
                wish.push((
                    Action::Agitate {
                        group: Group::Peasants,
                    },
                    format!(
                        "only {}% of the peasants are with us, and they are most of the voters",
                        support(Group::Peasants, faction)
                    ),
                ));
                if self.rng.random_bool(0.3) {
                    wish.push((
                        Action::PressCampaign,
                        format!("the Government's legitimacy is {}", t.gov_legitimacy),
                    ));
                }
            }
        }
        wish
    }
}

/// An action as a suggestion: "agitate among the soldiers".
fn describe(action: Action) -> String {
    match action {
        Action::Agitate { group } => format!("agitate among the {}", group.name().to_lowercase()),
        Action::PressCampaign => "run a press campaign".into(),
        Action::Organize => "organize".into(),
        Action::Relief => "organize bread relief".into(),
        Action::Suppress => "send the troops against the Red Guards".into(),
        Action::SeizePower => "rise: seize power".into(),
        Action::Unknown => "wait".into(),
    }
}

/// One faction's month in 1917, as the historical script plays it
/// (server/engine/tests/historical.rs, docs/HISTORICAL-SCRIPT.md).
struct Month {
    motions: &'static [Motion],
    /// How the faction voted on motions it cared about.
    votes: &'static [(Motion, Vote)],
    actions: &'static [Action],
}

impl Month {
    const EMPTY: Month = Month {
        motions: &[],
        votes: &[],
        actions: &[],
    };
}

/// What `faction` did in `round` (1 = March) of 1917.
fn history(faction: Faction, round: u8) -> Month {
    use Action::*;
    use Group::*;
    use Motion::*;
    use Vote::{No, Yes};
    let m = |motions, votes, actions| Month {
        motions,
        votes,
        actions,
    };
    match (faction, round) {
        (Faction::Liberals, 1) => m(
            &[CivilLiberties, ContinueWar],
            &[(CivilLiberties, Yes), (ContinueWar, Yes)],
            &[PressCampaign, Organize],
        ),
        (Faction::Liberals, 2) => m(
            &[Amnesty, OfferCoalition],
            &[(Amnesty, Yes), (OfferCoalition, Yes)],
            &[PressCampaign, PressCampaign],
        ),
        (Faction::Liberals, 3) => m(
            &[GrainMonopoly],
            &[(GrainMonopoly, Yes)],
            &[Organize, PressCampaign],
        ),
        // June: the offensive, and the Assembly's elections set for the
        // autumn (they were later put off to November).
        (Faction::Liberals, 4) => m(
            &[Offensive, ScheduleElections { round: 8 }],
            &[(Offensive, Yes)],
            &[PressCampaign, Organize],
        ),
        (Faction::Liberals, 5) => m(
            &[DeathPenaltyAtFront, AppointHardlineCommander],
            &[(DeathPenaltyAtFront, Yes), (AppointHardlineCommander, Yes)],
            &[Suppress, PressCampaign],
        ),
        // August: Kornilov marches (the Government calls on the Soviet),
        // the elections are put off, the Bolsheviks' leaders are arrested.
        (Faction::Liberals, 6) => m(
            &[CallOnSoviet, PostponeElections, ArrestBolsheviks],
            &[
                (ArrestBolsheviks, Yes),
                (CallOnSoviet, Yes),
                (PostponeElections, Yes),
            ],
            &[PressCampaign],
        ),
        (Faction::Liberals, 7) => m(&[], &[], &[PressCampaign, Relief]),
        (Faction::Liberals, _) => m(&[], &[], &[PressCampaign]),
        (Faction::Soviet, 1) => m(
            &[OrderNo1, ConditionalSupport],
            &[(OrderNo1, Yes), (ConditionalSupport, Yes)],
            &[PressCampaign, Organize],
        ),
        (Faction::Soviet, 2) => m(
            &[PeaceAppeal],
            &[(PeaceAppeal, Yes)],
            &[Agitate { group: Peasants }, PressCampaign],
        ),
        (Faction::Soviet, 3) => m(
            &[JoinCoalition, ConditionalSupport],
            &[(JoinCoalition, Yes), (ConditionalSupport, Yes)],
            &[PressCampaign, Agitate { group: Soldiers }],
        ),
        (Faction::Soviet, 4) => m(
            &[ConditionalSupport],
            &[(ConditionalSupport, Yes), (Offensive, Yes)],
            &[PressCampaign, Relief],
        ),
        (Faction::Soviet, 5) => m(
            &[CondemnBolsheviks],
            &[(CondemnBolsheviks, Yes), (DeathPenaltyAtFront, Yes)],
            &[PressCampaign],
        ),
        (Faction::Soviet, 6) => m(
            &[ArmWorkers],
            &[(ArmWorkers, Yes), (CallOnSoviet, Yes)],
            &[PressCampaign, Relief],
        ),
        (Faction::Soviet, 7) => m(&[PeaceAppeal], &[(PeaceAppeal, Yes)], &[PressCampaign]),
        (Faction::Soviet, _) => m(
            &[],
            &[(FormMrc, No), (AllPowerToSoviets, No)],
            &[PressCampaign],
        ),
        (Faction::Bolsheviks, 1) => m(
            &[],
            &[(ConditionalSupport, No)],
            &[Agitate { group: Workers }],
        ),
        (Faction::Bolsheviks, 2) => m(
            &[PeaceAppeal],
            &[(PeaceAppeal, Yes)],
            &[Agitate { group: Workers }, Agitate { group: Soldiers }],
        ),
        (Faction::Bolsheviks, 3) => m(
            &[WorkersControl],
            &[(JoinCoalition, No), (ConditionalSupport, No)],
            &[Agitate { group: Soldiers }, Organize],
        ),
        (Faction::Bolsheviks, 4) => m(
            &[ArmWorkers],
            &[(ConditionalSupport, No)],
            &[Agitate { group: Workers }, Organize],
        ),
        (Faction::Bolsheviks, 5) => m(&[], &[(CondemnBolsheviks, No)], &[SeizePower, Organize]),
        (Faction::Bolsheviks, 6) => m(
            &[ArmWorkers],
            &[(ArmWorkers, Yes), (CallOnSoviet, Yes)],
            &[
                Agitate { group: Workers },
                Agitate { group: Soldiers },
                Organize,
            ],
        ),
        (Faction::Bolsheviks, 7) => m(
            &[AllPowerToSoviets, PeaceAppeal],
            &[(AllPowerToSoviets, Yes)],
            &[
                Organize,
                Organize,
                Agitate { group: Soldiers },
                Agitate { group: Workers },
            ],
        ),
        (Faction::Bolsheviks, _) => m(
            &[FormMrc, AllPowerToSoviets],
            &[(FormMrc, Yes), (AllPowerToSoviets, Yes)],
            &[SeizePower, Organize],
        ),
    }
}
