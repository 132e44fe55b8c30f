//! The charts of the tracks and the session drawn to scale: geometry for
//! the templates, numbers for the Markdown tables.

use super::*;

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

pub(super) fn charts(input: &ReportInput, rec: &Record) -> Vec<ChartView> {
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

/// The colour of a mark: the host black, connections grey, restarts red.
fn mark_colour(kind: &str) -> &'static str {
    match kind {
        "restart" => "#c62828",
        "connection" => "#9e9e9e",
        _ => "#222222",
    }
}

pub(super) fn strip(input: &ReportInput, rec: &Record, timeline: &[Mark]) -> Option<StripView> {
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
