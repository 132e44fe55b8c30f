//! Stable error codes. A code never changes meaning within a protocol
//! version; the accompanying `message` is for people and may change.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Why a request was refused. On the wire: `"code": "wrong_phase"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    // Connection and envelope.
    /// The frame is not valid JSON, or not a known message, or a field is
    /// missing or of the wrong type.
    BadRequest,
    /// `hello` named a protocol version this server does not speak.
    VersionMismatch,
    /// The first message must be `hello`.
    HelloRequired,
    /// Too many requests too fast.
    RateLimited,
    /// A text or name is longer than allowed.
    TooLong,
    /// The server is full (games, players or connections).
    Full,
    /// The server is shutting down.
    ShuttingDown,
    /// A bug on the server's side; the game is unaffected.
    Internal,

    // Lobby and identity.
    /// No game has that join code.
    UnknownGame,
    /// The token is not valid for this server or game.
    InvalidToken,
    /// The host removed this player from the game: the token no longer
    /// works, for good. (Do not retry; join again only if the host agrees.)
    Removed,
    /// The display name is empty, too long or has forbidden characters.
    InvalidName,
    /// Another player in this game already has that name.
    NameTaken,
    /// This connection has already joined a game.
    AlreadyJoined,
    /// This request needs a joined game.
    NotJoined,
    /// The game settings are invalid (e.g. an unknown scenario).
    InvalidSettings,
    /// Only the host (or only a player) may do this.
    Forbidden,
    /// The game has not started yet.
    NotStarted,
    /// The game has already started.
    AlreadyStarted,
    /// The game is over.
    GameOver,

    // Rules.
    /// Not allowed in the current phase.
    WrongPhase,
    /// This player may not do this (e.g. not in the cabinet, no Soviet seats).
    NotEligible,
    /// The faction has too few influence points.
    InsufficientIp,
    /// The motion's or action's precondition does not hold.
    PreconditionFailed,
    /// No motion in the catalog has that id.
    UnknownMotion,
    /// No action in the catalog has that id.
    UnknownAction,
    /// No motion with that number is on the table this round.
    NoSuchMotion,
    /// The motion was withdrawn or its vote has closed.
    MotionClosed,
    /// The institution already has its maximum of motions this round.
    MotionLimit,
    /// The same motion is already on the table this round.
    DuplicateMotion,
    /// Only the proposer may withdraw a motion.
    NotProposer,
    /// No action with that number is in the faction's plan.
    NoSuchAction,
    /// No player with that id is in the game.
    NoSuchPlayer,
    /// A message must have some text.
    EmptyMessage,
    /// The scenario has no character of that name (`assign_character`).
    NoSuchCharacter,
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let v = serde_json::to_value(self).map_err(|_| fmt::Error)?;
        f.write_str(v.as_str().unwrap_or("internal"))
    }
}
