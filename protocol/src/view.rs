//! What a viewer may see of a game.
//!
//! [`GameView`] is the snapshot a connection gets on joining or resuming;
//! afterwards it is kept current by events. [`PublicState`] is the part of
//! the state everyone may see; events carry a fresh copy whenever it changes.

use crate::vocab::*;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Who is looking. Decides what a view and the event stream contain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "role", rename_all = "snake_case")]
pub enum Viewer {
    /// The teacher: sees everything, live.
    Host,
    /// A player: the public view plus their faction's secrets and their own.
    Player { id: PlayerId, faction: Faction },
    /// A read-only viewer (the projector): the public view only.
    Spectator,
}

/// One social group as everyone sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct GroupState {
    /// Support split over the factions; always sums to 100.
    pub support: PerFaction<u8>,
    /// 0..=100.
    pub unrest: u8,
}

/// The public tracks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct PublicTracks {
    pub gov_legitimacy: u8,
    pub soviet_legitimacy: u8,
    pub war_weariness: u8,
    pub bread: u8,
    /// Derived: 100 minus mean unrest.
    pub order: u8,
}

/// A hidden track as everyone sees it: its band. (`exact` is never sent in
/// protocol v1: the public state is the same for every viewer, and the
/// host's exact values are in [`GameView::hidden`].)
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Force {
    pub band: Band,
    /// Never sent in protocol v1 (kept for compatibility).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exact: Option<u8>,
}

/// The armed forces and the conspiracy, shown in bands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Forces {
    pub reaction: Force,
    pub red_guards: Force,
    pub loyal_troops: Force,
}

/// Everything about the state that every viewer may see.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct PublicState {
    pub tracks: PublicTracks,
    /// Bands only (exact numbers are in the host's [`GameView::hidden`]).
    pub forces: Forces,
    pub groups: BTreeMap<Group, GroupState>,
    /// Soviet seats: `soviet` + `bolsheviks` = 100; liberals always 0.
    pub soviet_seats: PerFaction<u8>,
    /// Whether Soviet delegates sit in the cabinet.
    pub coalition: bool,
    /// The round until which an offer of coalition stands, if one does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coalition_offer_until: Option<u8>,
    /// The round in which the Constituent Assembly is elected (before it
    /// begins); `rounds + 1` means after the last round.
    pub election_round: u8,
    /// Policies in force.
    pub flags: Vec<Flag>,
    /// Every motion that has passed, in order.
    pub passed: Vec<Motion>,
}

/// The exact hidden tracks (host only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct HiddenTracks {
    pub reaction: u8,
    pub red_guards: u8,
    pub loyal_troops: u8,
}

/// A player as everyone sees them.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct PlayerInfo {
    pub id: PlayerId,
    pub name: String,
    pub faction: Faction,
    /// Whether a connection is attached right now.
    pub connected: bool,
    /// The historical figure they play, if the game uses characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub character: Option<String>,
    /// A bot the host added to fill a seat (the server plays it).
    #[serde(default, skip_serializing_if = "is_false")]
    pub bot: bool,
}

/// A character's brief and secret objective (its player and the host only).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct CharacterBrief {
    pub name: String,
    pub brief: String,
    pub objective: String,
}

/// Where a motion stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum MotionStatus {
    Tabled,
    Withdrawn,
    Passed,
    Failed,
}

/// One player's vote, public after the close.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct RollCallEntry {
    pub player: PlayerId,
    pub faction: Faction,
    pub vote: Vote,
}

/// A closed vote.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Tally {
    /// Cabinet: votes. Soviet: seats (may be fractional when a faction's
    /// players split).
    pub yes: f64,
    pub no: f64,
    pub abstain: f64,
    pub passed: bool,
    /// Why a motion that won the vote still failed, if it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    pub roll_call: Vec<RollCallEntry>,
}

/// A motion on the table this round.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct MotionView {
    pub id: MotionId,
    pub round: u8,
    pub motion: Motion,
    pub institution: Institution,
    pub proposer: PlayerId,
    pub status: MotionStatus,
    /// The viewer's own ballot while the vote is open (players only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub my_vote: Option<Vote>,
    /// Live ballots while the vote is open, sorted by player: every one for
    /// the host, the viewer's own faction's (theirs included) for a player,
    /// none for a spectator.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ballots: Vec<RollCallEntry>,
    /// The result, once the vote is closed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tally: Option<Tally>,
}

/// An action in a faction's plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct PlannedAction {
    pub id: ActionId,
    pub action: Action,
    pub cost: u32,
    /// The player who added it.
    pub by: PlayerId,
}

/// A faction's secrets: its own players and the host see these.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct FactionSecrets {
    pub faction: Faction,
    /// Influence points left to spend.
    pub ip: u32,
    /// This round's action plan (IP already deducted).
    pub plan: Vec<PlannedAction>,
}

/// The month's event card.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct EventCard {
    pub round: u8,
    pub id: String,
    pub title: String,
    pub text: String,
    /// July Days: the street has risen; the Bolsheviks must lead it
    /// (plan `seize_power`, free this round) or disown it.
    #[serde(default, skip_serializing_if = "is_false")]
    pub street_rises: bool,
    /// The generals attempt a coup this round.
    #[serde(default, skip_serializing_if = "is_false")]
    pub coup_attempt: bool,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// A faction's result at the end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct FactionScore {
    pub faction: Faction,
    pub won: bool,
    /// Election-weighted support plus the institution's legitimacy
    /// (Bolsheviks: their Soviet seats).
    pub score: u32,
    /// Constituent Assembly seats, when the Assembly was elected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assembly_seats: Option<u32>,
}

/// How the game ended.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Outcome {
    pub ending: Ending,
    pub round: u8,
    pub winners: Vec<Faction>,
    pub scores: Vec<FactionScore>,
    /// One paragraph for the class.
    pub summary: String,
    /// When the game ended (ms since the Unix epoch); the debrief counts
    /// time connected up to it. Absent in older logs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_ms: Option<u64>,
}

/// The game's settings as the host chose them.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct GameSettings {
    /// The scenario's id, e.g. `petrograd-1917`.
    pub scenario: String,
    /// Seconds per phase.
    pub timers: PhaseTimers,
    /// Whether players pick a faction or are balanced automatically.
    pub faction_choice: FactionChoice,
    /// Whether players get historical characters.
    pub characters: bool,
}

/// Seconds per phase.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct PhaseTimers {
    pub briefing: u32,
    pub negotiation: u32,
    pub proposals: u32,
    pub voting: u32,
    pub resolution: u32,
}

impl PublicState {
    /// Whether a faction's players sit in the cabinet (table and vote on
    /// decrees): the liberals, and the Soviet delegates while a coalition
    /// holds.
    pub fn in_cabinet(&self, faction: Faction) -> bool {
        match faction {
            Faction::Liberals => true,
            Faction::Soviet => self.coalition,
            Faction::Bolsheviks => false,
        }
    }

    /// Whether a faction's players may table and vote on motions of an
    /// institution: decrees in the cabinet, resolutions in the Soviet
    /// where the faction has seats.
    pub fn may_sit(&self, faction: Faction, institution: Institution) -> bool {
        match institution {
            Institution::Government => self.in_cabinet(faction),
            Institution::Soviet => self.soviet_seats[faction] > 0,
        }
    }
}

impl PhaseTimers {
    pub fn get(&self, phase: Phase) -> u32 {
        match phase {
            Phase::Briefing => self.briefing,
            Phase::Negotiation => self.negotiation,
            Phase::Proposals => self.proposals,
            Phase::Voting => self.voting,
            Phase::Resolution => self.resolution,
        }
    }
}

/// How players get their faction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum FactionChoice {
    /// Players name a faction when joining (or are balanced if they don't).
    #[default]
    Choose,
    /// Every player is put in the smallest faction.
    Auto,
}

/// Timer presets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum TimerPreset {
    /// About 90 minutes: the scenario's timers.
    #[default]
    Standard,
    /// About 45 minutes: half of each.
    Short,
}

/// A snapshot of a game as one viewer may see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct GameView {
    pub code: String,
    pub viewer: Viewer,
    pub settings: GameSettings,
    pub status: GameStatus,
    /// 1..=rounds; 0 in the lobby.
    pub round: u8,
    pub rounds: u8,
    /// The month's name, e.g. "March".
    pub month: String,
    pub phase: Option<Phase>,
    /// When the phase ends, in milliseconds since the Unix epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline_ms: Option<u64>,
    pub players: Vec<PlayerInfo>,
    pub state: PublicState,
    /// The cabinet: players who vote on and table decrees.
    pub cabinet: Vec<PlayerId>,
    /// This round's event card.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<EventCard>,
    /// This round's motions (the viewer's ballot or the host's live view).
    pub motions: Vec<MotionView>,
    /// The secrets of the factions the viewer may see: a player's own, or
    /// all three for the host.
    pub factions: Vec<FactionSecrets>,
    /// The viewer's character brief, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub character: Option<CharacterBrief>,
    /// Exact hidden tracks (host only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hidden: Option<HiddenTracks>,
    /// The last resolution's summary, for latecomers.
    pub last_summary: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<Outcome>,
    /// While paused: the time left in the phase (the deadline is absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paused_remaining_ms: Option<u64>,
    /// Players ready to move on this phase.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ready: Vec<PlayerId>,
    /// Whether the phase ends early once every connected player is ready.
    #[serde(default = "default_true")]
    pub ready_ends_phase: bool,
    /// The game explained: every faction, group, track, motion, action and
    /// event in plain words, with its history. The same for every viewer
    /// and the whole game (about 30 KB): sent in snapshots only to clients
    /// that did not say `catalog_on_request` in `hello` (those ask once
    /// with `get_catalog`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub catalog: Option<Box<crate::Catalog>>,
    /// The briefings the viewer may read: a player's own faction's, all
    /// three for the host.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub briefings: Vec<crate::Briefing>,
}

fn default_true() -> bool {
    true
}
