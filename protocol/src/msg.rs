//! The envelopes: what a client sends and what the server answers.
//!
//! Every client message is a JSON object with a `type` and, optionally, an
//! `id` (a number or a string) that the server echoes in its answer to that
//! request: `ack`, a specific answer such as `game_created`, or `error`.

use crate::error::ErrorCode;
use crate::event::GameEvent;
use crate::view::*;
use crate::vocab::*;
use serde::{Deserialize, Serialize};

/// A client-chosen request id, echoed in the answer.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(untagged)]
pub enum RequestId {
    Number(u64),
    Text(String),
}

/// A message from a client: an optional `id` and the request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ClientMsg {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<RequestId>,
    #[serde(flatten)]
    pub request: ClientRequest,
}

impl ClientMsg {
    pub fn new(id: Option<RequestId>, request: ClientRequest) -> Self {
        ClientMsg { id, request }
    }
}

/// Every request a client can make.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientRequest {
    /// Must be the first message. Answered with `welcome`, or with
    /// `version_mismatch` and a close.
    Hello {
        protocol_version: u32,
        /// The client's name and version, for the server's logs.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        client: Option<String>,
    },
    /// Create a game; this connection becomes its host. Answered with
    /// `game_created`, then a `snapshot`.
    CreateGame {
        /// Scenario id; the default scenario when absent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        scenario: Option<String>,
        #[serde(default)]
        preset: TimerPreset,
        /// Exact seconds per phase; overrides `preset`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        timers: Option<PhaseTimers>,
        #[serde(default)]
        faction_choice: FactionChoice,
        #[serde(default)]
        characters: bool,
        /// The random seed; a random one when absent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        seed: Option<u64>,
    },
    /// Join a game as a player. Answered with `joined` (with the player's
    /// secret token), then a `snapshot`.
    JoinGame {
        code: String,
        name: String,
        /// The wished faction (ignored when the host auto-balances).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        faction: Option<Faction>,
    },
    /// Watch a game read-only (the projector). Answered with `joined`, then
    /// a `snapshot`.
    Spectate { code: String },
    /// Reattach to a game with a host or player token after a disconnect.
    /// With `last_seq`, the server sends the events after it; otherwise a
    /// fresh snapshot.
    Resume {
        token: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        last_seq: Option<u64>,
    },
    /// Host: start the game.
    StartGame,
    /// Host: end the current phase now.
    AdvancePhase,
    /// Say something on the floor, to the faction, or to one player.
    Chat { channel: Channel, text: String },
    /// Table a motion (proposals phase).
    TableMotion { motion: Motion },
    /// Withdraw one's own motion (proposals phase).
    WithdrawMotion { motion: MotionId },
    /// Vote on a motion (voting phase); a later vote replaces an earlier one.
    Vote { motion: MotionId, vote: Vote },
    /// Add an action to the faction's plan (voting phase), paying its cost.
    PlanAction { action: Action },
    /// Remove an action from the faction's plan (voting phase), refunding it.
    UnplanAction { action: ActionId },
    /// Ask for a fresh snapshot.
    GetState,
    /// Mark oneself ready (or not) to move on; when every connected player
    /// is ready, the phase ends early (unless the host turned that off).
    SetReady { ready: bool },
    /// Host: set the phase timers, as a preset or exact seconds.
    SetTimers {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        preset: Option<TimerPreset>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        timers: Option<PhaseTimers>,
    },
    /// Host: stop the clock.
    Pause {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// Host: start the clock again.
    ResumeGame,
    /// Host: give the current phase more time.
    Extend {
        seconds: u32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// Host: end the current phase now, with a reason for the class.
    EndPhase {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// Host: remove a player from the game (their token stops working).
    Kick {
        player: PlayerId,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// Host: move a player to another faction.
    MovePlayer {
        player: PlayerId,
        faction: Faction,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// Host: end the game now.
    EndGame {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// Host: play one of the scenario's events now (by its id, e.g.
    /// `july_days`).
    InjectEvent { event: String },
    /// Host: mute a player for `seconds` (0 unmutes).
    Mute {
        player: PlayerId,
        seconds: u32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// Host: hide a chat message (by its `id`) from everyone's view and the
    /// report; it stays in the host's log.
    Redact {
        chat: u64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// Host: turn "the phase ends when everyone is ready" on or off.
    SetReadyRule { enabled: bool },
    /// Host: fill a seat with a bot the server plays (in `faction`, or the
    /// smallest faction). It joins like a player; `kick` removes it.
    AddBot {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        faction: Option<Faction>,
    },
    /// Download the debrief record: answered with `download`. The host may
    /// ask for any faction's view; `faction` absent means the host's full
    /// record.
    Download {
        format: DownloadFormat,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        faction: Option<Faction>,
    },
    /// Host: delete the game's record now.
    DeleteGame,
    /// Answered with `pong`.
    Ping,
}

impl ClientRequest {
    /// The message's `type` on the wire.
    pub fn kind(&self) -> &'static str {
        match self {
            ClientRequest::Hello { .. } => "hello",
            ClientRequest::CreateGame { .. } => "create_game",
            ClientRequest::JoinGame { .. } => "join_game",
            ClientRequest::Spectate { .. } => "spectate",
            ClientRequest::Resume { .. } => "resume",
            ClientRequest::StartGame => "start_game",
            ClientRequest::AdvancePhase => "advance_phase",
            ClientRequest::Chat { .. } => "chat",
            ClientRequest::TableMotion { .. } => "table_motion",
            ClientRequest::WithdrawMotion { .. } => "withdraw_motion",
            ClientRequest::Vote { .. } => "vote",
            ClientRequest::PlanAction { .. } => "plan_action",
            ClientRequest::UnplanAction { .. } => "unplan_action",
            ClientRequest::GetState => "get_state",
            ClientRequest::SetReady { .. } => "set_ready",
            ClientRequest::SetTimers { .. } => "set_timers",
            ClientRequest::Pause { .. } => "pause",
            ClientRequest::ResumeGame => "resume_game",
            ClientRequest::Extend { .. } => "extend",
            ClientRequest::EndPhase { .. } => "end_phase",
            ClientRequest::Kick { .. } => "kick",
            ClientRequest::MovePlayer { .. } => "move_player",
            ClientRequest::EndGame { .. } => "end_game",
            ClientRequest::InjectEvent { .. } => "inject_event",
            ClientRequest::Mute { .. } => "mute",
            ClientRequest::Redact { .. } => "redact",
            ClientRequest::SetReadyRule { .. } => "set_ready_rule",
            ClientRequest::AddBot { .. } => "add_bot",
            ClientRequest::Download { .. } => "download",
            ClientRequest::DeleteGame => "delete_game",
            ClientRequest::Ping => "ping",
        }
    }
}

/// Every message the server sends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMsg {
    /// The answer to `hello`.
    Welcome {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        id: Option<RequestId>,
        server_version: String,
        protocol_version: u32,
    },
    /// The answer to `create_game`. Keep `host_token` secret: it is the
    /// host's key to the game, e.g. to `resume` after a disconnect.
    GameCreated {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        id: Option<RequestId>,
        /// The join code to read aloud (no 0, O, 1 or I).
        code: String,
        host_token: String,
    },
    /// The answer to `join_game`, `spectate` and `resume`.
    Joined {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        id: Option<RequestId>,
        code: String,
        viewer: Viewer,
        /// The secret token to `resume` with (players and host).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        token: Option<String>,
    },
    /// The game as this connection may see it. `seq` is the last event of
    /// this connection's stream the view includes; events follow from
    /// `seq + 1`.
    Snapshot {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        id: Option<RequestId>,
        seq: u64,
        view: Box<GameView>,
    },
    /// Something happened. `seq` numbers this connection's stream: 1, 2, 3…
    Event { seq: u64, event: GameEvent },
    /// A request succeeded and has nothing more to say.
    Ack {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        id: Option<RequestId>,
    },
    /// The answer to `ping`.
    Pong {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        id: Option<RequestId>,
    },
    /// A request was refused; nothing changed.
    Error {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        id: Option<RequestId>,
        code: ErrorCode,
        message: String,
    },
    /// The server is closing this connection; `code` says why and whether
    /// to reconnect (absent from older servers: treat as `shutting_down`).
    Goodbye {
        reason: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        code: Option<GoodbyeCode>,
    },
    /// The answer to `download`: the debrief record as text.
    Download {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        id: Option<RequestId>,
        format: DownloadFormat,
        /// A file name to save it under.
        filename: String,
        content: String,
    },
}

/// Why the server closed a connection, and what a client should do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum GoodbyeCode {
    /// A newer connection took this seat (the same token elsewhere). Do
    /// **not** reconnect: that would take the seat back and the two would
    /// fight. Tell the person and stop.
    Replaced,
    /// The host removed this player; the token no longer works. Do not
    /// reconnect.
    Kicked,
    /// The game was deleted (by the host, or past retention). Do not
    /// reconnect.
    GameDeleted,
    /// The server is stopping or restarting: reconnect with backoff and
    /// `resume`.
    ShuttingDown,
    /// The connection could not keep up (its queue stayed full): reconnect
    /// and `resume`.
    TooSlow,
    /// The connection sent too much too fast: reconnect later and `resume`.
    RateLimited,
    /// The connection broke the protocol (e.g. no `hello` in time).
    ProtocolError,
}

impl GoodbyeCode {
    /// Whether a client should reconnect (and `resume`) after this goodbye.
    pub fn reconnect(self) -> bool {
        matches!(
            self,
            GoodbyeCode::ShuttingDown | GoodbyeCode::TooSlow | GoodbyeCode::RateLimited
        )
    }
}

/// Formats of the debrief record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum DownloadFormat {
    /// The event log as JSON (replayable by the engine).
    Log,
    /// A readable report in Markdown.
    Markdown,
    /// The same report as one self-contained HTML page with charts.
    Html,
}

impl ServerMsg {
    /// The `id` of the request this message answers, if it is an answer.
    pub fn request_id(&self) -> Option<&RequestId> {
        match self {
            ServerMsg::Welcome { id, .. }
            | ServerMsg::GameCreated { id, .. }
            | ServerMsg::Joined { id, .. }
            | ServerMsg::Snapshot { id, .. }
            | ServerMsg::Ack { id }
            | ServerMsg::Pong { id }
            | ServerMsg::Error { id, .. }
            | ServerMsg::Download { id, .. } => id.as_ref(),
            ServerMsg::Event { .. } | ServerMsg::Goodbye { .. } => None,
        }
    }

    pub fn error(id: Option<RequestId>, code: ErrorCode, message: impl Into<String>) -> Self {
        ServerMsg::Error {
            id,
            code,
            message: message.into(),
        }
    }
}

/// The answer to `GET /health` (plain HTTP, not WebSocket).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Health {
    /// `"ok"` while the server accepts games.
    pub status: String,
    pub server_version: String,
    pub protocol_version: u32,
    /// Games in play (not finished).
    pub games: usize,
    /// Games held in memory, finished ones included (a finished game
    /// leaves memory a minute after its last member; its record stays).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub games_in_memory: Option<usize>,
    /// Open WebSocket connections.
    pub connections: usize,
}
