//! The game's vocabulary: ids and enums shared by the engine and clients.
//!
//! Every enum is written on the wire in `snake_case`, e.g. `"bolsheviks"`,
//! `"civil_liberties"`.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A player's id within one game: small, stable, public.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(transparent)]
pub struct PlayerId(pub u32);

impl fmt::Display for PlayerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "p{}", self.0)
    }
}

/// A motion's id within one game (unique across rounds).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(transparent)]
pub struct MotionId(pub u32);

impl fmt::Display for MotionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "m{}", self.0)
    }
}

/// A planned action's id within one game.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(transparent)]
pub struct ActionId(pub u32);

impl fmt::Display for ActionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a{}", self.0)
    }
}

/// The three factions (roles). A faction is a team of one or more players.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Faction {
    Liberals,
    Soviet,
    Bolsheviks,
}

impl Faction {
    pub const ALL: [Faction; 3] = [Faction::Liberals, Faction::Soviet, Faction::Bolsheviks];

    /// Index into per-faction arrays, in [`Faction::ALL`] order.
    pub fn index(self) -> usize {
        self as usize
    }

    pub fn id(self) -> &'static str {
        match self {
            Faction::Liberals => "liberals",
            Faction::Soviet => "soviet",
            Faction::Bolsheviks => "bolsheviks",
        }
    }

    /// The name a class reads.
    pub fn name(self) -> &'static str {
        match self {
            Faction::Liberals => "Duma liberals",
            Faction::Soviet => "Soviet delegates",
            Faction::Bolsheviks => "Bolsheviks",
        }
    }

    /// Whether the faction holds seats in the Petrograd Soviet.
    pub fn has_soviet_seats(self) -> bool {
        !matches!(self, Faction::Liberals)
    }

    pub fn parse(s: &str) -> Option<Faction> {
        Faction::ALL.into_iter().find(|f| f.id() == s)
    }
}

impl fmt::Display for Faction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A value per faction, written on the wire as
/// `{"liberals": .., "soviet": .., "bolsheviks": ..}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct PerFaction<T> {
    pub liberals: T,
    pub soviet: T,
    pub bolsheviks: T,
}

impl<T> PerFaction<T> {
    pub fn new(liberals: T, soviet: T, bolsheviks: T) -> Self {
        PerFaction {
            liberals,
            soviet,
            bolsheviks,
        }
    }

    pub fn from_fn(mut f: impl FnMut(Faction) -> T) -> Self {
        PerFaction {
            liberals: f(Faction::Liberals),
            soviet: f(Faction::Soviet),
            bolsheviks: f(Faction::Bolsheviks),
        }
    }

    pub fn get(&self, faction: Faction) -> &T {
        match faction {
            Faction::Liberals => &self.liberals,
            Faction::Soviet => &self.soviet,
            Faction::Bolsheviks => &self.bolsheviks,
        }
    }

    pub fn get_mut(&mut self, faction: Faction) -> &mut T {
        match faction {
            Faction::Liberals => &mut self.liberals,
            Faction::Soviet => &mut self.soviet,
            Faction::Bolsheviks => &mut self.bolsheviks,
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = (Faction, &T)> {
        Faction::ALL.into_iter().map(move |f| (f, self.get(f)))
    }
}

impl<T> std::ops::Index<Faction> for PerFaction<T> {
    type Output = T;
    fn index(&self, f: Faction) -> &T {
        self.get(f)
    }
}

impl<T> std::ops::IndexMut<Faction> for PerFaction<T> {
    fn index_mut(&mut self, f: Faction) -> &mut T {
        self.get_mut(f)
    }
}

/// The four social groups.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Group {
    Workers,
    Soldiers,
    Peasants,
    Middle,
}

impl Group {
    pub const ALL: [Group; 4] = [
        Group::Workers,
        Group::Soldiers,
        Group::Peasants,
        Group::Middle,
    ];

    pub fn index(self) -> usize {
        self as usize
    }

    pub fn id(self) -> &'static str {
        match self {
            Group::Workers => "workers",
            Group::Soldiers => "soldiers",
            Group::Peasants => "peasants",
            Group::Middle => "middle",
        }
    }

    /// Plural noun for narrative text, e.g. "Soldiers".
    pub fn name(self) -> &'static str {
        match self {
            Group::Workers => "Workers",
            Group::Soldiers => "Soldiers",
            Group::Peasants => "Peasants",
            Group::Middle => "The middle classes",
        }
    }

    pub fn parse(s: &str) -> Option<Group> {
        Group::ALL.into_iter().find(|g| g.id() == s)
    }
}

impl fmt::Display for Group {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// The phases of a round, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    Briefing,
    Negotiation,
    Proposals,
    Voting,
    Resolution,
}

impl Phase {
    pub const ALL: [Phase; 5] = [
        Phase::Briefing,
        Phase::Negotiation,
        Phase::Proposals,
        Phase::Voting,
        Phase::Resolution,
    ];

    pub fn next(self) -> Option<Phase> {
        match self {
            Phase::Briefing => Some(Phase::Negotiation),
            Phase::Negotiation => Some(Phase::Proposals),
            Phase::Proposals => Some(Phase::Voting),
            Phase::Voting => Some(Phase::Resolution),
            Phase::Resolution => None,
        }
    }

    pub fn id(self) -> &'static str {
        match self {
            Phase::Briefing => "briefing",
            Phase::Negotiation => "negotiation",
            Phase::Proposals => "proposals",
            Phase::Voting => "voting",
            Phase::Resolution => "resolution",
        }
    }
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// Where a game is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum GameStatus {
    /// Players are joining; the host has not started.
    Lobby,
    Running,
    Ended,
}

/// A ballot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Vote {
    Yes,
    No,
    Abstain,
}

/// Which body a motion goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Institution {
    /// The Provisional Government's cabinet: decrees.
    Government,
    /// The Petrograd Soviet: resolutions.
    Soviet,
}

/// A numeric track of the game state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Track {
    GovLegitimacy,
    SovietLegitimacy,
    WarWeariness,
    Bread,
    /// Hidden: the generals' conspiracy.
    Reaction,
    /// Hidden: armed workers.
    RedGuards,
    /// Hidden: units that obey the Government.
    LoyalTroops,
}

impl Track {
    pub const ALL: [Track; 7] = [
        Track::GovLegitimacy,
        Track::SovietLegitimacy,
        Track::WarWeariness,
        Track::Bread,
        Track::Reaction,
        Track::RedGuards,
        Track::LoyalTroops,
    ];

    /// Hidden tracks are shown to players only in bands.
    pub fn is_hidden(self) -> bool {
        matches!(
            self,
            Track::Reaction | Track::RedGuards | Track::LoyalTroops
        )
    }

    pub fn id(self) -> &'static str {
        match self {
            Track::GovLegitimacy => "gov_legitimacy",
            Track::SovietLegitimacy => "soviet_legitimacy",
            Track::WarWeariness => "war_weariness",
            Track::Bread => "bread",
            Track::Reaction => "reaction",
            Track::RedGuards => "red_guards",
            Track::LoyalTroops => "loyal_troops",
        }
    }

    /// Name for narrative text.
    pub fn name(self) -> &'static str {
        match self {
            Track::GovLegitimacy => "The Government's legitimacy",
            Track::SovietLegitimacy => "The Soviet's legitimacy",
            Track::WarWeariness => "War weariness",
            Track::Bread => "The bread supply",
            Track::Reaction => "Reaction",
            Track::RedGuards => "The Red Guards",
            Track::LoyalTroops => "Loyal troops",
        }
    }
}

/// A band in which hidden tracks are shown to players.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Band {
    Low,
    Rising,
    High,
    Overwhelming,
}

impl fmt::Display for Band {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Band::Low => "low",
            Band::Rising => "rising",
            Band::High => "high",
            Band::Overwhelming => "overwhelming",
        })
    }
}

/// Policies and facts in force.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Flag {
    /// Freedom of the press: agitation is stronger.
    FreePress,
    /// "War until victory" is Government policy.
    AtWar,
    /// Elections to the Constituent Assembly have a date.
    ElectionsScheduled,
    /// The Military Revolutionary Committee stands ready: the next
    /// `seize_power` counts more Red Guards.
    Mrc,
}

impl Flag {
    pub const ALL: [Flag; 4] = [
        Flag::FreePress,
        Flag::AtWar,
        Flag::ElectionsScheduled,
        Flag::Mrc,
    ];

    pub fn id(self) -> &'static str {
        match self {
            Flag::FreePress => "free_press",
            Flag::AtWar => "at_war",
            Flag::ElectionsScheduled => "elections_scheduled",
            Flag::Mrc => "mrc",
        }
    }
}

/// A motion from the catalogs: a Government decree or a Soviet resolution,
/// with its parameters. On the wire: `{"id": "civil_liberties"}`,
/// `{"id": "schedule_elections", "round": 6}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "id", rename_all = "snake_case")]
pub enum Motion {
    // Government decrees.
    CivilLiberties,
    Amnesty,
    ContinueWar,
    Offensive,
    PeaceWithoutAnnexations,
    ScheduleElections {
        /// The round in which the Assembly is elected (before it begins).
        round: u8,
    },
    PostponeElections,
    LandReform,
    GrainMonopoly,
    DeathPenaltyAtFront,
    ArrestBolsheviks,
    AppointHardlineCommander,
    CallOnSoviet,
    OfferCoalition,
    // Soviet resolutions.
    #[serde(rename = "order_no_1")]
    OrderNo1,
    ConditionalSupport,
    PeaceAppeal,
    JoinCoalition,
    LeaveCoalition,
    WorkersControl,
    ArmWorkers,
    FormMrc,
    CondemnBolsheviks,
    AllPowerToSoviets,
    /// Any id this version does not know; refused with `unknown_motion`.
    #[serde(other)]
    Unknown,
}

impl Motion {
    /// Every motion with default parameters, decrees first.
    pub const CATALOG: [Motion; 24] = [
        Motion::CivilLiberties,
        Motion::Amnesty,
        Motion::ContinueWar,
        Motion::Offensive,
        Motion::PeaceWithoutAnnexations,
        Motion::ScheduleElections { round: 0 },
        Motion::PostponeElections,
        Motion::LandReform,
        Motion::GrainMonopoly,
        Motion::DeathPenaltyAtFront,
        Motion::ArrestBolsheviks,
        Motion::AppointHardlineCommander,
        Motion::CallOnSoviet,
        Motion::OfferCoalition,
        Motion::OrderNo1,
        Motion::ConditionalSupport,
        Motion::PeaceAppeal,
        Motion::JoinCoalition,
        Motion::LeaveCoalition,
        Motion::WorkersControl,
        Motion::ArmWorkers,
        Motion::FormMrc,
        Motion::CondemnBolsheviks,
        Motion::AllPowerToSoviets,
    ];

    pub fn institution(self) -> Option<Institution> {
        use Motion::*;
        match self {
            CivilLiberties
            | Amnesty
            | ContinueWar
            | Offensive
            | PeaceWithoutAnnexations
            | ScheduleElections { .. }
            | PostponeElections
            | LandReform
            | GrainMonopoly
            | DeathPenaltyAtFront
            | ArrestBolsheviks
            | AppointHardlineCommander
            | CallOnSoviet
            | OfferCoalition => Some(Institution::Government),
            OrderNo1 | ConditionalSupport | PeaceAppeal | JoinCoalition | LeaveCoalition
            | WorkersControl | ArmWorkers | FormMrc | CondemnBolsheviks | AllPowerToSoviets => {
                Some(Institution::Soviet)
            }
            Unknown => None,
        }
    }

    /// The catalog id, e.g. `"schedule_elections"`.
    pub fn id(self) -> &'static str {
        use Motion::*;
        match self {
            CivilLiberties => "civil_liberties",
            Amnesty => "amnesty",
            ContinueWar => "continue_war",
            Offensive => "offensive",
            PeaceWithoutAnnexations => "peace_without_annexations",
            ScheduleElections { .. } => "schedule_elections",
            PostponeElections => "postpone_elections",
            LandReform => "land_reform",
            GrainMonopoly => "grain_monopoly",
            DeathPenaltyAtFront => "death_penalty_at_front",
            ArrestBolsheviks => "arrest_bolsheviks",
            AppointHardlineCommander => "appoint_hardline_commander",
            CallOnSoviet => "call_on_soviet",
            OfferCoalition => "offer_coalition",
            OrderNo1 => "order_no_1",
            ConditionalSupport => "conditional_support",
            PeaceAppeal => "peace_appeal",
            JoinCoalition => "join_coalition",
            LeaveCoalition => "leave_coalition",
            WorkersControl => "workers_control",
            ArmWorkers => "arm_workers",
            FormMrc => "form_mrc",
            CondemnBolsheviks => "condemn_bolsheviks",
            AllPowerToSoviets => "all_power_to_soviets",
            Unknown => "unknown",
        }
    }

    /// Look a motion up by catalog id; `schedule_elections` needs `round`.
    pub fn parse(id: &str, round: Option<u8>) -> Option<Motion> {
        let m = Motion::CATALOG.into_iter().find(|m| m.id() == id)?;
        Some(match m {
            Motion::ScheduleElections { .. } => Motion::ScheduleElections { round: round? },
            other => other,
        })
    }
}

impl fmt::Display for Motion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Motion::ScheduleElections { round } => write!(f, "schedule_elections({round})"),
            m => f.write_str(m.id()),
        }
    }
}

/// A faction action with its parameters. On the wire:
/// `{"id": "agitate", "group": "workers"}`, `{"id": "relief"}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "id", rename_all = "snake_case")]
pub enum Action {
    Agitate {
        group: Group,
    },
    PressCampaign,
    Organize,
    Relief,
    Suppress,
    SeizePower,
    /// Any id this version does not know; refused with `unknown_action`.
    #[serde(other)]
    Unknown,
}

impl Action {
    pub const CATALOG: [Action; 6] = [
        Action::Agitate {
            group: Group::Workers,
        },
        Action::PressCampaign,
        Action::Organize,
        Action::Relief,
        Action::Suppress,
        Action::SeizePower,
    ];

    pub fn id(self) -> &'static str {
        match self {
            Action::Agitate { .. } => "agitate",
            Action::PressCampaign => "press_campaign",
            Action::Organize => "organize",
            Action::Relief => "relief",
            Action::Suppress => "suppress",
            Action::SeizePower => "seize_power",
            Action::Unknown => "unknown",
        }
    }

    /// Look an action up by id; `agitate` needs `group`.
    pub fn parse(id: &str, group: Option<Group>) -> Option<Action> {
        let a = Action::CATALOG.into_iter().find(|a| a.id() == id)?;
        Some(match a {
            Action::Agitate { .. } => Action::Agitate { group: group? },
            other => other,
        })
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Action::Agitate { group } => write!(f, "agitate({group})"),
            a => f.write_str(a.id()),
        }
    }
}

/// How a game ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Ending {
    MilitaryDictatorship,
    Collapse,
    OctoberInsurrection,
    AllPowerToSoviets,
    ConstituentAssembly,
    /// The host ended the game before the rules did.
    EndedByHost,
}

impl Ending {
    pub fn title(self) -> &'static str {
        match self {
            Ending::MilitaryDictatorship => "Military dictatorship",
            Ending::Collapse => "Collapse",
            Ending::OctoberInsurrection => "The October insurrection",
            Ending::AllPowerToSoviets => "All power to the Soviets",
            Ending::ConstituentAssembly => "The Constituent Assembly",
            Ending::EndedByHost => "Ended by the host",
        }
    }
}

/// A chat channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Channel {
    /// The public floor: everyone in the game.
    Floor,
    /// The sender's faction channel.
    Faction,
    /// A private message between two players.
    Private { to: PlayerId },
}
