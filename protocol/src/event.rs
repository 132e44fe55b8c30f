//! Game events: what happened, in order.
//!
//! A game's log is a sequence of [`GameEvent`]s, each with an [`Audience`].
//! A connection receives exactly the events whose audience includes its
//! viewer, numbered `seq` = 1, 2, 3… in *its* stream (so a client sees no
//! gaps). Folding the log from the start rebuilds the game's state.

use crate::view::*;
use crate::vocab::*;
use serde::{Deserialize, Serialize};

/// Who may see an event. The host sees every event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "to", rename_all = "snake_case")]
pub enum Audience {
    /// Everyone in the game, spectators included.
    Everyone,
    /// The players of one faction (and the host).
    Faction { faction: Faction },
    /// One player (and the host).
    Player { player: PlayerId },
    /// Two players, e.g. both ends of a private message (and the host).
    Pair { a: PlayerId, b: PlayerId },
    /// The host only.
    Host,
}

impl Audience {
    /// The one rule deciding whether `viewer` may see an event for this
    /// audience. The viewer's faction is the one they had when the event
    /// happened.
    pub fn includes(&self, viewer: &Viewer) -> bool {
        match (self, viewer) {
            (_, Viewer::Host) => true,
            (Audience::Everyone, _) => true,
            (Audience::Faction { faction }, Viewer::Player { faction: f, .. }) => faction == f,
            (Audience::Player { player }, Viewer::Player { id, .. }) => player == id,
            (Audience::Pair { a, b }, Viewer::Player { id, .. }) => a == id || b == id,
            _ => false,
        }
    }
}

/// Where a chat message was said.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ChatScope {
    /// The public floor.
    Floor,
    /// A faction's private channel.
    Faction { faction: Faction },
    /// A private message from `from` to `to`.
    Private { to: PlayerId },
    /// The host speaking to everyone.
    Announcement,
}

/// A faction's actions as revealed at resolution.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct RevealedActions {
    pub faction: Faction,
    pub actions: Vec<Action>,
}

/// One motion's result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct VoteResult {
    pub motion: MotionId,
    pub tally: Tally,
}

/// Everything that can happen in a game. On the wire the variant is the
/// `kind` field: `{"kind": "chat", ...}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum GameEvent {
    /// A player joined (lobby or later).
    PlayerJoined { player: PlayerInfo },
    /// A player's connection came or went.
    PlayerConnection {
        player: PlayerId,
        connected: bool,
        /// When (ms since the Unix epoch); the debrief counts each
        /// player's time connected from it. Absent in older logs.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        at_ms: Option<u64>,
    },
    /// The player's character brief (to that player).
    CharacterAssigned {
        player: PlayerId,
        brief: CharacterBrief,
    },
    /// The host started the game.
    GameStarted { rounds: u8 },
    /// A player's briefing (to that player): their faction's aims and first
    /// moves and, with characters, their character's brief and secret
    /// objective. Sent when the game starts, to a player who joins or is
    /// moved to another faction later, and kept in the view's `briefings`.
    Briefing {
        player: PlayerId,
        // Shared in memory with the scenario and the faction's other
        // players; on the wire, the briefing itself.
        briefing: std::sync::Arc<crate::Briefing>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        character: Option<CharacterBrief>,
    },
    /// A player now plays this historical character (to everyone; the brief
    /// and objective go to the player alone in `character_assigned`).
    PlayerCharacter { player: PlayerId, character: String },
    /// A new phase began; it ends at `deadline_ms` (ms since the Unix epoch).
    PhaseStarted {
        round: u8,
        month: String,
        phase: Phase,
        deadline_ms: u64,
        /// When the phase began (ms since the Unix epoch); the debrief's
        /// timeline reads it. Absent in older logs.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        at_ms: Option<u64>,
    },
    /// The month's event, revealed at the briefing, and what it did.
    EventRevealed {
        card: EventCard,
        /// Readable lines on what the event changed.
        effects: Vec<String>,
    },
    /// The public state changed; this is the new public state.
    StateChanged { state: PublicState },
    /// The exact hidden tracks changed (host only).
    HiddenChanged { hidden: HiddenTracks },
    /// A faction received influence (its players and the host).
    IncomeReceived {
        faction: Faction,
        amount: u32,
        ip: u32,
    },
    /// A chat message.
    Chat {
        /// The message's number in the game (the host uses it to redact).
        #[serde(default)]
        id: u64,
        scope: ChatScope,
        /// `None` for the host's announcements.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        from: Option<PlayerId>,
        text: String,
    },
    /// A motion was tabled.
    MotionTabled { motion: MotionView },
    /// Its proposer withdrew a motion.
    MotionWithdrawn { motion: MotionId },
    /// A player cast or changed a ballot (that player's faction and the
    /// host: a faction sees its members' open ballots, the others only the
    /// roll call once the vote closes).
    VoteCast {
        motion: MotionId,
        player: PlayerId,
        vote: Vote,
    },
    /// A faction added an action to its plan (the faction and the host).
    ActionPlanned {
        faction: Faction,
        planned: PlannedAction,
        ip: u32,
    },
    /// A faction removed an action from its plan (the faction and the host).
    ActionUnplanned {
        faction: Faction,
        action: ActionId,
        by: PlayerId,
        ip: u32,
    },
    /// The votes closed: results and roll calls, in tabling order.
    VotesClosed { results: Vec<VoteResult> },
    /// The resolution: what each faction did and what happened, to read
    /// aloud.
    Resolved {
        round: u8,
        actions: Vec<RevealedActions>,
        summary: Vec<String>,
    },
    /// The game is over.
    GameEnded { outcome: Outcome },
    /// The host paused the game: the clock stops with `remaining_ms` left
    /// in the phase.
    Paused {
        remaining_ms: u64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
        /// The server paused the game because it restarted (not the
        /// host); the debrief marks it on the timeline.
        #[serde(default, skip_serializing_if = "is_false")]
        restart: bool,
    },
    /// The game runs again; the phase now ends at `deadline_ms`.
    Resumed { deadline_ms: u64 },
    /// The host moved the current phase's deadline (e.g. extended it).
    DeadlineChanged {
        deadline_ms: u64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// The host ended the phase before its time.
    PhaseEndedEarly {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
        /// Every connected player said `ready` (the rules ended it, not
        /// the host).
        #[serde(default, skip_serializing_if = "is_false")]
        everyone_ready: bool,
    },
    /// The host changed the phase timers (they apply from the next phase).
    TimersChanged { timers: PhaseTimers },
    /// The host removed a player from the game.
    PlayerKicked {
        player: PlayerId,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// The host moved a player to another faction.
    PlayerMoved {
        player: PlayerId,
        faction: Faction,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
        /// The player's new name: a bot moved to another faction takes one
        /// of its new faction's figures. Absent when the name stays (a
        /// person keeps theirs), and in logs of older servers.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<String>,
    },
    /// The host muted a player until `until_ms` (0: unmuted).
    PlayerMuted {
        player: PlayerId,
        until_ms: u64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// The host hid a chat message from everyone (it stays in the host's
    /// log).
    ChatRedacted {
        chat: u64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// A player is (or is no longer) ready to move on.
    ReadyChanged { player: PlayerId, ready: bool },
    /// Whether the phase ends early once every connected player is ready.
    ReadyRuleChanged { enabled: bool },
}

fn is_false(b: &bool) -> bool {
    !*b
}

impl GameEvent {
    /// The event's name on the wire (its `kind`).
    pub fn kind(&self) -> &'static str {
        match self {
            GameEvent::PlayerJoined { .. } => "player_joined",
            GameEvent::PlayerConnection { .. } => "player_connection",
            GameEvent::CharacterAssigned { .. } => "character_assigned",
            GameEvent::GameStarted { .. } => "game_started",
            GameEvent::Briefing { .. } => "briefing",
            GameEvent::PlayerCharacter { .. } => "player_character",
            GameEvent::PhaseStarted { .. } => "phase_started",
            GameEvent::EventRevealed { .. } => "event_revealed",
            GameEvent::StateChanged { .. } => "state_changed",
            GameEvent::HiddenChanged { .. } => "hidden_changed",
            GameEvent::IncomeReceived { .. } => "income_received",
            GameEvent::Chat { .. } => "chat",
            GameEvent::MotionTabled { .. } => "motion_tabled",
            GameEvent::MotionWithdrawn { .. } => "motion_withdrawn",
            GameEvent::VoteCast { .. } => "vote_cast",
            GameEvent::ActionPlanned { .. } => "action_planned",
            GameEvent::ActionUnplanned { .. } => "action_unplanned",
            GameEvent::VotesClosed { .. } => "votes_closed",
            GameEvent::Resolved { .. } => "resolved",
            GameEvent::GameEnded { .. } => "game_ended",
            GameEvent::Paused { .. } => "paused",
            GameEvent::Resumed { .. } => "resumed",
            GameEvent::DeadlineChanged { .. } => "deadline_changed",
            GameEvent::PhaseEndedEarly { .. } => "phase_ended_early",
            GameEvent::TimersChanged { .. } => "timers_changed",
            GameEvent::PlayerKicked { .. } => "player_kicked",
            GameEvent::PlayerMoved { .. } => "player_moved",
            GameEvent::PlayerMuted { .. } => "player_muted",
            GameEvent::ChatRedacted { .. } => "chat_redacted",
            GameEvent::ReadyChanged { .. } => "ready_changed",
            GameEvent::ReadyRuleChanged { .. } => "ready_rule_changed",
        }
    }
}

/// One entry of a game's log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct LoggedEvent {
    pub audience: Audience,
    pub event: GameEvent,
}

/// A game's event log as downloaded for the debrief (`download` with
/// format `log`). The host's copy is complete: folding `events` into a new
/// game of `settings` and `seed` rebuilds the final state exactly. A
/// faction's copy holds only what that side could see.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct GameLog {
    pub code: String,
    pub settings: GameSettings,
    /// The seed (the host's copy only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    /// Whose view this is.
    pub viewer: Viewer,
    pub events: Vec<LoggedEvent>,
}
