//! Dual Power wire protocol, version 1.
//!
//! This crate is the contract between the server and every client, the
//! bundled CLI and third-party ones alike. It holds types only: no I/O, no
//! async, no game rules. `serde_json` turns them into the JSON text frames
//! described in `PROTOCOL.md`.
//!
//! Layout:
//! - [`vocab`]: the game's nouns (factions, groups, phases, motions, actions,
//!   tracks) shared by the engine and the clients.
//! - [`view`]: what a viewer may see of a game ([`GameView`]), and the public
//!   part of the state that events carry.
//! - [`event`]: the game events a client receives, each numbered by `seq`.
//! - [`msg`]: the envelopes: [`ClientMsg`] (requests) and [`ServerMsg`].
//! - [`error`]: stable error codes.
//!
//! Versioning: within version 1 only optional fields and new enum variants may
//! be added. Clients should ignore fields they do not know. Anything else
//! (a renamed or removed field, a changed meaning) needs version 2.

pub mod error;
pub mod event;
pub mod msg;
pub mod view;
pub mod vocab;

pub use error::ErrorCode;
pub use event::{Audience, ChatScope, GameEvent, RevealedActions, VoteResult};
pub use msg::{ClientMsg, ClientRequest, DownloadFormat, Health, RequestId, ServerMsg};
pub use view::*;
pub use vocab::*;

/// The protocol version this crate describes. A `hello` with any other
/// version is answered with [`ErrorCode::VersionMismatch`].
pub const PROTOCOL_VERSION: u32 = 1;

/// Encode a server message as one JSON text frame.
pub fn encode<T: serde::Serialize>(msg: &T) -> String {
    // Serializing these types cannot fail: every map key is a string or a
    // unit enum, and there are no non-finite floats.
    serde_json::to_string(msg).expect("protocol types always serialize")
}
