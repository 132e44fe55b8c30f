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

/// The longest request `id` a server accepts, in characters (a longer one
/// is refused with `bad_request`).
pub const MAX_REQUEST_ID_CHARS: usize = 64;

impl RequestId {
    /// Whether the id is within [`MAX_REQUEST_ID_CHARS`].
    pub fn within_limit(&self) -> bool {
        match self {
            RequestId::Number(_) => true,
            RequestId::Text(t) => t.chars().count() <= MAX_REQUEST_ID_CHARS,
        }
    }
}

/// A message from a client: an optional `id` and the request.
///
/// Decoding is strict about tags: `type` (and the `kind`/`id` tags of a
/// nested channel, motion or action) must be one of the documented
/// strings; serde would otherwise also take a number as a variant's index
/// (`{"type":1}` as `create_game`). A text `id` has at most
/// [`MAX_REQUEST_ID_CHARS`] characters.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ClientMsg {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<RequestId>,
    #[serde(flatten)]
    pub request: ClientRequest,
}

impl<'de> Deserialize<'de> for ClientMsg {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        use serde_json::Value;
        let mut map = serde_json::Map::<String, Value>::deserialize(d)?;
        match map.get("type") {
            Some(Value::String(_)) => {}
            Some(other) => {
                return Err(D::Error::custom(format!(
                    "`type` must be a string naming the request (e.g. \"hello\"), not {other}"
                )))
            }
            None => return Err(D::Error::missing_field("type")),
        }
        // Nested internally tagged values: the tag must be a string too.
        for (field, tag) in [("channel", "kind"), ("motion", "id"), ("action", "id")] {
            if let Some(Value::Object(inner)) = map.get(field) {
                if let Some(v) = inner.get(tag).filter(|v| !v.is_string()) {
                    return Err(D::Error::custom(format!(
                        "`{field}.{tag}` must be a string, not {v}"
                    )));
                }
            }
        }
        let id = match map.remove("id") {
            None | Some(Value::Null) => None,
            Some(v) => Some(
                RequestId::deserialize(v)
                    .map_err(|_| D::Error::custom("`id` must be a number or a string"))?,
            ),
        };
        if let Some(id) = &id {
            if !id.within_limit() {
                return Err(D::Error::custom(format!(
                    "`id` has at most {MAX_REQUEST_ID_CHARS} characters"
                )));
            }
        }
        let request = ClientRequest::deserialize(Value::Object(map)).map_err(D::Error::custom)?;
        Ok(ClientMsg { id, request })
    }
}

impl ClientMsg {
    pub fn new(id: Option<RequestId>, request: ClientRequest) -> Self {
        ClientMsg { id, request }
    }
}

fn is_false(b: &bool) -> bool {
    !*b
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
        /// The client asks for the catalog (the game in words, ~30 KB)
        /// once with `get_catalog`: snapshots to this connection leave it
        /// out. Absent or false: every snapshot carries it, as before.
        #[serde(default, skip_serializing_if = "is_false")]
        catalog_on_request: bool,
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
    /// a `snapshot`; watching again after a disconnect, with the `last_seq`
    /// it had, the events after it instead (the spectators' stream is one,
    /// whoever watches).
    Spectate {
        code: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        last_seq: Option<u64>,
    },
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
    /// Ask for the game explained in words (every faction, group, track,
    /// motion, action, event and idea): answered with `catalog`. It is the
    /// same for the whole game, so a client asks once and keeps it.
    GetCatalog,
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
    /// Host: give a player one of the scenario's historical characters (by
    /// name, of the player's faction, not already played by someone else).
    /// Only in a game created with `characters: true`; the server deals one
    /// to each player who joins, and this replaces it.
    AssignCharacter { player: PlayerId, character: String },
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
            ClientRequest::GetCatalog => "get_catalog",
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
            ClientRequest::AssignCharacter { .. } => "assign_character",
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
    /// The answer to `get_catalog`: the game explained in words, the same
    /// for every viewer and for the whole game.
    Catalog {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        id: Option<RequestId>,
        catalog: Box<crate::Catalog>,
    },
    /// The answer to `download`: the debrief record as text. A record
    /// longer than [`DOWNLOAD_PART_BYTES`] comes in several `download`
    /// messages with the same `id`, numbered by `part` (1, 2, …) out of
    /// `parts`: the record is their `content` joined in order. Both are
    /// absent when the record fits in one message.
    Download {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        id: Option<RequestId>,
        format: DownloadFormat,
        /// A file name to save it under.
        filename: String,
        content: String,
        /// This message's place in a record sent in parts (1-based).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        part: Option<u32>,
        /// How many parts the record has.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        parts: Option<u32>,
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
    /// Nothing was heard from the client for the idle timeout (a laptop
    /// asleep, a network gone): reconnect and `resume`.
    Idle,
}

impl GoodbyeCode {
    /// Whether a client should reconnect (and `resume`) after this goodbye.
    pub fn reconnect(self) -> bool {
        matches!(
            self,
            GoodbyeCode::ShuttingDown
                | GoodbyeCode::TooSlow
                | GoodbyeCode::RateLimited
                | GoodbyeCode::Idle
        )
    }
}

/// The most bytes of a debrief record's `content` in one `download`
/// message; a longer record is sent in parts.
pub const DOWNLOAD_PART_BYTES: usize = 256 * 1024;

impl ServerMsg {
    /// A `download` answer as one or more messages of at most
    /// [`DOWNLOAD_PART_BYTES`] of content each (split between characters).
    pub fn download_parts(
        id: Option<RequestId>,
        format: DownloadFormat,
        filename: String,
        content: &str,
    ) -> Vec<ServerMsg> {
        let mut pieces = Vec::new();
        let mut rest = content;
        while rest.len() > DOWNLOAD_PART_BYTES {
            let mut cut = DOWNLOAD_PART_BYTES;
            while !rest.is_char_boundary(cut) {
                cut -= 1;
            }
            pieces.push(&rest[..cut]);
            rest = &rest[cut..];
        }
        pieces.push(rest);
        let parts = pieces.len() as u32;
        pieces
            .into_iter()
            .enumerate()
            .map(|(i, piece)| ServerMsg::Download {
                id: id.clone(),
                format,
                filename: filename.clone(),
                content: piece.to_string(),
                part: (parts > 1).then_some(i as u32 + 1),
                parts: (parts > 1).then_some(parts),
            })
            .collect()
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
            | ServerMsg::Catalog { id, .. }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(text: &str) -> Result<ClientMsg, String> {
        serde_json::from_str(text).map_err(|e| e.to_string())
    }

    #[test]
    fn only_the_documented_type_strings_are_requests() {
        for text in [
            r#"{"type":0,"protocol_version":1}"#,
            r#"{"type":1}"#,
            r#"{"type":2,"code":"K7QX3","name":"Ana"}"#,
            r#"{"type":null}"#,
            r#"{"type":["hello"]}"#,
            r#"{"type":"Hello","protocol_version":1}"#,
            r#"{"protocol_version":1}"#,
        ] {
            let err = decode(text).expect_err(text);
            assert!(
                err.contains("type") || err.contains("variant"),
                "{text}: {err}"
            );
        }
        let ok = decode(r#"{"type":"hello","protocol_version":1,"id":"a"}"#).unwrap();
        assert_eq!(ok.id, Some(RequestId::Text("a".into())));
        assert!(matches!(ok.request, ClientRequest::Hello { .. }));
    }

    #[test]
    fn nested_tags_must_be_strings_too() {
        for text in [
            r#"{"type":"chat","channel":{"kind":0},"text":"hi"}"#,
            r#"{"type":"table_motion","motion":{"id":3}}"#,
            r#"{"type":"plan_action","action":{"id":1}}"#,
        ] {
            assert!(decode(text).is_err(), "{text}");
        }
        assert!(decode(r#"{"type":"chat","channel":{"kind":"floor"},"text":"hi"}"#).is_ok());
        assert!(decode(r#"{"type":"withdraw_motion","motion":3}"#).is_ok());
    }

    #[test]
    fn request_ids_have_a_length_limit() {
        let at = "x".repeat(MAX_REQUEST_ID_CHARS);
        let over = "x".repeat(MAX_REQUEST_ID_CHARS + 1);
        assert!(decode(&format!(r#"{{"type":"ping","id":"{at}"}}"#)).is_ok());
        let err = decode(&format!(r#"{{"type":"ping","id":"{over}"}}"#)).unwrap_err();
        assert!(err.contains("64 characters"), "{err}");
        assert!(decode(r#"{"type":"ping","id":18446744073709551615}"#).is_ok());
        assert!(decode(r#"{"type":"ping","id":{"a":1}}"#).is_err());
    }

    #[test]
    fn a_long_download_is_split_into_parts_that_join_back() {
        let content: String = "é1".repeat(DOWNLOAD_PART_BYTES * 5 / 6); // 2.5 parts
        let parts = ServerMsg::download_parts(
            Some(RequestId::Number(7)),
            DownloadFormat::Log,
            "f.json".into(),
            &content,
        );
        assert_eq!(parts.len(), 3);
        let mut joined = String::new();
        for (i, m) in parts.iter().enumerate() {
            let ServerMsg::Download {
                content,
                part,
                parts: n,
                id,
                ..
            } = m
            else {
                panic!()
            };
            assert!(content.len() <= DOWNLOAD_PART_BYTES);
            assert_eq!(
                (*part, *n, id),
                (Some(i as u32 + 1), Some(3), &Some(RequestId::Number(7)))
            );
            joined.push_str(content);
        }
        assert_eq!(joined, content);
        let one = ServerMsg::download_parts(None, DownloadFormat::Log, "f".into(), "small");
        assert!(matches!(
            &one[..],
            [ServerMsg::Download { part: None, parts: None, content, .. }] if content == "small"
        ));
    }
}
