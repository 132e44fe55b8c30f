//! The one mapping from a member's request to an engine [`Command`], with
//! every check a request gets before the rules judge it: the member's role,
//! mutes, text length and characters, timer ranges, the player cap.
//!
//! The server's rooms use it for people and for the bots they seat alike,
//! and the balance tool for its self-played games, so a bot can never do
//! what a person in its seat could not (a muted bot stays silent).

use crate::game::{is_forbidden_char, Command, Game, Refusal, Speaker};
use protocol::*;

/// Who sends a request, as far as the rules care.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Member {
    Host,
    Spectator,
    Player(PlayerId),
}

/// The shell's limits that requests are checked against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestLimits {
    /// The longest a phase timer (or an extension) may be, in seconds.
    pub max_phase_secs: u32,
    /// The longest chat message or host's reason, in characters.
    pub max_chat_chars: usize,
    /// The most players (people and bots) a game may have.
    pub max_players: usize,
}

impl Default for RequestLimits {
    fn default() -> Self {
        RequestLimits {
            max_phase_secs: 3600,
            max_chat_chars: 500,
            max_players: 60,
        }
    }
}

/// Turn `member`'s request into a command, checking the role and the
/// limits. `Ok(None)` for requests the shell answers itself (`ping`,
/// `get_state`, `download`, `delete_game`).
pub fn command_for(
    game: &Game,
    member: Member,
    request: &ClientRequest,
    limits: &RequestLimits,
    now_ms: u64,
) -> Result<Option<Command>, Refusal> {
    let player = || match member {
        Member::Player(p) => Ok(p),
        Member::Host => Err(Refusal::new(
            ErrorCode::Forbidden,
            "The host runs the game but does not play: join as a player to do this.",
        )),
        Member::Spectator => Err(Refusal::new(
            ErrorCode::Forbidden,
            "Spectators watch; they cannot act.",
        )),
    };
    let host = || {
        if member == Member::Host {
            Ok(())
        } else {
            Err(Refusal::new(
                ErrorCode::Forbidden,
                "Only the host can do this.",
            ))
        }
    };
    let reason = |reason: &Option<String>| -> Result<Option<String>, Refusal> {
        match reason.as_deref().map(str::trim) {
            None | Some("") => Ok(None),
            Some(r) => {
                check_text(r, limits)?;
                Ok(Some(r.to_string()))
            }
        }
    };
    Ok(Some(match request {
        ClientRequest::Ping
        | ClientRequest::GetState
        | ClientRequest::GetCatalog
        | ClientRequest::Download { .. }
        | ClientRequest::DeleteGame => return Ok(None),
        ClientRequest::Hello { .. }
        | ClientRequest::CreateGame { .. }
        | ClientRequest::JoinGame { .. }
        | ClientRequest::Spectate { .. }
        | ClientRequest::Resume { .. } => {
            return Err(Refusal::new(
                ErrorCode::AlreadyJoined,
                "This connection is already in a game: open a new connection for another.",
            ))
        }
        ClientRequest::StartGame => {
            host()?;
            Command::Start { now_ms }
        }
        ClientRequest::AdvancePhase => {
            host()?;
            Command::EndPhase {
                now_ms,
                reason: None,
            }
        }
        ClientRequest::EndPhase { reason: r } => {
            host()?;
            Command::EndPhase {
                now_ms,
                reason: reason(r)?,
            }
        }
        ClientRequest::Pause { reason: r } => {
            host()?;
            Command::Pause {
                now_ms,
                reason: reason(r)?,
                min_remaining_ms: 0,
                restart: false,
            }
        }
        ClientRequest::ResumeGame => {
            host()?;
            Command::ResumeClock { now_ms }
        }
        ClientRequest::Extend { seconds, reason: r } => {
            host()?;
            if *seconds == 0 || *seconds > limits.max_phase_secs {
                return Err(Refusal::new(
                    ErrorCode::InvalidSettings,
                    format!("Extend by 1 to {} seconds.", limits.max_phase_secs),
                ));
            }
            Command::Extend {
                now_ms,
                secs: *seconds,
                reason: reason(r)?,
            }
        }
        ClientRequest::SetTimers { preset, timers } => {
            host()?;
            let timers = match (timers, preset) {
                (Some(t), _) => *t,
                (None, Some(p)) => game.scenario().timers(*p),
                (None, None) => {
                    return Err(Refusal::new(
                        ErrorCode::InvalidSettings,
                        "Give a preset (standard, short) or timers.",
                    ))
                }
            };
            check_timers(&timers, limits.max_phase_secs)?;
            Command::SetTimers { timers }
        }
        ClientRequest::Kick { player, reason: r } => {
            host()?;
            Command::Kick {
                player: *player,
                reason: reason(r)?,
            }
        }
        ClientRequest::MovePlayer {
            player,
            faction,
            reason: r,
        } => {
            host()?;
            Command::Move {
                player: *player,
                faction: *faction,
                reason: reason(r)?,
            }
        }
        ClientRequest::AssignCharacter { player, character } => {
            host()?;
            check_text(character, limits)?;
            Command::AssignCharacter {
                player: *player,
                character: character.clone(),
            }
        }
        ClientRequest::EndGame { reason: r } => {
            host()?;
            Command::EndGame {
                now_ms,
                reason: reason(r)?,
            }
        }
        ClientRequest::InjectEvent { event } => {
            host()?;
            Command::InjectEvent {
                event: event.clone(),
            }
        }
        ClientRequest::Mute {
            player,
            seconds,
            reason: r,
        } => {
            host()?;
            Command::Mute {
                player: *player,
                until_ms: if *seconds == 0 {
                    0
                } else {
                    now_ms + u64::from(*seconds) * 1000
                },
                reason: reason(r)?,
            }
        }
        ClientRequest::Redact { chat, reason: r } => {
            host()?;
            Command::Redact {
                chat: *chat,
                reason: reason(r)?,
            }
        }
        ClientRequest::SetReadyRule { enabled } => {
            host()?;
            Command::SetReadyRule { enabled: *enabled }
        }
        ClientRequest::AddBot { faction } => {
            host()?;
            check_room_for_one_more(game, limits)?;
            Command::AddBot { faction: *faction }
        }
        ClientRequest::SetReady { ready } => Command::SetReady {
            player: player()?,
            ready: *ready,
            now_ms,
        },
        ClientRequest::Chat { channel, text } => {
            check_text(text, limits)?;
            let from = match member {
                Member::Host => Speaker::Host,
                _ => Speaker::Player(player()?),
            };
            if let Speaker::Player(p) = from {
                if let Some(until) = game.state().muted.get(&p).filter(|u| **u > now_ms) {
                    let secs = (until - now_ms).div_ceil(1000);
                    return Err(Refusal::new(
                        ErrorCode::Forbidden,
                        format!("The host has muted you for {secs} more seconds."),
                    ));
                }
            }
            Command::Chat {
                from,
                channel: *channel,
                text: text.clone(),
            }
        }
        ClientRequest::TableMotion { motion } => Command::Table {
            player: player()?,
            motion: *motion,
        },
        ClientRequest::WithdrawMotion { motion } => Command::Withdraw {
            player: player()?,
            motion: *motion,
        },
        ClientRequest::Vote { motion, vote } => Command::Vote {
            player: player()?,
            motion: *motion,
            vote: *vote,
        },
        ClientRequest::PlanAction { action } => Command::Plan {
            player: player()?,
            action: *action,
        },
        ClientRequest::UnplanAction { action } => Command::Unplan {
            player: player()?,
            action: *action,
        },
    }))
}

/// Chat or a host's reason: length and characters.
pub fn check_text(text: &str, limits: &RequestLimits) -> Result<(), Refusal> {
    let n = text.chars().count();
    if n > limits.max_chat_chars {
        return Err(Refusal::new(
            ErrorCode::TooLong,
            format!(
                "A message has at most {} characters; this one has {n}.",
                limits.max_chat_chars
            ),
        ));
    }
    if text.chars().any(is_forbidden_char) {
        return Err(Refusal::new(
            ErrorCode::BadRequest,
            "A message may not contain control or text-direction characters.",
        ));
    }
    Ok(())
}

/// Every phase timer between 1 s and `max_secs`.
pub fn check_timers(timers: &PhaseTimers, max_secs: u32) -> Result<(), Refusal> {
    if Phase::ALL
        .iter()
        .any(|p| !(1..=max_secs).contains(&timers.get(*p)))
    {
        return Err(Refusal::new(
            ErrorCode::InvalidSettings,
            format!("Each phase timer must be between 1 and {max_secs} seconds."),
        ));
    }
    Ok(())
}

/// Whether one more player (a person or a bot) may take a seat.
pub fn check_room_for_one_more(game: &Game, limits: &RequestLimits) -> Result<(), Refusal> {
    if game.state().players.len() >= limits.max_players {
        return Err(Refusal::new(
            ErrorCode::Full,
            format!(
                "This game already has {} players, its maximum.",
                limits.max_players
            ),
        ));
    }
    Ok(())
}
