//! The one mapping from a member's request to a command
//! (`engine::request::command_for`): the server's rooms use it for people
//! and for seated bots, the balance tool for its bots, so every check
//! applies to all of them.

mod common;

use common::*;
use engine::request::{command_for, Member, RequestLimits};
use engine::Command;
use protocol::*;

const NOW: u64 = 1_000_000;

fn limits() -> RequestLimits {
    RequestLimits {
        max_phase_secs: 600,
        max_chat_chars: 20,
        max_players: 3,
    }
}

fn code_of(t: &Table, member: Member, request: ClientRequest) -> Option<ErrorCode> {
    command_for(&t.game, member, &request, &limits(), NOW)
        .err()
        .map(|r| r.code)
}

fn chat(text: &str) -> ClientRequest {
    ClientRequest::Chat {
        channel: Channel::Faction,
        text: text.into(),
    }
}

#[test]
fn a_muted_player_is_silent_whoever_plays_the_seat() {
    let mut t = Table::new(1);
    t.exec(Command::Mute {
        player: SOV,
        until_ms: NOW + 30_000,
        reason: None,
    });
    // A person or a bot in that seat: the same request, the same refusal.
    let r = command_for(&t.game, Member::Player(SOV), &chat("hello"), &limits(), NOW)
        .expect_err("muted");
    assert_eq!(r.code, ErrorCode::Forbidden);
    assert!(r.message.contains("30 more seconds"), "{r}");
    assert_eq!(code_of(&t, Member::Player(LIB), chat("hello")), None);
    // Once the mute has run out, the seat speaks again.
    assert!(matches!(
        command_for(
            &t.game,
            Member::Player(SOV),
            &chat("hello"),
            &limits(),
            NOW + 30_000
        ),
        Ok(Some(Command::Chat { .. }))
    ));
}

#[test]
fn text_is_checked_for_length_and_hidden_controls() {
    let t = Table::new(2);
    assert_eq!(
        code_of(&t, Member::Player(LIB), chat(&"x".repeat(21))),
        Some(ErrorCode::TooLong)
    );
    assert_eq!(
        code_of(&t, Member::Player(LIB), chat("a\u{202e}b")),
        Some(ErrorCode::BadRequest)
    );
    // The host's reasons are text too.
    assert_eq!(
        code_of(
            &t,
            Member::Host,
            ClientRequest::Pause {
                reason: Some("y".repeat(21))
            }
        ),
        Some(ErrorCode::TooLong)
    );
}

#[test]
fn roles_host_requests_are_the_hosts_and_moves_are_players() {
    let t = Table::new(3);
    for member in [Member::Player(LIB), Member::Spectator] {
        assert_eq!(
            code_of(&t, member, ClientRequest::StartGame),
            Some(ErrorCode::Forbidden)
        );
        assert_eq!(
            code_of(&t, member, ClientRequest::AddBot { faction: None }),
            Some(ErrorCode::Forbidden)
        );
    }
    for member in [Member::Host, Member::Spectator] {
        assert_eq!(
            code_of(&t, member, ClientRequest::SetReady { ready: true }),
            Some(ErrorCode::Forbidden)
        );
    }
    assert_eq!(
        code_of(&t, Member::Spectator, chat("hi")),
        Some(ErrorCode::Forbidden)
    );
    assert_eq!(
        code_of(
            &t,
            Member::Player(LIB),
            ClientRequest::JoinGame {
                code: "ABCDE".into(),
                name: "x".into(),
                faction: None
            }
        ),
        Some(ErrorCode::AlreadyJoined)
    );
}

#[test]
fn timers_extensions_and_the_player_cap_are_bounded() {
    let t = Table::new(4);
    let timers = |n| PhaseTimers {
        briefing: n,
        negotiation: n,
        proposals: n,
        voting: n,
        resolution: n,
    };
    assert_eq!(
        code_of(
            &t,
            Member::Host,
            ClientRequest::SetTimers {
                preset: None,
                timers: Some(timers(601))
            }
        ),
        Some(ErrorCode::InvalidSettings)
    );
    assert_eq!(
        code_of(
            &t,
            Member::Host,
            ClientRequest::SetTimers {
                preset: None,
                timers: Some(timers(0))
            }
        ),
        Some(ErrorCode::InvalidSettings)
    );
    assert_eq!(
        code_of(
            &t,
            Member::Host,
            ClientRequest::Extend {
                seconds: 0,
                reason: None
            }
        ),
        Some(ErrorCode::InvalidSettings)
    );
    // Three players already: a fourth seat (a bot) is refused.
    assert_eq!(
        code_of(&t, Member::Host, ClientRequest::AddBot { faction: None }),
        Some(ErrorCode::Full)
    );
}
