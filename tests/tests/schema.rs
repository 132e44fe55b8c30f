//! The JSON Schema of protocol v1, generated from the Rust types, must be
//! the one committed at `protocol/schema/protocol-v1.schema.json`: client
//! writers validate against that file. When the types change on purpose,
//! regenerate it with
//!
//! ```sh
//! UPDATE_SCHEMA=1 cargo test -p tests --test schema
//! ```

use protocol::*;
use schemars::JsonSchema;
use std::path::PathBuf;

/// Every message of protocol v1: what a client sends, what the server
/// sends, and the two HTTP bodies (`GET /health`, the debrief `log`).
#[allow(dead_code)]
#[derive(JsonSchema)]
#[serde(untagged)]
enum ProtocolV1 {
    Client(ClientMsg),
    Server(ServerMsg),
    Health(Health),
    DebriefLog(GameLog),
}

fn generated() -> serde_json::Value {
    let mut schema = serde_json::to_value(schemars::schema_for!(ProtocolV1)).unwrap();
    schema["title"] = "Dual Power protocol v1".into();
    schema["description"] =
        "Every message: a client's request (ClientMsg), the server's (ServerMsg), GET /health (Health), the debrief log (GameLog). See PROTOCOL.md."
            .into();
    schema
}

#[test]
fn the_committed_schema_is_up_to_date() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../protocol/schema/protocol-v1.schema.json");
    let now = generated();
    if std::env::var_os("UPDATE_SCHEMA").is_some() {
        std::fs::write(&path, serde_json::to_string_pretty(&now).unwrap() + "\n").unwrap();
    }
    let committed: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())),
    )
    .unwrap();
    assert!(
        committed == now,
        "protocol/schema/protocol-v1.schema.json is stale: the protocol types changed. \
         Regenerate it with `UPDATE_SCHEMA=1 cargo test -p tests --test schema` and check the diff."
    );
}

#[test]
fn the_schema_names_every_request_and_event_type() {
    let text = serde_json::to_string(&generated()).unwrap();
    for kind in [
        "hello",
        "create_game",
        "join_game",
        "vote",
        "plan_action",
        "download",
        "delete_game",
    ] {
        assert!(text.contains(&format!("\"{kind}\"")), "no {kind}");
    }
    for kind in [
        "welcome",
        "snapshot",
        "event",
        "error",
        "goodbye",
        "phase_started",
        "votes_closed",
        "game_ended",
        "chat_redacted",
    ] {
        assert!(text.contains(&format!("\"{kind}\"")), "no {kind}");
    }
}
