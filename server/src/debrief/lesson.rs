//! The lesson's parts: the ending beside the real one, the months beside
//! the chronicle, participation, fates, and the full record.

use super::*;

pub(super) fn ending_view(sc: &Scenario, rec: &Record) -> EndingView {
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
            elected: false,
            score_means: String::new(),
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
        elected: o.scores.iter().any(|s| s.assembly_seats.is_some()),
        score_means: sc
            .catalog
            .ideas
            .iter()
            .find(|i| i.id == "score")
            .map_or_else(String::new, |i| i.does.clone()),
        real_title,
        real,
        compared,
    }
}

/// The states charted: the start, then after each month.
pub(super) fn history(
    input: &ReportInput,
    rec: &Record,
) -> Vec<(String, PublicState, HiddenTracks)> {
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

pub(super) fn passed_in(r: &Round) -> Vec<Motion> {
    r.motions
        .iter()
        .filter(|m| r.results.get(&m.id).is_some_and(|t| t.passed))
        .map(|m| m.motion)
        .collect()
}

pub(super) fn months_view(input: &ReportInput, rec: &Record) -> Vec<MonthView> {
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
                            motion_name(input.scenario, m.motion),
                            institution(m.institution)
                        )
                    }
                    (_, Some(t)) => format!(
                        "{} ({}): {}",
                        motion_name(input.scenario, m.motion),
                        institution(m.institution),
                        if t.passed { "passed" } else { "failed" }
                    ),
                    _ => format!(
                        "{} ({}): tabled",
                        motion_name(input.scenario, m.motion),
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
                    .map(|id| motion_id_name(sc, id))
                    .collect();
                let only_real: Vec<String> = theirs
                    .difference(&ours)
                    .map(|id| motion_id_name(sc, id))
                    .collect();
                let only_ours: Vec<String> = ours
                    .difference(&theirs)
                    .map(|id| motion_id_name(sc, id))
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
pub(super) fn track_changes(a: &PublicState, b: &PublicState) -> Vec<String> {
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

pub(super) fn characters(sc: &Scenario, rec: &Record) -> Vec<CharacterFate> {
    // A removed player's character goes back to the deck: told beside
    // the player dealt it next, or marked removed if nobody was.
    let held_by_present = |c: &str| {
        rec.players
            .iter()
            .any(|(id, p)| !rec.kicked.contains(id) && p.character.as_deref() == Some(c))
    };
    let dealt: Vec<CharacterFate> = rec
        .players
        .iter()
        .filter_map(|(id, p)| {
            let c = p.character.as_ref()?;
            let removed = rec.kicked.contains(id);
            if removed && held_by_present(c) {
                return None;
            }
            let mut player = one_line(&p.name);
            if removed {
                player.push_str(" (removed)");
            }
            let def = sc.characters.iter().find(|d| &d.name == c);
            Some(CharacterFate {
                character: c.clone(),
                player,
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

pub(super) fn participation(input: &ReportInput, rec: &Record) -> Participation {
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

// --------------------------------------------------------- the full record --

pub(super) fn round_records(input: &ReportInput, rec: &Record) -> Vec<RoundRecord> {
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
                        name: motion_name(input.scenario, m.motion),
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

pub(super) fn roll_call(
    players: &BTreeMap<PlayerId, PlayerInfo>,
    t: &Tally,
) -> Vec<(String, String)> {
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
