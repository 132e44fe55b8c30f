//! Commands, their validation, and views.

use crate::rules::{self, Tx};
use crate::scenario::Scenario;
use crate::state::{FactionState, State};
use protocol::*;
use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

/// Longest display name, in characters.
pub const MAX_NAME_CHARS: usize = 24;

/// Who speaks in a chat command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Speaker {
    Host,
    Player(PlayerId),
}

/// Something someone (or the clock) wants to happen. The shell has already
/// decided *who* is asking (host, which player); the engine decides whether
/// the rules allow it.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// A new player joins with a display name and, maybe, a wished faction.
    Join {
        name: String,
        faction: Option<Faction>,
    },
    /// A player's connection came or went.
    SetConnected {
        player: PlayerId,
        connected: bool,
        now_ms: u64,
    },
    /// The host starts the game.
    Start {
        now_ms: u64,
    },
    /// The clock: ends the phase if its deadline has passed (else nothing).
    Tick {
        now_ms: u64,
    },
    /// The host ends the current phase now.
    Advance {
        now_ms: u64,
    },
    Chat {
        from: Speaker,
        channel: Channel,
        text: String,
    },
    Table {
        player: PlayerId,
        motion: Motion,
    },
    Withdraw {
        player: PlayerId,
        motion: MotionId,
    },
    Vote {
        player: PlayerId,
        motion: MotionId,
        vote: Vote,
    },
    Plan {
        player: PlayerId,
        action: Action,
    },
    Unplan {
        player: PlayerId,
        action: ActionId,
    },
    /// Host: stop the clock. A game restored after a restart is paused the
    /// same way, with at least `min_remaining_ms` left in its phase.
    Pause {
        now_ms: u64,
        reason: Option<String>,
        min_remaining_ms: u64,
        /// The server pauses a game it restored after a restart.
        restart: bool,
    },
    /// Host: start the clock again.
    ResumeClock {
        now_ms: u64,
    },
    /// Host: give the current phase `secs` more seconds.
    Extend {
        now_ms: u64,
        secs: u32,
        reason: Option<String>,
    },
    /// Host: end the current phase now, saying why.
    EndPhase {
        now_ms: u64,
        reason: Option<String>,
    },
    /// Host: new phase timers (from the next phase on).
    SetTimers {
        timers: PhaseTimers,
    },
    /// Host: remove a player.
    Kick {
        player: PlayerId,
        reason: Option<String>,
    },
    /// Host: move a player to another faction.
    Move {
        player: PlayerId,
        faction: Faction,
        reason: Option<String>,
    },
    /// Host: end the game now.
    EndGame {
        now_ms: u64,
        reason: Option<String>,
    },
    /// Host: play a scenario event (by id) now.
    InjectEvent {
        event: String,
    },
    /// Host: mute a player until `until_ms` (0 unmutes).
    Mute {
        player: PlayerId,
        until_ms: u64,
        reason: Option<String>,
    },
    /// Host: hide a chat message.
    Redact {
        chat: u64,
        reason: Option<String>,
    },
    /// A player is (not) ready to move on.
    SetReady {
        player: PlayerId,
        ready: bool,
        now_ms: u64,
    },
    /// Host: whether everyone being ready ends the phase.
    SetReadyRule {
        enabled: bool,
    },
    /// Host: a bot takes a seat (in `faction`, or the smallest faction).
    AddBot {
        faction: Option<Faction>,
    },
    /// Host: a player plays this historical character (by name).
    AssignCharacter {
        player: PlayerId,
        character: String,
    },
}

/// A refused command: a stable code and a sentence for people. The state is
/// unchanged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub code: ErrorCode,
    pub message: String,
}

impl Refusal {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Refusal {
            code,
            message: message.into(),
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for Refusal {}

fn refuse<T>(code: ErrorCode, message: impl Into<String>) -> Result<T, Refusal> {
    Err(Refusal::new(code, message))
}

/// An event and who may see it.
#[derive(Debug, Clone, PartialEq)]
pub struct Emitted {
    pub audience: Audience,
    pub event: GameEvent,
}

/// One game: its scenario and its state.
#[derive(Debug, Clone)]
pub struct Game {
    scenario: Arc<Scenario>,
    state: State,
}

impl Game {
    /// A new game in the lobby.
    pub fn new(scenario: Arc<Scenario>, settings: GameSettings, seed: u64, code: String) -> Game {
        let state = rules::initial_state(&scenario, settings, seed, code);
        Game { scenario, state }
    }

    /// Rebuild a game by folding its event log (replay).
    pub fn replay<'a>(
        scenario: Arc<Scenario>,
        settings: GameSettings,
        seed: u64,
        code: String,
        events: impl IntoIterator<Item = &'a GameEvent>,
    ) -> Game {
        let mut game = Game::new(scenario, settings, seed, code);
        for e in events {
            game.apply(e);
        }
        game
    }

    /// The same game rebuilt from its log, forgetting any event applied
    /// since that is not in it (the server applies a burst of moves as it
    /// decides them, and rewinds if the store refuses them). The only
    /// setting events change, the timers, is set whole by each
    /// `TimersChanged`, so starting from the current settings replays to
    /// the same state (`tests/properties.rs` checks it).
    pub fn rewound<'a>(&self, log: impl IntoIterator<Item = &'a GameEvent>) -> Game {
        Game::replay(
            self.scenario.clone(),
            self.state.settings.clone(),
            self.state.seed,
            self.state.code.clone(),
            log,
        )
    }

    pub fn state(&self) -> &State {
        &self.state
    }

    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    /// Fold one event into the state.
    pub fn apply(&mut self, event: &GameEvent) {
        self.state.apply(event);
    }

    /// Validate and apply a command; on success, the events it caused, in
    /// order (already applied).
    pub fn execute(&mut self, command: Command) -> Result<Vec<Emitted>, Refusal> {
        let events = self.handle(&command)?;
        for e in &events {
            self.state.apply(&e.event);
        }
        Ok(events)
    }

    /// Decide a command without changing anything: the events it would
    /// cause, or why it is refused.
    pub fn handle(&self, command: &Command) -> Result<Vec<Emitted>, Refusal> {
        let s = &self.state;
        let mut tx = Tx::new(&self.scenario, s);
        match command {
            Command::Join { name, faction } => self.join(&mut tx, name, *faction, false)?,
            Command::AddBot { faction } => {
                let faction = faction.unwrap_or_else(|| {
                    Faction::ALL
                        .into_iter()
                        .min_by_key(|f| s.players_of(*f).count())
                        .unwrap_or(Faction::Soviet)
                });
                let (name, character) = self.bot_seat(s, faction, None);
                self.join_as(&mut tx, &name, faction, true, character)?
            }
            Command::SetConnected {
                player,
                connected,
                now_ms,
            } => {
                let p = self.player(*player)?;
                if p.connected != *connected {
                    tx.emit(
                        Audience::Everyone,
                        GameEvent::PlayerConnection {
                            player: *player,
                            connected: *connected,
                            at_ms: Some(*now_ms),
                        },
                    );
                }
                // The last player who was not ready left: the rest move on.
                if !connected {
                    end_if_all_ready(&mut tx, *now_ms);
                }
            }
            Command::Start { now_ms } => {
                match s.status {
                    GameStatus::Lobby => {}
                    GameStatus::Running => {
                        return refuse(ErrorCode::AlreadyStarted, "The game has already started.")
                    }
                    GameStatus::Ended => return refuse(ErrorCode::GameOver, "The game is over."),
                }
                if s.players.is_empty() {
                    return refuse(
                        ErrorCode::PreconditionFailed,
                        "Nobody has joined yet: wait for at least one player.",
                    );
                }
                tx.emit(
                    Audience::Everyone,
                    GameEvent::GameStarted {
                        rounds: self.scenario.rounds,
                    },
                );
                for p in &s.players {
                    self.brief(&mut tx, p.id, p.faction);
                }
                rules::begin_round(&mut tx, 1, *now_ms);
            }
            Command::Tick { now_ms } => {
                if s.status == GameStatus::Running && s.deadline_ms.is_some_and(|d| *now_ms >= d) {
                    rules::end_phase(&mut tx, *now_ms);
                }
            }
            Command::Advance { now_ms } => {
                self.running()?;
                rules::end_phase(&mut tx, *now_ms);
            }
            Command::Chat {
                from,
                channel,
                text,
            } => self.chat(&mut tx, *from, *channel, text)?,
            Command::Table { player, motion } => self.table(&mut tx, *player, *motion)?,
            Command::Withdraw { player, motion } => {
                self.in_phase(
                    Phase::Proposals,
                    "Motions can be withdrawn only in the proposals phase.",
                )?;
                let m = self.open_motion(*motion)?;
                if m.proposer != *player {
                    return refuse(
                        ErrorCode::NotProposer,
                        format!("Only the proposer may withdraw motion {motion}."),
                    );
                }
                tx.emit(
                    Audience::Everyone,
                    GameEvent::MotionWithdrawn { motion: *motion },
                );
            }
            Command::Vote {
                player,
                motion,
                vote,
            } => {
                let p = self.player(*player)?;
                self.in_phase(Phase::Voting, "Votes are cast only in the voting phase.")?;
                let m = self.open_motion(*motion)?;
                if !s.may_sit(p.faction, m.institution) {
                    return refuse(ErrorCode::NotEligible, not_member(m.institution));
                }
                // A faction caucuses: its players see one another's
                // ballots while the vote is open; other factions and
                // spectators only see the roll call once it closes.
                tx.emit(
                    Audience::Faction { faction: p.faction },
                    GameEvent::VoteCast {
                        motion: *motion,
                        player: *player,
                        vote: *vote,
                    },
                );
            }
            Command::Plan { player, action } => self.plan(&mut tx, *player, *action)?,
            Command::Pause {
                now_ms,
                reason,
                min_remaining_ms,
                restart,
            } => {
                self.running()?;
                if s.paused_remaining_ms.is_some() {
                    return refuse(ErrorCode::PreconditionFailed, "The game is already paused.");
                }
                let left = s.deadline_ms.unwrap_or(*now_ms).saturating_sub(*now_ms);
                tx.emit(
                    Audience::Everyone,
                    GameEvent::Paused {
                        remaining_ms: left.max(*min_remaining_ms),
                        reason: reason.clone(),
                        restart: *restart,
                    },
                );
            }
            Command::ResumeClock { now_ms } => {
                self.running()?;
                let Some(left) = s.paused_remaining_ms else {
                    return refuse(ErrorCode::PreconditionFailed, "The game is not paused.");
                };
                tx.emit(
                    Audience::Everyone,
                    GameEvent::Resumed {
                        deadline_ms: now_ms + left,
                    },
                );
                // Everyone may have said `ready` while the clock was stopped.
                end_if_all_ready(&mut tx, *now_ms);
            }
            Command::Extend {
                now_ms,
                secs,
                reason,
            } => {
                self.running()?;
                let more = u64::from(*secs) * 1000;
                match (s.paused_remaining_ms, s.deadline_ms) {
                    (Some(left), _) => tx.emit(
                        Audience::Everyone,
                        GameEvent::Paused {
                            remaining_ms: left + more,
                            reason: reason.clone(),
                            restart: false,
                        },
                    ),
                    (None, Some(deadline)) => tx.emit(
                        Audience::Everyone,
                        GameEvent::DeadlineChanged {
                            deadline_ms: deadline.max(*now_ms) + more,
                            reason: reason.clone(),
                        },
                    ),
                    (None, None) => {
                        return refuse(ErrorCode::WrongPhase, "There is no phase to extend.")
                    }
                }
            }
            Command::EndPhase { now_ms, reason } => {
                self.running()?;
                tx.emit(
                    Audience::Everyone,
                    GameEvent::PhaseEndedEarly {
                        reason: reason.clone(),
                        everyone_ready: false,
                    },
                );
                rules::end_phase(&mut tx, *now_ms);
            }
            Command::SetTimers { timers } => {
                if s.status == GameStatus::Ended {
                    return refuse(ErrorCode::GameOver, "The game is over.");
                }
                if Phase::ALL.iter().any(|p| timers.get(*p) == 0) {
                    return refuse(
                        ErrorCode::InvalidSettings,
                        "Every phase needs at least one second.",
                    );
                }
                tx.emit(
                    Audience::Everyone,
                    GameEvent::TimersChanged { timers: *timers },
                );
            }
            Command::Kick { player, reason } => {
                self.player(*player)?;
                tx.emit(
                    Audience::Everyone,
                    GameEvent::PlayerKicked {
                        player: *player,
                        reason: reason.clone(),
                    },
                );
            }
            Command::Move {
                player,
                faction,
                reason,
            } => {
                let p = self.player(*player)?;
                if p.faction == *faction {
                    return refuse(
                        ErrorCode::PreconditionFailed,
                        format!("{} is already with the {}.", p.name, faction.name()),
                    );
                }
                if s.status == GameStatus::Ended {
                    return refuse(ErrorCode::GameOver, "The game is over.");
                }
                // A character belongs to a faction: one of the new
                // faction's is dealt, if one is free. A bot is named
                // after it (or after another of the new faction's
                // figures); a person keeps their name.
                let (name, character) = if p.bot {
                    let (name, c) = self.bot_seat(s, *faction, Some(*player));
                    (Some(name), c)
                } else {
                    (None, self.free_characters(s, *faction).next())
                };
                tx.emit(
                    Audience::Everyone,
                    GameEvent::PlayerMoved {
                        player: *player,
                        faction: *faction,
                        reason: reason.clone(),
                        name,
                    },
                );
                if let Some(c) = character {
                    give_character(&mut tx, *player, c);
                }
                if s.status == GameStatus::Running {
                    self.brief(&mut tx, *player, *faction);
                }
            }
            Command::AssignCharacter { player, character } => {
                let p = self.player(*player)?;
                if s.status == GameStatus::Ended {
                    return refuse(ErrorCode::GameOver, "The game is over.");
                }
                if !s.settings.characters {
                    return refuse(
                        ErrorCode::PreconditionFailed,
                        "This game was created without characters.",
                    );
                }
                let Some(c) = self.scenario.character(character) else {
                    let names: Vec<&str> = self
                        .scenario
                        .characters
                        .iter()
                        .filter(|c| c.faction == p.faction)
                        .map(|c| c.name.as_str())
                        .collect();
                    return refuse(
                        ErrorCode::NoSuchCharacter,
                        format!(
                            "The scenario has no character {character:?}. The {}' characters: {}.",
                            p.faction.name(),
                            names.join(", ")
                        ),
                    );
                };
                if c.faction != p.faction {
                    return refuse(
                        ErrorCode::PreconditionFailed,
                        format!(
                            "{} is one of the {}, and {} plays with the {}: move the player first.",
                            c.name,
                            c.faction.name(),
                            p.name,
                            p.faction.name()
                        ),
                    );
                }
                // (A removed player's character is free again.)
                if let Some(who) = s
                    .characters
                    .iter()
                    .filter(|(_, b)| b.name == c.name)
                    .find_map(|(holder, _)| s.player(*holder))
                    .map(|h| h.name.as_str())
                {
                    return refuse(
                        ErrorCode::PreconditionFailed,
                        format!("{} is already played by {who}.", c.name),
                    );
                }
                give_character(&mut tx, *player, c);
                if s.status == GameStatus::Running {
                    self.brief(&mut tx, *player, p.faction);
                }
            }
            Command::EndGame { now_ms, reason } => {
                if s.status == GameStatus::Ended {
                    return refuse(ErrorCode::GameOver, "The game is over.");
                }
                let mut outcome = rules::host_outcome(&self.scenario, s, reason.as_deref());
                outcome.at_ms = Some(*now_ms);
                tx.emit(Audience::Everyone, GameEvent::GameEnded { outcome });
            }
            Command::InjectEvent { event } => {
                self.running()?;
                let Some(def) = self.scenario.events.iter().find(|e| e.id == *event) else {
                    let ids: Vec<&str> =
                        self.scenario.events.iter().map(|e| e.id.as_str()).collect();
                    return refuse(
                        ErrorCode::PreconditionFailed,
                        format!(
                            "The scenario has no event {event:?}; it has: {}.",
                            ids.join(", ")
                        ),
                    );
                };
                rules::inject_event(&mut tx, def);
            }
            Command::Mute {
                player,
                until_ms,
                reason,
            } => {
                self.player(*player)?;
                tx.emit(
                    Audience::Everyone,
                    GameEvent::PlayerMuted {
                        player: *player,
                        until_ms: *until_ms,
                        reason: reason.clone(),
                    },
                );
            }
            Command::Redact { chat, reason } => {
                if *chat == 0 || *chat >= s.next_chat {
                    return refuse(
                        ErrorCode::PreconditionFailed,
                        format!("There is no chat message {chat}."),
                    );
                }
                tx.emit(
                    Audience::Everyone,
                    GameEvent::ChatRedacted {
                        chat: *chat,
                        reason: reason.clone(),
                    },
                );
            }
            Command::SetReady {
                player,
                ready,
                now_ms,
            } => {
                self.player(*player)?;
                self.running()?;
                if s.ready.contains(player) != *ready {
                    tx.emit(
                        Audience::Everyone,
                        GameEvent::ReadyChanged {
                            player: *player,
                            ready: *ready,
                        },
                    );
                }
                if *ready {
                    end_if_all_ready(&mut tx, *now_ms);
                }
            }
            Command::SetReadyRule { enabled } => {
                if s.ready_ends_phase != *enabled {
                    tx.emit(
                        Audience::Everyone,
                        GameEvent::ReadyRuleChanged { enabled: *enabled },
                    );
                }
            }
            Command::Unplan { player, action } => {
                let p = self.player(*player)?;
                self.in_phase(
                    Phase::Voting,
                    "Actions are planned only in the voting phase.",
                )?;
                let fs = &s.factions[p.faction];
                let Some(planned) = fs.plan.iter().find(|a| a.id == *action) else {
                    return refuse(
                        ErrorCode::NoSuchAction,
                        format!("Action {action} is not in your faction's plan."),
                    );
                };
                tx.emit(
                    Audience::Faction { faction: p.faction },
                    GameEvent::ActionUnplanned {
                        faction: p.faction,
                        action: *action,
                        by: *player,
                        ip: fs.ip + planned.cost,
                    },
                );
            }
        }
        Ok(tx.finish())
    }

    fn join(
        &self,
        tx: &mut Tx,
        name: &str,
        wish: Option<Faction>,
        bot: bool,
    ) -> Result<(), Refusal> {
        let s = &self.state;
        if s.status == GameStatus::Ended {
            return refuse(ErrorCode::GameOver, "The game is over.");
        }
        let name = validate_name(name)?;
        if let Some(p) = s.players.iter().find(|p| names_look_alike(&p.name, &name)) {
            let message = if p.name.to_lowercase() == name.to_lowercase() {
                format!(
                    "Someone in this game is already called {}: pick another name.",
                    p.name
                )
            } else {
                format!(
                    "{name} looks too much like {}, who is already in this game: pick another name.",
                    p.name
                )
            };
            return refuse(ErrorCode::NameTaken, message);
        }
        let smallest = Faction::ALL
            .into_iter()
            .min_by_key(|f| s.players_of(*f).count())
            .unwrap_or(Faction::Soviet);
        let faction = match s.settings.faction_choice {
            FactionChoice::Choose => wish.unwrap_or(smallest),
            FactionChoice::Auto => smallest,
        };
        let character = self.free_characters(s, faction).next();
        self.join_as(tx, &name, faction, bot, character)
    }

    /// Seat a player (or a bot) in `faction`.
    fn join_as(
        &self,
        tx: &mut Tx,
        name: &str,
        faction: Faction,
        bot: bool,
        character: Option<&crate::scenario::CharacterDef>,
    ) -> Result<(), Refusal> {
        let s = &self.state;
        if s.status == GameStatus::Ended {
            return refuse(ErrorCode::GameOver, "The game is over.");
        }
        let name = name.to_string();
        // Ids are never reused: a removed player's id (and so its token's
        // seat, its stream, its private messages) belongs to nobody else.
        let id = PlayerId(
            s.players
                .iter()
                .map(|p| p.id)
                .chain(s.kicked.iter().copied())
                .map(|p| p.0)
                .max()
                .unwrap_or(0)
                + 1,
        );
        tx.emit(
            Audience::Everyone,
            GameEvent::PlayerJoined {
                player: PlayerInfo {
                    id,
                    name,
                    faction,
                    connected: true,
                    character: character.map(|c| c.name.clone()),
                    bot,
                },
            },
        );
        if let Some(c) = character {
            tx.emit(
                Audience::Player { player: id },
                GameEvent::CharacterAssigned {
                    player: id,
                    brief: CharacterBrief {
                        name: c.name.clone(),
                        brief: c.brief.clone(),
                        objective: c.objective.clone(),
                    },
                },
            );
        }
        // Someone who joins a running game is briefed at once.
        if s.status == GameStatus::Running {
            self.brief(tx, id, faction);
        }
        Ok(())
    }

    /// Brief a player: their faction's briefing and their character (to
    /// them alone).
    fn brief(&self, tx: &mut Tx, player: PlayerId, faction: Faction) {
        let Some(briefing) = self.scenario.briefing(faction) else {
            return;
        };
        let character = tx.state().characters.get(&player).cloned();
        tx.emit(
            Audience::Player { player },
            GameEvent::Briefing {
                player,
                briefing: briefing.clone(),
                character,
            },
        );
    }

    fn chat(
        &self,
        tx: &mut Tx,
        from: Speaker,
        channel: Channel,
        text: &str,
    ) -> Result<(), Refusal> {
        let text = text.trim();
        if is_blank_text(text) {
            return refuse(
                ErrorCode::EmptyMessage,
                "Say something: the message is empty (or only invisible characters).",
            );
        }
        let (audience, scope, from) = match from {
            Speaker::Host => match channel {
                Channel::Floor => (Audience::Everyone, ChatScope::Announcement, None),
                _ => {
                    return refuse(
                        ErrorCode::Forbidden,
                        "The host speaks on the floor (as an announcement) only.",
                    )
                }
            },
            Speaker::Player(id) => {
                let p = self.player(id)?;
                match channel {
                    Channel::Floor => (Audience::Everyone, ChatScope::Floor, Some(id)),
                    Channel::Faction => (
                        Audience::Faction { faction: p.faction },
                        ChatScope::Faction { faction: p.faction },
                        Some(id),
                    ),
                    Channel::Private { to } => {
                        self.player(to)?;
                        if to == id {
                            return refuse(
                                ErrorCode::NoSuchPlayer,
                                "A private message needs another player.",
                            );
                        }
                        (
                            Audience::Pair { a: id, b: to },
                            ChatScope::Private { to },
                            Some(id),
                        )
                    }
                }
            }
        };
        tx.emit(
            audience,
            GameEvent::Chat {
                id: self.state.next_chat.max(1),
                scope,
                from,
                text: text.to_string(),
            },
        );
        Ok(())
    }

    fn table(&self, tx: &mut Tx, player: PlayerId, motion: Motion) -> Result<(), Refusal> {
        let s = &self.state;
        let p = self.player(player)?;
        let Some(institution) = motion.institution() else {
            return refuse(
                ErrorCode::UnknownMotion,
                "No motion in the catalog has that id: see the decree and resolution catalogs.",
            );
        };
        self.in_phase(
            Phase::Proposals,
            "Motions are tabled only in the proposals phase.",
        )?;
        if !s.may_sit(p.faction, institution) {
            return refuse(ErrorCode::NotEligible, not_member(institution));
        }
        let on_table: Vec<&MotionView> = s
            .round_motions()
            .filter(|m| m.institution == institution && m.status != MotionStatus::Withdrawn)
            .collect();
        if on_table.iter().any(|m| m.motion.id() == motion.id()) {
            return refuse(
                ErrorCode::DuplicateMotion,
                format!("{} is already on the table this round.", motion.id()),
            );
        }
        let limit = self.scenario.rules.motions_per_institution;
        if on_table.len() >= limit {
            return refuse(
                ErrorCode::MotionLimit,
                format!(
                    "The {} already has {limit} motions on the table this round.",
                    institution_name(institution)
                ),
            );
        }
        rules::check_motion(&self.scenario, s, motion)
            .map_err(|reason| Refusal::new(ErrorCode::PreconditionFailed, reason))?;
        let id = MotionId(s.next_motion.max(1));
        tx.emit(
            Audience::Everyone,
            GameEvent::MotionTabled {
                motion: MotionView {
                    id,
                    round: s.round,
                    motion,
                    institution,
                    proposer: player,
                    status: MotionStatus::Tabled,
                    my_vote: None,
                    ballots: Vec::new(),
                    tally: None,
                },
            },
        );
        Ok(())
    }

    fn plan(&self, tx: &mut Tx, player: PlayerId, action: Action) -> Result<(), Refusal> {
        let s = &self.state;
        let p = self.player(player)?;
        let Some(def) = rules::action_def(&self.scenario, action) else {
            return refuse(
                ErrorCode::UnknownAction,
                "No action has that id: agitate, press_campaign, organize, relief, suppress, seize_power.",
            );
        };
        self.in_phase(
            Phase::Voting,
            "Actions are planned only in the voting phase.",
        )?;
        if let Some(allowed) = def.factions {
            if !allowed.contains(&p.faction) {
                return refuse(
                    ErrorCode::NotEligible,
                    format!("Only {} may {}.", list_factions(allowed), action.id()),
                );
            }
        }
        let world = rules::World::of(s);
        for c in def.requires {
            if !world.holds(c) {
                return refuse(ErrorCode::PreconditionFailed, rules::condition_failure(c));
            }
        }
        let fs: &FactionState = &s.factions[p.faction];
        if action == Action::SeizePower && fs.plan.iter().any(|a| a.action == Action::SeizePower) {
            return refuse(
                ErrorCode::PreconditionFailed,
                "Seizing power is already in your plan.",
            );
        }
        let cost = rules::action_cost(&self.scenario, s, p.faction, action);
        if fs.ip < cost {
            return refuse(
                ErrorCode::InsufficientIp,
                format!(
                    "{} costs {cost} influence; your faction has {}.",
                    action.id(),
                    fs.ip
                ),
            );
        }
        tx.emit(
            Audience::Faction { faction: p.faction },
            GameEvent::ActionPlanned {
                faction: p.faction,
                planned: PlannedAction {
                    id: ActionId(s.next_action.max(1)),
                    action,
                    cost,
                    by: player,
                },
                ip: fs.ip - cost,
            },
        );
        Ok(())
    }

    fn player(&self, id: PlayerId) -> Result<&PlayerInfo, Refusal> {
        self.state.player(id).ok_or_else(|| {
            Refusal::new(
                ErrorCode::NoSuchPlayer,
                format!("No player {id} is in this game."),
            )
        })
    }

    fn running(&self) -> Result<(), Refusal> {
        match self.state.status {
            GameStatus::Lobby => refuse(ErrorCode::NotStarted, "The game has not started yet."),
            GameStatus::Running => Ok(()),
            GameStatus::Ended => refuse(ErrorCode::GameOver, "The game is over."),
        }
    }

    fn in_phase(&self, phase: Phase, message: &str) -> Result<(), Refusal> {
        self.running()?;
        if self.state.phase != Some(phase) {
            let now = self.state.phase.map_or("none", Phase::id);
            return refuse(
                ErrorCode::WrongPhase,
                format!("{message} It is now the {now} phase."),
            );
        }
        Ok(())
    }

    fn open_motion(&self, id: MotionId) -> Result<&MotionView, Refusal> {
        let Some(m) = self.state.motion(id) else {
            return refuse(ErrorCode::NoSuchMotion, format!("There is no motion {id}."));
        };
        if m.round != self.state.round || m.status != MotionStatus::Tabled {
            return refuse(
                ErrorCode::MotionClosed,
                format!("Motion {id} ({}) is closed.", m.motion),
            );
        }
        Ok(m)
    }

    /// What `viewer` may see of the game now.
    pub fn view(&self, viewer: Viewer) -> GameView {
        let s = &self.state;
        let host = viewer == Viewer::Host;
        let me = match viewer {
            Viewer::Player { id, .. } => Some(id),
            _ => None,
        };
        let my_faction = me.and_then(|id| s.player(id)).map(|p| p.faction);
        let motions = s
            .round_motions()
            .map(|m| {
                let mut m = m.clone();
                let ballots = s.ballots.get(&m.id);
                if let (Some(id), Some(b)) = (me, ballots) {
                    m.my_vote = b.get(&id).copied();
                }
                // Live ballots: every one for the host, the viewer's own
                // faction's for a player (theirs included), none for a
                // spectator.
                if host || my_faction.is_some() {
                    m.ballots = ballots
                        .map(|b| roll_call(s, b))
                        .unwrap_or_default()
                        .into_iter()
                        .filter(|b| host || Some(b.faction) == my_faction)
                        .collect();
                }
                m
            })
            .collect();
        let factions = Faction::ALL
            .into_iter()
            .filter(|f| host || my_faction == Some(*f))
            .map(|f| FactionSecrets {
                faction: f,
                ip: s.factions[f].ip,
                plan: s.factions[f].plan.clone(),
            })
            .collect();
        GameView {
            code: s.code.clone(),
            viewer,
            settings: s.settings.clone(),
            status: s.status,
            round: s.round,
            rounds: self.scenario.rounds,
            month: self.scenario.month(s.round).to_string(),
            phase: s.phase,
            deadline_ms: s.deadline_ms,
            players: s.players.clone(),
            state: s.public.clone(),
            cabinet: s.cabinet(),
            event: s.event.clone(),
            motions,
            factions,
            character: me.and_then(|id| s.characters.get(&id)).cloned(),
            hidden: host.then_some(s.hidden),
            last_summary: s.last_summary.clone(),
            outcome: s.outcome.clone(),
            paused_remaining_ms: s.paused_remaining_ms,
            ready: s.ready.iter().copied().collect(),
            ready_ends_phase: s.ready_ends_phase,
            // The catalog is the same for everyone and large: only
            // snapshots sent to clients carry it (see `snapshot`).
            catalog: None,
            briefings: self
                .scenario
                .briefings
                .iter()
                .filter(|b| host || my_faction == Some(b.faction))
                .map(|b| (**b).clone())
                .collect(),
        }
    }

    /// [`Game::view`] with the catalog (every faction, group, track,
    /// motion, action, event and idea explained in words), for clients
    /// that take it in snapshots.
    pub fn snapshot(&self, viewer: Viewer) -> GameView {
        let mut view = self.view(viewer);
        view.catalog = Some(Box::new((*self.scenario.catalog).clone()));
        view
    }
}

impl Game {
    /// The characters a player joining `faction` may be dealt, in the
    /// scenario's order: the faction's that nobody plays (none in a game
    /// without characters).
    fn free_characters<'a>(
        &'a self,
        s: &'a State,
        faction: Faction,
    ) -> impl Iterator<Item = &'a crate::scenario::CharacterDef> + 'a {
        let taken = taken_characters(s);
        self.scenario
            .characters
            .iter()
            .filter(move |c| s.settings.characters && c.faction == faction)
            .filter(move |c| !taken.contains(&c.name.as_str()))
    }

    /// A bot's name and the character it is dealt, when it joins
    /// `faction` or is moved there (`bot`): the last free character (the
    /// scenario lists the best known first, and they are left for people)
    /// whose surname can be its name ("Kokoshkin (bot)" plays Fyodor
    /// Kokoshkin; a name given up is not dealt again), else the last free
    /// one and its surname numbered ("Kokoshkin 2 (bot)"); with none free
    /// (or a surname too long for a name), a figure's name ([`bot_name`]).
    fn bot_seat<'a>(
        &'a self,
        s: &'a State,
        faction: Faction,
        bot: Option<PlayerId>,
    ) -> (String, Option<&'a crate::scenario::CharacterDef>) {
        // From the end of the faction's list: its first characters, the
        // best known, are left for people.
        let free: Vec<_> = self.free_characters(s, faction).collect();
        let named = free
            .iter()
            .rev()
            .map(|c| (format!("{} (bot)", surname(&c.name)), *c))
            .find(|(name, _)| name_free(s, name, bot));
        if let Some((name, c)) = named {
            return (name, Some(c));
        }
        let c = free.last().copied();
        // (A surname too long for a name falls back to a figure's.)
        let numbered = c.and_then(|c| {
            (2..100)
                .map(|n| format!("{} {n} (bot)", surname(&c.name)))
                .find(|n| name_free(s, n, bot))
        });
        (numbered.unwrap_or_else(|| bot_name(s, faction, bot)), c)
    }
}

/// The characters being played.
fn taken_characters(s: &State) -> Vec<&str> {
    s.characters
        .iter()
        .filter(|(id, _)| s.player(**id).is_some())
        .map(|(_, c)| c.name.as_str())
        .collect()
}

/// A player now plays `c`: everyone learns the name, the player the brief.
fn give_character(tx: &mut Tx, player: PlayerId, c: &crate::scenario::CharacterDef) {
    tx.emit(
        Audience::Everyone,
        GameEvent::PlayerCharacter {
            player,
            character: c.name.clone(),
        },
    );
    tx.emit(
        Audience::Player { player },
        GameEvent::CharacterAssigned {
            player,
            brief: CharacterBrief {
                name: c.name.clone(),
                brief: c.brief.clone(),
                objective: c.objective.clone(),
            },
        },
    );
}

/// End the phase early if the rule is on and every connected player is
/// ready (a disconnected player does not hold the class up). Bots alone
/// never end a phase: with every person away (a dropped network, a server
/// restart) the game waits for the class instead of playing itself out.
fn end_if_all_ready(tx: &mut Tx, now_ms: u64) {
    let st = tx.state();
    let connected: Vec<PlayerId> = st
        .players
        .iter()
        .filter(|p| p.connected)
        .map(|p| p.id)
        .collect();
    let a_person_is_here = st.players.iter().any(|p| p.connected && !p.bot);
    let all_ready = a_person_is_here && connected.iter().all(|p| st.ready.contains(p));
    if st.status == GameStatus::Running
        && st.ready_ends_phase
        && st.paused_remaining_ms.is_none()
        && !st.ready.is_empty()
        && all_ready
    {
        tx.emit(
            Audience::Everyone,
            GameEvent::PhaseEndedEarly {
                reason: Some("Everyone is ready.".into()),
                everyone_ready: true,
            },
        );
        rules::end_phase(tx, now_ms);
    }
}

/// A bot's display name when no character names it: a historical figure
/// of its faction not yet seated, whom no one else plays (unless all are),
/// marked as a bot. A name another player gave up (a bot moved on, a
/// player removed) is not dealt again.
fn bot_name(s: &State, faction: Faction, bot: Option<PlayerId>) -> String {
    let figures: &[&str] = match faction {
        Faction::Liberals => &[
            "Guchkov",
            "Rodzianko",
            "Nabokov",
            "Shingarev",
            "Tereshchenko",
            "Nekrasov",
        ],
        Faction::Soviet => &[
            "Chernov",
            "Dan",
            "Skobelev",
            "Gotz",
            "Avksentiev",
            "Sukhanov",
        ],
        Faction::Bolsheviks => &[
            "Zinoviev",
            "Sverdlov",
            "Kollontai",
            "Bukharin",
            "Dzerzhinsky",
            "Stalin",
        ],
    };
    // A figure someone else plays is not a bot's name (unless every one
    // is played).
    let played = |f: &&str| {
        s.characters.iter().any(|(id, c)| {
            Some(*id) != bot && s.player(*id).is_some() && surname(&c.name).eq_ignore_ascii_case(f)
        })
    };
    let free: Vec<&str> = figures.iter().copied().filter(|f| !played(f)).collect();
    let figures = if free.is_empty() { figures } else { &free[..] };
    (1..)
        .flat_map(|round| {
            figures.iter().map(move |f| {
                if round == 1 {
                    format!("{f} (bot)")
                } else {
                    format!("{f} {round} (bot)")
                }
            })
        })
        .find(|n| name_free(s, n, bot))
        .expect("an unused name")
}

/// Nobody is called `name`, and nobody but `bot` gave it up.
fn name_free(s: &State, name: &str, bot: Option<PlayerId>) -> bool {
    !s.players.iter().any(|p| p.name.eq_ignore_ascii_case(name))
        && s.former_names
            .get(&name.to_lowercase())
            .is_none_or(|had| Some(*had) == bot)
        && validate_name(name).is_ok_and(|n| n == name)
}

/// A character's surname: the last word of its name ("Prince Georgy
/// Lvov": Lvov).
fn surname(name: &str) -> &str {
    name.rsplit(' ').next().unwrap_or(name)
}

/// Trim a display name, normalize it (NFC, single spaces) and check it:
/// 1 to 24 characters, at least one visible letter or digit, no control,
/// format, invisible or separator characters other than the plain space,
/// not starting with a combining mark.
pub fn validate_name(name: &str) -> Result<String, Refusal> {
    use unicode_normalization::UnicodeNormalization;
    let nfc: String = name.trim().nfc().collect();
    let name = nfc
        .split(' ')
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    let name = name.as_str();
    let n = name.chars().count();
    if n == 0 {
        return refuse(
            ErrorCode::InvalidName,
            "A name needs at least one character.",
        );
    }
    if n > MAX_NAME_CHARS {
        return refuse(
            ErrorCode::InvalidName,
            format!("A name has at most {MAX_NAME_CHARS} characters; this one has {n}."),
        );
    }
    if name
        .chars()
        .any(|c| is_forbidden_char(c) || (c.is_whitespace() && c != ' '))
    {
        return refuse(
            ErrorCode::InvalidName,
            "A name may not contain control, text-direction or line-breaking characters, or spaces other than the plain space.",
        );
    }
    if name.chars().any(is_invisible) {
        return refuse(
            ErrorCode::InvalidName,
            "A name may not contain invisible or blank characters.",
        );
    }
    if name
        .chars()
        .next()
        .is_some_and(unicode_normalization::char::is_combining_mark)
        || !name
            .chars()
            .any(|c| c.is_alphanumeric() && !unicode_normalization::char::is_combining_mark(c))
    {
        return refuse(
            ErrorCode::InvalidName,
            "A name needs at least one visible letter or digit, and may not start with an accent.",
        );
    }
    Ok(name.to_string())
}

/// Whether two (valid) names would be mistaken for each other on screen:
/// the same after Unicode normalization and case folding, or the same
/// confusable skeleton (Unicode TS #39: "Lеnin" with a Cyrillic е and
/// "Lenin"; "Ivan" and "lvan").
pub fn names_look_alike(a: &str, b: &str) -> bool {
    use unicode_normalization::UnicodeNormalization;
    let fold = |s: &str| -> String {
        s.nfkc()
            .filter(|c| !matches!(c, '\u{FE0E}' | '\u{FE0F}'))
            .flat_map(char::to_lowercase)
            .collect()
    };
    let skeleton = |s: &str| -> String { unicode_security::skeleton(s).collect() };
    let (fa, fb) = (fold(a), fold(b));
    fa == fb || skeleton(a) == skeleton(b) || skeleton(&fa) == skeleton(&fb)
}

/// Characters that show nothing (Unicode's default-ignorable code points,
/// e.g. zero-width spaces and joiners, the byte-order mark, Hangul
/// fillers) and blank look-alikes (the blank Braille pattern). The emoji
/// presentation selectors (U+FE0E, U+FE0F) are allowed: they only choose
/// how the emoji before them looks.
pub fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}'..='\u{1160}' | '\u{17B4}'..='\u{17B5}'
        | '\u{180B}'..='\u{180F}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{206F}' | '\u{3164}' | '\u{FE00}'..='\u{FE0D}' | '\u{FEFF}'
        | '\u{FFA0}' | '\u{FFF0}'..='\u{FFF8}' | '\u{1BCA0}'..='\u{1BCA3}'
        | '\u{1D173}'..='\u{1D17A}' | '\u{E0000}'..='\u{E0FFF}' | '\u{2800}'
    )
}

/// Whether a chat message shows nothing: only spaces, invisible characters
/// and marks with nothing to sit on.
pub fn is_blank_text(text: &str) -> bool {
    text.chars().all(|c| {
        c.is_whitespace()
            || is_invisible(c)
            || matches!(c, '\u{FE0E}' | '\u{FE0F}')
            || unicode_normalization::char::is_combining_mark(c)
    })
}

/// Control characters and the Unicode bidirectional controls (which can make
/// text read backwards on other people's screens), and the line and
/// paragraph separators (which break a line like a newline).
pub fn is_forbidden_char(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}' | '\u{2028}' | '\u{2029}')
}

pub(crate) fn roll_call(s: &State, ballots: &BTreeMap<PlayerId, Vote>) -> Vec<RollCallEntry> {
    ballots
        .iter()
        .filter_map(|(id, vote)| {
            s.player(*id).map(|p| RollCallEntry {
                player: *id,
                faction: p.faction,
                vote: *vote,
            })
        })
        .collect()
}

fn not_member(institution: Institution) -> &'static str {
    match institution {
        Institution::Government => {
            "Only members of the cabinet table and vote on decrees (liberals, and Soviet delegates in a coalition)."
        }
        Institution::Soviet => {
            "Only holders of Soviet seats (Soviet delegates and Bolsheviks) table and vote on resolutions."
        }
    }
}

pub(crate) fn institution_name(i: Institution) -> &'static str {
    match i {
        Institution::Government => "Government",
        Institution::Soviet => "Soviet",
    }
}

fn list_factions(fs: &[Faction]) -> String {
    fs.iter()
        .map(|f| f.name())
        .collect::<Vec<_>>()
        .join(" and ")
}
