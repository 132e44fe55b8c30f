//! Encoding and decoding the messages that dominate traffic: a chat event
//! (once per recipient, or once per event with `encode_event_frame`), a
//! client's request, and a full snapshot.

use criterion::{criterion_group, criterion_main, Criterion};
use engine::{Command, Game, Scenario};
use protocol::*;
use std::hint::black_box;
use std::sync::Arc;

fn bench(c: &mut Criterion) {
    let chat = ServerMsg::Event {
        seq: 1234,
        event: GameEvent::Chat {
            id: 77,
            scope: ChatScope::Floor,
            from: Some(PlayerId(12)),
            text: "Bread, peace and land! All power to the Soviets!".into(),
        },
    };
    let chat_json = serde_json::to_string(&chat).unwrap();
    let request = ClientMsg::new(
        Some(RequestId::Number(42)),
        ClientRequest::Chat {
            channel: Channel::Floor,
            text: "Bread, peace and land!".into(),
        },
    );
    let request_json = serde_json::to_string(&request).unwrap();
    let mut game = Game::new(
        Arc::new(Scenario::default_scenario()),
        GameSettings {
            scenario: "petrograd-1917".into(),
            timers: PhaseTimers {
                briefing: 60,
                negotiation: 60,
                proposals: 60,
                voting: 60,
                resolution: 60,
            },
            faction_choice: FactionChoice::Choose,
            characters: false,
        },
        1,
        "BENCH".into(),
    );
    for i in 0..40 {
        let _ = game.execute(Command::Join {
            name: format!("player {i}"),
            faction: None,
        });
    }
    let _ = game.execute(Command::Start { now_ms: 1 });
    let snapshot = ServerMsg::Snapshot {
        id: None,
        seq: 10,
        view: Box::new(game.view(Viewer::Host)),
    };
    let snapshot_json = serde_json::to_string(&snapshot).unwrap();

    c.bench_function("protocol: encode a chat event", |b| {
        b.iter(|| serde_json::to_string(black_box(&chat)).unwrap())
    });
    if let ServerMsg::Event { event, .. } = &chat {
        let body = encode_event(event);
        c.bench_function(
            "protocol: frame a pre-encoded event for one recipient",
            |b| b.iter(|| encode_event_frame(black_box(1234), black_box(&body))),
        );
    }
    c.bench_function("protocol: decode a chat event", |b| {
        b.iter(|| serde_json::from_str::<ServerMsg>(black_box(&chat_json)).unwrap())
    });
    c.bench_function("protocol: decode a client request", |b| {
        b.iter(|| serde_json::from_str::<ClientMsg>(black_box(&request_json)).unwrap())
    });
    c.bench_function("protocol: encode a 40-player host snapshot", |b| {
        b.iter(|| serde_json::to_string(black_box(&snapshot)).unwrap())
    });
    c.bench_function("protocol: decode a 40-player host snapshot", |b| {
        b.iter(|| serde_json::from_str::<ServerMsg>(black_box(&snapshot_json)).unwrap())
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
