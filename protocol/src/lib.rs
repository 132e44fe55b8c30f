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
//! - [`catalog`]: the game explained in words (what each thing does, what
//!   it was in 1917) and the factions' briefings.
//! - [`error`]: stable error codes.
//!
//! Versioning: within version 1 only optional fields and new enum variants may
//! be added. Clients should ignore fields they do not know. Anything else
//! (a renamed or removed field, a changed meaning) needs version 2.

pub mod catalog;
pub mod error;
pub mod event;
mod fold;
pub mod msg;
pub mod view;
pub mod vocab;

pub use catalog::{ActionEntry, Briefing, Catalog, CharacterEntry, Explained, MotionEntry};
pub use error::ErrorCode;
pub use event::{
    Audience, ChatScope, GameEvent, GameLog, LoggedEvent, RevealedActions, VoteResult,
};
pub use msg::{
    ClientMsg, ClientRequest, DownloadFormat, GoodbyeCode, Health, RequestId, ServerMsg,
    DOWNLOAD_PART_BYTES, MAX_REQUEST_ID_CHARS,
};
pub use view::*;
pub use vocab::*;

/// The protocol version this crate describes. A `hello` with any other
/// version is answered with [`ErrorCode::VersionMismatch`].
pub const PROTOCOL_VERSION: u32 = 1;

/// An event serialized once, to be framed for many recipients with
/// [`encode_event_frame`].
pub type EncodedEvent = Box<serde_json::value::RawValue>;

/// Serialize an event's body once.
pub fn encode_event(event: &GameEvent) -> EncodedEvent {
    serde_json::value::to_raw_value(event).expect("protocol types always serialize")
}

/// An `event` frame is these bytes, the recipient's `seq`, these bytes,
/// the event's body and `}`: [`encode_event_frame`] makes it whole; the
/// server's writer splices a shared body without making it.
pub const EVENT_FRAME_HEAD: &str = r#"{"type":"event","seq":"#;
pub const EVENT_FRAME_MID: &str = r#","event":"#;

/// The `event` frame for one recipient: the same bytes as
/// `encode(&ServerMsg::Event { seq, event })`, without serializing the
/// event again, in one allocation of the exact size (it is made once per
/// recipient of every event).
pub fn encode_event_frame(seq: u64, event: &serde_json::value::RawValue) -> String {
    let mut digits = itoa::Buffer::new();
    let seq = digits.format(seq);
    let body = event.get();
    let mut frame = String::with_capacity(
        EVENT_FRAME_HEAD.len() + seq.len() + EVENT_FRAME_MID.len() + body.len() + 1,
    );
    frame.push_str(EVENT_FRAME_HEAD);
    frame.push_str(seq);
    frame.push_str(EVENT_FRAME_MID);
    frame.push_str(body);
    frame.push('}');
    frame
}

/// The `catalog` answer, from the catalog serialized once (`catalog_json`
/// is `serde_json::to_string(&Catalog)`): the same bytes as
/// `encode(&ServerMsg::Catalog { id, catalog })`.
pub fn encode_catalog_frame(id: Option<&RequestId>, catalog_json: &str) -> String {
    let mut frame = String::with_capacity(catalog_json.len() + 64);
    frame.push_str(r#"{"type":"catalog","#);
    if let Some(id) = id {
        frame.push_str(r#""id":"#);
        frame.push_str(&encode(id));
        frame.push(',');
    }
    frame.push_str(r#""catalog":"#);
    frame.push_str(catalog_json);
    frame.push('}');
    frame
}

/// Encode a server message as one JSON text frame.
pub fn encode<T: serde::Serialize>(msg: &T) -> String {
    // Serializing these types cannot fail: every map key is a string or a
    // unit enum, and there are no non-finite floats.
    serde_json::to_string(msg).expect("protocol types always serialize")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_framed_from_its_encoding_is_byte_identical() {
        let event = GameEvent::Chat {
            id: 3,
            scope: ChatScope::Faction {
                faction: Faction::Bolsheviks,
            },
            from: Some(PlayerId(2)),
            text: "All power to the \"Soviets\" \u{1F6A9}".into(),
        };
        let body = encode_event(&event);
        assert_eq!(
            encode_event_frame(41, &body),
            encode(&ServerMsg::Event { seq: 41, event })
        );
    }

    #[test]
    fn a_catalog_framed_from_its_encoding_is_byte_identical() {
        let catalog = Catalog {
            ideas: vec![Explained {
                id: "influence".into(),
                name: "Influence".into(),
                does: "Spent on \"actions\".".into(),
                history: "Ж".into(),
            }],
            ..Default::default()
        };
        let json = encode(&catalog);
        for id in [
            None,
            Some(RequestId::Number(7)),
            Some(RequestId::Text("a\"b".into())),
        ] {
            assert_eq!(
                encode_catalog_frame(id.as_ref(), &json),
                encode(&ServerMsg::Catalog {
                    id,
                    catalog: Box::new(catalog.clone())
                })
            );
        }
    }
}
