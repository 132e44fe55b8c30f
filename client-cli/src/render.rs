//! Text for people: events, the state as small bars, the status line.
//! Pure functions of the protocol types, so they are easy to test.

use crate::command::{Who, COMMANDS};
use owo_colors::OwoColorize;
use protocol::*;
use std::sync::atomic::{AtomicBool, Ordering};

static COLOR: AtomicBool = AtomicBool::new(false);

/// Turn colours on or off for everything rendered from now on.
pub fn set_color(on: bool) {
    COLOR.store(on, Ordering::Relaxed);
}

fn color() -> bool {
    COLOR.load(Ordering::Relaxed)
}

#[derive(Clone, Copy)]
pub enum Tone {
    Faction(Faction),
    Host,
    Private,
    FactionChannel,
    Good,
    Bad,
    Dim,
    Title,
}

pub fn paint(text: &str, tone: Tone) -> String {
    if !color() {
        return text.to_string();
    }
    match tone {
        Tone::Faction(Faction::Liberals) => text.blue().bold().to_string(),
        Tone::Faction(Faction::Soviet) => text.yellow().bold().to_string(),
        Tone::Faction(Faction::Bolsheviks) => text.red().bold().to_string(),
        Tone::Host => text.magenta().bold().to_string(),
        Tone::Private => text.green().to_string(),
        Tone::FactionChannel => text.cyan().to_string(),
        Tone::Good => text.green().to_string(),
        Tone::Bad => text.red().bold().to_string(),
        Tone::Dim => text.dimmed().to_string(),
        Tone::Title => text.bold().to_string(),
    }
}

/// `m:ss` or `h:mm:ss`.
pub fn clock(ms: u64) -> String {
    let s = ms.div_ceil(1000);
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
    } else {
        format!("{}:{:02}", s / 60, s % 60)
    }
}

pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

fn name(view: &GameView, id: PlayerId) -> String {
    match view.player(id) {
        Some(p) => paint(&p.name, Tone::Faction(p.faction)),
        None => id.to_string(),
    }
}

/// One line: where the game is and how long is left.
pub fn status(view: &GameView, now: u64) -> String {
    match view.status {
        GameStatus::Lobby => format!(
            "Game {} · lobby · {} player{} joined",
            view.code,
            view.players.len(),
            if view.players.len() == 1 { "" } else { "s" }
        ),
        GameStatus::Ended => format!(
            "Game {} · over: {}",
            view.code,
            view.outcome.as_ref().map_or("ended", |o| o.ending.title())
        ),
        GameStatus::Running => {
            let phase = view.phase.map_or("-", |p| p.id());
            let time = match (view.paused_remaining_ms, view.deadline_ms) {
                (Some(left), _) => format!("PAUSED, {} left", clock(left)),
                (None, Some(deadline)) => format!("{} left", clock(deadline.saturating_sub(now))),
                _ => String::new(),
            };
            format!(
                "Round {}/{} · {} · {} · {}",
                view.round, view.rounds, view.month, phase, time
            )
        }
    }
}

/// The prompt: short status and who I am. The status keeps one width
/// through the game (`[R1 voting       0:45] Ana> `), the phase and the
/// clock padded, so that the line editor can draw it again as the game
/// moves on while a line is being typed (it measures the prompt once, when
/// the line starts): see `interactive`. The month is in the phase banners
/// and the status lines.
pub fn prompt(view: Option<&GameView>, now: u64) -> String {
    let Some(v) = view else {
        return "> ".into();
    };
    let who = match v.viewer {
        Viewer::Host => "host".to_string(),
        Viewer::Spectator => "spectator".to_string(),
        Viewer::Player { id, .. } => v.player(id).map_or("player".into(), |p| p.name.clone()),
    };
    let short = match v.status {
        GameStatus::Lobby => "lobby".to_string(),
        GameStatus::Ended => "game over".to_string(),
        // Started, the first round not yet begun (a moment).
        GameStatus::Running if v.round == 0 || v.phase.is_none() => "starting".to_string(),
        GameStatus::Running => {
            let time = match (v.paused_remaining_ms, v.deadline_ms) {
                (Some(_), _) => "paused".to_string(),
                (None, Some(d)) => clock(d.saturating_sub(now)),
                _ => String::new(),
            };
            format!(
                "R{} {:<phase$} {time:>6}",
                v.round,
                v.phase.map_or("-", |p| p.id()),
                phase = PHASE_WIDTH
            )
        }
    };
    format!("[{short:<STATUS_WIDTH$}] {who}> ")
}

/// A faction's name in its colour, padded to a column of 18 (before it is
/// painted: colour codes take no room on the screen).
fn faction_column(f: Faction) -> String {
    paint(&format!("{:<18}", f.name()), Tone::Faction(f))
}

/// The longest phase's name ("negotiation").
const PHASE_WIDTH: usize = 11;
/// A running game's status: "R1 ", the phase, a space, the clock or "paused".
const STATUS_WIDTH: usize = 3 + PHASE_WIDTH + 1 + 6;

fn bar(value: u8, width: usize) -> String {
    let filled = (usize::from(value.min(100)) * width + 50) / 100;
    format!("{}{}", "█".repeat(filled), "░".repeat(width - filled))
}

fn track_line(label: &str, value: u8) -> String {
    format!("  {label:<20} {} {value:>3}", bar(value, 20))
}

/// What a phase asks of the players, in a sentence.
pub fn phase_hint(phase: Phase) -> &'static str {
    match phase {
        Phase::Briefing => "Read the month's event (`state`).",
        Phase::Negotiation => "Talk: `say`, `f` (your faction), `tell`.",
        Phase::Proposals => "Table motions: `table <motion>` (`catalog` lists them).",
        Phase::Voting => "Vote (`vote m1 yes`) and plan actions (`plan agitate workers`).",
        Phase::Resolution => "The votes and actions take effect.",
    }
}

/// Lines for one event, or none for events that only update the view.
pub fn event(view: &GameView, event: &GameEvent) -> Vec<String> {
    let host = view.viewer == Viewer::Host;
    match event {
        GameEvent::PlayerJoined { player } => vec![paint(
            &format!(
                "{} joined the {}.",
                player.name,
                player.faction.name()
            ),
            Tone::Dim,
        )],
        GameEvent::PlayerConnection {
            player, connected, ..
        } => vec![paint(
            &format!(
                "{} {}.",
                view.player(*player).map_or(player.to_string(), |p| p.name.clone()),
                if *connected { "is back" } else { "lost their connection (absent)" }
            ),
            Tone::Dim,
        )],
        GameEvent::CharacterAssigned { player, brief } if view.me() == Some(*player) => vec![
            paint(&format!("You play {}.", brief.name), Tone::Title),
            format!("  {}", brief.brief),
            format!("  Secret objective: {}", brief.objective),
        ],
        // The host sees every player's brief.
        GameEvent::CharacterAssigned { player, brief } => vec![paint(
            &format!(
                "{} plays {} (secret objective: {})",
                name(view, *player),
                brief.name,
                brief.objective
            ),
            Tone::Host,
        )],
        GameEvent::Briefing {
            player,
            briefing: b,
            character,
        } if view.me() == Some(*player) => {
            let mut lines = vec![String::new()];
            lines.extend(briefing(b, character.as_ref()));
            lines.push(paint(
                "(`me` shows this again; `help TERM` explains any word of the game.)",
                Tone::Dim,
            ));
            lines
        }
        // The host receives every player's briefing: the class's start is
        // not the place to print thirty of them (`help` and `catalog`
        // explain the factions).
        GameEvent::Briefing { .. } => Vec::new(),
        GameEvent::PlayerCharacter { player, character } => vec![paint(
            &format!("{} plays {character}.", name(view, *player)),
            Tone::Dim,
        )],
                GameEvent::GameStarted { rounds } => {
            vec![paint(&format!("The game begins: {rounds} rounds."), Tone::Title)]
        }
        GameEvent::PhaseStarted {
            round,
            month,
            phase,
            deadline_ms,
            ..
        } => {
            let left = clock(deadline_ms.saturating_sub(now_ms()));
            let mut lines = Vec::new();
            if *phase == Phase::Briefing {
                lines.push(String::new());
                lines.push(paint(&format!("══ Round {round}: {month} 1917 ══"), Tone::Title));
            }
            lines.push(paint(
                &format!("── {phase} ({left}) ── {}", phase_hint(*phase)),
                Tone::Title,
            ));
            lines
        }
        GameEvent::EventRevealed { card, effects } => {
            let mut lines = vec![
                paint(&format!("Event: {}", card.title), Tone::Title),
                format!("  {}", card.text),
            ];
            lines.extend(effects.iter().map(|e| format!("  • {e}")));
            if card.street_rises {
                lines.push(paint(
                    "  The street has risen: the Bolsheviks must lead it (plan seize_power, free) or disown it.",
                    Tone::Bad,
                ));
            }
            if card.coup_attempt {
                lines.push(paint("  The generals attempt a coup this round.", Tone::Bad));
            }
            lines
        }
        GameEvent::StateChanged { .. } | GameEvent::HiddenChanged { .. } => Vec::new(),
        GameEvent::IncomeReceived {
            faction, amount, ip, ..
        } => vec![paint(
            &format!("{} receive {amount} IP (now {ip}).", faction.name()),
            Tone::Dim,
        )],
        GameEvent::Chat {
            id,
            scope,
            from,
            text,
        } => {
            let who = from.map_or_else(|| paint("Host", Tone::Host), |p| name(view, p));
            let number = if host { paint(&format!("#{id} "), Tone::Dim) } else { String::new() };
            let line = match scope {
                ChatScope::Floor => format!("{number}{who}: {text}"),
                ChatScope::Announcement => {
                    format!("{number}{} {text}", paint("[announcement]", Tone::Host))
                }
                ChatScope::Faction { faction } => format!(
                    "{number}{} {who}: {}",
                    paint(&format!("[{}]", faction.id()), Tone::FactionChannel),
                    paint(text, Tone::FactionChannel)
                ),
                ChatScope::Private { to } => format!(
                    "{number}{} {who} → {}: {}",
                    paint("[private]", Tone::Private),
                    name(view, *to),
                    paint(text, Tone::Private)
                ),
            };
            vec![line]
        }
        GameEvent::MotionTabled { motion } => vec![format!(
            "{} tabled {} {} ({}).",
            name(view, motion.proposer),
            paint(&motion.id.to_string(), Tone::Title),
            motion.motion,
            match motion.institution {
                Institution::Government => "a decree for the cabinet",
                Institution::Soviet => "a resolution for the Soviet",
            }
        )],
        GameEvent::MotionWithdrawn { motion } => vec![format!("{motion} was withdrawn.")],
        GameEvent::VoteCast {
            motion,
            player,
            vote,
        } => {
            if view.me() == Some(*player) {
                vec![paint(&format!("Your vote on {motion}: {vote:?}."), Tone::Dim)]
            } else if !host {
                // A faction-mate's open ballot: the faction caucuses.
                vec![paint(
                    &format!(
                        "Your faction: {} {} on {motion}.",
                        name(view, *player),
                        voted(*vote)
                    ),
                    Tone::Dim,
                )]
            } else {
                vec![paint(
                    &format!("{} votes {vote:?} on {motion}.", name(view, *player)),
                    Tone::Dim,
                )]
            }
        }
        GameEvent::ActionPlanned {
            faction,
            planned,
            ip,
        } => vec![paint(
            &format!(
                "[{}] {} planned {} {} for {} IP ({ip} left).",
                faction.id(),
                name(view, planned.by),
                planned.id,
                planned.action,
                planned.cost
            ),
            Tone::FactionChannel,
        )],
        GameEvent::ActionUnplanned {
            faction,
            action,
            by,
            ip,
        } => vec![paint(
            &format!(
                "[{}] {} took {action} out of the plan ({ip} IP left).",
                faction.id(),
                name(view, *by)
            ),
            Tone::FactionChannel,
        )],
        GameEvent::VotesClosed { results } => {
            let mut lines = vec![paint("The votes are in:", Tone::Title)];
            for r in results {
                let m = view
                    .motions
                    .iter()
                    .find(|m| m.id == r.motion)
                    .map_or(r.motion.to_string(), |m| format!("{} {}", m.id, m.motion));
                let verdict = if r.tally.passed {
                    paint("PASSED", Tone::Good)
                } else {
                    paint("FAILED", Tone::Bad)
                };
                lines.push(format!(
                    "  {m}: {verdict} (yes {}, no {}, abstain {}){}",
                    r.tally.yes,
                    r.tally.no,
                    r.tally.abstain,
                    r.tally.note.as_ref().map(|n| format!(" — {n}")).unwrap_or_default()
                ));
                let calls: Vec<String> = r
                    .tally
                    .roll_call
                    .iter()
                    .map(|c| format!("{} {:?}", name(view, c.player), c.vote))
                    .collect();
                if !calls.is_empty() {
                    lines.push(paint(&format!("    roll call: {}", calls.join(", ")), Tone::Dim));
                }
            }
            lines
        }
        GameEvent::Resolved {
            round,
            actions,
            summary,
        } => {
            let mut lines = vec![paint(&format!("Resolution of round {round}:"), Tone::Title)];
            for a in actions {
                if !a.actions.is_empty() {
                    let list: Vec<String> = a.actions.iter().map(|x| x.to_string()).collect();
                    lines.push(format!(
                        "  {} did: {}",
                        paint(a.faction.name(), Tone::Faction(a.faction)),
                        list.join(", ")
                    ));
                }
            }
            lines.extend(summary.iter().map(|s| format!("  • {s}")));
            lines
        }
        GameEvent::GameEnded { outcome } => {
            let mut lines = vec![
                String::new(),
                paint(
                    &format!("══ The game is over: {} (round {}) ══", outcome.ending.title(), outcome.round),
                    Tone::Title,
                ),
                outcome.summary.clone(),
            ];
            if !outcome.scores.is_empty() {
                lines.push(paint(
                    "  Scores: how strong each faction stood at the end, not who won (`help score`).",
                    Tone::Dim,
                ));
            }
            for s in &outcome.scores {
                lines.push(format!(
                    "  {} {:>4}{}{}",
                    faction_column(s.faction),
                    s.score,
                    s.assembly_seats.map(|n| format!("  ({n} Assembly seats)")).unwrap_or_default(),
                    if s.won { paint("  WINS", Tone::Good) } else { String::new() }
                ));
            }
            lines
        }
        GameEvent::Paused {
            remaining_ms,
            reason,
            ..
        } => vec![paint(
            &format!(
                "The host paused the game ({} left in the phase){}.",
                clock(*remaining_ms),
                because(reason)
            ),
            Tone::Host,
        )],
        GameEvent::Resumed { deadline_ms } => vec![paint(
            &format!(
                "The game goes on: {} left in the phase.",
                clock(deadline_ms.saturating_sub(now_ms()))
            ),
            Tone::Host,
        )],
        GameEvent::DeadlineChanged { deadline_ms, reason } => vec![paint(
            &format!(
                "The host changed the time: {} left{}.",
                clock(deadline_ms.saturating_sub(now_ms())),
                because(reason)
            ),
            Tone::Host,
        )],
        GameEvent::PhaseEndedEarly { reason, .. } => vec![paint(
            &format!("The phase ends early{}.", because(reason)),
            Tone::Host,
        )],
        GameEvent::TimersChanged { timers } => vec![paint(
            &format!(
                "New phase timers: briefing {}, negotiation {}, proposals {}, voting {}, resolution {}.",
                clock(u64::from(timers.briefing) * 1000),
                clock(u64::from(timers.negotiation) * 1000),
                clock(u64::from(timers.proposals) * 1000),
                clock(u64::from(timers.voting) * 1000),
                clock(u64::from(timers.resolution) * 1000)
            ),
            Tone::Host,
        )],
        GameEvent::PlayerKicked { player, reason } => vec![paint(
            &format!("The host removed {}{}.", name(view, *player), because(reason)),
            Tone::Host,
        )],
        GameEvent::PlayerMoved {
            player,
            faction,
            reason,
            name: renamed,
        } => {
            // A bot takes a name of its new faction's figures.
            let renamed = renamed
                .as_ref()
                .map(|n| format!(" as {}", paint(n, Tone::Faction(*faction))))
                .unwrap_or_default();
            vec![paint(
                &format!(
                    "The host moved {} to the {}{renamed}{}.",
                    name(view, *player),
                    faction.name(),
                    because(reason)
                ),
                Tone::Host,
            )]
        }
        GameEvent::PlayerMuted {
            player,
            until_ms,
            reason,
        } => vec![paint(
            &if *until_ms == 0 {
                format!("{} may speak again.", name(view, *player))
            } else {
                format!(
                    "The host muted {} for {}{}.",
                    name(view, *player),
                    clock(until_ms.saturating_sub(now_ms())),
                    because(reason)
                )
            },
            Tone::Host,
        )],
        GameEvent::ChatRedacted { chat, reason } => vec![paint(
            &format!("The host hid message #{chat}{}.", because(reason)),
            Tone::Host,
        )],
        GameEvent::ReadyChanged { player, ready } => vec![paint(
            &format!(
                "{} is {}ready.",
                view.player(*player).map_or(player.to_string(), |p| p.name.clone()),
                if *ready { "" } else { "no longer " }
            ),
            Tone::Dim,
        )],
        GameEvent::ReadyRuleChanged { enabled } => vec![paint(
            if *enabled {
                "The phase will end once every player is ready."
            } else {
                "The phase runs its full time, ready or not."
            },
            Tone::Host,
        )],
    }
}

/// `: REASON` inside a sentence that ends with its own full stop (so the
/// reason's own is dropped: "… early: Everyone is ready.", not "ready..").
fn because(reason: &Option<String>) -> String {
    reason
        .as_ref()
        .map(|r| format!(": {}", r.trim_end().trim_end_matches('.')))
        .unwrap_or_default()
}

/// A policy or motion for people: its name and the id to type
/// (`War until victory (at_war)`), the id alone without the catalog.
fn named(id: &str, name: Option<&str>) -> String {
    match name {
        Some(name) => format!("{name} ({id})"),
        None => id.to_string(),
    }
}

/// The `state` command (the catalog, when it has come, names the policies
/// in force and the motions passed).
pub fn state(view: &GameView, catalog: Option<&Catalog>) -> Vec<String> {
    let s = &view.state;
    let t = &s.tracks;
    let mut lines = vec![paint(&status(view, now_ms()), Tone::Title)];
    if let Some(card) = &view.event {
        lines.extend(wrap(
            &format!("{} — {}", card.title, card.text),
            "This month:",
            "  ",
        ));
    }
    lines.push(paint("Tracks", Tone::Title));
    lines.push(track_line("Gov legitimacy", t.gov_legitimacy));
    lines.push(track_line("Soviet legitimacy", t.soviet_legitimacy));
    lines.push(track_line("War weariness", t.war_weariness));
    lines.push(track_line("Bread", t.bread));
    lines.push(track_line("Order", t.order));
    let force = |label: &str, f: &Force| match f.exact {
        Some(x) => format!("  {label:<20} {} (exactly {x})", f.band),
        None => format!("  {label:<20} {}", f.band),
    };
    lines.push(force("Reaction", &s.forces.reaction));
    lines.push(force("Red Guards", &s.forces.red_guards));
    lines.push(force("Loyal troops", &s.forces.loyal_troops));
    lines.push(paint(
        "Groups               liberals soviet bolsheviks  unrest",
        Tone::Title,
    ));
    for (g, gs) in &s.groups {
        lines.push(format!(
            "  {:<18} {:>8} {:>6} {:>10}  {} {:>3}",
            g.id(),
            gs.support.liberals,
            gs.support.soviet,
            gs.support.bolsheviks,
            bar(gs.unrest, 10),
            gs.unrest
        ));
    }
    lines.push(format!(
        "Soviet seats: {} Soviet delegates, {} Bolsheviks",
        s.soviet_seats.soviet, s.soviet_seats.bolsheviks
    ));
    let cabinet: Vec<String> = view.cabinet.iter().map(|p| name(view, *p)).collect();
    lines.push(format!(
        "Cabinet: {}{}",
        if cabinet.is_empty() {
            "(empty)".to_string()
        } else {
            cabinet.join(", ")
        },
        if s.coalition {
            " — a coalition with the Soviet"
        } else {
            ""
        }
    ));
    if let Some(r) = s.coalition_offer_until {
        lines.push(format!("An offer of coalition stands until round {r}."));
    }
    lines.push(if s.election_round > view.rounds {
        "Constituent Assembly: elected after the last round.".to_string()
    } else {
        format!(
            "Constituent Assembly: elected in round {}.",
            s.election_round
        )
    });
    if !s.flags.is_empty() {
        let flags: Vec<String> = s
            .flags
            .iter()
            .map(|f| {
                let idea = catalog.and_then(|c| c.ideas.iter().find(|i| i.id == f.id()));
                named(f.id(), idea.map(|i| i.name.as_str()))
            })
            .collect();
        lines.push(format!("In force: {}", flags.join(", ")));
    }
    if !s.passed.is_empty() {
        // Each motion once, in the order it first passed, with how many
        // times (a resolution may pass again in a later month).
        let mut passed: Vec<(Motion, usize)> = Vec::new();
        for m in &s.passed {
            match passed.iter_mut().find(|(p, _)| p == m) {
                Some((_, n)) => *n += 1,
                None => passed.push((*m, 1)),
            }
        }
        let passed: Vec<String> = passed
            .into_iter()
            .map(|(m, n)| {
                let entry = catalog.and_then(|c| c.motions.iter().find(|e| e.id == m.id()));
                let m = named(&m.to_string(), entry.map(|e| e.name.as_str()));
                if n > 1 {
                    format!("{m} ×{n}")
                } else {
                    m
                }
            })
            .collect();
        lines.push(format!("Passed so far: {}", passed.join(", ")));
    }
    if let Some(h) = &view.hidden {
        lines.push(paint(
            &format!(
                "Hidden (host): reaction {}, red guards {}, loyal troops {}",
                h.reaction, h.red_guards, h.loyal_troops
            ),
            Tone::Host,
        ));
    }
    lines
}

/// The `me` command.
pub fn me(view: &GameView) -> Vec<String> {
    let mut lines = Vec::new();
    match view.viewer {
        Viewer::Spectator => lines.push("You are watching (read-only).".into()),
        Viewer::Host => lines.push("You are the host: you see every faction.".into()),
        Viewer::Player { id, faction } => lines.push(format!(
            "You are {} of the {}{}.",
            name(view, id),
            paint(faction.name(), Tone::Faction(faction)),
            if view.cabinet.contains(&id) {
                ", in the cabinet"
            } else {
                ""
            }
        )),
    }
    let mine = view.my_faction();
    let own = view.briefings.iter().find(|b| Some(b.faction) == mine);
    match own {
        // The briefing ends with the character.
        Some(b) => lines.extend(briefing(b, view.character.as_ref())),
        None => {
            if let Some(c) = &view.character {
                lines.extend(wrap(&c.brief, &format!("You play {}:", c.name), "  "));
                lines.extend(wrap(&c.objective, "Secret objective:", "  "));
            }
        }
    }
    for f in &view.factions {
        lines.push(format!(
            "{}: {} IP",
            paint(f.faction.name(), Tone::Faction(f.faction)),
            f.ip
        ));
        if f.plan.is_empty() {
            lines.push("  plan: nothing yet".into());
        }
        for a in &f.plan {
            lines.push(format!(
                "  {} {} ({} IP, by {})",
                a.id,
                a.action,
                a.cost,
                name(view, a.by)
            ));
        }
    }
    lines
}

/// The `motions` command.
pub fn motions(view: &GameView) -> Vec<String> {
    if view.motions.is_empty() {
        return vec!["No motions this round yet.".into()];
    }
    let mut lines = Vec::new();
    for m in &view.motions {
        let status = match m.status {
            MotionStatus::Tabled => "on the table".to_string(),
            MotionStatus::Withdrawn => "withdrawn".to_string(),
            MotionStatus::Passed => paint("passed", Tone::Good),
            MotionStatus::Failed => paint("failed", Tone::Bad),
        };
        let mut line = format!(
            "  {} {:<28} {:<10} by {:<12} {status}",
            paint(&m.id.to_string(), Tone::Title),
            m.motion.to_string(),
            match m.institution {
                Institution::Government => "cabinet",
                Institution::Soviet => "Soviet",
            },
            view.player(m.proposer)
                .map_or("?".into(), |p| p.name.clone()),
        );
        if let Some(v) = m.my_vote {
            line.push_str(&format!("  (you: {v:?})"));
        }
        let host = view.viewer == Viewer::Host;
        if host && !m.ballots.is_empty() {
            let b: Vec<String> = m
                .ballots
                .iter()
                .map(|b| format!("{} {:?}", name(view, b.player), b.vote))
                .collect();
            line.push_str(&format!("  [{}]", b.join(", ")));
        }
        lines.push(line);
        // A player sees how their faction-mates voted while the vote is open.
        let mates: Vec<String> = m
            .ballots
            .iter()
            .filter(|b| !host && Some(b.player) != view.me())
            .map(|b| format!("{} {}", name(view, b.player), voted(b.vote)))
            .collect();
        if !mates.is_empty() {
            lines.push(format!("      your faction: {}", mates.join(", ")));
        }
    }
    lines
}

/// A ballot in words: "voted yes", "voted no", "abstained".
fn voted(vote: Vote) -> &'static str {
    match vote {
        Vote::Yes => "voted yes",
        Vote::No => "voted no",
        Vote::Abstain => "abstained",
    }
}

/// The `players` command.
pub fn players(view: &GameView) -> Vec<String> {
    let mut lines = Vec::new();
    for f in Faction::ALL {
        let ps: Vec<String> = view
            .players
            .iter()
            .filter(|p| p.faction == f)
            .map(|p| {
                let mut s = match &p.character {
                    Some(c) => format!("{} ({}, {c})", p.name, p.id),
                    None => format!("{} ({})", p.name, p.id),
                };
                if p.bot {
                    s.push_str(" bot");
                }
                if !p.connected {
                    s.push_str(" absent");
                }
                if view.ready.contains(&p.id) {
                    s.push_str(" ready");
                }
                s
            })
            .collect();
        lines.push(format!(
            "{} {}",
            faction_column(f),
            if ps.is_empty() {
                "-".to_string()
            } else {
                ps.join(", ")
            }
        ));
    }
    lines
}

/// The widest line the client prints on its own (an 80-column terminal).
pub const WIDTH: usize = 79;
/// Lines of one page of `catalog` or `help` (a 24-line terminal keeps the
/// prompt and the page's footer in view).
pub const PAGE_LINES: usize = 20;

/// `text` cut into lines of at most `WIDTH` columns (colour codes take
/// none), each starting with `indent` (the first with `first`).
pub fn wrap(text: &str, first: &str, indent: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = first.to_string();
    if !line.is_empty() && !line.ends_with(' ') {
        line.push(' ');
    }
    let mut empty = true;
    for word in text.split_whitespace() {
        if !empty && visible_width(&line) + 1 + visible_width(word) > WIDTH {
            lines.push(std::mem::replace(&mut line, indent.to_string()));
            empty = true;
        }
        if !empty {
            line.push(' ');
        }
        line.push_str(word);
        empty = false;
    }
    if !empty || lines.is_empty() {
        lines.push(line);
    }
    lines
}

/// Columns a line takes on screen: colour codes take none.
fn visible_width(s: &str) -> usize {
    let mut n = 0;
    let mut code = false;
    for c in s.chars() {
        match (code, c) {
            (true, 'm') => code = false,
            (true, _) => {}
            (false, '\x1b') => code = true,
            (false, _) => n += 1,
        }
    }
    n
}

/// A line cut at spaces to fit the terminal ([`WIDTH`]), so that no word
/// is broken in two at its edge (a bot's long chat line, the round's
/// story): [`wrap`], the lines after the first indented two spaces more
/// than it. A colour carries on to the next line as the terminal keeps
/// it. A line that fits is left as it is.
pub fn fit(line: &str) -> Vec<String> {
    if visible_width(line) <= WIDTH {
        return vec![line.to_string()];
    }
    let text = line.trim_start_matches(' ');
    let lead = &line[..line.len() - text.len()];
    wrap(text, lead, &format!("{lead}  "))
}

/// The sections of `catalog`, with their titles.
pub const CATALOG_SECTIONS: [(&str, &str); 9] = [
    (
        "decrees",
        "Government decrees (tabled and voted in the cabinet)",
    ),
    (
        "resolutions",
        "Soviet resolutions (tabled and voted in the Soviet)",
    ),
    (
        "actions",
        "Faction actions (planned in the voting phase, paid in IP)",
    ),
    ("events", "The monthly events"),
    ("tracks", "The tracks"),
    ("groups", "The social groups"),
    ("factions", "The factions"),
    ("ideas", "Ideas: how the game works"),
    ("characters", "Historical characters"),
];

/// A term's id and its explanation, line by line.
pub type Term = (String, Vec<String>);

/// One explained thing: a heading, what it does, what it was.
fn entry(heading: String, does: &str, history: &str) -> Vec<String> {
    let mut lines = vec![paint(&heading, Tone::Title)];
    lines.extend(wrap(does, "  In this game:", "    "));
    lines.extend(wrap(history, "  In 1917:", "    "));
    lines
}

fn institution_word(i: Institution) -> &'static str {
    match i {
        Institution::Government => "decree, voted in the cabinet",
        Institution::Soviet => "resolution, voted in the Soviet",
    }
}

/// Every term the catalog explains, by id, with its explanation; in the
/// catalog's order, section by section.
pub fn terms(c: &Catalog) -> Vec<Term> {
    sections(c)
        .into_iter()
        .flat_map(|(_, entries)| entries)
        .collect()
}

fn sections(c: &Catalog) -> Vec<(&'static str, Vec<Term>)> {
    let explained = |e: &Explained| {
        (
            e.id.clone(),
            entry(format!("{} — {}", e.id, e.name), &e.does, &e.history),
        )
    };
    let motions = |inst: Institution| -> Vec<Term> {
        c.motions
            .iter()
            .filter(|m| m.institution == inst)
            .map(|m| {
                let once = if m.once { ", once a game" } else { "" };
                let heading = format!(
                    "{} — {} ({}{once})",
                    m.id,
                    m.name,
                    institution_word(m.institution)
                );
                (m.id.clone(), entry(heading, &m.does, &m.history))
            })
            .collect()
    };
    let actions = c
        .actions
        .iter()
        .map(|a| {
            let who = if a.factions.is_empty() {
                String::new()
            } else {
                let names: Vec<&str> = a.factions.iter().map(|f| f.name()).collect();
                format!(", {} only", names.join(" and "))
            };
            let heading = format!("{} — {} ({} IP{who})", a.id, a.name, a.cost);
            (a.id.clone(), entry(heading, &a.does, &a.history))
        })
        .collect();
    let characters = Faction::ALL
        .into_iter()
        .filter_map(|f| {
            let names: Vec<&str> = c
                .characters
                .iter()
                .filter(|ch| ch.faction == f)
                .map(|ch| ch.name.as_str())
                .collect();
            (!names.is_empty()).then(|| {
                let mut lines = vec![paint(f.name(), Tone::Faction(f))];
                lines.extend(wrap(&names.join(", "), "   ", "   "));
                (f.id().to_string(), lines)
            })
        })
        .collect();
    vec![
        ("decrees", motions(Institution::Government)),
        ("resolutions", motions(Institution::Soviet)),
        ("actions", actions),
        ("events", c.events.iter().map(explained).collect()),
        ("tracks", c.tracks.iter().map(explained).collect()),
        ("groups", c.groups.iter().map(explained).collect()),
        ("factions", c.factions.iter().map(explained).collect()),
        ("ideas", c.ideas.iter().map(explained).collect()),
        ("characters", characters),
    ]
}

/// Pack entries into pages of at most [`PAGE_LINES`] lines, never cutting
/// an entry (unless it is longer than a page on its own).
fn pages(entries: Vec<Vec<String>>) -> Vec<Vec<String>> {
    let mut pages: Vec<Vec<String>> = vec![Vec::new()];
    for e in entries {
        let page = pages.last_mut().expect("at least one page");
        if !page.is_empty() && page.len() + e.len() > PAGE_LINES {
            pages.push(e);
        } else {
            page.extend(e);
        }
    }
    pages
}

fn no_catalog() -> Vec<String> {
    vec!["Join a game first: the explanations come from the server's scenario.".into()]
}

/// The `catalog` command: an overview of every id, or one section
/// explained, a page at a time.
pub fn catalog(catalog: Option<&Catalog>, section: Option<&str>, page: usize) -> Vec<String> {
    let Some(c) = catalog else {
        return no_catalog();
    };
    let all = sections(c);
    let Some(section) = section else {
        let mut lines = Vec::new();
        for (name, entries) in &all {
            if entries.is_empty() || *name == "characters" {
                continue;
            }
            let ids: Vec<&str> = entries.iter().map(|(id, _)| id.as_str()).collect();
            lines.extend(wrap(&ids.join(", "), &format!("{name}:"), "  "));
        }
        lines.push(String::new());
        lines.extend(wrap(
            "`help ID` explains one (what it does, what it was in 1917); `catalog SECTION` explains a section a page at a time: decrees, resolutions, actions, events, tracks, groups, factions, ideas, characters.",
            "",
            "",
        ));
        return lines;
    };
    let Some((name, entries)) = all
        .into_iter()
        .find(|(name, _)| name.starts_with(section) && !section.is_empty())
    else {
        let names: Vec<&str> = CATALOG_SECTIONS.iter().map(|(n, _)| *n).collect();
        return vec![format!("No section `{section}`: {}.", names.join(", "))];
    };
    let title = CATALOG_SECTIONS
        .iter()
        .find(|(n, _)| *n == name)
        .map_or(name, |(_, t)| t);
    let pages = pages(entries.into_iter().map(|(_, lines)| lines).collect());
    let n = pages.len();
    let page = page.min(n).max(1);
    let mut lines = vec![paint(&format!("{title} — page {page} of {n}"), Tone::Title)];
    lines.extend(pages[page - 1].iter().cloned());
    if page < n {
        lines.push(paint(
            &format!("More: `catalog {name} {}`", page + 1),
            Tone::Dim,
        ));
    }
    lines
}

/// `help TERM`: a motion, action, event, track, group, faction or idea
/// explained; `help host` and `help scripts` list those commands.
pub fn help_topic(catalog: Option<&Catalog>, topic: &str) -> Vec<String> {
    match topic {
        "host" => return help_list("Host commands (`help COMMAND` for an example):", Who::Host),
        "scripts" | "script" => {
            return help_list(
                "Script commands (for `--script` files, not for playing):",
                Who::Script,
            )
        }
        _ => {}
    }
    let Some(c) = catalog else {
        return no_catalog();
    };
    match terms(c).into_iter().find(|(id, _)| id == topic) {
        Some((_, lines)) => lines,
        None => vec![format!(
            "No command or game term `{topic}`. Type `help` for the commands, `catalog` for the game's terms."
        )],
    }
}

fn command_line(c: &crate::command::Spec) -> String {
    format!("  {:<30}{}", format!("{} {}", c.name, c.args), c.help)
}

fn help_list(title: &str, who: Who) -> Vec<String> {
    let mut lines = vec![paint(title, Tone::Title)];
    lines.extend(COMMANDS.iter().filter(|c| c.who == who).flat_map(|c| {
        wrap(
            c.help,
            &format!("  {:<30}", format!("{} {}", c.name, c.args)),
            &" ".repeat(32),
        )
    }));
    lines
}

/// The `help` command: the playing commands this viewer may use, one a
/// line; host and script commands named apart; how to learn the game.
pub fn help(view: Option<&GameView>) -> Vec<String> {
    let host = view.is_some_and(|v| v.viewer == Viewer::Host);
    let mut lines = vec![paint(
        "Commands (`help COMMAND` for an example; Tab completes):",
        Tone::Title,
    )];
    for c in COMMANDS {
        let shown = match c.who {
            // `token` is named on the last line (the list fits 24 rows).
            Who::Anyone => c.name != "token",
            Who::Player => !host,
            Who::Host | Who::Script => false,
        };
        if shown {
            lines.push(command_line(c));
        }
    }
    if host || view.is_none() {
        let names: Vec<&str> = COMMANDS
            .iter()
            .filter(|c| c.who == Who::Host)
            .map(|c| c.name)
            .collect();
        lines.extend(wrap(
            &format!("{} (`help host`)", names.join(", ")),
            "Host:",
            "  ",
        ));
    }
    lines
        .push("Scripts only: wait, sleep, echo (`help scripts`). Your secret key: `token`.".into());
    lines.extend(wrap(
        "Learn the game: `help influence`, `help phases`, `help voting`, `help land_reform` (any motion, action or term), `catalog`.",
        "",
        "",
    ));
    lines
}

/// A player's briefing: what the faction wants, how it wins, what to watch,
/// first moves; the character's brief and secret objective.
pub fn briefing(b: &Briefing, character: Option<&CharacterBrief>) -> Vec<String> {
    let mut lines = vec![paint(
        &format!("Your briefing: the {}", b.faction.name()),
        Tone::Faction(b.faction),
    )];
    lines.extend(wrap(&b.wants, "  You want:", "    "));
    lines.extend(wrap(&b.wins, "  You win:", "    "));
    lines.extend(wrap(&b.watch, "  Watch for:", "    "));
    lines.push("  First moves worth considering:".into());
    for m in &b.first_moves {
        lines.extend(wrap(m, "   -", "     "));
    }
    if let Some(c) = character {
        lines.extend(wrap(&c.brief, &format!("  You play {}:", c.name), "    "));
        lines.extend(wrap(&c.objective, "  Secret objective:", "    "));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The protocol's sample snapshot's view.
    fn sample_view() -> GameView {
        let snapshot = include_str!("../../protocol/tests/fixtures/server-snapshot.json");
        let Ok(ServerMsg::Snapshot { view, .. }) = serde_json::from_str(snapshot) else {
            panic!("a snapshot");
        };
        *view
    }

    #[test]
    fn bars_and_clocks_read_right() {
        assert_eq!(bar(50, 10), "█████░░░░░");
        assert_eq!(bar(0, 4), "░░░░");
        assert_eq!(bar(100, 4), "████");
        assert_eq!(clock(61_000), "1:01");
        assert_eq!(clock(1), "0:01");
        assert_eq!(clock(3_600_000), "1:00:00");
    }

    #[test]
    fn long_lines_are_cut_between_words_and_colours_take_no_room() {
        // Coloured as `paint` colours (not switched on here: other tests
        // run meanwhile).
        let text = "I would organize: the loyal troops are rising, and they are all that stands between the Government and the street.";
        let line = format!("\x1b[36m[liberals]\x1b[0m Lvov (bot): \x1b[36m{text}\x1b[0m");
        let lines = fit(&line);
        assert!(lines.len() > 1, "{lines:?}");
        for l in &lines {
            assert!(visible_width(l) <= WIDTH, "{l:?}");
        }
        assert!(lines[1..]
            .iter()
            .all(|l| l.starts_with("  ") && !l.starts_with("   ")));
        // Nothing lost, no word cut: the words read as before.
        let words = |s: &str| -> Vec<String> {
            s.replace('\x1b', " \x1b")
                .split_whitespace()
                .filter(|w| !w.starts_with('\x1b'))
                .map(str::to_string)
                .collect()
        };
        assert_eq!(words(&lines.join(" ")), words(&line));
        // An indented line keeps its indent, and one that fits is as it was.
        let story = format!("  • {}", "the soldiers' unrest rose 10 and ".repeat(4));
        let cut = fit(&story);
        assert!(
            cut[1].starts_with("    s") && !cut[1].ends_with(' '),
            "{cut:?}"
        );
        assert_eq!(fit("Ana is ready."), ["Ana is ready."]);
    }

    #[test]
    fn the_scores_at_the_end_say_what_they_are() {
        let view = sample_view();
        let score = |faction, score, won| FactionScore {
            faction,
            won,
            score,
            assembly_seats: None,
        };
        let ended = GameEvent::GameEnded {
            outcome: Outcome {
                ending: Ending::EndedByHost,
                round: 3,
                winners: vec![],
                scores: vec![
                    score(Faction::Liberals, 57, false),
                    score(Faction::Soviet, 130, false),
                    score(Faction::Bolsheviks, 43, false),
                ],
                summary: "The host ended the game.".into(),
                at_ms: None,
            },
        };
        let lines = event(&view, &ended);
        let at = lines
            .iter()
            .position(|l| {
                l.contains(
                    "Scores: how strong each faction stood at the end, not who won (`help score`)",
                )
            })
            .unwrap_or_else(|| panic!("{lines:#?}"));
        assert!(
            lines[at + 2].contains("Soviet delegates") && lines[at + 2].contains("130"),
            "{lines:#?}"
        );
    }

    #[test]
    fn the_prompt_keeps_its_width_through_the_game() {
        // The line editor draws the prompt as the game is now while a line
        // is typed, but only at the width it measured when the line began.
        let mut view = sample_view();
        let now = 1_000_000;
        let mut prompts = Vec::new();
        view.status = GameStatus::Lobby;
        prompts.push(prompt(Some(&view), now));
        view.status = GameStatus::Running;
        // Started, round 1 not yet begun: no "R0 -".
        view.round = 0;
        view.phase = None;
        prompts.push(prompt(Some(&view), now));
        for (round, phase) in (1..=8).zip(Phase::ALL.iter().cycle()) {
            view.round = round;
            view.phase = Some(*phase);
            view.paused_remaining_ms = None;
            for left in [1, 9_000, 61_000, 600_000] {
                view.deadline_ms = Some(now + left);
                prompts.push(prompt(Some(&view), now));
            }
            view.paused_remaining_ms = Some(30_000);
            prompts.push(prompt(Some(&view), now));
        }
        view.status = GameStatus::Ended;
        prompts.push(prompt(Some(&view), now));
        let width = prompts[0].chars().count();
        for p in &prompts {
            assert_eq!(p.chars().count(), width, "{p:?} against {:?}", prompts[0]);
        }
        assert!(prompts
            .iter()
            .any(|p| p.starts_with("[R1 briefing     10:00] ")));
        assert!(prompts
            .iter()
            .any(|p| p.starts_with("[R2 negotiation paused] ")));
        assert!(prompts[0].starts_with("[lobby "), "{:?}", prompts[0]);
        assert!(prompts[1].starts_with("[starting "), "{:?}", prompts[1]);
    }

    #[test]
    fn what_passed_is_told_once_per_motion_with_how_many_times() {
        let mut view = sample_view();
        view.state.passed = vec![
            Motion::PeaceAppeal,
            Motion::CivilLiberties,
            Motion::PeaceAppeal,
            Motion::PeaceAppeal,
        ];
        let lines = state(&view, None);
        assert!(
            lines
                .iter()
                .any(|l| l == "Passed so far: peace_appeal ×3, civil_liberties"),
            "{lines:#?}"
        );
        // With the catalog, each by its name too; a policy in force as well.
        let catalog: Catalog = serde_json::from_value(serde_json::json!({
            "factions": [], "groups": [], "tracks": [], "actions": [], "events": [],
            "motions": [{"id": "peace_appeal", "name": "Appeal for peace", "does": "",
                         "history": "", "institution": "soviet", "once": false},
                        {"id": "schedule_elections", "name": "Schedule the elections",
                         "does": "", "history": "", "institution": "government", "once": true}],
            "ideas": [{"id": "at_war", "name": "War until victory", "does": "", "history": ""}],
            "characters": []
        }))
        .unwrap();
        view.state.flags = vec![Flag::AtWar, Flag::FreePress];
        view.state
            .passed
            .push(Motion::ScheduleElections { round: 5 });
        let lines = state(&view, Some(&catalog));
        for line in [
            "Passed so far: Appeal for peace (peace_appeal) ×3, civil_liberties, Schedule the elections (schedule_elections(5))",
            "In force: War until victory (at_war), free_press",
        ] {
            assert!(lines.iter().any(|l| l == line), "{line} in {lines:#?}");
        }
    }

    #[test]
    fn a_bot_moved_is_told_by_its_old_name_and_its_new_one() {
        let mut view = sample_view();
        for (id, name, bot) in [(1, "Ana", false), (4, "Guchkov (bot)", true)] {
            view.players.push(PlayerInfo {
                id: PlayerId(id),
                name: name.into(),
                faction: Faction::Liberals,
                connected: true,
                character: None,
                bot,
            });
        }
        let moved = |id: u32, name: Option<&str>| GameEvent::PlayerMoved {
            player: PlayerId(id),
            faction: Faction::Soviet,
            reason: Some("Balance".into()),
            name: name.map(Into::into),
        };
        assert_eq!(
            event(&view, &moved(4, Some("Dan (bot)"))),
            ["The host moved Guchkov (bot) to the Soviet delegates as Dan (bot): Balance."]
        );
        assert_eq!(
            event(&view, &moved(1, None)),
            ["The host moved Ana to the Soviet delegates: Balance."]
        );
    }
}
