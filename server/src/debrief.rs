//! The debrief report: a game's log turned into a record a class reads
//! afterwards, in Markdown and in one self-contained HTML page with inline
//! SVG charts. Pure: no I/O, no clock.
//!
//! The log given is already what the reader may see (the host's whole log,
//! or one faction's view), with redacted chat removed.

use engine::Emitted;
use protocol::*;
use std::collections::BTreeMap;
use std::fmt::Write;

/// What a report is made from.
pub struct ReportInput<'a> {
    pub code: &'a str,
    pub scenario_title: &'a str,
    /// Month names, index 0 = round 1.
    pub months: &'a [String],
    /// The public state before the first round.
    pub start: &'a PublicState,
    pub log: &'a [Emitted],
    /// Whose view: the host, or a faction (a player of it).
    pub viewer: Viewer,
}

#[derive(Default)]
struct Round {
    card: Option<(EventCard, Vec<String>)>,
    motions: Vec<MotionView>,
    results: BTreeMap<MotionId, Tally>,
    actions: Vec<RevealedActions>,
    summary: Vec<String>,
    chat: Vec<(ChatScope, Option<PlayerId>, String)>,
    host_notes: Vec<String>,
    /// The public state at the end of the round's resolution.
    state: Option<PublicState>,
}

/// The game, gathered from its log.
struct Record {
    players: BTreeMap<PlayerId, PlayerInfo>,
    rounds: BTreeMap<u8, Round>,
    outcome: Option<Outcome>,
}

fn gather(input: &ReportInput) -> Record {
    let mut players = BTreeMap::new();
    let mut rounds: BTreeMap<u8, Round> = BTreeMap::new();
    let mut outcome = None;
    let mut round = 0u8;
    let mut last_state: Option<PublicState> = None;
    for e in input.log {
        let r = rounds.entry(round).or_default();
        match &e.event {
            GameEvent::PlayerJoined { player } => {
                players.insert(player.id, player.clone());
            }
            GameEvent::PlayerMoved {
                player, faction, ..
            } => {
                if let Some(p) = players.get_mut(player) {
                    p.faction = *faction;
                }
                r.host_notes.push(format!(
                    "{} moved to the {}.",
                    name(&players, *player),
                    faction.name()
                ));
            }
            GameEvent::PlayerKicked { player, reason } => {
                r.host_notes.push(format!(
                    "{} was removed by the host{}.",
                    name(&players, *player),
                    because(reason)
                ));
            }
            GameEvent::PhaseStarted { round: n, .. } => round = *n,
            GameEvent::EventRevealed { card, effects } => {
                rounds.entry(card.round.max(round)).or_default().card =
                    Some((card.clone(), effects.clone()));
            }
            GameEvent::StateChanged { state } => last_state = Some(state.clone()),
            GameEvent::MotionTabled { motion } => r.motions.push(motion.clone()),
            GameEvent::MotionWithdrawn { motion } => {
                if let Some(m) = r.motions.iter_mut().find(|m| m.id == *motion) {
                    m.status = MotionStatus::Withdrawn;
                }
            }
            GameEvent::VotesClosed { results } => {
                for v in results {
                    r.results.insert(v.motion, v.tally.clone());
                }
            }
            GameEvent::Resolved {
                round: n,
                actions,
                summary,
            } => {
                let r = rounds.entry(*n).or_default();
                r.actions = actions.clone();
                r.summary = summary.clone();
                r.state = last_state.clone();
            }
            GameEvent::Chat {
                scope, from, text, ..
            } => r.chat.push((*scope, *from, text.clone())),
            GameEvent::Paused { reason, .. } => r
                .host_notes
                .push(format!("The host paused the game{}.", because(reason))),
            GameEvent::PhaseEndedEarly {
                reason: Some(reason),
            } => r.host_notes.push(format!("A phase ended early: {reason}")),
            GameEvent::GameEnded { outcome: o } => {
                outcome = Some(o.clone());
                if let Some(s) = &last_state {
                    rounds
                        .entry(o.round.max(1))
                        .or_default()
                        .state
                        .get_or_insert_with(|| s.clone());
                }
            }
            _ => {}
        }
    }
    rounds.retain(|n, r| *n > 0 || !r.chat.is_empty() || !r.host_notes.is_empty());
    Record {
        players,
        rounds,
        outcome,
    }
}

fn because(reason: &Option<String>) -> String {
    reason
        .as_ref()
        .map(|r| format!(" ({r})"))
        .unwrap_or_default()
}

fn name(players: &BTreeMap<PlayerId, PlayerInfo>, id: PlayerId) -> String {
    players
        .get(&id)
        .map_or_else(|| id.to_string(), |p| p.name.clone())
}

fn viewer_title(v: Viewer) -> String {
    match v {
        Viewer::Host => "the host's complete record".into(),
        Viewer::Player { faction, .. } => format!("what the {} knew", faction.name()),
        Viewer::Spectator => "the public record".into(),
    }
}

fn month(input: &ReportInput, round: u8) -> String {
    match round {
        0 => "Before the game".into(),
        r => input
            .months
            .get(usize::from(r) - 1)
            .map_or_else(|| format!("Round {r}"), |m| format!("Round {r}: {m}")),
    }
}

fn scope_label(players: &BTreeMap<PlayerId, PlayerInfo>, scope: ChatScope) -> String {
    match scope {
        ChatScope::Floor => "floor".into(),
        ChatScope::Announcement => "host".into(),
        ChatScope::Faction { faction } => format!("{} channel", faction.name()),
        ChatScope::Private { to } => format!("private to {}", name(players, to)),
    }
}

/// One chart's data: the labels (x) and named series of 0..=100 values.
struct Chart {
    title: String,
    series: Vec<(&'static str, &'static str, Vec<u8>)>,
}

/// The state after each round, starting with the state before round 1.
fn history(input: &ReportInput, rec: &Record) -> (Vec<String>, Vec<PublicState>) {
    let mut labels = vec!["Start".to_string()];
    let mut states = vec![input.start.clone()];
    for (n, r) in &rec.rounds {
        if let Some(s) = &r.state {
            labels.push(
                input
                    .months
                    .get(usize::from(*n).saturating_sub(1))
                    .cloned()
                    .unwrap_or_else(|| format!("R{n}")),
            );
            states.push(s.clone());
        }
    }
    (labels, states)
}

fn charts(states: &[PublicState]) -> Vec<Chart> {
    let series = |f: &dyn Fn(&PublicState) -> u8| states.iter().map(f).collect::<Vec<u8>>();
    let mut out = vec![
        Chart {
            title: "Legitimacy".into(),
            series: vec![
                (
                    "gov_legitimacy",
                    "#1f5fa8",
                    series(&|s| s.tracks.gov_legitimacy),
                ),
                (
                    "soviet_legitimacy",
                    "#c0392b",
                    series(&|s| s.tracks.soviet_legitimacy),
                ),
            ],
        },
        Chart {
            title: "Soviet seats".into(),
            series: vec![
                (
                    "soviet_seats_soviet",
                    "#e67e22",
                    series(&|s| s.soviet_seats.soviet),
                ),
                (
                    "soviet_seats_bolsheviks",
                    "#7b241c",
                    series(&|s| s.soviet_seats.bolsheviks),
                ),
            ],
        },
    ];
    for g in Group::ALL {
        let sup =
            |f: Faction| series(&|s: &PublicState| s.groups.get(&g).map_or(0, |x| x.support[f]));
        out.push(Chart {
            title: format!("Support among the {}", g.id()),
            series: vec![
                ("liberals", "#1f5fa8", sup(Faction::Liberals)),
                ("soviet", "#e67e22", sup(Faction::Soviet)),
                ("bolsheviks", "#7b241c", sup(Faction::Bolsheviks)),
            ],
        });
    }
    out
}

/// An inline SVG line chart; each line carries its values in
/// `data-values` so tools (and tests) can read them back.
fn svg(chart: &Chart, labels: &[String]) -> String {
    let (w, h, left, top, bottom) = (520.0, 220.0, 36.0, 24.0, 30.0);
    let plot_w = w - left - 12.0;
    let plot_h = h - top - bottom;
    let n = labels.len().max(2) - 1;
    let x = |i: usize| left + plot_w * i as f64 / n as f64;
    let y = |v: u8| top + plot_h * (1.0 - f64::from(v) / 100.0);
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" aria-label="{}">"#,
        esc(&chart.title)
    );
    let _ = write!(
        s,
        r##"<text x="{left}" y="16" font-size="13" font-weight="bold">{}</text>"##,
        esc(&chart.title)
    );
    for v in [0u8, 25, 50, 75, 100] {
        let _ = write!(
            s,
            r##"<line x1="{left}" x2="{}" y1="{y}" y2="{y}" stroke="#ddd"/><text x="4" y="{}" font-size="10">{v}</text>"##,
            left + plot_w,
            y(v) + 3.0,
            y = y(v)
        );
    }
    for (i, l) in labels.iter().enumerate() {
        let _ = write!(
            s,
            r#"<text x="{}" y="{}" font-size="10" text-anchor="middle">{}</text>"#,
            x(i),
            h - 10.0,
            esc(&l.chars().take(3).collect::<String>())
        );
    }
    for (k, (id, color, values)) in chart.series.iter().enumerate() {
        let points: Vec<String> = values
            .iter()
            .enumerate()
            .map(|(i, v)| format!("{:.1},{:.1}", x(i), y(*v)))
            .collect();
        let vals: Vec<String> = values.iter().map(u8::to_string).collect();
        let _ = write!(
            s,
            r#"<polyline data-series="{id}" data-values="{}" fill="none" stroke="{color}" stroke-width="2.5" points="{}"/>"#,
            vals.join(","),
            points.join(" ")
        );
        let _ = write!(
            s,
            r#"<text x="{}" y="{}" font-size="11" fill="{color}">{id}</text>"#,
            left + 8.0 + 150.0 * k as f64,
            top + 12.0
        );
    }
    s.push_str("</svg>");
    s
}

/// Escape text for HTML.
fn esc(t: &str) -> String {
    let mut out = String::with_capacity(t.len());
    for c in t.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Escape text for Markdown (and keep it from becoming HTML).
fn md(t: &str) -> String {
    let mut out = String::with_capacity(t.len());
    for c in t.chars() {
        if "\\`*_{}[]<>()#+-.!|".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn tally_line(t: &Tally) -> String {
    format!(
        "{}: {} yes, {} no, {} abstaining{}",
        if t.passed { "passed" } else { "failed" },
        t.yes,
        t.no,
        t.abstain,
        t.note
            .as_ref()
            .map(|n| format!(" ({n})"))
            .unwrap_or_default()
    )
}

fn roll_call(players: &BTreeMap<PlayerId, PlayerInfo>, t: &Tally) -> Vec<(Faction, String)> {
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
        .map(|(f, v)| (f, v.join(", ")))
        .collect()
}

/// The report in Markdown.
pub fn markdown(input: &ReportInput) -> String {
    let rec = gather(input);
    let mut s = String::new();
    let _ = writeln!(
        s,
        "# {} — game {}\n",
        md(input.scenario_title),
        md(input.code)
    );
    let _ = writeln!(s, "*This is {}.*\n", viewer_title(input.viewer));
    s.push_str("## Players\n\n");
    for f in Faction::ALL {
        let names: Vec<String> = rec
            .players
            .values()
            .filter(|p| p.faction == f)
            .map(|p| md(&p.name))
            .collect();
        let _ = writeln!(
            s,
            "- **{}**: {}",
            f.name(),
            if names.is_empty() {
                "nobody".into()
            } else {
                names.join(", ")
            }
        );
    }
    for (n, r) in &rec.rounds {
        let _ = writeln!(s, "\n## {}\n", md(&month(input, *n)));
        if let Some((card, effects)) = &r.card {
            let _ = writeln!(s, "**{}.** {}\n", md(&card.title), md(&card.text));
            for e in effects {
                let _ = writeln!(s, "- {}", md(e));
            }
            s.push('\n');
        }
        if !r.motions.is_empty() {
            s.push_str("### Motions\n\n");
            for m in &r.motions {
                let _ = write!(
                    s,
                    "- **{}** ({:?}), tabled by {}",
                    md(&m.motion.to_string()),
                    m.institution,
                    md(&name(&rec.players, m.proposer))
                );
                match (m.status, r.results.get(&m.id)) {
                    (MotionStatus::Withdrawn, _) => s.push_str(": withdrawn\n"),
                    (_, Some(t)) => {
                        let _ = writeln!(s, ": {}", tally_line(t));
                        for (f, votes) in roll_call(&rec.players, t) {
                            let _ = writeln!(s, "  - {}: {}", f.name(), md(&votes));
                        }
                    }
                    _ => s.push('\n'),
                }
            }
            s.push('\n');
        }
        if !r.actions.is_empty() {
            s.push_str("### Actions\n\n");
            for a in &r.actions {
                let list: Vec<String> = a.actions.iter().map(|x| md(&x.to_string())).collect();
                let _ = writeln!(
                    s,
                    "- **{}**: {}",
                    a.faction.name(),
                    if list.is_empty() {
                        "nothing".into()
                    } else {
                        list.join(", ")
                    }
                );
            }
            s.push('\n');
        }
        if !r.summary.is_empty() {
            s.push_str("### What happened\n\n");
            for l in &r.summary {
                let _ = writeln!(s, "- {}", md(l));
            }
            s.push('\n');
        }
        if !r.host_notes.is_empty() {
            for l in &r.host_notes {
                let _ = writeln!(s, "- *{}*", md(l));
            }
            s.push('\n');
        }
        if !r.chat.is_empty() {
            s.push_str("### Chat\n\n");
            for (scope, from, text) in &r.chat {
                let who = from.map_or_else(|| "Host".to_string(), |p| name(&rec.players, p));
                let _ = writeln!(
                    s,
                    "- [{}] **{}**: {}",
                    md(&scope_label(&rec.players, *scope)),
                    md(&who),
                    md(text)
                );
            }
        }
    }
    if let Some(o) = &rec.outcome {
        let _ = writeln!(
            s,
            "\n## The ending: {}\n\n{}\n",
            o.ending.title(),
            md(&o.summary)
        );
        s.push_str("| faction | won | score | Assembly seats |\n| --- | --- | --- | --- |\n");
        for sc in &o.scores {
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} |",
                sc.faction.name(),
                if sc.won { "yes" } else { "no" },
                sc.score,
                sc.assembly_seats.map_or("".into(), |x| x.to_string())
            );
        }
    }
    let (labels, states) = history(input, &rec);
    s.push_str("\n## The tracks, round by round\n\n");
    for c in charts(&states) {
        let _ = writeln!(s, "**{}**\n", c.title);
        let _ = writeln!(s, "| series | {} |", labels.join(" | "));
        let _ = writeln!(s, "|---|{}", "---|".repeat(labels.len()));
        for (id, _, v) in &c.series {
            let vals: Vec<String> = v.iter().map(u8::to_string).collect();
            let _ = writeln!(s, "| {} | {} |", md(id), vals.join(" | "));
        }
        s.push('\n');
    }
    s
}

/// The report as one self-contained HTML page with inline SVG charts.
pub fn html(input: &ReportInput) -> String {
    let rec = gather(input);
    let mut s = String::new();
    let title = format!("{} — game {}", input.scenario_title, input.code);
    let _ = write!(
        s,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title><style>\
body{{font-family:Georgia,serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}}\
h1,h2,h3{{font-family:Helvetica,Arial,sans-serif}}h2{{border-bottom:2px solid #7b241c}}\
.chat{{color:#444}}.scope{{color:#888;font-size:.85em}}.note{{font-style:italic}}\
table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:.2rem .6rem}}\
.charts svg{{margin:.5rem 1rem .5rem 0}}</style></head><body>",
        esc(&title)
    );
    let _ = write!(
        s,
        "<h1>{}</h1><p><em>This is {}.</em></p>",
        esc(&title),
        esc(&viewer_title(input.viewer))
    );
    s.push_str("<h2>Players</h2><ul>");
    for f in Faction::ALL {
        let names: Vec<String> = rec
            .players
            .values()
            .filter(|p| p.faction == f)
            .map(|p| esc(&p.name))
            .collect();
        let _ = write!(
            s,
            "<li><strong>{}</strong>: {}</li>",
            f.name(),
            if names.is_empty() {
                "nobody".into()
            } else {
                names.join(", ")
            }
        );
    }
    s.push_str("</ul>");
    let (labels, states) = history(input, &rec);
    s.push_str("<h2>The tracks, round by round</h2><div class=\"charts\">");
    for c in charts(&states) {
        s.push_str(&svg(&c, &labels));
    }
    s.push_str("</div>");
    for (n, r) in &rec.rounds {
        let _ = write!(s, "<h2>{}</h2>", esc(&month(input, *n)));
        if let Some((card, effects)) = &r.card {
            let _ = write!(
                s,
                "<p><strong>{}.</strong> {}</p><ul>",
                esc(&card.title),
                esc(&card.text)
            );
            for e in effects {
                let _ = write!(s, "<li>{}</li>", esc(e));
            }
            s.push_str("</ul>");
        }
        if !r.motions.is_empty() {
            s.push_str("<h3>Motions</h3><ul>");
            for m in &r.motions {
                let _ = write!(
                    s,
                    "<li><strong>{}</strong> ({:?}), tabled by {}",
                    esc(&m.motion.to_string()),
                    m.institution,
                    esc(&name(&rec.players, m.proposer))
                );
                match (m.status, r.results.get(&m.id)) {
                    (MotionStatus::Withdrawn, _) => s.push_str(": withdrawn"),
                    (_, Some(t)) => {
                        let _ = write!(s, ": {}<ul>", esc(&tally_line(t)));
                        for (f, votes) in roll_call(&rec.players, t) {
                            let _ = write!(s, "<li>{}: {}</li>", f.name(), esc(&votes));
                        }
                        s.push_str("</ul>");
                    }
                    _ => {}
                }
                s.push_str("</li>");
            }
            s.push_str("</ul>");
        }
        if !r.actions.is_empty() {
            s.push_str("<h3>Actions</h3><ul>");
            for a in &r.actions {
                let list: Vec<String> = a.actions.iter().map(|x| esc(&x.to_string())).collect();
                let _ = write!(
                    s,
                    "<li><strong>{}</strong>: {}</li>",
                    a.faction.name(),
                    if list.is_empty() {
                        "nothing".into()
                    } else {
                        list.join(", ")
                    }
                );
            }
            s.push_str("</ul>");
        }
        if !r.summary.is_empty() {
            s.push_str("<h3>What happened</h3><ul>");
            for l in &r.summary {
                let _ = write!(s, "<li>{}</li>", esc(l));
            }
            s.push_str("</ul>");
        }
        for l in &r.host_notes {
            let _ = write!(s, "<p class=\"note\">{}</p>", esc(l));
        }
        if !r.chat.is_empty() {
            s.push_str("<h3>Chat</h3><ul class=\"chat\">");
            for (scope, from, text) in &r.chat {
                let who = from.map_or_else(|| "Host".to_string(), |p| name(&rec.players, p));
                let _ = write!(
                    s,
                    "<li><span class=\"scope\">[{}]</span> <strong>{}</strong>: {}</li>",
                    esc(&scope_label(&rec.players, *scope)),
                    esc(&who),
                    esc(text)
                );
            }
            s.push_str("</ul>");
        }
    }
    if let Some(o) = &rec.outcome {
        let _ = write!(
            s,
            "<h2>The ending: {}</h2><p>{}</p>",
            esc(o.ending.title()),
            esc(&o.summary)
        );
        s.push_str(
            "<table><tr><th>faction</th><th>won</th><th>score</th><th>Assembly seats</th></tr>",
        );
        for sc in &o.scores {
            let _ = write!(
                s,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                sc.faction.name(),
                if sc.won { "yes" } else { "no" },
                sc.score,
                sc.assembly_seats.map_or("".into(), |x| x.to_string())
            );
        }
        s.push_str("</table>");
    }
    s.push_str("</body></html>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use engine::{Command, Game, Scenario};
    use std::sync::Arc;

    fn settings() -> GameSettings {
        GameSettings {
            scenario: "petrograd-1917".into(),
            timers: PhaseTimers {
                briefing: 1,
                negotiation: 1,
                proposals: 1,
                voting: 1,
                resolution: 1,
            },
            faction_choice: FactionChoice::Choose,
            characters: false,
        }
    }

    /// A two-round game with motions, votes, actions and chat; its log.
    fn played() -> (Game, Vec<Emitted>, PublicState) {
        let sc = Arc::new(Scenario::default_scenario());
        let mut g = Game::new(sc, settings(), 3, "TEST2".into());
        let start = g.state().public.clone();
        let mut log = Vec::new();
        let mut run = |g: &mut Game, c: Command| log.extend(g.execute(c).expect("legal"));
        for (name, f) in [
            ("<script>Ana", Faction::Liberals),
            ("Vera", Faction::Soviet),
            ("Lenin", Faction::Bolsheviks),
        ] {
            run(
                &mut g,
                Command::Join {
                    name: name.into(),
                    faction: Some(f),
                },
            );
        }
        let (lib, sov, bol) = (PlayerId(1), PlayerId(2), PlayerId(3));
        run(&mut g, Command::Start { now_ms: 0 });
        for round in 1..=2u32 {
            run(&mut g, Command::Advance { now_ms: 0 });
            run(
                &mut g,
                Command::Chat {
                    from: engine::Speaker::Player(lib),
                    channel: Channel::Faction,
                    text: format!("liberal plan {round}"),
                },
            );
            run(
                &mut g,
                Command::Chat {
                    from: engine::Speaker::Player(bol),
                    channel: Channel::Floor,
                    text: format!("peace land bread {round}"),
                },
            );
            run(&mut g, Command::Advance { now_ms: 0 });
            let m = if round == 1 {
                Motion::CivilLiberties
            } else {
                Motion::Amnesty
            };
            run(
                &mut g,
                Command::Table {
                    player: lib,
                    motion: m,
                },
            );
            run(
                &mut g,
                Command::Table {
                    player: sov,
                    motion: if round == 1 {
                        Motion::OrderNo1
                    } else {
                        Motion::PeaceAppeal
                    },
                },
            );
            run(&mut g, Command::Advance { now_ms: 0 });
            let ids: Vec<MotionId> = g.state().round_motions().map(|m| m.id).collect();
            run(
                &mut g,
                Command::Vote {
                    player: lib,
                    motion: ids[0],
                    vote: Vote::Yes,
                },
            );
            run(
                &mut g,
                Command::Vote {
                    player: sov,
                    motion: ids[1],
                    vote: Vote::Yes,
                },
            );
            run(
                &mut g,
                Command::Vote {
                    player: bol,
                    motion: ids[1],
                    vote: Vote::No,
                },
            );
            run(
                &mut g,
                Command::Plan {
                    player: lib,
                    action: Action::PressCampaign,
                },
            );
            run(&mut g, Command::Advance { now_ms: 0 });
            run(&mut g, Command::Advance { now_ms: 0 });
        }
        (g, log, start)
    }

    fn input<'a>(
        log: &'a [Emitted],
        start: &'a PublicState,
        months: &'a [String],
        viewer: Viewer,
    ) -> ReportInput<'a> {
        ReportInput {
            code: "TEST2",
            scenario_title: "Dual Power",
            months,
            start,
            log,
            viewer,
        }
    }

    fn values(html: &str, series: &str) -> Vec<u8> {
        let key = format!("data-series=\"{series}\" data-values=\"");
        let at = html.find(&key).expect("the series is charted") + key.len();
        let end = html[at..].find('"').unwrap();
        html[at..at + end]
            .split(',')
            .map(|v| v.parse().unwrap())
            .collect()
    }

    #[test]
    fn the_report_has_every_motion_roll_call_and_charts_that_match_the_history() {
        let (g, log, start) = played();
        let months = g.scenario().months.clone();
        let html = html(&input(&log, &start, &months, Viewer::Host));
        let md = markdown(&input(&log, &start, &months, Viewer::Host));
        for m in &g.state().motions {
            let id = m.motion.to_string();
            assert!(html.contains(&id) && md.contains(&md_escaped(&id)), "{id}");
            for e in &m.tally.as_ref().expect("closed").roll_call {
                let who = &g.state().player(e.player).unwrap().name;
                assert!(html.contains(&esc(who)), "{who} in the roll call");
            }
        }
        // The chart's series are the state at the start and after each round.
        let mut expected = vec![start.tracks.gov_legitimacy];
        let mut last = None;
        for e in &log {
            match &e.event {
                GameEvent::StateChanged { state } => last = Some(state.tracks.gov_legitimacy),
                GameEvent::Resolved { .. } => {
                    expected.push(last.expect("a state before the resolution"))
                }
                _ => {}
            }
        }
        assert_eq!(values(&html, "gov_legitimacy"), expected);
        assert_eq!(values(&html, "soviet_seats_bolsheviks").len(), 3);
        // User text cannot inject markup.
        assert!(!html.contains("<script>"));
        assert!(html.contains("&lt;script&gt;Ana"));
    }

    fn md_escaped(t: &str) -> String {
        md(t)
    }

    #[test]
    fn a_factions_report_shows_only_what_that_side_could_know() {
        let (g, log, start) = played();
        let months = g.scenario().months.clone();
        let bolsheviks = Viewer::Player {
            id: PlayerId(0),
            faction: Faction::Bolsheviks,
        };
        let theirs: Vec<Emitted> = log
            .iter()
            .filter(|e| e.audience.includes(&bolsheviks))
            .cloned()
            .collect();
        let report = markdown(&input(&theirs, &start, &months, bolsheviks));
        assert!(!report.contains("liberal plan"));
        assert!(report.contains("peace land bread 1"));
        assert!(report.contains("what the Bolsheviks knew"));
        let host = markdown(&input(&log, &start, &months, Viewer::Host));
        assert!(host.contains("liberal plan 1"));
    }
}
