//! Golden fixtures pin the exact wire shape of protocol v1: each file in
//! `tests/fixtures/` is a real message (captured from a game played with
//! the CLI in `--json` mode, or written from `PROTOCOL.md`). It must decode
//! into the protocol types and encode back to exactly the same JSON. A
//! change that breaks one breaks third-party clients: it needs a new
//! protocol version (PROTOCOL.md, "Versioning"), not a new fixture.

use protocol::{ClientMsg, ServerMsg};
use std::collections::BTreeSet;
use std::path::PathBuf;

/// Every tag the committed JSON Schema (kept fresh by `tests/schema.rs`)
/// lists for a tagged enum: what the fixtures must cover, derived from the
/// types rather than counted by hand.
fn schema_tags(def: &str, tag: &str) -> BTreeSet<String> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("schema/protocol-v1.schema.json");
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    schema["$defs"][def]["oneOf"]
        .as_array()
        .unwrap_or_else(|| panic!("{def} in the schema"))
        .iter()
        .map(|v| {
            v["properties"][tag]["const"]
                .as_str()
                .unwrap_or_else(|| panic!("{def}: a variant without a {tag}"))
                .to_string()
        })
        .collect()
}

fn fixtures(prefix: &str) -> Vec<(String, serde_json::Value)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut out: Vec<(String, serde_json::Value)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(prefix) && n.ends_with(".json"))
        })
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            let value =
                serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            (p.file_name().unwrap().to_string_lossy().into_owned(), value)
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

#[test]
fn every_client_request_keeps_its_wire_shape() {
    let all = fixtures("client-");
    let mut kinds = BTreeSet::new();
    for (name, value) in &all {
        let msg: ClientMsg =
            serde_json::from_value(value.clone()).unwrap_or_else(|e| panic!("{name}: {e}"));
        kinds.insert(msg.request.kind().to_string());
        assert_eq!(
            &serde_json::to_value(&msg).unwrap(),
            value,
            "{name} encodes differently"
        );
    }
    // One fixture at least for every request type.
    let all_kinds = schema_tags("ClientMsg", "type");
    assert!(all_kinds.len() > 20, "{all_kinds:?}");
    assert_eq!(kinds, all_kinds, "a request type without a fixture");
}

#[test]
fn every_server_message_and_event_keeps_its_wire_shape() {
    let all = fixtures("server-");
    let mut types = BTreeSet::new();
    let mut events = BTreeSet::new();
    for (name, value) in &all {
        let msg: ServerMsg =
            serde_json::from_value(value.clone()).unwrap_or_else(|e| panic!("{name}: {e}"));
        types.insert(value["type"].as_str().unwrap().to_string());
        if let ServerMsg::Event { event, .. } = &msg {
            events.insert(event.kind().to_string());
        }
        assert_eq!(
            &serde_json::to_value(&msg).unwrap(),
            value,
            "{name} encodes differently"
        );
    }
    // Every server message type and every event kind.
    assert_eq!(
        types,
        schema_tags("ServerMsg", "type"),
        "a message type without a fixture"
    );
    assert_eq!(
        events,
        schema_tags("GameEvent", "kind"),
        "an event kind without a fixture"
    );
}

#[test]
fn unknown_fields_are_ignored_and_unknown_ids_decode_as_unknown() {
    // Within version 1, servers may add optional fields: old clients must
    // still decode the message.
    let msg: ServerMsg =
        serde_json::from_str(r#"{"type":"ack","id":1,"added_later":true}"#).unwrap();
    assert_eq!(msg.request_id(), Some(&protocol::RequestId::Number(1)));
    // A motion id this version does not know is `unknown` (the server then
    // refuses it with `unknown_motion`), not a decoding error.
    let msg: ClientMsg =
        serde_json::from_str(r#"{"type":"table_motion","motion":{"id":"abolish_the_monarchy"}}"#)
            .unwrap();
    assert!(matches!(
        msg.request,
        protocol::ClientRequest::TableMotion {
            motion: protocol::Motion::Unknown
        }
    ));
}

#[test]
fn every_catalog_id_on_the_wire_is_the_documented_one() {
    // GAME.md and the scenario name motions and actions by these ids;
    // serde's own renaming must agree (e.g. `order_no_1`, not `order_no1`).
    for m in protocol::Motion::CATALOG {
        let wire = serde_json::to_value(m).unwrap();
        assert_eq!(wire["id"], m.id(), "{m:?}");
        let back: protocol::Motion = serde_json::from_value(wire).unwrap();
        assert_eq!(back.id(), m.id());
    }
    for a in protocol::Action::CATALOG {
        assert_eq!(serde_json::to_value(a).unwrap()["id"], a.id(), "{a:?}");
    }
}
