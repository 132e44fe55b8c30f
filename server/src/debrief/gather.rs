//! Reading the log once: the rounds, the players' activity, the clock
//! and the session's marks.

use super::*;

// ---------------------------------------------------------- the gathering --

#[derive(Default)]
pub(super) struct Round {
    pub(super) card: Option<(EventCard, Vec<String>)>,
    pub(super) injected: Vec<(EventCard, Vec<String>)>,
    pub(super) motions: Vec<MotionView>,
    pub(super) results: BTreeMap<MotionId, Tally>,
    pub(super) actions: Vec<RevealedActions>,
    pub(super) summary: Vec<String>,
    pub(super) chat: Vec<(ChatScope, Option<PlayerId>, String)>,
    pub(super) marks: Vec<Mark>,
    /// The public state at the end of the round's resolution.
    pub(super) state: Option<PublicState>,
    pub(super) hidden: Option<HiddenTracks>,
    /// The game ended in this round before its resolution (the host).
    pub(super) cut_short: bool,
}

#[derive(Default, Clone)]
pub(super) struct Activity {
    pub(super) floor: u32,
    pub(super) faction: u32,
    pub(super) private: u32,
    pub(super) tabled: u32,
    pub(super) cast: u32,
    pub(super) missed: u32,
    pub(super) actions: u32,
    pub(super) connected_ms: u64,
    pub(super) since: Option<u64>,
}

/// The game, gathered from its log.
pub(super) struct Record {
    pub(super) players: BTreeMap<PlayerId, PlayerInfo>,
    pub(super) kicked: BTreeSet<PlayerId>,
    pub(super) rounds: BTreeMap<u8, Round>,
    pub(super) outcome: Option<Outcome>,
    pub(super) activity: BTreeMap<PlayerId, Activity>,
    /// Whether every connection change and phase carried its time.
    pub(super) timed: bool,
    pub(super) started_ms: Option<u64>,
    /// When each month's briefing began.
    pub(super) month_starts: Vec<(u8, u64)>,
    /// The end of the game, or now while it runs.
    pub(super) end_ms: Option<u64>,
}

pub(super) struct Clock {
    pub(super) round: u8,
    pub(super) phase: Option<Phase>,
    pub(super) now: Option<u64>,
    pub(super) started: Option<u64>,
}

impl Clock {
    pub(super) fn mark(&self, months: &[String], text: String, kind: &'static str) -> Mark {
        Mark {
            when: self.when(months),
            text,
            kind,
            at_ms: self.now,
        }
    }

    pub(super) fn when(&self, months: &[String]) -> String {
        let mut s = match self.round {
            0 => "Before the game".to_string(),
            r => months
                .get(usize::from(r) - 1)
                .cloned()
                .unwrap_or_else(|| format!("Round {r}")),
        };
        if let Some(p) = self.phase {
            s.push_str(&format!(", {}", p.id()));
        }
        if let (Some(now), Some(start)) = (self.now, self.started) {
            s.push_str(&format!(", {} in", since_start(now.saturating_sub(start))));
        }
        s
    }
}

pub(super) fn gather(input: &ReportInput) -> Record {
    let months = &input.scenario.months;
    let mut players: BTreeMap<PlayerId, PlayerInfo> = BTreeMap::new();
    let mut kicked = BTreeSet::new();
    let mut rounds: BTreeMap<u8, Round> = BTreeMap::new();
    let mut activity: BTreeMap<PlayerId, Activity> = BTreeMap::new();
    let mut outcome = None;
    let mut clock = Clock {
        round: 0,
        phase: None,
        now: None,
        started: None,
    };
    let mut timed = true;
    let mut month_starts = Vec::new();
    let mut last_state = input.start.clone();
    let mut last_hidden = input.start_hidden;
    let mut paused = false;
    let mut deadline: Option<u64> = None;
    let mut chats: BTreeMap<u64, Option<PlayerId>> = BTreeMap::new();
    let mut motion_inst: BTreeMap<MotionId, Institution> = BTreeMap::new();
    let name_of = |players: &BTreeMap<PlayerId, PlayerInfo>, id: PlayerId| name(players, id);
    for e in input.log {
        let r = clock.round;
        match &e.event {
            GameEvent::PlayerJoined { player } => {
                players.insert(player.id, player.clone());
                let a = activity.entry(player.id).or_default();
                if clock.started.is_some() {
                    a.since = clock.now;
                }
            }
            GameEvent::PlayerConnection {
                player,
                connected,
                at_ms,
            } => {
                if at_ms.is_none() {
                    timed = false;
                }
                if let Some(t) = at_ms {
                    clock.now = Some(clock.now.map_or(*t, |n| n.max(*t)));
                }
                let t = at_ms.or(clock.now);
                if let Some(p) = players.get_mut(player) {
                    p.connected = *connected;
                }
                if clock.started.is_some() {
                    let a = activity.entry(*player).or_default();
                    if *connected {
                        a.since = a.since.or(t);
                    } else if let (Some(since), Some(t)) = (a.since.take(), t) {
                        a.connected_ms += t.saturating_sub(since);
                    }
                }
                if r > 0 && outcome.is_none() {
                    let text = if *connected {
                        format!("{} reconnected.", name_of(&players, *player))
                    } else {
                        format!("{} lost their connection.", name_of(&players, *player))
                    };
                    let mark = clock.mark(months, text, "connection");
                    rounds.entry(r).or_default().marks.push(mark);
                }
            }
            GameEvent::PhaseStarted {
                round: n,
                phase,
                at_ms,
                deadline_ms,
                ..
            } => {
                clock.round = *n;
                clock.phase = Some(*phase);
                deadline = Some(*deadline_ms);
                paused = false;
                match at_ms {
                    Some(t) => {
                        clock.now = Some(*t);
                        if *phase == Phase::Briefing {
                            month_starts.push((*n, *t));
                        }
                        if clock.started.is_none() {
                            clock.started = Some(*t);
                            for (id, p) in &players {
                                if p.connected && !kicked.contains(id) {
                                    activity.entry(*id).or_default().since = Some(*t);
                                }
                            }
                        }
                    }
                    None => timed = false,
                }
            }
            GameEvent::EventRevealed { card, effects } => {
                let round = rounds.entry(r.max(card.round)).or_default();
                let scheduled = input.scenario.event(card.round).map(|d| d.id.as_str());
                if round.card.is_none()
                    && clock.phase == Some(Phase::Briefing)
                    && scheduled == Some(card.id.as_str())
                {
                    round.card = Some((card.clone(), effects.clone()));
                } else {
                    round.injected.push((card.clone(), effects.clone()));
                    round.marks.push(clock.mark(
                        months,
                        format!("The host played an event: {}.", card.title),
                        "host",
                    ));
                }
            }
            GameEvent::StateChanged { state } => last_state = state.clone(),
            GameEvent::HiddenChanged { hidden } => last_hidden = *hidden,
            GameEvent::MotionTabled { motion } => {
                motion_inst.insert(motion.id, motion.institution);
                activity.entry(motion.proposer).or_default().tabled += 1;
                rounds.entry(r).or_default().motions.push(motion.clone());
            }
            GameEvent::MotionWithdrawn { motion } => {
                let round = rounds.entry(r).or_default();
                if let Some(m) = round.motions.iter_mut().find(|m| m.id == *motion) {
                    m.status = MotionStatus::Withdrawn;
                }
            }
            GameEvent::ActionPlanned { planned, .. } => {
                activity.entry(planned.by).or_default().actions += 1;
            }
            GameEvent::VotesClosed { results } => {
                for v in results {
                    let inst = motion_inst
                        .get(&v.motion)
                        .copied()
                        .unwrap_or(Institution::Soviet);
                    let voted: BTreeSet<PlayerId> =
                        v.tally.roll_call.iter().map(|e| e.player).collect();
                    for (id, p) in &players {
                        if kicked.contains(id) {
                            continue;
                        }
                        let sits = match inst {
                            Institution::Government => {
                                p.faction == Faction::Liberals
                                    || (p.faction == Faction::Soviet && last_state.coalition)
                            }
                            Institution::Soviet => p.faction != Faction::Liberals,
                        };
                        if !sits {
                            continue;
                        }
                        let a = activity.entry(*id).or_default();
                        if voted.contains(id) {
                            a.cast += 1;
                        } else {
                            a.missed += 1;
                        }
                    }
                    rounds
                        .entry(r)
                        .or_default()
                        .results
                        .insert(v.motion, v.tally.clone());
                }
            }
            GameEvent::Resolved {
                round: n,
                actions,
                summary,
            } => {
                let round = rounds.entry(*n).or_default();
                round.actions = actions.clone();
                round.summary = summary.clone();
                round.state = Some(last_state.clone());
                round.hidden = Some(last_hidden);
            }
            GameEvent::Chat {
                id,
                scope,
                from,
                text,
            } => {
                chats.insert(*id, *from);
                if let Some(p) = from {
                    let a = activity.entry(*p).or_default();
                    match scope {
                        ChatScope::Floor => a.floor += 1,
                        ChatScope::Faction { .. } => a.faction += 1,
                        ChatScope::Private { .. } => a.private += 1,
                        ChatScope::Announcement => {}
                    }
                }
                rounds
                    .entry(r)
                    .or_default()
                    .chat
                    .push((*scope, *from, text.clone()));
            }
            GameEvent::GameEnded { outcome: o } => {
                if let Some(t) = o.at_ms {
                    clock.now = Some(clock.now.map_or(t, |n| n.max(t)));
                }
                let round = rounds.entry(o.round.max(1)).or_default();
                if round.state.is_none() {
                    round.state = Some(last_state.clone());
                    round.hidden = Some(last_hidden);
                    round.cut_short = true;
                }
                if o.ending == Ending::EndedByHost {
                    round
                        .marks
                        .push(clock.mark(months, "The host ended the game.".into(), "host"));
                }
                outcome = Some(o.clone());
            }
            other => {
                if let Some((text, kind)) = intervention(
                    other,
                    &players,
                    &chats,
                    &mut paused,
                    &mut deadline,
                    &mut kicked,
                ) {
                    let mark = clock.mark(months, text, kind);
                    rounds.entry(r).or_default().marks.push(mark);
                }
                if let GameEvent::PlayerKicked { player, .. } = other {
                    if let Some(a) = activity.get_mut(player) {
                        if let (Some(since), Some(t)) = (a.since.take(), clock.now) {
                            a.connected_ms += t.saturating_sub(since);
                        }
                    }
                }
                match other {
                    // A bot moved takes a name of its new faction's figures.
                    GameEvent::PlayerMoved {
                        player,
                        faction,
                        name,
                        ..
                    } => {
                        if let Some(p) = players.get_mut(player) {
                            p.faction = *faction;
                            if let Some(name) = name {
                                p.name = name.clone();
                            }
                        }
                    }
                    // Dealt on a move, or by the host: the record names
                    // the character each played last.
                    GameEvent::PlayerCharacter { player, character } => {
                        if let Some(p) = players.get_mut(player) {
                            p.character = Some(character.clone());
                        }
                    }
                    _ => {}
                }
            }
        }
    }
    // Close the intervals still open: at the end, or now if the game runs.
    let end = match &outcome {
        Some(o) => o.at_ms.or(clock.now),
        None => Some(clock.now.map_or(input.now_ms, |n| n.max(input.now_ms))),
    };
    if clock.started.is_some() {
        for a in activity.values_mut() {
            if let (Some(since), Some(end)) = (a.since.take(), end) {
                a.connected_ms += end.saturating_sub(since);
            }
        }
    }
    rounds.retain(|n, r| *n > 0 || !r.chat.is_empty() || !r.marks.is_empty());
    Record {
        players,
        kicked,
        rounds,
        outcome,
        activity,
        timed: timed && clock.started.is_some(),
        started_ms: clock.started,
        month_starts,
        end_ms: end,
    }
}

/// A host's intervention (or a restart) as a line for the timeline.
pub(super) fn intervention(
    event: &GameEvent,
    players: &BTreeMap<PlayerId, PlayerInfo>,
    chats: &BTreeMap<u64, Option<PlayerId>>,
    paused: &mut bool,
    deadline: &mut Option<u64>,
    kicked: &mut BTreeSet<PlayerId>,
) -> Option<(String, &'static str)> {
    Some(match event {
        GameEvent::Paused {
            reason, restart, ..
        } => {
            let was = std::mem::replace(paused, true);
            if *restart {
                (
                    "The server restarted: the game waited, paused, until the host resumed it."
                        .into(),
                    "restart",
                )
            } else if was {
                (
                    format!("The host gave the paused phase more time{}.", because(reason)),
                    "host",
                )
            } else {
                (
                    format!("The host paused the game{}.", because(reason)),
                    "host",
                )
            }
        }
        GameEvent::Resumed { deadline_ms } => {
            *paused = false;
            *deadline = Some(*deadline_ms);
            ("The host resumed the game.".into(), "host")
        }
        GameEvent::DeadlineChanged {
            deadline_ms,
            reason,
        } => {
            let before = deadline.replace(*deadline_ms);
            let text = match before {
                Some(b) if *deadline_ms >= b => format!(
                    "The host extended the phase by {}{}.",
                    duration(*deadline_ms - b),
                    because(reason)
                ),
                _ => format!("The host moved the phase's deadline{}.", because(reason)),
            };
            (text, "host")
        }
        // (Older logs say only the reason when everyone was ready.)
        GameEvent::PhaseEndedEarly {
            reason,
            everyone_ready: false,
        } if reason.as_deref() != Some("Everyone is ready.") => (
            format!("The host ended the phase early{}.", because(reason)),
            "host",
        ),
        GameEvent::TimersChanged { timers } => (
            format!(
                "The host changed the phase timers: briefing {}, negotiation {}, proposals {}, voting {}, resolution {}.",
                duration(u64::from(timers.briefing) * 1000),
                duration(u64::from(timers.negotiation) * 1000),
                duration(u64::from(timers.proposals) * 1000),
                duration(u64::from(timers.voting) * 1000),
                duration(u64::from(timers.resolution) * 1000),
            ),
            "host",
        ),
        GameEvent::PlayerKicked { player, reason } => {
            kicked.insert(*player);
            (
                format!(
                    "The host removed {} from the game{}.",
                    name(players, *player),
                    because(reason)
                ),
                "host",
            )
        }
        GameEvent::PlayerMoved {
            player,
            faction,
            reason,
            name: renamed,
        } => (
            format!(
                "The host moved {} to the {}{}{}.",
                name(players, *player),
                faction.name(),
                renamed
                    .as_ref()
                    .map_or_else(String::new, |n| format!(" as {}", one_line(n))),
                because(reason)
            ),
            "host",
        ),
        GameEvent::PlayerMuted {
            player,
            until_ms,
            reason,
        } => (
            if *until_ms == 0 {
                format!("The host unmuted {}.", name(players, *player))
            } else {
                format!("The host muted {}{}.", name(players, *player), because(reason))
            },
            "host",
        ),
        GameEvent::ChatRedacted { chat, reason } => (
            match chats.get(chat) {
                Some(Some(p)) => format!(
                    "The host hid a message by {}{}.",
                    name(players, *p),
                    because(reason)
                ),
                _ => format!("The host hid a message{}.", because(reason)),
            },
            "host",
        ),
        GameEvent::ReadyRuleChanged { enabled } => (
            if *enabled {
                "The host let a phase end as soon as everyone is ready.".into()
            } else {
                "The host made every phase run its full time.".into()
            },
            "host",
        ),
        _ => return None,
    })
}
