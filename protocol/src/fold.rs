//! Keeping a [`GameView`] current from the events that follow it.
//!
//! A client gets a snapshot, then events. [`GameView::apply`] folds each
//! event into the snapshot so the client always holds what a fresh `get_state`
//! would return, without asking. It is a pure function of the protocol types:
//! the bundled CLI and the bots use it, and a third-party client can port it.

use crate::event::GameEvent;
use crate::view::*;
use crate::vocab::*;

impl GameView {
    /// The viewer's own player id, if a player.
    pub fn me(&self) -> Option<PlayerId> {
        match self.viewer {
            Viewer::Player { id, .. } => Some(id),
            _ => None,
        }
    }

    /// The viewer's faction, if a player.
    pub fn my_faction(&self) -> Option<Faction> {
        match self.viewer {
            Viewer::Player { faction, .. } => Some(faction),
            _ => None,
        }
    }

    /// A player by id.
    pub fn player(&self, id: PlayerId) -> Option<&PlayerInfo> {
        self.players.iter().find(|p| p.id == id)
    }

    /// A faction's secrets, if the viewer may see them.
    pub fn secrets(&self, faction: Faction) -> Option<&FactionSecrets> {
        self.factions.iter().find(|f| f.faction == faction)
    }

    /// Fold one event (one this viewer received) into the view.
    ///
    /// After `player_moved` of the viewer themself, the view no longer holds
    /// their new faction's secrets: ask for a fresh `get_state`.
    pub fn apply(&mut self, event: &GameEvent) {
        match event {
            GameEvent::PlayerJoined { player } => {
                self.players.retain(|p| p.id != player.id);
                self.players.push(player.clone());
                self.recompute_cabinet();
            }
            GameEvent::PlayerConnection {
                player, connected, ..
            } => {
                if let Some(p) = self.players.iter_mut().find(|p| p.id == *player) {
                    p.connected = *connected;
                }
            }
            GameEvent::CharacterAssigned { player, brief } => {
                if self.me() == Some(*player) {
                    self.character = Some(brief.clone());
                }
            }
            GameEvent::Briefing {
                player,
                briefing,
                character,
            } => {
                if self.me() == Some(*player) {
                    self.briefings = vec![(**briefing).clone()];
                    if let Some(c) = character {
                        self.character = Some(c.clone());
                    }
                }
            }
            GameEvent::PlayerCharacter { player, character } => {
                if let Some(p) = self.players.iter_mut().find(|p| p.id == *player) {
                    p.character = Some(character.clone());
                }
            }
            GameEvent::GameStarted { rounds } => {
                self.status = GameStatus::Running;
                self.rounds = *rounds;
            }
            GameEvent::PhaseStarted {
                round,
                month,
                phase,
                deadline_ms,
                ..
            } => {
                if *round != self.round {
                    self.event = None;
                    self.motions.clear();
                }
                self.round = *round;
                self.month = month.clone();
                self.phase = Some(*phase);
                self.deadline_ms = Some(*deadline_ms);
                self.paused_remaining_ms = None;
                self.ready.clear();
            }
            GameEvent::EventRevealed { card, .. } => self.event = Some(card.clone()),
            GameEvent::StateChanged { state } => {
                self.state = state.clone();
                self.recompute_cabinet();
            }
            GameEvent::HiddenChanged { hidden } => self.hidden = Some(*hidden),
            GameEvent::IncomeReceived { faction, ip, .. } => {
                if let Some(f) = self.secrets_mut(*faction) {
                    f.ip = *ip;
                }
            }
            GameEvent::Chat { .. } | GameEvent::PhaseEndedEarly { .. } => {}
            GameEvent::PlayerMuted { .. } | GameEvent::ChatRedacted { .. } => {}
            GameEvent::MotionTabled { motion } => {
                self.motions.retain(|m| m.id != motion.id);
                self.motions.push(motion.clone());
            }
            GameEvent::MotionWithdrawn { motion } => {
                if let Some(m) = self.motion_mut(*motion) {
                    m.status = MotionStatus::Withdrawn;
                    m.ballots.clear();
                }
            }
            GameEvent::VoteCast {
                motion,
                player,
                vote,
            } => {
                let me = self.me();
                let faction = self.player(*player).map(|p| p.faction);
                // The host keeps every ballot, a player their faction's.
                let shown = match self.viewer {
                    Viewer::Host => true,
                    Viewer::Player { faction: mine, .. } => faction == Some(mine),
                    Viewer::Spectator => false,
                };
                if let Some(m) = self.motion_mut(*motion) {
                    if me == Some(*player) {
                        m.my_vote = Some(*vote);
                    }
                    if shown {
                        match m.ballots.iter_mut().find(|b| b.player == *player) {
                            Some(b) => b.vote = *vote,
                            None => {
                                if let Some(faction) = faction {
                                    m.ballots.push(RollCallEntry {
                                        player: *player,
                                        faction,
                                        vote: *vote,
                                    });
                                    m.ballots.sort_by_key(|b| b.player);
                                }
                            }
                        }
                    }
                }
            }
            GameEvent::ActionPlanned {
                faction,
                planned,
                ip,
            } => {
                if let Some(f) = self.secrets_mut(*faction) {
                    f.plan.push(*planned);
                    f.ip = *ip;
                }
            }
            GameEvent::ActionUnplanned {
                faction,
                action,
                ip,
                ..
            } => {
                if let Some(f) = self.secrets_mut(*faction) {
                    f.plan.retain(|a| a.id != *action);
                    f.ip = *ip;
                }
            }
            GameEvent::VotesClosed { results } => {
                for r in results {
                    if let Some(m) = self.motion_mut(r.motion) {
                        m.status = if r.tally.passed {
                            MotionStatus::Passed
                        } else {
                            MotionStatus::Failed
                        };
                        m.tally = Some(r.tally.clone());
                        m.ballots.clear();
                    }
                }
            }
            GameEvent::Resolved { summary, .. } => {
                self.last_summary = summary.clone();
                for f in &mut self.factions {
                    f.plan.clear();
                }
            }
            GameEvent::GameEnded { outcome } => {
                self.status = GameStatus::Ended;
                self.deadline_ms = None;
                self.paused_remaining_ms = None;
                self.outcome = Some(outcome.clone());
            }
            GameEvent::Paused { remaining_ms, .. } => {
                self.paused_remaining_ms = Some(*remaining_ms);
                self.deadline_ms = None;
            }
            GameEvent::Resumed { deadline_ms } | GameEvent::DeadlineChanged { deadline_ms, .. } => {
                self.paused_remaining_ms = None;
                self.deadline_ms = Some(*deadline_ms);
            }
            GameEvent::TimersChanged { timers } => self.settings.timers = *timers,
            GameEvent::PlayerKicked { player, .. } => {
                self.players.retain(|p| p.id != *player);
                self.ready.retain(|p| p != player);
                for m in &mut self.motions {
                    m.ballots.retain(|b| b.player != *player);
                }
                self.recompute_cabinet();
            }
            GameEvent::PlayerMoved {
                player,
                faction,
                name,
                ..
            } => {
                if let Some(p) = self.players.iter_mut().find(|p| p.id == *player) {
                    p.faction = *faction;
                    if let Some(name) = name {
                        p.name = name.clone();
                    }
                }
                for m in &mut self.motions {
                    m.ballots.retain(|b| b.player != *player);
                }
                if let Viewer::Player { id, faction: mine } = &mut self.viewer {
                    if *id == *player {
                        *mine = *faction;
                        self.factions.retain(|f| f.faction == *faction);
                        // The old faction's ballots are no longer theirs to
                        // see; the new faction's come with a fresh snapshot.
                        for m in &mut self.motions {
                            m.my_vote = None;
                            m.ballots.clear();
                        }
                    }
                }
                self.recompute_cabinet();
            }
            GameEvent::ReadyChanged { player, ready } => {
                self.ready.retain(|p| p != player);
                if *ready {
                    self.ready.push(*player);
                    self.ready.sort();
                }
            }
            GameEvent::ReadyRuleChanged { enabled } => self.ready_ends_phase = *enabled,
        }
    }

    fn secrets_mut(&mut self, faction: Faction) -> Option<&mut FactionSecrets> {
        self.factions.iter_mut().find(|f| f.faction == faction)
    }

    fn motion_mut(&mut self, id: MotionId) -> Option<&mut MotionView> {
        self.motions.iter_mut().find(|m| m.id == id)
    }

    /// The cabinet: liberal players, and Soviet delegates while a coalition
    /// holds (GAME.md, "The institutions").
    fn recompute_cabinet(&mut self) {
        self.cabinet = self
            .players
            .iter()
            .filter(|p| self.state.in_cabinet(p.faction))
            .map(|p| p.id)
            .collect();
    }
}
