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

mod charts;
mod gather;
mod lesson;
mod questions;
#[cfg(test)]
mod tests;
mod words;

use charts::*;
use gather::*;
use lesson::*;
use questions::*;
use words::*;

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
    /// Whether the Constituent Assembly was elected: its seats get a
    /// column only then (an empty column would only puzzle a class).
    pub elected: bool,
    /// What the scores mean (the scenario's `ideas.score`), if it says.
    pub score_means: String,
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
