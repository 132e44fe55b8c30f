//! The debrief: a game's log turned into a lesson a class reads afterwards.
//!
//! One report model ([`Report`]), built from the log by [`Report::build`],
//! is rendered by two askama templates: `templates/debrief.html` (one
//! self-contained page with inline SVG charts and a print stylesheet;
//! askama escapes every value) and `templates/debrief.md` (plain text that
//! reads as Markdown; nothing is escaped, so no stray backslashes). Pure: no
//! I/O, no clock (the time of a running game arrives in the input).
//!
//! The log given is already what the reader may see (the host's whole log,
//! or one faction's view), with redacted chat removed: the report never
//! looks further than that.

use askama::Template;
use engine::{Emitted, Scenario};
use protocol::*;
use std::collections::{BTreeMap, BTreeSet};

/// What a report is made from.
pub struct ReportInput<'a> {
    pub code: &'a str,
    /// The game's scenario: title, months, the chronicle of the real 1917,
    /// the characters and their fates.
    pub scenario: &'a Scenario,
    /// The public state before the first round.
    pub start: &'a PublicState,
    /// The exact hidden tracks before the first round (charted in the
    /// host's record only).
    pub start_hidden: HiddenTracks,
    pub log: &'a [Emitted],
    /// Whose view: the host, or a faction (a player of it).
    pub viewer: Viewer,
    /// Now (ms since the Unix epoch): a game still running counts its
    /// players' time connected up to now.
    pub now_ms: u64,
}

/// The report in Markdown.
pub fn markdown(input: &ReportInput) -> String {
    let report = Report::build(input);
    MarkdownPage { r: &report }
        .render()
        .expect("the Markdown template renders")
}

/// The report as one self-contained HTML page with inline SVG charts.
pub fn html(input: &ReportInput) -> String {
    let report = Report::build(input);
    HtmlPage { r: &report }
        .render()
        .expect("the HTML template renders")
}

#[derive(Template)]
#[template(path = "debrief.html")]
struct HtmlPage<'a> {
    r: &'a Report,
}

#[derive(Template)]
#[template(path = "debrief.md")]
struct MarkdownPage<'a> {
    r: &'a Report,
}

// ------------------------------------------------------------ the model --

/// Everything the two templates show, in reading order.
pub struct Report {
    pub title: String,
    /// "the host's complete record", "what the Bolsheviks knew".
    pub whose: String,
    /// The host's record (participation of everyone, hidden forces,
    /// private messages counted).
    pub is_host: bool,
    pub factions: Vec<FactionPlayers>,
    pub ending: EndingView,
    pub months: Vec<MonthView>,
    pub questions: Vec<String>,
    pub charts: Vec<ChartView>,
    pub participation: Participation,
    pub characters: Vec<CharacterFate>,
    /// Whether `characters` are the figures dealt in this game (else the
    /// scenario's figures, for reference).
    pub characters_dealt: bool,
    pub timeline: Vec<Mark>,
    /// The session drawn to scale, when the log has its times.
    pub strip: Option<StripView>,
    /// The full record, round by round.
    pub rounds: Vec<RoundRecord>,
}

pub struct FactionPlayers {
    pub name: &'static str,
    pub colour: &'static str,
    pub players: Vec<String>,
}

pub struct EndingView {
    /// Whether the game has ended.
    pub ended: bool,
    pub title: String,
    pub when: String,
    pub summary: String,
    pub scores: Vec<ScoreRow>,
    /// What really happened in the end (the chronicle's aftermath).
    pub real_title: String,
    pub real: String,
    /// One sentence setting the two side by side.
    pub compared: String,
}

pub struct ScoreRow {
    pub faction: &'static str,
    pub colour: &'static str,
    pub won: &'static str,
    pub score: u32,
    pub seats: String,
}

/// One month: the class's decisions and tracks beside the real month.
pub struct MonthView {
    pub heading: String,
    /// What the class decided: motions passed and failed, actions.
    pub decided: Vec<String>,
    /// What happened to the tracks over the month.
    pub tracks: Vec<String>,
    pub real_title: String,
    pub real: String,
    /// Where the class's history met or parted from the real one.
    pub parted: Vec<String>,
}

/// A line chart of 0..=100 values, one point at the start and one after
/// each month.
pub struct ChartView {
    /// Stable id (for anchors and tests).
    pub id: String,
    pub title: String,
    /// The legend in words: what the lines are.
    pub caption: String,
    pub series: Vec<SeriesView>,
    pub x_labels: Vec<AxisLabel>,
    pub grid: Vec<GridLine>,
    /// The column labels (Markdown table).
    pub columns: Vec<String>,
    pub width: u32,
    pub height: u32,
    pub plot_left: u32,
    pub plot_right: u32,
}

pub struct SeriesView {
    /// Stable machine id, e.g. `gov_legitimacy` (a `data-series`
    /// attribute; never shown).
    pub key: String,
    /// What a person reads, e.g. "Government legitimacy".
    pub label: String,
    /// The same, short, at the line's end: "Government".
    pub short: String,
    pub colour: &'static str,
    /// SVG dash pattern ("" for a solid line): lines stay apart on a
    /// black-and-white printout.
    pub dash: &'static str,
    pub values: Vec<u8>,
    pub values_csv: String,
    pub points: String,
    /// The last point, where the line's end label sits.
    pub end_x: String,
    pub end_y: String,
}

pub struct AxisLabel {
    pub x: String,
    pub text: String,
}

pub struct GridLine {
    pub y: String,
    pub label: u8,
}

pub struct Participation {
    /// Rows: every player in the host's record, the faction's own players
    /// in a faction's view.
    pub rows: Vec<ParticipationRow>,
    /// Private messages are counted in the host's record only.
    pub show_private: bool,
    /// How time connected was measured (or why it is unknown).
    pub note: String,
}

pub struct ParticipationRow {
    pub name: String,
    pub faction: &'static str,
    pub colour: &'static str,
    pub floor: u32,
    pub faction_channel: u32,
    pub private: u32,
    pub tabled: u32,
    pub votes_cast: u32,
    pub votes_missed: u32,
    pub actions: u32,
    /// "42 min" or "unknown".
    pub connected: String,
}

impl ParticipationRow {
    /// The name for a Markdown table cell (a `|` would split the cell).
    pub fn name_cell(&self) -> String {
        self.name.replace('|', "/")
    }
}

pub struct CharacterFate {
    pub character: String,
    /// Who played them ("" when not dealt).
    pub player: String,
    pub faction: &'static str,
    pub fate: String,
}

/// Something the host did, a connection that came or went, a restart: on
/// the timeline.
#[derive(Clone)]
pub struct Mark {
    /// "March, negotiation, 12 min in".
    pub when: String,
    pub text: String,
    /// `host`, `connection` or `restart` (a CSS class, and for tests).
    pub kind: &'static str,
    /// When (ms since the Unix epoch), if the log says.
    at_ms: Option<u64>,
}

/// The session to scale: the months as bands, the marks as numbered
/// ticks (the numbers of the timeline's rows).
pub struct StripView {
    pub width: u32,
    pub height: u32,
    pub months: Vec<StripMonth>,
    pub ticks: Vec<StripTick>,
    /// "0 min" at the left, the length of the session at the right.
    pub end_label: String,
    pub end_x: u32,
}

pub struct StripMonth {
    pub x: String,
    pub w: String,
    pub label: String,
    pub shade: &'static str,
}

pub struct StripTick {
    pub x: String,
    /// The timeline rows it stands for.
    pub first: usize,
    pub last: usize,
    pub colour: &'static str,
    pub kind: &'static str,
}

impl StripTick {
    pub fn label(&self) -> String {
        if self.first == self.last {
            self.first.to_string()
        } else {
            format!("{}–{}", self.first, self.last)
        }
    }
}

/// The colour of a mark: the host black, connections grey, restarts red.
fn mark_colour(kind: &str) -> &'static str {
    match kind {
        "restart" => "#c62828",
        "connection" => "#9e9e9e",
        _ => "#222222",
    }
}

fn strip(input: &ReportInput, rec: &Record, timeline: &[Mark]) -> Option<StripView> {
    let (start, end) = (rec.started_ms?, rec.end_ms?);
    if !rec.timed || end <= start {
        return None;
    }
    let (w, left, right) = (900.0, 10.0, 60.0);
    let span = (end - start) as f64;
    let x = |t: u64| left + (w - left - right) * (t.clamp(start, end) - start) as f64 / span;
    let months = rec
        .month_starts
        .iter()
        .enumerate()
        .map(|(i, (n, t))| {
            let next = rec.month_starts.get(i + 1).map_or(end, |(_, t)| *t);
            StripMonth {
                x: format!("{:.1}", x(*t)),
                w: format!("{:.1}", (x(next) - x(*t)).max(0.0)),
                label: month_name(input.scenario, *n).chars().take(3).collect(),
                shade: if i % 2 == 0 { "#ece8df" } else { "#f7f5f0" },
            }
        })
        .collect();
    // Marks closer than a label's width share one tick: "3–7".
    let mut ticks: Vec<StripTick> = Vec::new();
    let mut last_x = f64::NEG_INFINITY;
    for (i, m) in timeline.iter().enumerate() {
        let Some(at) = m.at_ms.map(&x) else { continue };
        match ticks.last_mut() {
            Some(t) if at - last_x < 18.0 => {
                t.last = i + 1;
                if m.kind == "restart" || (m.kind == "host" && t.kind == "connection") {
                    t.kind = m.kind;
                    t.colour = mark_colour(m.kind);
                }
            }
            _ => {
                last_x = at;
                ticks.push(StripTick {
                    x: format!("{at:.1}"),
                    first: i + 1,
                    last: i + 1,
                    colour: mark_colour(m.kind),
                    kind: m.kind,
                });
            }
        }
    }
    Some(StripView {
        width: w as u32,
        height: 92,
        months,
        ticks,
        end_label: since_start(end - start),
        end_x: (w - right) as u32,
    })
}

/// The full record of one round.
pub struct RoundRecord {
    pub heading: String,
    pub card: Option<CardView>,
    pub injected: Vec<CardView>,
    pub motions: Vec<MotionLine>,
    pub actions: Vec<(String, String)>,
    pub summary: Vec<String>,
    pub marks: Vec<Mark>,
    pub chat: Vec<ChatLine>,
}

pub struct CardView {
    pub title: String,
    pub text: String,
    pub effects: Vec<String>,
}

pub struct MotionLine {
    pub name: String,
    pub institution: &'static str,
    pub proposer: String,
    pub result: String,
    pub roll_call: Vec<(String, String)>,
}

pub struct ChatLine {
    pub scope: String,
    pub who: String,
    pub text: String,
}

// -------------------------------------------------------------- colours --

/// One colour per faction, in every chart and table.
pub fn faction_colour(f: Faction) -> &'static str {
    match f {
        Faction::Liberals => "#1f5fa8",
        Faction::Soviet => "#d4880f",
        Faction::Bolsheviks => "#a31621",
    }
}

fn group_colour(g: Group) -> &'static str {
    match g {
        Group::Workers => "#6d4c41",
        Group::Soldiers => "#556b2f",
        Group::Peasants => "#7e57c2",
        Group::Middle => "#00897b",
    }
}

// ---------------------------------------------------------- the gathering --

#[derive(Default)]
struct Round {
    card: Option<(EventCard, Vec<String>)>,
    injected: Vec<(EventCard, Vec<String>)>,
    motions: Vec<MotionView>,
    results: BTreeMap<MotionId, Tally>,
    actions: Vec<RevealedActions>,
    summary: Vec<String>,
    chat: Vec<(ChatScope, Option<PlayerId>, String)>,
    marks: Vec<Mark>,
    /// The public state at the end of the round's resolution.
    state: Option<PublicState>,
    hidden: Option<HiddenTracks>,
    /// The game ended in this round before its resolution (the host).
    cut_short: bool,
}

#[derive(Default, Clone)]
struct Activity {
    floor: u32,
    faction: u32,
    private: u32,
    tabled: u32,
    cast: u32,
    missed: u32,
    actions: u32,
    connected_ms: u64,
    since: Option<u64>,
}

/// The game, gathered from its log.
struct Record {
    players: BTreeMap<PlayerId, PlayerInfo>,
    kicked: BTreeSet<PlayerId>,
    rounds: BTreeMap<u8, Round>,
    outcome: Option<Outcome>,
    activity: BTreeMap<PlayerId, Activity>,
    /// Whether every connection change and phase carried its time.
    timed: bool,
    started_ms: Option<u64>,
    /// When each month's briefing began.
    month_starts: Vec<(u8, u64)>,
    /// The end of the game, or now while it runs.
    end_ms: Option<u64>,
}

struct Clock {
    round: u8,
    phase: Option<Phase>,
    now: Option<u64>,
    started: Option<u64>,
}

impl Clock {
    fn mark(&self, months: &[String], text: String, kind: &'static str) -> Mark {
        Mark {
            when: self.when(months),
            text,
            kind,
            at_ms: self.now,
        }
    }

    fn when(&self, months: &[String]) -> String {
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

fn gather(input: &ReportInput) -> Record {
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
                if let GameEvent::PlayerMoved {
                    player, faction, ..
                } = other
                {
                    if let Some(p) = players.get_mut(player) {
                        p.faction = *faction;
                    }
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
fn intervention(
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
        } => (
            format!(
                "The host moved {} to the {}{}.",
                name(players, *player),
                faction.name(),
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

fn because(reason: &Option<String>) -> String {
    reason
        .as_ref()
        .map(|r| format!(" ({})", one_line(r)))
        .unwrap_or_default()
}

/// "12 min" (rounded down), or "40 s" in the first minute.
fn since_start(ms: u64) -> String {
    match ms / 60_000 {
        0 => format!("{} s", ms / 1000),
        m => format!("{m} min"),
    }
}

fn duration(ms: u64) -> String {
    let s = ms / 1000;
    match (s / 60, s % 60) {
        (0, s) => format!("{s} s"),
        (m, 0) => format!("{m} min"),
        (m, s) => format!("{m} min {s} s"),
    }
}

/// User text on one line (a chat with line breaks would break a list).
fn one_line(t: &str) -> String {
    t.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn name(players: &BTreeMap<PlayerId, PlayerInfo>, id: PlayerId) -> String {
    players
        .get(&id)
        .map_or_else(|| format!("player {}", id.0), |p| one_line(&p.name))
}

fn month_name(scenario: &Scenario, round: u8) -> String {
    match scenario.month(round) {
        "" => format!("Round {round}"),
        m => m.to_string(),
    }
}

// -------------------------------------------------------------- the words --

/// A motion's name for people.
pub fn motion_name(m: Motion) -> String {
    use Motion::*;
    match m {
        CivilLiberties => "Civil liberties".into(),
        Amnesty => "Amnesty".into(),
        ContinueWar => "War until victory".into(),
        Offensive => "The offensive".into(),
        PeaceWithoutAnnexations => "Peace without annexations".into(),
        ScheduleElections { round } => format!("Elections scheduled (for round {round})"),
        PostponeElections => "Elections postponed".into(),
        LandReform => "Land reform".into(),
        GrainMonopoly => "Grain monopoly".into(),
        DeathPenaltyAtFront => "Death penalty at the front".into(),
        ArrestBolsheviks => "Arrest of the Bolsheviks".into(),
        AppointHardlineCommander => "A hard-line commander-in-chief".into(),
        CallOnSoviet => "Call on the Soviet".into(),
        OfferCoalition => "Offer of coalition".into(),
        OrderNo1 => "Order No. 1".into(),
        ConditionalSupport => "Conditional support".into(),
        PeaceAppeal => "Peace appeal".into(),
        JoinCoalition => "Join the coalition".into(),
        LeaveCoalition => "Leave the coalition".into(),
        WorkersControl => "Workers' control".into(),
        ArmWorkers => "Arm the workers".into(),
        FormMrc => "The Military Revolutionary Committee".into(),
        CondemnBolsheviks => "Condemn the Bolsheviks".into(),
        AllPowerToSoviets => "All power to the Soviets".into(),
        Unknown => "An unknown motion".into(),
    }
}

fn motion_id_name(id: &str) -> String {
    Motion::parse(id, Some(0)).map_or_else(
        || id.to_string(),
        |m| match m {
            Motion::ScheduleElections { .. } => "Elections scheduled".into(),
            m => motion_name(m),
        },
    )
}

/// An action's name for people.
pub fn action_name(a: Action) -> String {
    match a {
        Action::Agitate { group } => format!("agitate among the {}", group_noun(group)),
        Action::PressCampaign => "a press campaign".into(),
        Action::Organize => "organize".into(),
        Action::Relief => "bread relief".into(),
        Action::Suppress => "suppress the Red Guards".into(),
        Action::SeizePower => "seize power".into(),
        Action::Unknown => "an unknown action".into(),
    }
}

fn group_noun(g: Group) -> &'static str {
    match g {
        Group::Workers => "workers",
        Group::Soldiers => "soldiers",
        Group::Peasants => "peasants",
        Group::Middle => "middle classes",
    }
}

/// A group counted in people: "100 workers", "100 people of the middle
/// classes".
fn people(g: Group) -> &'static str {
    match g {
        Group::Middle => "people of the middle classes",
        g => group_noun(g),
    }
}

fn institution(i: Institution) -> &'static str {
    match i {
        Institution::Government => "decree",
        Institution::Soviet => "Soviet resolution",
    }
}

fn votes(x: f64) -> String {
    if x.fract() == 0.0 {
        format!("{x:.0}")
    } else {
        format!("{x:.1}")
    }
}

fn tally_line(i: Institution, t: &Tally) -> String {
    let unit = match i {
        Institution::Government => "votes",
        Institution::Soviet => "seats",
    };
    format!(
        "{} ({} yes, {} no, {} abstaining {unit}){}",
        if t.passed { "passed" } else { "failed" },
        votes(t.yes),
        votes(t.no),
        votes(t.abstain),
        t.note
            .as_ref()
            .map(|n| format!(": {}", one_line(n)))
            .unwrap_or_default()
    )
}

// ------------------------------------------------------------- building --

impl Report {
    pub fn build(input: &ReportInput) -> Report {
        let rec = gather(input);
        let sc = input.scenario;
        let is_host = input.viewer == Viewer::Host;
        let whose = match input.viewer {
            Viewer::Host => "the host's complete record".to_string(),
            Viewer::Player { faction, .. } => format!("what the {} knew", faction.name()),
            Viewer::Spectator => "the public record".to_string(),
        };
        let factions = Faction::ALL
            .into_iter()
            .map(|f| FactionPlayers {
                name: f.name(),
                colour: faction_colour(f),
                players: rec
                    .players
                    .iter()
                    .filter(|(id, p)| p.faction == f && !rec.kicked.contains(id))
                    .map(|(_, p)| {
                        let mut s = one_line(&p.name);
                        if let Some(c) = &p.character {
                            s.push_str(&format!(" ({c})"));
                        }
                        if p.bot && !p.name.contains("bot") {
                            s.push_str(" (bot)");
                        }
                        s
                    })
                    .collect(),
            })
            .collect();
        let timeline: Vec<Mark> = rec
            .rounds
            .values()
            .flat_map(|r| r.marks.iter().cloned())
            .collect();
        Report {
            title: format!("{}: game {}", sc.title, input.code),
            whose,
            is_host,
            factions,
            ending: ending_view(sc, &rec),
            months: months_view(input, &rec),
            questions: questions(input, &rec),
            charts: charts(input, &rec),
            participation: participation(input, &rec),
            characters_dealt: rec.players.values().any(|p| p.character.is_some()),
            characters: characters(sc, &rec),
            strip: strip(input, &rec, &timeline),
            timeline,
            rounds: round_records(input, &rec),
        }
    }
}

fn ending_view(sc: &Scenario, rec: &Record) -> EndingView {
    let aftermath = sc.chronicle(sc.rounds + 1);
    let real_title = aftermath.map_or_else(String::new, |c| c.title.clone());
    let real = aftermath.map_or_else(String::new, |c| c.happened.clone());
    let Some(o) = &rec.outcome else {
        return EndingView {
            ended: false,
            title: "The game is still running".into(),
            when: String::new(),
            summary: "This record was made before the game ended.".into(),
            scores: vec![],
            real_title,
            real,
            compared: "Your game has not ended yet. In history the Bolsheviks seized power in October and dispersed the Constituent Assembly in January 1918.".into(),
        };
    };
    let month = month_name(sc, o.round);
    let compared = match o.ending {
        Ending::OctoberInsurrection => format!(
            "Like the real 1917, your game ended with the Bolsheviks seizing power, in {month}{}. In history the Constituent Assembly, elected afterwards, was dispersed in January 1918.",
            if o.round == sc.rounds { ", as in history" } else { "" }
        ),
        Ending::MilitaryDictatorship => format!(
            "Your 1917 ended in {month} with a military dictatorship: the generals' coup succeeded. In history Kornilov's coup collapsed in August, and the Bolsheviks seized power in October."
        ),
        Ending::Collapse => format!(
            "Your 1917 ended in {month} in collapse: nobody could govern. In history the state did not collapse before the Bolsheviks seized power in October."
        ),
        Ending::AllPowerToSoviets => format!(
            "Your 1917 ended in {month} with the Soviet voting to take all power. In history power passed to the Soviets only through the Bolsheviks' armed insurrection in October."
        ),
        Ending::ConstituentAssembly => {
            "Your 1917 reached the Constituent Assembly with the Government still standing. In history the Bolsheviks seized power first, in October; the Assembly was elected in November and dispersed in January 1918."
            .into()
        }
        Ending::EndedByHost => format!(
            "Your game was stopped in {month}, before history finished. In history the Bolsheviks seized power in October and dispersed the Constituent Assembly in January 1918."
        ),
    };
    EndingView {
        ended: true,
        title: o.ending.title().to_string(),
        when: format!("{month} (round {})", o.round),
        summary: o.summary.clone(),
        scores: o
            .scores
            .iter()
            .map(|s| ScoreRow {
                faction: s.faction.name(),
                colour: faction_colour(s.faction),
                won: if s.won { "won" } else { "lost" },
                score: s.score,
                seats: s.assembly_seats.map_or_else(String::new, |x| x.to_string()),
            })
            .collect(),
        real_title,
        real,
        compared,
    }
}

/// The states charted: the start, then after each month.
fn history(input: &ReportInput, rec: &Record) -> Vec<(String, PublicState, HiddenTracks)> {
    let mut out = vec![("Start".to_string(), input.start.clone(), input.start_hidden)];
    for (n, r) in &rec.rounds {
        if let (Some(s), Some(h)) = (&r.state, r.hidden) {
            let mut label = month_name(input.scenario, *n);
            if r.cut_short {
                label.push_str(" (ended)");
            }
            out.push((label, s.clone(), h));
        }
    }
    out
}

fn passed_in(r: &Round) -> Vec<Motion> {
    r.motions
        .iter()
        .filter(|m| r.results.get(&m.id).is_some_and(|t| t.passed))
        .map(|m| m.motion)
        .collect()
}

fn months_view(input: &ReportInput, rec: &Record) -> Vec<MonthView> {
    let sc = input.scenario;
    let ended_in = rec.outcome.as_ref().map(|o| o.round);
    let mut before = input.start.clone();
    let mut out = Vec::new();
    for n in 1..=sc.rounds {
        let real = sc.chronicle(n);
        let round = rec.rounds.get(&n);
        let played = round.is_some_and(|r| r.state.is_some() || !r.motions.is_empty());
        let mut decided = Vec::new();
        let mut tracks = Vec::new();
        let mut parted = Vec::new();
        if let Some(r) = round.filter(|_| played) {
            for m in &r.motions {
                let line = match (m.status, r.results.get(&m.id)) {
                    (MotionStatus::Withdrawn, _) => {
                        format!(
                            "{} ({}): withdrawn",
                            motion_name(m.motion),
                            institution(m.institution)
                        )
                    }
                    (_, Some(t)) => format!(
                        "{} ({}): {}",
                        motion_name(m.motion),
                        institution(m.institution),
                        if t.passed { "passed" } else { "failed" }
                    ),
                    _ => format!(
                        "{} ({}): tabled",
                        motion_name(m.motion),
                        institution(m.institution)
                    ),
                };
                decided.push(line);
            }
            for a in &r.actions {
                if !a.actions.is_empty() {
                    let list: Vec<String> = a.actions.iter().map(|x| action_name(*x)).collect();
                    decided.push(format!("The {}: {}", a.faction.name(), list.join(", ")));
                }
            }
            if r.cut_short {
                decided.push("The game ended this month, before its vote and resolution.".into());
            } else if decided.is_empty() {
                decided.push("No motion was tabled and no action taken.".into());
            }
            if let Some(after) = &r.state {
                tracks = track_changes(&before, after);
                before = after.clone();
            }
            if let Some(c) = real {
                let ours: BTreeSet<&str> = passed_in(r).iter().map(|m| m.id()).collect();
                let theirs: BTreeSet<&str> = c.passed.iter().map(String::as_str).collect();
                let both: Vec<String> = theirs
                    .intersection(&ours)
                    .map(|id| motion_id_name(id))
                    .collect();
                let only_real: Vec<String> = theirs
                    .difference(&ours)
                    .map(|id| motion_id_name(id))
                    .collect();
                let only_ours: Vec<String> = ours
                    .difference(&theirs)
                    .map(|id| motion_id_name(id))
                    .collect();
                if !both.is_empty() {
                    parted.push(format!("As in 1917: {}.", both.join(", ")));
                }
                if !only_real.is_empty() {
                    parted.push(format!(
                        "In 1917, not in your game: {}.",
                        only_real.join(", ")
                    ));
                }
                if !only_ours.is_empty() {
                    parted.push(format!(
                        "In your game, not in 1917 that month: {}.",
                        only_ours.join(", ")
                    ));
                }
                if both.is_empty() && only_real.is_empty() && only_ours.is_empty() {
                    parted.push(
                        "Neither your class nor history passed a motion of the catalog this month."
                            .into(),
                    );
                }
            }
        } else {
            match ended_in {
                Some(e) if e < n => decided.push(format!(
                    "Your game had already ended, in {}.",
                    month_name(sc, e)
                )),
                _ => decided.push("Your game has not reached this month.".into()),
            }
        }
        out.push(MonthView {
            heading: format!("{} (round {n})", month_name(sc, n)),
            decided,
            tracks,
            real_title: real.map_or_else(String::new, |c| c.title.clone()),
            real: real.map_or_else(String::new, |c| c.happened.clone()),
            parted,
        });
    }
    out
}

/// The public tracks that moved over a month, "Government legitimacy 50 →
/// 44".
fn track_changes(a: &PublicState, b: &PublicState) -> Vec<String> {
    let mut out = Vec::new();
    let mut push = |label: &str, x: u8, y: u8| {
        if x != y {
            out.push(format!("{label} {x} → {y}"));
        }
    };
    push(
        "Government legitimacy",
        a.tracks.gov_legitimacy,
        b.tracks.gov_legitimacy,
    );
    push(
        "Soviet legitimacy",
        a.tracks.soviet_legitimacy,
        b.tracks.soviet_legitimacy,
    );
    push(
        "Bolshevik Soviet seats",
        a.soviet_seats.bolsheviks,
        b.soviet_seats.bolsheviks,
    );
    push("Bread", a.tracks.bread, b.tracks.bread);
    push(
        "War weariness",
        a.tracks.war_weariness,
        b.tracks.war_weariness,
    );
    push("Order", a.tracks.order, b.tracks.order);
    if a.coalition != b.coalition {
        out.push(if b.coalition {
            "The coalition formed".into()
        } else {
            "The coalition ended".into()
        });
    }
    out
}

fn characters(sc: &Scenario, rec: &Record) -> Vec<CharacterFate> {
    let dealt: Vec<CharacterFate> = rec
        .players
        .values()
        .filter_map(|p| {
            let c = p.character.as_ref()?;
            let def = sc.characters.iter().find(|d| &d.name == c);
            Some(CharacterFate {
                character: c.clone(),
                player: one_line(&p.name),
                faction: p.faction.name(),
                fate: def
                    .map(|d| d.fate.clone())
                    .filter(|f| !f.trim().is_empty())
                    .unwrap_or_else(|| "The scenario does not say.".into()),
            })
        })
        .collect();
    if !dealt.is_empty() {
        return dealt;
    }
    sc.characters
        .iter()
        .filter(|d| !d.fate.trim().is_empty())
        .map(|d| CharacterFate {
            character: d.name.clone(),
            player: String::new(),
            faction: d.faction.name(),
            fate: d.fate.clone(),
        })
        .collect()
}

fn participation(input: &ReportInput, rec: &Record) -> Participation {
    let only = match input.viewer {
        Viewer::Host => None,
        Viewer::Player { faction, .. } => Some(Some(faction)),
        Viewer::Spectator => Some(None),
    };
    let rows = rec
        .players
        .iter()
        .filter(|(_, p)| match only {
            None => true,
            Some(f) => Some(p.faction) == f,
        })
        .map(|(id, p)| {
            let a = rec.activity.get(id).cloned().unwrap_or_default();
            let mut name = one_line(&p.name);
            if p.bot && !p.name.contains("bot") {
                name.push_str(" (bot)");
            }
            if rec.kicked.contains(id) {
                name.push_str(" (removed)");
            }
            ParticipationRow {
                name,
                faction: p.faction.name(),
                colour: faction_colour(p.faction),
                floor: a.floor,
                faction_channel: a.faction,
                private: a.private,
                tabled: a.tabled,
                votes_cast: a.cast,
                votes_missed: a.missed,
                actions: a.actions,
                connected: if rec.timed {
                    match (a.connected_ms + 30_000) / 60_000 {
                        0 => format!("{} s", a.connected_ms / 1000),
                        m => format!("{m} min"),
                    }
                } else {
                    "unknown".into()
                },
            }
        })
        .collect();
    let note = if rec.timed {
        "Time connected counts from the start of the game (or the player's arrival) to its end, leaving out the time a player's connection was lost. A vote missed is a motion of the player's institution the player did not vote on."
    } else if rec.started_ms.is_none() {
        "The game has not started: nobody has played yet."
    } else {
        "Time connected is unknown: this game was recorded by an older server that did not note the time. A vote missed is a motion of the player's institution the player did not vote on."
    };
    Participation {
        rows,
        show_private: input.viewer == Viewer::Host,
        note: note.into(),
    }
}

// -------------------------------------------------------------- charts --

const W: f64 = 640.0;
const H: f64 = 250.0;
const LEFT: f64 = 34.0;
const RIGHT: f64 = 150.0;
const TOP: f64 = 12.0;
const BOTTOM: f64 = 26.0;

/// One line of a chart.
struct Line {
    key: String,
    label: String,
    /// Written at the line's end.
    short: String,
    colour: &'static str,
    dash: &'static str,
    values: Vec<u8>,
}

fn line(
    key: &str,
    label: &str,
    short: &str,
    colour: &'static str,
    dash: &'static str,
    values: Vec<u8>,
) -> Line {
    Line {
        key: key.into(),
        label: label.into(),
        short: short.into(),
        colour,
        dash,
        values,
    }
}

fn faction_short(f: Faction) -> &'static str {
    match f {
        Faction::Liberals => "Liberals",
        Faction::Soviet => "Soviet delegates",
        Faction::Bolsheviks => "Bolsheviks",
    }
}

fn charts(input: &ReportInput, rec: &Record) -> Vec<ChartView> {
    let hist = history(input, rec);
    let labels: Vec<String> = hist.iter().map(|(l, _, _)| l.clone()).collect();
    let public = |f: &dyn Fn(&PublicState) -> u8| hist.iter().map(|(_, s, _)| f(s)).collect();
    let mut out = vec![
        chart(
            "legitimacy",
            "Legitimacy",
            "How far people accept each power's right to rule, out of 100: the Provisional Government's (blue, the liberals' colour) and the Soviet's (amber, the Soviet delegates' colour).",
            &labels,
            vec![
                line("gov_legitimacy", "Government legitimacy", "Government", faction_colour(Faction::Liberals), "", public(&|s| s.tracks.gov_legitimacy)),
                line("soviet_legitimacy", "Soviet legitimacy", "Soviet", faction_colour(Faction::Soviet), "", public(&|s| s.tracks.soviet_legitimacy)),
            ],
        ),
        chart(
            "soviet_seats",
            "Seats in the Soviet",
            "The Soviet's 100 seats, split between the Soviet delegates (Mensheviks and SRs, amber) and the Bolsheviks (red); more than 50 is a majority. By-elections move the seats toward the workers' and soldiers' support.",
            &labels,
            vec![
                line("soviet_seats_soviet", "Soviet delegates' seats", "Soviet delegates", faction_colour(Faction::Soviet), "", public(&|s| s.soviet_seats.soviet)),
                line("soviet_seats_bolsheviks", "Bolshevik seats", "Bolsheviks", faction_colour(Faction::Bolsheviks), "", public(&|s| s.soviet_seats.bolsheviks)),
            ],
        ),
    ];
    for g in Group::ALL {
        let noun = group_noun(g);
        out.push(chart(
            &format!("support_{}", g.id()),
            &format!("Support among the {noun}"),
            &format!("Out of every 100 {}, how many back each faction: the Duma liberals (blue), the Soviet delegates (amber), the Bolsheviks (red).", people(g)),
            &labels,
            Faction::ALL
                .into_iter()
                .map(|f| {
                    line(
                        &format!("support_{}_{}", g.id(), f.id()),
                        &format!("{} among the {noun}", f.name()),
                        faction_short(f),
                        faction_colour(f),
                        "",
                        hist.iter()
                            .map(|(_, s, _)| s.groups.get(&g).map_or(0, |x| x.support[f]))
                            .collect(),
                    )
                })
                .collect(),
        ));
    }
    out.push(chart(
        "unrest",
        "Unrest",
        "How restless each group is, out of 100 (dashed lines, one colour per group). Unrest rises with war weariness and hunger; high unrest sends workers and soldiers to the Bolsheviks, and when order falls too low the state collapses.",
        &labels,
        Group::ALL
            .into_iter()
            .map(|g| {
                let short = match g {
                    Group::Middle => "Middle classes",
                    g => g.name(),
                };
                line(
                    &format!("unrest_{}", g.id()),
                    &format!("Unrest of the {}", group_noun(g)),
                    short,
                    group_colour(g),
                    "7 4",
                    hist.iter()
                        .map(|(_, s, _)| s.groups.get(&g).map_or(0, |x| x.unrest))
                        .collect(),
                )
            })
            .collect(),
    ));
    out.push(chart(
        "country",
        "Bread, war weariness and order",
        "The state of the country, out of 100: the bread supply in the cities (green, dotted), how tired of the war people are (brown, dash-dot), and order, which is 100 minus the groups' average unrest (grey, dashed).",
        &labels,
        vec![
            line("bread", "Bread supply", "Bread", "#2e7d32", "2 3", public(&|s| s.tracks.bread)),
            line("war_weariness", "War weariness", "War weariness", "#5d4037", "9 3 2 3", public(&|s| s.tracks.war_weariness)),
            line("order", "Order", "Order", "#546e7a", "4 2", public(&|s| s.tracks.order)),
        ],
    ));
    if input.viewer == Viewer::Host {
        let hidden = |f: &dyn Fn(&HiddenTracks) -> u8| hist.iter().map(|(_, _, h)| f(h)).collect();
        out.push(chart(
            "hidden_forces",
            "The hidden forces (exact; the host's record only)",
            "What players saw only as bands (low, rising, high, overwhelming): the generals' conspiracy (reaction, black, dotted), the armed workers (Red Guards, magenta) and the units that obey the Government (loyal troops, teal, dashed).",
            &labels,
            vec![
                line("reaction", "Reaction (the generals)", "Reaction", "#263238", "1 3", hidden(&|h| h.reaction)),
                line("red_guards", "Red Guards", "Red Guards", "#c2185b", "6 2 1 2", hidden(&|h| h.red_guards)),
                line("loyal_troops", "Loyal troops", "Loyal troops", "#00838f", "10 3", hidden(&|h| h.loyal_troops)),
            ],
        ));
    }
    out
}

fn chart(id: &str, title: &str, caption: &str, labels: &[String], series: Vec<Line>) -> ChartView {
    let plot_w = W - LEFT - RIGHT;
    let plot_h = H - TOP - BOTTOM;
    let n = labels.len().max(2) - 1;
    let x = |i: usize| LEFT + plot_w * i as f64 / n as f64;
    let y = |v: u8| TOP + plot_h * (1.0 - f64::from(v.min(100)) / 100.0);
    // End labels must not overlap: spread them at least 11 px apart.
    let mut ends: Vec<(usize, f64)> = series
        .iter()
        .enumerate()
        .map(|(k, s)| (k, y(*s.values.last().unwrap_or(&0))))
        .collect();
    ends.sort_by(|a, b| a.1.total_cmp(&b.1));
    for i in 1..ends.len() {
        if ends[i].1 - ends[i - 1].1 < 11.0 {
            ends[i].1 = ends[i - 1].1 + 11.0;
        }
    }
    let end_y: BTreeMap<usize, f64> = ends.into_iter().collect();
    let last_x = x(labels.len().saturating_sub(1));
    ChartView {
        id: id.to_string(),
        title: title.to_string(),
        caption: caption.to_string(),
        series: series
            .into_iter()
            .enumerate()
            .map(|(k, l)| SeriesView {
                key: l.key,
                label: l.label,
                short: l.short,
                colour: l.colour,
                dash: l.dash,
                values_csv: l
                    .values
                    .iter()
                    .map(u8::to_string)
                    .collect::<Vec<_>>()
                    .join(","),
                points: l
                    .values
                    .iter()
                    .enumerate()
                    .map(|(i, v)| format!("{:.1},{:.1}", x(i), y(*v)))
                    .collect::<Vec<_>>()
                    .join(" "),
                end_x: format!("{:.1}", last_x + 6.0),
                end_y: format!("{:.1}", end_y[&k] + 4.0),
                values: l.values,
            })
            .collect(),
        x_labels: labels
            .iter()
            .enumerate()
            .map(|(i, l)| AxisLabel {
                x: format!("{:.1}", x(i)),
                text: if i == 0 {
                    l.clone()
                } else {
                    l.chars().take(3).collect()
                },
            })
            .collect(),
        grid: [0u8, 25, 50, 75, 100]
            .into_iter()
            .map(|v| GridLine {
                y: format!("{:.1}", y(v)),
                label: v,
            })
            .collect(),
        columns: labels.to_vec(),
        width: W as u32,
        height: H as u32,
        plot_left: LEFT as u32,
        plot_right: (W - RIGHT) as u32,
    }
}

// ------------------------------------------------------------ questions --

/// Discussion questions drawn from this game's turning points, each naming
/// what happened. Only what the report's reader could see is used.
fn questions(input: &ReportInput, rec: &Record) -> Vec<String> {
    let sc = input.scenario;
    let m = |n: u8| month_name(sc, n);
    let mut q = Vec::new();
    let passed: Vec<(u8, Motion)> = rec
        .rounds
        .iter()
        .flat_map(|(n, r)| passed_in(r).into_iter().map(move |x| (*n, x)))
        .collect();
    let first = |id: &str| passed.iter().find(|(_, x)| x.id() == id).map(|(n, _)| *n);
    let tabled_failed = |id: &str| {
        rec.rounds.iter().find_map(|(n, r)| {
            r.motions
                .iter()
                .find(|x| x.motion.id() == id && r.results.get(&x.id).is_some_and(|t| !t.passed))
                .map(|_| *n)
        })
    };
    let ended = rec.outcome.as_ref();

    // The coalition.
    match (first("offer_coalition"), first("join_coalition")) {
        (Some(o), Some(j)) => q.push(format!(
            "The liberals offered a coalition in {} and the Soviet delegates joined the Government in {}, as the real moderates did in May 1917. What did they gain by sharing power, and why did it cost them support among the workers and soldiers?",
            m(o), m(j)
        )),
        (Some(o), None) => q.push(format!(
            "The liberals offered a coalition in {}{}, and the Soviet delegates never joined the Government. In 1917 they did join, in May. Was refusing wiser? Who gained from it?",
            m(o),
            tabled_failed("join_coalition").map_or(String::new(), |j| format!(" (the Soviet voted joining down in {})", m(j)))
        )),
        _ => q.push(
            "Nobody offered a coalition in your game; in 1917 the Soviet's moderates joined the Government in May and shared the blame for the war and the bread lines. Would a coalition have helped the Government, or the Soviet delegates?"
                .into(),
        ),
    }
    if let Some(l) = first("leave_coalition") {
        q.push(format!(
            "The Soviet delegates left the coalition in {}. Why then, and what did it change?",
            m(l)
        ));
    }
    // The offensive.
    for (n, _) in passed.iter().filter(|(_, x)| *x == Motion::Offensive) {
        let failed = rec.rounds[n]
            .summary
            .iter()
            .any(|l| l.to_lowercase().contains("offensive") && l.to_lowercase().contains("fail"));
        q.push(if failed {
            format!(
                "The offensive of {} failed, as Kerensky's did in June 1917. Why did the Government gamble on it, and who gained from its failure?",
                m(*n)
            )
        } else {
            format!(
                "The offensive of {} succeeded, unlike Kerensky's in June 1917. How did the victory change the Government's position, and what might it have changed in history?",
                m(*n)
            )
        });
    }
    // Insurrections (seize_power is revealed at the resolution).
    for (n, r) in &rec.rounds {
        let seized = r
            .actions
            .iter()
            .any(|a| a.actions.contains(&Action::SeizePower));
        if !seized {
            continue;
        }
        let won = ended.is_some_and(|o| o.round == *n && o.ending == Ending::OctoberInsurrection);
        let street = r.card.as_ref().is_some_and(|(c, _)| c.street_rises);
        q.push(match (won, street) {
            (true, _) => format!(
                "The Bolsheviks' insurrection succeeded in {}. What made it possible: the Red Guards, the Soviet seats, the Government's weakness? Which decision earlier in the game could have stopped it?",
                m(*n)
            ),
            (false, true) => format!(
                "The street rose in {} and the Bolsheviks led it, and the rising failed, as the July Days did in 1917. Should they have disowned it? What did the failure cost them?",
                m(*n)
            ),
            (false, false) => format!(
                "The Bolsheviks tried to seize power in {} and failed. What were they missing, and what would Lenin have said about the timing?",
                m(*n)
            ),
        });
    }
    for (n, r) in &rec.rounds {
        if r.card.as_ref().is_some_and(|(c, _)| c.street_rises)
            && !r
                .actions
                .iter()
                .any(|a| a.actions.contains(&Action::SeizePower))
            && r.state.is_some()
        {
            q.push(format!(
                "When the street rose in {}, the Bolsheviks did not lead it. In July 1917 they did, and failed. Was staying out wiser?",
                m(*n)
            ));
        }
    }
    // The coup.
    for (n, r) in &rec.rounds {
        if !r.card.as_ref().is_some_and(|(c, _)| c.coup_attempt) {
            continue;
        }
        let won = ended.is_some_and(|o| o.round == *n && o.ending == Ending::MilitaryDictatorship);
        let called = passed_in(r).contains(&Motion::CallOnSoviet);
        q.push(if won {
            format!(
                "The generals' coup succeeded in {}. In 1917 Kornilov's failed because the Government called on the Soviet and the workers armed. What could your class have done?",
                m(*n)
            )
        } else if called {
            format!(
                "In {} the generals moved and the Government called on the Soviet to stop them, as Kerensky did against Kornilov. Who came out of the coup stronger, and why?",
                m(*n)
            )
        } else {
            format!(
                "In {} the generals attempted a coup and it failed without the Government calling on the Soviet. What stopped it, and who gained?",
                m(*n)
            )
        });
    }
    // The Soviet majority.
    let hist = history(input, rec);
    let majority = hist
        .iter()
        .skip(1)
        .zip(rec.rounds.keys().filter(|n| rec.rounds[*n].state.is_some()))
        .find(|((_, s, _), _)| s.soviet_seats.bolsheviks > 50)
        .map(|(_, n)| *n);
    let max_seats = hist
        .iter()
        .map(|(_, s, _)| s.soviet_seats.bolsheviks)
        .max()
        .unwrap_or(0);
    q.push(match majority {
        Some(n) => format!(
            "The Bolsheviks won a majority of the Soviet's seats in {} (they started with {}); in 1917 it happened in September. Which decisions sent workers and soldiers to them?",
            m(n),
            input.start.soviet_seats.bolsheviks
        ),
        None => format!(
            "The Bolsheviks never won a majority in the Soviet in your game (at most {max_seats} of 100 seats); in 1917 they won it in September. What kept the workers and soldiers with the moderates?"
        ),
    });
    // Land.
    q.push(match first("land_reform") {
        Some(n) => format!(
            "Land reform passed in {}. The real Provisional Government never dared it before the Constituent Assembly met. How did it change the peasants' support?",
            m(n)
        ),
        None => {
            let peasants = hist
                .last()
                .and_then(|(_, s, _)| s.groups.get(&Group::Peasants).copied());
            format!(
                "Nobody passed land reform in your game, as the real Provisional Government never did{}. Why was land so hard to give, and who could promise it most easily?",
                peasants.map_or(String::new(), |p| format!(
                    " (at the end, of every 100 peasants, {} backed the Soviet delegates, {} the Bolsheviks and {} the liberals)",
                    p.support[Faction::Soviet],
                    p.support[Faction::Bolsheviks],
                    p.support[Faction::Liberals]
                ))
            )
        }
    });
    // Bread.
    if let Some((label, low)) = hist
        .iter()
        .skip(1)
        .map(|(l, s, _)| (l.clone(), s.tracks.bread))
        .min_by_key(|(_, b)| *b)
    {
        q.push(format!(
            "Bread fell to {low} of 100 (its lowest) in {label}, from {} at the start. The revolution began with bread lines in February 1917: how did hunger shape your game?",
            input.start.tracks.bread
        ));
    }
    // The closest vote.
    if let Some((n, mv, t)) = rec
        .rounds
        .iter()
        .flat_map(|(n, r)| {
            r.motions
                .iter()
                .filter_map(move |mv| r.results.get(&mv.id).map(|t| (*n, mv, t)))
        })
        .filter(|(_, _, t)| t.yes > 0.0 && t.no > 0.0)
        .min_by(|a, b| margin(a.2).total_cmp(&margin(b.2)))
    {
        q.push(format!(
            "The closest vote of the game: {} {} in {} by {} to {}. What would have changed if it had gone the other way?",
            motion_name(mv.motion),
            if t.passed { "passed" } else { "failed" },
            m(n),
            votes(t.yes),
            votes(t.no)
        ));
    }
    // The ending.
    q.push(match ended {
        Some(o) if o.ending == Ending::EndedByHost => format!(
            "Your game stopped in {} before history finished; the real 1917 ended with the Bolshevik seizure of power in October and the Constituent Assembly dispersed in January 1918. Where was your 1917 heading, and which decision of your class did most to send it there?",
            m(o.round)
        ),
        Some(o) => format!(
            "Your 1917 ended with {} in {}; the real one with the Bolshevik seizure of power in October and the Constituent Assembly dispersed in January 1918. Which decision of your class made the biggest difference?",
            ending_phrase(o.ending),
            m(o.round)
        ),
        None => "Your game has not ended yet. Which ending is it heading for, and which decision could still change it?".into(),
    });
    q
}

/// How one-sided a vote was: 0 a tie, 1 unanimous.
fn margin(t: &Tally) -> f64 {
    (t.yes - t.no).abs() / (t.yes + t.no + t.abstain).max(1.0)
}

fn ending_phrase(e: Ending) -> &'static str {
    match e {
        Ending::MilitaryDictatorship => "a military dictatorship",
        Ending::Collapse => "the collapse of the state",
        Ending::OctoberInsurrection => "the Bolsheviks' insurrection",
        Ending::AllPowerToSoviets => "all power to the Soviets",
        Ending::ConstituentAssembly => "the Constituent Assembly",
        Ending::EndedByHost => "the host stopping the game",
    }
}

// --------------------------------------------------------- the full record --

fn round_records(input: &ReportInput, rec: &Record) -> Vec<RoundRecord> {
    let card = |(c, effects): &(EventCard, Vec<String>)| CardView {
        title: c.title.clone(),
        text: c.text.clone(),
        effects: effects.clone(),
    };
    rec.rounds
        .iter()
        .map(|(n, r)| RoundRecord {
            heading: match n {
                0 => "Before the game".into(),
                n => format!("Round {n}: {}", month_name(input.scenario, *n)),
            },
            card: r.card.as_ref().map(card),
            injected: r.injected.iter().map(card).collect(),
            motions: r
                .motions
                .iter()
                .map(|m| {
                    let (result, roll_call) = match (m.status, r.results.get(&m.id)) {
                        (MotionStatus::Withdrawn, _) => ("withdrawn".to_string(), vec![]),
                        (_, Some(t)) => (tally_line(m.institution, t), roll_call(&rec.players, t)),
                        _ => ("not yet voted".to_string(), vec![]),
                    };
                    MotionLine {
                        name: motion_name(m.motion),
                        institution: institution(m.institution),
                        proposer: name(&rec.players, m.proposer),
                        result,
                        roll_call,
                    }
                })
                .collect(),
            actions: r
                .actions
                .iter()
                .map(|a| {
                    let list: Vec<String> = a.actions.iter().map(|x| action_name(*x)).collect();
                    (
                        a.faction.name().to_string(),
                        if list.is_empty() {
                            "nothing".into()
                        } else {
                            list.join(", ")
                        },
                    )
                })
                .collect(),
            summary: r.summary.clone(),
            marks: r.marks.clone(),
            chat: r
                .chat
                .iter()
                .map(|(scope, from, text)| ChatLine {
                    scope: match scope {
                        ChatScope::Floor => "floor".into(),
                        ChatScope::Announcement => "host".into(),
                        ChatScope::Faction { faction } => format!("{} channel", faction.name()),
                        ChatScope::Private { to } => {
                            format!("private to {}", name(&rec.players, *to))
                        }
                    },
                    who: from.map_or_else(|| "Host".to_string(), |p| name(&rec.players, p)),
                    text: one_line(text),
                })
                .collect(),
        })
        .collect()
}

fn roll_call(players: &BTreeMap<PlayerId, PlayerInfo>, t: &Tally) -> Vec<(String, String)> {
    let mut by_faction: BTreeMap<Faction, Vec<String>> = BTreeMap::new();
    for e in &t.roll_call {
        let vote = match e.vote {
            Vote::Yes => "yes",
            Vote::No => "no",
            Vote::Abstain => "abstain",
        };
        by_faction
            .entry(e.faction)
            .or_default()
            .push(format!("{} {vote}", name(players, e.player)));
    }
    by_faction
        .into_iter()
        .map(|(f, v)| (f.name().to_string(), v.join(", ")))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use engine::{Command, Game, Speaker};
    use std::sync::Arc;

    const T0: u64 = 1_800_000_000_000;
    const MIN: u64 = 60_000;

    struct Played {
        game: Game,
        log: Vec<Emitted>,
        start: PublicState,
        start_hidden: HiddenTracks,
    }

    impl Played {
        fn input<'a>(&'a self, viewer: Viewer, log: &'a [Emitted]) -> ReportInput<'a> {
            ReportInput {
                code: "TEST2",
                scenario: self.game.scenario(),
                start: &self.start,
                start_hidden: self.start_hidden,
                log,
                viewer,
                now_ms: T0 + 999 * MIN,
            }
        }

        fn report(&self, viewer: Viewer) -> (String, String) {
            let log: Vec<Emitted> = self
                .log
                .iter()
                .filter(|e| e.audience.includes(&viewer))
                .cloned()
                .collect();
            let input = ReportInput {
                code: "TEST2",
                scenario: self.game.scenario(),
                start: &self.start,
                start_hidden: self.start_hidden,
                log: &log,
                viewer,
                now_ms: T0 + 999 * MIN,
            };
            (html(&input), markdown(&input))
        }
    }

    fn faction_view(f: Faction) -> Viewer {
        Viewer::Player {
            id: PlayerId(0),
            faction: f,
        }
    }

    /// Three months played by four players (the second Soviet delegate,
    /// Boris, never votes), with chat on every channel, a coalition, a
    /// lost connection, and the host pausing, extending, muting, hiding a
    /// message and playing an event; then the host ends the game.
    fn played() -> Played {
        let mut sc = engine::Scenario::default_scenario();
        for c in &mut sc.characters {
            c.fate = format!("{} met a fate worth a lesson.", c.name);
        }
        let sc = Arc::new(sc);
        let settings = GameSettings {
            scenario: "petrograd-1917".into(),
            timers: PhaseTimers {
                briefing: 60,
                negotiation: 300,
                proposals: 120,
                voting: 120,
                resolution: 60,
            },
            faction_choice: FactionChoice::Choose,
            characters: true,
        };
        let mut game = Game::new(sc, settings, 3, "TEST2".into());
        let start = game.state().public.clone();
        let start_hidden = game.state().hidden;
        let mut log = Vec::new();
        let mut run = |g: &mut Game, c: Command| log.extend(g.execute(c).expect("legal"));
        for (name, f) in [
            ("<script>Ana", Faction::Liberals),
            ("Vera", Faction::Soviet),
            ("Lenin", Faction::Bolsheviks),
            ("Boris", Faction::Soviet),
        ] {
            run(
                &mut game,
                Command::Join {
                    name: name.into(),
                    faction: Some(f),
                },
            );
        }
        let (lib, sov, bol, boris) = (PlayerId(1), PlayerId(2), PlayerId(3), PlayerId(4));
        let mut now = T0;
        run(&mut game, Command::Start { now_ms: now });
        for round in 1..=3u8 {
            now += MIN;
            run(&mut game, Command::Advance { now_ms: now }); // negotiation
            run(
                &mut game,
                Command::Chat {
                    from: Speaker::Player(lib),
                    channel: Channel::Faction,
                    text: format!("liberal plan {round}"),
                },
            );
            run(
                &mut game,
                Command::Chat {
                    from: Speaker::Player(bol),
                    channel: Channel::Faction,
                    text: format!("bolshevik plan {round}"),
                },
            );
            run(
                &mut game,
                Command::Chat {
                    from: Speaker::Player(bol),
                    channel: Channel::Floor,
                    text: format!("peace *land* bread_{round} <b>now</b>"),
                },
            );
            run(
                &mut game,
                Command::Chat {
                    from: Speaker::Player(sov),
                    channel: Channel::Private { to: lib },
                    text: format!("a private word {round}"),
                },
            );
            if round == 2 {
                // Vera's laptop drops for ten minutes.
                run(
                    &mut game,
                    Command::SetConnected {
                        player: sov,
                        connected: false,
                        now_ms: now,
                    },
                );
                run(
                    &mut game,
                    Command::Pause {
                        now_ms: now,
                        reason: Some("Fire drill".into()),
                        min_remaining_ms: 0,
                        restart: false,
                    },
                );
                now += 10 * MIN;
                run(
                    &mut game,
                    Command::SetConnected {
                        player: sov,
                        connected: true,
                        now_ms: now,
                    },
                );
                run(&mut game, Command::ResumeClock { now_ms: now });
                run(
                    &mut game,
                    Command::Extend {
                        now_ms: now,
                        secs: 120,
                        reason: Some("Still talking".into()),
                    },
                );
                run(
                    &mut game,
                    Command::Mute {
                        player: bol,
                        until_ms: now + MIN,
                        reason: Some("Shouting".into()),
                    },
                );
                let chat = game.state().next_chat - 1;
                run(
                    &mut game,
                    Command::Redact {
                        chat,
                        reason: Some("Unkind".into()),
                    },
                );
            }
            now += 5 * MIN;
            run(&mut game, Command::Advance { now_ms: now }); // proposals
            let (decree, resolution) = match round {
                1 => (Motion::CivilLiberties, Motion::OrderNo1),
                2 => (Motion::OfferCoalition, Motion::PeaceAppeal),
                _ => (Motion::GrainMonopoly, Motion::JoinCoalition),
            };
            run(
                &mut game,
                Command::Table {
                    player: lib,
                    motion: decree,
                },
            );
            run(
                &mut game,
                Command::Table {
                    player: sov,
                    motion: resolution,
                },
            );
            now += 2 * MIN;
            run(&mut game, Command::Advance { now_ms: now }); // voting
            let ids: Vec<MotionId> = game.state().round_motions().map(|m| m.id).collect();
            run(
                &mut game,
                Command::Vote {
                    player: lib,
                    motion: ids[0],
                    vote: Vote::Yes,
                },
            );
            run(
                &mut game,
                Command::Vote {
                    player: sov,
                    motion: ids[1],
                    vote: Vote::Yes,
                },
            );
            run(
                &mut game,
                Command::Vote {
                    player: bol,
                    motion: ids[1],
                    vote: Vote::No,
                },
            );
            run(
                &mut game,
                Command::Plan {
                    player: lib,
                    action: Action::PressCampaign,
                },
            );
            run(
                &mut game,
                Command::Plan {
                    player: bol,
                    action: Action::Agitate {
                        group: Group::Workers,
                    },
                },
            );
            now += 2 * MIN;
            run(&mut game, Command::Advance { now_ms: now }); // resolution
            if round == 3 {
                run(
                    &mut game,
                    Command::InjectEvent {
                        event: "government_crisis".into(),
                    },
                );
            }
            now += MIN;
            run(&mut game, Command::Advance { now_ms: now }); // next briefing
        }
        let _ = boris;
        now += 3 * MIN;
        run(
            &mut game,
            Command::EndGame {
                now_ms: now,
                reason: Some("End of class".into()),
            },
        );
        Played {
            game,
            log,
            start,
            start_hidden,
        }
    }

    /// The text a browser shows for escaped HTML.
    fn unescape(html: &str) -> String {
        html.replace("&#34;", "\"")
            .replace("&quot;", "\"")
            .replace("&#39;", "'")
            .replace("&#60;", "<")
            .replace("&lt;", "<")
            .replace("&#62;", ">")
            .replace("&gt;", ">")
            .replace("&#38;", "&")
            .replace("&amp;", "&")
    }

    /// The values a chart line carries.
    fn values(html: &str, series: &str) -> Vec<u8> {
        let key = format!("data-series=\"{series}\" data-values=\"");
        let at = html
            .find(&key)
            .unwrap_or_else(|| panic!("{series} is charted"))
            + key.len();
        let end = html[at..].find('"').unwrap();
        html[at..at + end]
            .split(',')
            .map(|v| v.parse().unwrap())
            .collect()
    }

    /// The states after each resolution, read from the log independently
    /// of the report.
    fn after_each_round(p: &Played) -> Vec<PublicState> {
        let mut out = vec![p.start.clone()];
        let mut last = None;
        for e in &p.log {
            match &e.event {
                GameEvent::StateChanged { state } => last = Some(state.clone()),
                GameEvent::Resolved { .. } => out.push(last.clone().unwrap()),
                _ => {}
            }
        }
        // The host ended the game in round 4, before its resolution.
        out.push(p.game.state().public.clone());
        out
    }

    #[test]
    fn every_public_track_has_a_chart_with_its_human_label_and_the_game_s_numbers() {
        let p = played();
        let (html, md) = p.report(Viewer::Host);
        let states = after_each_round(&p);
        let col = |f: &dyn Fn(&PublicState) -> u8| states.iter().map(f).collect::<Vec<u8>>();
        let mut expected: Vec<(String, &str, Vec<u8>)> = vec![
            (
                "gov_legitimacy".into(),
                "Government legitimacy",
                col(&|s| s.tracks.gov_legitimacy),
            ),
            (
                "soviet_legitimacy".into(),
                "Soviet legitimacy",
                col(&|s| s.tracks.soviet_legitimacy),
            ),
            (
                "soviet_seats_bolsheviks".into(),
                "Bolshevik seats",
                col(&|s| s.soviet_seats.bolsheviks),
            ),
            ("bread".into(), "Bread supply", col(&|s| s.tracks.bread)),
            (
                "war_weariness".into(),
                "War weariness",
                col(&|s| s.tracks.war_weariness),
            ),
            ("order".into(), "Order", col(&|s| s.tracks.order)),
        ];
        let mut labels = Vec::new();
        for g in Group::ALL {
            labels.push(format!("Unrest of the {}", group_noun(g)));
            for f in Faction::ALL {
                labels.push(format!("{} among the {}", f.name(), group_noun(g)));
            }
        }
        for g in Group::ALL {
            expected.push((
                format!("unrest_{}", g.id()),
                "",
                col(&|s| s.groups[&g].unrest),
            ));
            for f in Faction::ALL {
                expected.push((
                    format!("support_{}_{}", g.id(), f.id()),
                    "",
                    col(&|s| s.groups[&g].support[f]),
                ));
            }
        }
        for (key, label, vals) in &expected {
            assert_eq!(&values(&html, key), vals, "{key}");
            for text in [&html, &md] {
                assert!(text.contains(*label), "{label}");
            }
        }
        for label in &labels {
            assert!(
                html.contains(label.as_str()) && md.contains(label.as_str()),
                "{label}"
            );
        }
        // No legend shows an internal id.
        for id in ["gov_legitimacy", "soviet_seats_bolsheviks", "war_weariness"] {
            assert!(!md.contains(id), "the Markdown shows {id}");
            let shown: String = html
                .split('<')
                .filter_map(|tag| tag.split_once('>').map(|(_, text)| text))
                .collect();
            assert!(!shown.contains(id), "the HTML shows {id}");
        }
        // The exact hidden forces, in the host's record.
        assert_eq!(
            values(&html, "red_guards").last(),
            Some(&p.game.state().hidden.red_guards)
        );
    }

    #[test]
    fn each_faction_has_one_colour_in_every_chart_and_table() {
        let p = played();
        let (html, _) = p.report(Viewer::Host);
        let mut seen = 0;
        for f in Faction::ALL {
            for piece in html.split("<polyline").skip(1) {
                let piece = piece.split('>').next().unwrap();
                let key = piece.split('"').nth(1).unwrap();
                let faction_line = key.ends_with(f.id())
                    || (f == Faction::Liberals && key == "gov_legitimacy")
                    || (f == Faction::Soviet && key == "soviet_legitimacy");
                if faction_line {
                    seen += 1;
                    assert!(
                        piece.contains(&format!("stroke=\"{}\"", faction_colour(f))),
                        "{key} is not in the {} colour",
                        f.name()
                    );
                } else {
                    assert!(
                        !piece.contains(&format!("stroke=\"{}\"", faction_colour(f))),
                        "{key} uses the {} colour",
                        f.name()
                    );
                }
            }
        }
        assert_eq!(seen, 2 + 2 + 3 * 4);
    }

    #[test]
    fn the_comparison_sets_each_month_beside_the_real_one_and_says_where_they_parted() {
        let p = played();
        let sc = p.game.scenario();
        let (html, md) = p.report(Viewer::Host);
        let shown = unescape(&html);
        for n in 1..=sc.rounds + 1 {
            let real = &sc.chronicle(n).unwrap().happened;
            assert!(md.contains(real.as_str()), "round {n} in the Markdown");
            assert!(shown.contains(real.as_str()), "round {n} in the HTML");
        }
        // March: civil liberties and Order No. 1 passed, as in 1917; the
        // amnesty was 1917's, not the class's.
        let march = md.split("### March (round 1)").nth(1).unwrap();
        let march = march.split("### ").next().unwrap();
        assert!(
            march.contains("As in 1917: Civil liberties, Order No. 1."),
            "{march}"
        );
        assert!(march.contains("In 1917, not in your game: ") && march.contains("Amnesty"));
        assert!(march.contains("Government legitimacy 50 →"), "{march}");
        // May: the class's coalition was joined as in 1917; the grain
        // monopoly was not May's.
        let may = md.split("### May (round 3)").nth(1).unwrap();
        let may = may.split("### ").next().unwrap();
        assert!(may.contains("As in 1917: Join the coalition."), "{may}");
        assert!(may.contains("In your game, not in 1917 that month: Grain monopoly."));
        // The months after the end, and the ending beside the real one.
        let august = md.split("### August (round 6)").nth(1).unwrap();
        assert!(
            august.contains("Your game had already ended, in June."),
            "{august}"
        );
        assert!(md.contains("Your game: **Ended by the host**, June (round 4)."));
        assert!(md.contains("the Bolsheviks seized power in October and dispersed the Constituent Assembly in January 1918"));
    }

    #[test]
    fn at_least_five_questions_each_name_what_happened_in_this_game() {
        let p = played();
        let report = Report::build(&p.input(Viewer::Host, &p.log));
        let q = &report.questions;
        assert!(q.len() >= 5, "{q:#?}");
        let has = |needle: &str| q.iter().any(|x| x.contains(needle));
        assert!(has("offered a coalition in April and the Soviet delegates joined the Government in May"), "{q:#?}");
        assert!(has("Nobody passed land reform in your game"), "{q:#?}");
        assert!(has("Bread fell to"), "{q:#?}");
        assert!(
            has("The Bolsheviks never won a majority in the Soviet in your game"),
            "{q:#?}"
        );
        assert!(
            has("Your game stopped in June before history finished"),
            "{q:#?}"
        );
        // Every cabinet vote was 1 to 0; the Soviet's were contested, and
        // May's (78 to 22) was the closest.
        assert!(
            has("The closest vote of the game: Join the coalition passed in May by 78 to 22."),
            "{q:#?}"
        );
    }

    #[test]
    fn participation_counts_each_students_messages_motions_votes_actions_and_time() {
        let p = played();
        let report = Report::build(&p.input(Viewer::Host, &p.log));
        let row = |n: &str| {
            report
                .participation
                .rows
                .iter()
                .find(|r| r.name == n)
                .unwrap_or_else(|| panic!("{n}"))
        };
        let ana = row("<script>Ana");
        assert_eq!(
            (
                ana.floor,
                ana.faction_channel,
                ana.private,
                ana.tabled,
                ana.votes_cast,
                ana.votes_missed,
                ana.actions
            ),
            (0, 3, 0, 3, 3, 0, 3)
        );
        let vera = row("Vera");
        // Vera votes on the Soviet's three resolutions; in May the
        // coalition passed only after the vote, so she missed no decree.
        assert_eq!(
            (
                vera.private,
                vera.tabled,
                vera.votes_cast,
                vera.votes_missed
            ),
            (3, 3, 3, 0)
        );
        let lenin = row("Lenin");
        assert_eq!(
            (lenin.floor, lenin.faction_channel, lenin.actions),
            (3, 3, 3)
        );
        let boris = row("Boris");
        assert_eq!((boris.votes_cast, boris.votes_missed), (0, 3));
        // The game ran from T0 to its end; Vera was away ten minutes.
        let total = p.game.state().outcome.as_ref().unwrap().at_ms.unwrap() - T0;
        assert_eq!(lenin.connected, format!("{} min", (total + 30_000) / MIN));
        assert_eq!(
            vera.connected,
            format!("{} min", (total - 10 * MIN + 30_000) / MIN)
        );
        let (html, md) = p.report(Viewer::Host);
        for text in [&html, &md] {
            for col in [
                "floor messages",
                "faction channel",
                "private messages",
                "motions tabled",
                "votes cast",
                "votes missed",
                "actions proposed",
                "time connected",
            ] {
                assert!(text.contains(col), "{col}");
            }
        }
    }

    #[test]
    fn the_timeline_marks_the_host_s_interventions_lost_connections_and_restarts() {
        let mut p = played();
        // A server restart pauses the game: append what the room does.
        p.log.push(Emitted {
            audience: Audience::Everyone,
            event: GameEvent::Paused {
                remaining_ms: 30_000,
                reason: Some("The server restarted".into()),
                restart: true,
            },
        });
        // Phases the class ended by all saying `ready` are not the host's
        // doing; a phase the host cut short is.
        for (reason, everyone_ready) in [("Everyone is ready.", true), ("Time to vote", false)] {
            p.log.push(Emitted {
                audience: Audience::Everyone,
                event: GameEvent::PhaseEndedEarly {
                    reason: Some(reason.into()),
                    everyone_ready,
                },
            });
        }
        let report = Report::build(&p.input(Viewer::Host, &p.log));
        assert!(report
            .timeline
            .iter()
            .all(|m| !m.text.contains("Everyone is ready")));
        let marks: Vec<(&str, &str)> = report
            .timeline
            .iter()
            .map(|m| (m.kind, m.text.as_str()))
            .collect();
        for (kind, text) in [
            ("connection", "Vera lost their connection."),
            ("host", "The host paused the game (Fire drill)."),
            ("connection", "Vera reconnected."),
            ("host", "The host resumed the game."),
            (
                "host",
                "The host extended the phase by 2 min (Still talking).",
            ),
            ("host", "The host muted Lenin (Shouting)."),
            ("host", "The host played an event: The government crisis."),
            ("host", "The host ended the game."),
            ("host", "The host ended the phase early (Time to vote)."),
            (
                "restart",
                "The server restarted: the game waited, paused, until the host resumed it.",
            ),
        ] {
            assert!(marks.contains(&(kind, text)), "{text} not in {marks:#?}");
        }
        assert!(marks
            .iter()
            .any(|(k, t)| *k == "host" && t.starts_with("The host hid a message by ")));
        let when = &report.timeline[0].when;
        // Drawn to scale: Vera's drop and the pause together, then the five
        // marks at the end of the pause, ..., the restart in red.
        let strip = report.strip.as_ref().expect("the log has its times");
        let labels: Vec<String> = strip.ticks.iter().map(StripTick::label).collect();
        assert_eq!(labels[..2], ["1–2", "3–7"], "{labels:?}");
        assert_eq!(strip.ticks.last().unwrap().kind, "restart");
        assert_eq!(strip.months.len(), 4);
        // Round 1 took 11 minutes; April's negotiation began a minute later.
        assert_eq!(when, "April, negotiation, 12 min in");
    }

    #[test]
    fn a_faction_s_debrief_never_shows_another_faction_s_secrets() {
        let p = played();
        for f in Faction::ALL {
            let (html, md) = p.report(faction_view(f));
            for other in Faction::ALL.into_iter().filter(|o| *o != f) {
                let secret = match other {
                    Faction::Liberals => "liberal plan",
                    Faction::Bolsheviks => "bolshevik plan",
                    Faction::Soviet => continue,
                };
                assert!(
                    !html.contains(secret) && !md.contains(secret),
                    "{f:?} sees {secret}"
                );
            }
            for text in [&html, &md] {
                assert!(
                    !text.contains("a private word"),
                    "{f:?} sees a private message"
                );
                assert!(
                    !text.contains("hidden forces"),
                    "{f:?} sees the exact hidden forces"
                );
                assert!(!text.contains("private messages"));
            }
            assert!(!html.contains("data-series=\"red_guards\""));
            // Participation: only the faction's own players.
            let report = Report::build(
                &p.input(
                    faction_view(f),
                    &p.log
                        .iter()
                        .filter(|e| e.audience.includes(&faction_view(f)))
                        .cloned()
                        .collect::<Vec<_>>(),
                ),
            );
            assert!(report
                .participation
                .rows
                .iter()
                .all(|r| r.faction == f.name()));
            assert!(!report.participation.rows.is_empty());
        }
        let (host, _) = p.report(Viewer::Host);
        assert!(host.contains("liberal plan 1") && host.contains("a private word 1"));
    }

    #[test]
    fn user_text_is_escaped_in_html_and_left_alone_in_markdown() {
        let p = played();
        let (html, md) = p.report(Viewer::Host);
        assert!(!html.contains("<script>") && !html.contains("<b>now</b>"));
        assert!(html.contains("&#60;script&#62;Ana") || html.contains("&lt;script&gt;Ana"));
        // Plain text: no escape backslashes anywhere.
        assert!(!md.contains('\\'), "{md}");
        assert!(md.contains("peace *land* bread_1 <b>now</b>"));
        assert!(md.contains("Order No. 1"));
    }

    /// A log written by hand: a round's event card, one passed motion,
    /// the actions revealed and the story.
    fn month(
        sc: &engine::Scenario,
        round: u8,
        card: (bool, bool),
        passed: Option<Motion>,
        actions: Vec<RevealedActions>,
        summary: &str,
    ) -> Vec<Emitted> {
        let e = |event| Emitted {
            audience: Audience::Everyone,
            event,
        };
        let def = sc.event(round).unwrap();
        let mut out = vec![
            e(GameEvent::PhaseStarted {
                round,
                month: sc.month(round).into(),
                phase: Phase::Briefing,
                deadline_ms: 0,
                at_ms: None,
            }),
            e(GameEvent::EventRevealed {
                card: EventCard {
                    round,
                    id: def.id.clone(),
                    title: def.title.clone(),
                    text: def.text.clone(),
                    street_rises: card.0,
                    coup_attempt: card.1,
                },
                effects: vec![],
            }),
        ];
        if let Some(m) = passed {
            let id = MotionId(u32::from(round));
            out.push(e(GameEvent::MotionTabled {
                motion: MotionView {
                    id,
                    round,
                    motion: m,
                    institution: m.institution().unwrap(),
                    proposer: PlayerId(1),
                    status: MotionStatus::Tabled,
                    my_vote: None,
                    ballots: vec![],
                    tally: None,
                },
            }));
            out.push(e(GameEvent::VotesClosed {
                results: vec![VoteResult {
                    motion: id,
                    tally: Tally {
                        yes: 1.0,
                        no: 0.0,
                        abstain: 0.0,
                        passed: true,
                        note: None,
                        roll_call: vec![],
                    },
                }],
            }));
        }
        out.push(e(GameEvent::Resolved {
            round,
            actions,
            summary: vec![summary.into()],
        }));
        out
    }

    #[test]
    fn questions_name_a_failed_offensive_a_failed_rising_a_coup_stopped_by_the_soviet_and_the_insurrection(
    ) {
        let sc = engine::Scenario::default_scenario();
        let seize = vec![RevealedActions {
            faction: Faction::Bolsheviks,
            actions: vec![Action::SeizePower],
        }];
        let mut log = Vec::new();
        log.extend(month(&sc, 4, (false, false), Some(Motion::Offensive), vec![], "The offensive failed (its odds were 20 in 100): the Government's legitimacy fell to 40."));
        log.extend(month(
            &sc,
            5,
            (true, false),
            None,
            seize.clone(),
            "The insurrection fails: the loyal troops outnumber the Red Guards.",
        ));
        log.extend(month(
            &sc,
            6,
            (false, true),
            Some(Motion::CallOnSoviet),
            vec![],
            "The generals' coup collapses.",
        ));
        log.extend(month(
            &sc,
            8,
            (false, false),
            None,
            seize,
            "The insurrection succeeds.",
        ));
        log.push(Emitted {
            audience: Audience::Everyone,
            event: GameEvent::GameEnded {
                outcome: Outcome {
                    ending: Ending::OctoberInsurrection,
                    round: 8,
                    winners: vec![Faction::Bolsheviks],
                    scores: vec![],
                    summary: "The Bolsheviks have seized power.".into(),
                    at_ms: None,
                },
            },
        });
        let start = engine::Game::new(
            Arc::new(sc.clone()),
            GameSettings {
                scenario: sc.id.clone(),
                timers: sc.timers,
                faction_choice: FactionChoice::Choose,
                characters: false,
            },
            0,
            String::new(),
        );
        let input = ReportInput {
            code: "HAND1",
            scenario: &sc,
            start: &start.state().public,
            start_hidden: start.state().hidden,
            log: &log,
            viewer: Viewer::Host,
            now_ms: 0,
        };
        let q = Report::build(&input).questions;
        let has = |needle: &str| q.iter().any(|x| x.contains(needle));
        for needle in [
            "The offensive of June failed, as Kerensky's did in June 1917.",
            "The street rose in July and the Bolsheviks led it, and the rising failed",
            "In August the generals moved and the Government called on the Soviet to stop them",
            "The Bolsheviks' insurrection succeeded in October.",
            "Your 1917 ended with the Bolsheviks' insurrection in October",
        ] {
            assert!(has(needle), "{needle} not in {q:#?}");
        }
        assert!(q.len() >= 5);
        // The ending beside the real one.
        let md = markdown(&input);
        assert!(md.contains("Like the real 1917, your game ended with the Bolsheviks seizing power, in October, as in history."), "{md}");
    }

    #[test]
    fn each_dealt_character_s_real_fate_is_told() {
        let p = played();
        let (html, md) = p.report(Viewer::Host);
        let dealt: Vec<&String> = p
            .game
            .state()
            .players
            .iter()
            .filter_map(|pl| pl.character.as_ref())
            .collect();
        assert!(dealt.len() >= 3, "{dealt:?}");
        for c in dealt {
            let fate = format!("{c} met a fate worth a lesson.");
            assert!(md.contains(&fate) && html.contains(&fate), "{c}");
        }
    }
}
