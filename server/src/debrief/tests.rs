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

/// A new game of `sc` with characters dealt and long timers: nothing
/// played yet.
fn unplayed(sc: engine::Scenario) -> Played {
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
    let game = Game::new(Arc::new(sc), settings, 3, "TEST2".into());
    Played {
        start: game.state().public.clone(),
        start_hidden: game.state().hidden,
        game,
        log: Vec::new(),
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
    let Played {
        mut game,
        mut log,
        start,
        start_hidden,
    } = unplayed(sc);
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
    assert!(
        has("offered a coalition in April and the Soviet delegates joined the Government in May"),
        "{q:#?}"
    );
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
    // May's, when the Bolsheviks held the most seats, was the closest.
    let join = p
        .game
        .state()
        .motions
        .iter()
        .find(|m| m.motion == Motion::JoinCoalition)
        .and_then(|m| m.tally.clone())
        .expect("the coalition was voted on");
    assert!(
        has(&format!(
            "The closest vote of the game: Join the coalition passed in May by {} to {}.",
            votes(join.yes),
            votes(join.no)
        )),
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
    log.extend(month(
        &sc,
        4,
        (false, false),
        Some(Motion::Offensive),
        vec![],
        "The offensive failed (its odds were 20 in 100): the Government's legitimacy fell to 40.",
    ));
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

/// A bot the host removed, whose character then went to a student who
/// joined later, and a student the host moved to another faction
/// (dealt one of its characters): each character is told once, beside
/// whoever played it at the end; the removed bot is not listed as
/// playing anyone.
#[test]
fn a_character_dealt_again_is_told_once_beside_its_last_player() {
    let Played {
        mut game,
        mut log,
        start,
        start_hidden,
    } = unplayed(engine::Scenario::default_scenario());
    let mut run = |g: &mut Game, c: Command| log.extend(g.execute(c).expect("legal"));
    run(
        &mut game,
        Command::AddBot {
            faction: Some(Faction::Liberals),
        },
    );
    let bot = game.state().players[0].clone();
    let dealt = bot.character.clone().expect("the bot is dealt a character");
    run(
        &mut game,
        Command::Kick {
            player: bot.id,
            reason: None,
        },
    );
    run(
        &mut game,
        Command::Join {
            name: "Olga".into(),
            faction: Some(Faction::Liberals),
        },
    );
    // (A bot is dealt from the end of the list, a person from its start:
    // the host gives Olga the removed bot's character.)
    let olga_id = game.state().players[0].id;
    run(
        &mut game,
        Command::AssignCharacter {
            player: olga_id,
            character: dealt.clone(),
        },
    );
    let olga = game.state().players[0].clone();
    assert_eq!(olga.character.as_ref(), Some(&dealt), "dealt again");
    run(
        &mut game,
        Command::Join {
            name: "Pavel".into(),
            faction: Some(Faction::Soviet),
        },
    );
    let pavel = game.state().players[1].clone();
    run(
        &mut game,
        Command::Move {
            player: pavel.id,
            faction: Faction::Bolsheviks,
            reason: None,
        },
    );
    let pavel_now = game
        .state()
        .player(pavel.id)
        .and_then(|p| p.character.clone())
        .expect("a Bolshevik character");
    assert_ne!(Some(&pavel_now), pavel.character.as_ref());
    let p = Played {
        game,
        log,
        start,
        start_hidden,
    };
    let rec = gather::gather(&p.input(Viewer::Host, &p.log));
    let fates = lesson::characters(p.game.scenario(), &rec);
    let told: Vec<(&str, &str)> = fates
        .iter()
        .map(|f| (f.character.as_str(), f.player.as_str()))
        .collect();
    assert!(told.contains(&(dealt.as_str(), "Olga")), "{told:?}");
    assert!(told.contains(&(pavel_now.as_str(), "Pavel")), "{told:?}");
    assert_eq!(told.len(), 2, "each character once, nobody twice: {told:?}");
    let (_, md) = p.report(Viewer::Host);
    assert!(!md.contains(&format!("{} ({dealt})", bot.name)), "{md}");
}

#[test]
fn a_bot_moved_to_another_faction_is_named_after_one_of_its_new_figures() {
    let Played {
        mut game,
        mut log,
        start,
        start_hidden,
    } = unplayed(engine::Scenario::default_scenario());
    let mut run = |g: &mut Game, c: Command| log.extend(g.execute(c).expect("legal"));
    for (name, f) in [("Olga", Faction::Liberals), ("Pavel", Faction::Soviet)] {
        run(
            &mut game,
            Command::Join {
                name: name.into(),
                faction: Some(f),
            },
        );
    }
    for f in [Faction::Liberals, Faction::Soviet] {
        run(&mut game, Command::AddBot { faction: Some(f) });
    }
    let bot = game.state().players[2].clone();
    assert_eq!(bot.name, "Kokoshkin (bot)");
    assert_eq!(game.state().players[3].name, "Spiridonova (bot)");
    run(
        &mut game,
        Command::Move {
            player: bot.id,
            faction: Faction::Soviet,
            reason: None,
        },
    );
    let pavel = game.state().players[1].id;
    run(
        &mut game,
        Command::Move {
            player: pavel,
            faction: Faction::Bolsheviks,
            reason: None,
        },
    );
    let character = game
        .state()
        .player(bot.id)
        .and_then(|p| p.character.clone())
        .expect("a Soviet character");
    let p = Played {
        game,
        log,
        start,
        start_hidden,
    };
    let rec = gather::gather(&p.input(Viewer::Host, &p.log));
    // What became of them: the bot's character beside its new name.
    let fates = lesson::characters(p.game.scenario(), &rec);
    let told: Vec<(&str, &str, &str)> = fates
        .iter()
        .map(|f| (f.character.as_str(), f.player.as_str(), f.faction))
        .collect();
    assert!(
        told.contains(&(character.as_str(), "Martov (bot)", "Soviet delegates")),
        "{told:?}"
    );
    assert!(told.iter().any(|t| t.1 == "Pavel"), "{told:?}");
    // Participation: the new name among the Soviet delegates.
    let report = Report::build(&p.input(Viewer::Host, &p.log));
    let rows: Vec<(&str, &str)> = report
        .participation
        .rows
        .iter()
        .map(|r| (r.name.as_str(), r.faction))
        .collect();
    assert!(
        rows.contains(&("Martov (bot)", "Soviet delegates")),
        "{rows:?}"
    );
    assert!(rows.contains(&("Pavel", "Bolsheviks")), "{rows:?}");
    // The old name is told only where the move is.
    let (html, md) = p.report(Viewer::Host);
    let moved = "The host moved Kokoshkin (bot) to the Soviet delegates as Martov (bot).";
    for text in [unescape(&html), md] {
        assert!(text.contains(moved), "{text}");
        assert_eq!(
            text.matches("Kokoshkin (bot)").count(),
            text.matches(moved).count(),
            "{text}"
        );
        assert!(
            text.contains("The host moved Pavel to the Bolsheviks."),
            "{text}"
        );
    }
}

#[test]
fn the_assembly_s_seats_are_a_column_only_when_the_assembly_was_elected() {
    let mut p = played();
    let (html, md) = p.report(Viewer::Host);
    // Ended by the host in June: scores, no Assembly.
    assert!(md.contains("| faction | result | score |\n"), "{md}");
    for page in [&html, &md] {
        assert!(!page.contains("Assembly seats"), "{page}");
        // A number a class cannot read is explained under the table.
        assert!(
            page.contains("The score: Not how a faction wins (the ending decides that)"),
            "{page}"
        );
    }
    // The same game, had it reached the Assembly: each faction's seats.
    let Some(GameEvent::GameEnded { outcome }) = p
        .log
        .iter_mut()
        .map(|e| &mut e.event)
        .find(|e| matches!(e, GameEvent::GameEnded { .. }))
    else {
        panic!("the game ended");
    };
    outcome.ending = Ending::ConstituentAssembly;
    for (s, seats) in outcome.scores.iter_mut().zip([301, 383, 16]) {
        s.assembly_seats = Some(seats);
    }
    let (html, md) = p.report(Viewer::Host);
    assert!(
        md.contains("| faction | result | score | Assembly seats |"),
        "{md}"
    );
    assert!(md.contains(" | 383 |"), "{md}");
    assert!(
        html.contains(r#"<th class="n">Assembly seats</th>"#),
        "{html}"
    );
    assert!(html.contains(r#"<td class="n">383</td>"#), "{html}");
}
