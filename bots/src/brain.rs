//! One bot: a player of one faction that decides from what its role may see.
//!
//! [`Bot::decide`] takes the bot's own [`GameView`] (the server's view for
//! that player, or `Game::view` in-process) and returns protocol requests.
//! It never sees another faction's channel, IP or plan, because nothing it
//! gets contains them. Its choices follow its faction's goals (GAME.md,
//! "Factions"), shaded by a temperament, with a seeded RNG so a game of bots
//! is reproducible.

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

pub struct Bot {
    pub me: PlayerId,
    pub temperament: Temperament,
    rng: ChaCha8Rng,
    costs: Costs,
    /// (round, phase) already handled.
    done: HashSet<(u8, Phase)>,
}

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
            costs: Costs::default(),
            done: HashSet::new(),
        }
    }

    pub fn with_costs(mut self, costs: Costs) -> Bot {
        self.costs = costs;
        self
    }

    fn bold(&self) -> bool {
        self.temperament == Temperament::Bold
    }

    /// What to do now. Call it whenever the view changes; the bot acts once
    /// per phase and then says it is ready.
    pub fn decide(&mut self, view: &GameView) -> Vec<ClientRequest> {
        let (Some(me), Some(faction)) = (view.me(), view.my_faction()) else {
            return Vec::new();
        };
        debug_assert_eq!(me, self.me);
        let (GameStatus::Running, Some(phase)) = (view.status, view.phase) else {
            return Vec::new();
        };
        if !self.done.insert((view.round, phase)) {
            return Vec::new();
        }
        let mut out = match phase {
            Phase::Briefing | Phase::Resolution => Vec::new(),
            Phase::Negotiation => self.speak(faction),
            Phase::Proposals => self.propose(view, faction),
            Phase::Voting => {
                let mut v = self.vote(view, faction);
                v.extend(self.plan(view, faction));
                v
            }
        };
        out.push(ClientRequest::SetReady { ready: true });
        out
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

    /// Whether this bot leads its faction (the lowest id): only the lead
    /// tables, so a faction does not table the same motion twice.
    fn leads(&self, view: &GameView, faction: Faction) -> bool {
        view.players
            .iter()
            .filter(|p| p.faction == faction)
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
        let s = &view.state;
        let t = &s.tracks;
        let in_cabinet = view.cabinet.contains(&self.me);
        let seats = s.soviet_seats[faction];
        let tabled: Vec<&str> = view.motions.iter().map(|m| m.motion.id()).collect();
        let mut wish: Vec<Motion> = Vec::new();
        let band = |f: &Force| f.band;
        match faction {
            Faction::Liberals => {
                if !Self::passed(view, "civil_liberties") {
                    wish.push(Motion::CivilLiberties);
                }
                // Elections: a bold cabinet that is popular calls them
                // while it would still win; a cautious one, like the real
                // Provisional Government, keeps putting them off.
                if s.election_round > view.rounds
                    && view.round >= 2
                    && self.bold()
                    && t.gov_legitimacy >= 60
                {
                    wish.push(Motion::ScheduleElections {
                        round: (view.round + 3).min(view.rounds),
                    });
                }
                if t.bread < 35 {
                    wish.push(Motion::GrainMonopoly);
                }
                if !s.coalition && t.gov_legitimacy < 50 && s.coalition_offer_until.is_none() {
                    wish.push(Motion::OfferCoalition);
                }
                if band(&s.forces.red_guards) >= Band::High {
                    wish.push(Motion::ArrestBolsheviks);
                }
                if view.event.as_ref().is_some_and(|e| e.coup_attempt) {
                    wish.push(Motion::CallOnSoviet);
                }
                // Russia keeps faith with the Allies: war until victory,
                // and (bold cabinets) the June offensive.
                if !s.flags.contains(&Flag::AtWar)
                    && view.round <= 2
                    && (self.bold() || self.rng.random_bool(0.5))
                {
                    wish.push(Motion::ContinueWar);
                }
                if self.bold()
                    && s.flags.contains(&Flag::AtWar)
                    && s.forces.loyal_troops.band >= Band::Rising
                {
                    wish.push(Motion::Offensive);
                }
                if t.war_weariness > 70 {
                    wish.push(Motion::PeaceWithoutAnnexations);
                }
                if self.rng.random_bool(0.3) {
                    wish.push(Motion::LandReform);
                }
            }
            Faction::Soviet => {
                if !Self::passed(view, "order_no_1") {
                    wish.push(Motion::OrderNo1);
                }
                if s.coalition_offer_until.is_some() && !s.coalition {
                    wish.push(Motion::JoinCoalition);
                }
                if s.coalition && t.soviet_legitimacy < 40 {
                    wish.push(Motion::LeaveCoalition);
                }
                if view.event.as_ref().is_some_and(|e| e.coup_attempt) {
                    // The cabinet must call on the Soviet; the Soviet arms
                    // the workers itself.
                    wish.push(Motion::ArmWorkers);
                }
                if s.soviet_seats.bolsheviks >= 35 || band(&s.forces.red_guards) >= Band::High {
                    wish.push(Motion::CondemnBolsheviks);
                }
                if t.war_weariness > 55 {
                    wish.push(Motion::PeaceAppeal);
                }
                if !s.coalition && t.gov_legitimacy < 45 {
                    wish.push(Motion::ConditionalSupport);
                }
                wish.push(Motion::WorkersControl);
            }
            Faction::Bolsheviks => {
                let seats_b = s.soviet_seats.bolsheviks;
                if seats_b > 50 && t.soviet_legitimacy > t.gov_legitimacy {
                    wish.push(Motion::AllPowerToSoviets);
                }
                if seats_b >= 35 || self.bold() {
                    wish.push(Motion::FormMrc);
                }
                wish.push(Motion::ArmWorkers);
                wish.push(Motion::WorkersControl);
                wish.push(Motion::PeaceAppeal);
            }
        }
        let limit = if self.bold() { 2 } else { 1 };
        wish.into_iter()
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
                | LeaveCoalition | PostponeElections => -1,
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
                LeaveCoalition => i32::from(s.tracks.soviet_legitimacy < 40) * 2 - 1,
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
            let vote = match self.stance(view, faction, m.motion, proposer) {
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
            out.push(ClientRequest::Vote { motion: m.id, vote });
        }
        out
    }

    fn plan(&mut self, view: &GameView, faction: Faction) -> Vec<ClientRequest> {
        let Some(secrets) = view.secrets(faction) else {
            return Vec::new();
        };
        // Split the faction's IP among its players: each plans with a share.
        let players = view
            .players
            .iter()
            .filter(|p| p.faction == faction)
            .count()
            .max(1) as u32;
        let mut budget = if self.bold() {
            secrets.ip.div_ceil(players)
        } else {
            secrets.ip / players.max(1) * 2 / 3
        };
        let s = &view.state;
        let t = &s.tracks;
        let unrest = |g: Group| s.groups.get(&g).map_or(0, |x| x.unrest);
        let weakest = |f: Faction, among: &[Group]| -> Group {
            *among
                .iter()
                .min_by_key(|g| s.groups.get(g).map_or(0, |x| x.support[f]))
                .unwrap_or(&Group::Workers)
        };
        let mut wish: Vec<Action> = Vec::new();
        match faction {
            Faction::Liberals => {
                if t.gov_legitimacy < 50 {
                    wish.push(Action::PressCampaign);
                }
                if t.bread < 30 {
                    wish.push(Action::Relief);
                }
                if s.forces.red_guards.band >= Band::High
                    && s.forces.loyal_troops.band >= Band::Rising
                {
                    wish.push(Action::Suppress);
                }
                if self.bold() {
                    wish.push(Action::Organize);
                }
                wish.push(Action::Agitate {
                    group: weakest(faction, &[Group::Middle, Group::Peasants]),
                });
                wish.push(Action::PressCampaign);
            }
            Faction::Soviet => {
                // The moderates calm the streets when they boil, feed the
                // city, and court the peasants (the SRs' base); only bold
                // ones fight the Bolsheviks for the factories and barracks.
                if unrest(Group::Workers).max(unrest(Group::Soldiers)) >= 65 {
                    wish.push(Action::Organize);
                }
                if t.soviet_legitimacy < 50 {
                    wish.push(Action::PressCampaign);
                }
                if t.bread < 30 {
                    wish.push(Action::Relief);
                }
                let contested: &[Group] = if self.bold() {
                    &[Group::Workers, Group::Soldiers, Group::Peasants]
                } else {
                    &[Group::Peasants]
                };
                wish.push(Action::Agitate {
                    group: weakest(faction, contested),
                });
                wish.push(Action::PressCampaign);
            }
            Faction::Bolsheviks => {
                let street = view.event.as_ref().is_some_and(|e| e.street_rises);
                let ready_to_rise = s.soviet_seats.bolsheviks > 50 || t.gov_legitimacy < 25;
                let strong = s.forces.red_guards.band > s.forces.loyal_troops.band
                    || (self.bold() && s.forces.red_guards.band >= s.forces.loyal_troops.band);
                let planned = secrets.plan.iter().any(|a| a.action == Action::SeizePower);
                if !planned && ((street && self.bold()) || (ready_to_rise && strong)) {
                    wish.push(Action::SeizePower);
                }
                if s.forces.red_guards.band <= s.forces.loyal_troops.band {
                    wish.push(Action::Organize);
                }
                let hot = if unrest(Group::Soldiers) > unrest(Group::Workers) {
                    Group::Soldiers
                } else {
                    Group::Workers
                };
                wish.push(Action::Agitate { group: hot });
                wish.push(Action::Agitate {
                    group: Group::Peasants,
                });
                if self.rng.random_bool(0.3) {
                    wish.push(Action::PressCampaign);
                }
            }
        }
        let mut out = Vec::new();
        let free_rising = view.event.as_ref().is_some_and(|e| e.street_rises);
        for action in wish {
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
}
