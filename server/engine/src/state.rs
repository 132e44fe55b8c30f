//! The game state and the one function that changes it: [`State::apply`].

use protocol::*;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::hash::{Hash, Hasher};

/// A faction's private state.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct FactionState {
    pub ip: u32,
    pub plan: Vec<PlannedAction>,
}

/// Everything the engine knows about one game.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct State {
    /// The join code, for views.
    pub code: String,
    /// The game's random seed: each resolution draws from an RNG seeded by
    /// it and the round.
    pub seed: u64,
    pub settings: GameSettings,
    pub status: GameStatus,
    /// 0 in the lobby, then 1..=rounds.
    pub round: u8,
    pub phase: Option<Phase>,
    pub deadline_ms: Option<u64>,
    pub players: Vec<PlayerInfo>,
    pub public: PublicState,
    pub hidden: HiddenTracks,
    pub factions: PerFaction<FactionState>,
    /// Every motion ever tabled, in order.
    pub motions: Vec<MotionView>,
    /// Open ballots, by motion.
    pub ballots: BTreeMap<MotionId, BTreeMap<PlayerId, Vote>>,
    pub next_motion: u32,
    pub next_action: u32,
    /// This round's event card.
    pub event: Option<EventCard>,
    pub characters: BTreeMap<PlayerId, CharacterBrief>,
    pub last_summary: Vec<String>,
    pub outcome: Option<Outcome>,
    /// While paused: the time left in the phase.
    pub paused_remaining_ms: Option<u64>,
    /// Players muted by the host, until a time (ms since the epoch). The
    /// shell, which has the clock, enforces it.
    pub muted: BTreeMap<PlayerId, u64>,
    /// Players ready to move on this phase.
    pub ready: BTreeSet<PlayerId>,
    /// Whether the phase ends early once every connected player is ready.
    pub ready_ends_phase: bool,
    /// The next chat message's id.
    pub next_chat: u64,
    /// Chat messages the host hid.
    pub redacted: BTreeSet<u64>,
    /// Players the host removed.
    pub kicked: BTreeSet<PlayerId>,
    /// Names given up (lowercase), and who had them: a player the host
    /// removed, a bot renamed on a move. A bot's name is never dealt to
    /// another player: a debrief tells players apart by name.
    #[serde(default)]
    pub former_names: BTreeMap<String, PlayerId>,
}

impl State {
    /// Fold one event into the state. Every change to a game goes through
    /// here, live and in replay.
    pub fn apply(&mut self, event: &GameEvent) {
        match event {
            GameEvent::PlayerJoined { player } => self.players.push(player.clone()),
            GameEvent::PlayerConnection {
                player, connected, ..
            } => {
                if let Some(p) = self.player_mut(*player) {
                    p.connected = *connected;
                }
            }
            GameEvent::CharacterAssigned { player, brief } => {
                self.characters.insert(*player, brief.clone());
            }
            GameEvent::GameStarted { .. } => self.status = GameStatus::Running,
            // The briefing's texts come from the scenario; the state keeps
            // nothing of it.
            GameEvent::Briefing { .. } => {}
            GameEvent::PlayerCharacter { player, character } => {
                if let Some(p) = self.player_mut(*player) {
                    p.character = Some(character.clone());
                }
            }
            GameEvent::PhaseStarted {
                round,
                phase,
                deadline_ms,
                ..
            } => {
                if *round != self.round {
                    self.event = None;
                }
                self.round = *round;
                self.phase = Some(*phase);
                self.deadline_ms = Some(*deadline_ms);
                self.paused_remaining_ms = None;
                self.ready.clear();
            }
            GameEvent::EventRevealed { card, .. } => self.event = Some(card.clone()),
            GameEvent::StateChanged { state } => self.public = state.clone(),
            GameEvent::HiddenChanged { hidden } => self.hidden = *hidden,
            GameEvent::IncomeReceived { faction, ip, .. } => self.factions[*faction].ip = *ip,
            GameEvent::Chat { id, .. } => self.next_chat = self.next_chat.max(id + 1),
            GameEvent::MotionTabled { motion } => {
                self.next_motion = self.next_motion.max(motion.id.0 + 1);
                self.motions.push(motion.clone());
            }
            GameEvent::MotionWithdrawn { motion } => {
                if let Some(m) = self.motion_mut(*motion) {
                    m.status = MotionStatus::Withdrawn;
                }
                self.ballots.remove(motion);
            }
            GameEvent::VoteCast {
                motion,
                player,
                vote,
            } => {
                self.ballots
                    .entry(*motion)
                    .or_default()
                    .insert(*player, *vote);
            }
            GameEvent::ActionPlanned {
                faction,
                planned,
                ip,
            } => {
                self.next_action = self.next_action.max(planned.id.0 + 1);
                let f = &mut self.factions[*faction];
                f.plan.push(*planned);
                f.ip = *ip;
            }
            GameEvent::ActionUnplanned {
                faction,
                action,
                ip,
                ..
            } => {
                let f = &mut self.factions[*faction];
                f.plan.retain(|a| a.id != *action);
                f.ip = *ip;
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
                    }
                    self.ballots.remove(&r.motion);
                }
            }
            GameEvent::Resolved { summary, .. } => {
                self.last_summary = summary.clone();
                for f in Faction::ALL {
                    self.factions[f].plan.clear();
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
            GameEvent::PhaseEndedEarly { .. } => {}
            GameEvent::TimersChanged { timers } => self.settings.timers = *timers,
            GameEvent::PlayerKicked { player, .. } => {
                if let Some(p) = self.player(*player) {
                    self.former_names.insert(p.name.to_lowercase(), p.id);
                }
                self.players.retain(|p| p.id != *player);
                self.kicked.insert(*player);
                self.ready.remove(player);
                self.muted.remove(player);
                for b in self.ballots.values_mut() {
                    b.remove(player);
                }
            }
            GameEvent::PlayerMoved {
                player,
                faction,
                name,
                ..
            } => {
                if let Some(p) = self.player_mut(*player) {
                    p.faction = *faction;
                    if let Some(name) = name {
                        let old = std::mem::replace(&mut p.name, name.clone());
                        self.former_names.insert(old.to_lowercase(), *player);
                    }
                }
                for b in self.ballots.values_mut() {
                    b.remove(player);
                }
            }
            GameEvent::PlayerMuted {
                player, until_ms, ..
            } => {
                if *until_ms == 0 {
                    self.muted.remove(player);
                } else {
                    self.muted.insert(*player, *until_ms);
                }
            }
            GameEvent::ChatRedacted { chat, .. } => {
                self.redacted.insert(*chat);
            }
            GameEvent::ReadyChanged { player, ready } => {
                if *ready {
                    self.ready.insert(*player);
                } else {
                    self.ready.remove(player);
                }
            }
            GameEvent::ReadyRuleChanged { enabled } => self.ready_ends_phase = *enabled,
        }
    }

    pub fn player(&self, id: PlayerId) -> Option<&PlayerInfo> {
        self.players.iter().find(|p| p.id == id)
    }

    fn player_mut(&mut self, id: PlayerId) -> Option<&mut PlayerInfo> {
        self.players.iter_mut().find(|p| p.id == id)
    }

    pub fn motion(&self, id: MotionId) -> Option<&MotionView> {
        self.motions.iter().find(|m| m.id == id)
    }

    fn motion_mut(&mut self, id: MotionId) -> Option<&mut MotionView> {
        self.motions.iter_mut().find(|m| m.id == id)
    }

    /// This round's motions (withdrawn ones included).
    pub fn round_motions(&self) -> impl Iterator<Item = &MotionView> {
        let round = self.round;
        self.motions.iter().filter(move |m| m.round == round)
    }

    pub fn players_of(&self, faction: Faction) -> impl Iterator<Item = &PlayerInfo> {
        self.players.iter().filter(move |p| p.faction == faction)
    }

    /// The cabinet's members: liberal players, and soviet players while a
    /// coalition holds.
    pub fn cabinet(&self) -> Vec<PlayerId> {
        self.players
            .iter()
            .filter(|p| self.public.in_cabinet(p.faction))
            .map(|p| p.id)
            .collect()
    }

    /// Whether a player may table and vote on motions of an institution.
    pub fn may_sit(&self, faction: Faction, institution: Institution) -> bool {
        self.public.may_sit(faction, institution)
    }

    /// A stable hash of the whole state, to compare a replay with the live
    /// game.
    pub fn hash(&self) -> u64 {
        let json = serde_json::to_string(self).expect("state serializes");
        // FNV-1a: stable across platforms and Rust versions.
        let mut h = Fnv(0xcbf2_9ce4_8422_2325);
        json.hash(&mut h);
        h.0
    }
}

struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }
}
