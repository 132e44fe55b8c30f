//! The round's story is read aloud to the class: every number in it must be
//! right. Whole games with random motions, votes and actions, over many
//! seeds; after each resolution every figure of its story is checked
//! against the states before and after it:
//!
//! - a change ("rose 8", "won 5 points among the workers (3 from …)",
//!   "won 6 Soviet seats") adds up, cause by cause, to exactly the
//!   difference between the state before and after the resolution;
//! - a level (the "Now:" line) is the state the round ended in;
//! - a tally is the vote's tally; the endings' figures are the outcome's.
//!
//! A number the checker does not recognise fails the test, so a new
//! sentence with a figure in it needs a rule here.

mod common;

use common::*;
use engine::{Command, Emitted, State};
use protocol::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::BTreeMap;

const TRACKS: [(&str, Track); 4] = [
    ("the Government's legitimacy", Track::GovLegitimacy),
    ("the Soviet's legitimacy", Track::SovietLegitimacy),
    ("war weariness", Track::WarWeariness),
    ("bread", Track::Bread),
];

fn track(s: &State, t: Track) -> i64 {
    let p = &s.public.tracks;
    i64::from(match t {
        Track::GovLegitimacy => p.gov_legitimacy,
        Track::SovietLegitimacy => p.soviet_legitimacy,
        Track::WarWeariness => p.war_weariness,
        Track::Bread => p.bread,
        _ => unreachable!("hidden tracks are told in bands"),
    })
}

fn group_of(word: &str) -> Option<Group> {
    Group::ALL.into_iter().find(|g| g.id() == word)
}

fn possessive(g: Group) -> &'static str {
    match g {
        Group::Workers => "the workers'",
        Group::Soldiers => "the soldiers'",
        Group::Peasants => "the peasants'",
        Group::Middle => "the middle classes'",
    }
}

fn faction_of(words: &str) -> Option<Faction> {
    let w = words.trim().trim_start_matches("the ");
    Faction::ALL.into_iter().find(|f| f.name() == w)
}

fn num(s: &str) -> i64 {
    s.trim()
        .trim_end_matches(['.', ',', ')', '%'])
        .parse()
        .unwrap_or_else(|_| panic!("not a number: {s:?}"))
}

fn has_digit(s: &str) -> bool {
    s.chars().any(|c| c.is_ascii_digit())
}

/// The changes the story tells, summed.
#[derive(Default, Debug)]
struct Told {
    tracks: BTreeMap<Track, i64>,
    unrest: BTreeMap<Group, i64>,
    support: BTreeMap<(Group, Faction), i64>,
    seats: i64,
}

/// Check one resolution's story; panics with the line at fault.
fn check_story(sc: &engine::Scenario, before: &State, after: &State, story: &[String]) {
    let mut told = Told::default();
    let round_motions: Vec<&MotionView> = after
        .motions
        .iter()
        .filter(|m| m.round == before.round)
        .collect();
    let mut saw_now = false;
    for line in story {
        let fail =
            |why: &str| -> ! { panic!("{why}\n  line: {line}\n  story:\n{}", story.join("\n")) };
        // The vote lines: the tallies.
        if line.ends_with("abstaining votes).") || line.ends_with("abstaining seats).") {
            let open = line.rfind(" (").unwrap();
            let nums: Vec<f64> = line[open + 2..]
                .split(", ")
                .map(|p| p.split_whitespace().next().unwrap().parse().unwrap())
                .collect();
            let ok = round_motions.iter().any(|m| {
                m.tally
                    .as_ref()
                    .is_some_and(|t| [t.yes, t.no, t.abstain] == nums[..])
            });
            if !ok {
                fail("no motion of the round has this tally");
            }
            continue;
        }
        // The levels after the whole resolution.
        if let Some(rest) = line.strip_prefix("Now: ") {
            saw_now = true;
            for item in rest.trim_end_matches('.').split("; ") {
                check_level(sc, after, item).unwrap_or_else(|e| fail(&e));
            }
            continue;
        }
        // The endings' own figures.
        if let Some(rest) = line.strip_prefix("The Constituent Assembly is elected: ") {
            let seats: Vec<i64> = rest
                .split(", ")
                .map(|p| num(p.split_whitespace().next().unwrap()))
                .collect();
            let outcome = after.outcome.as_ref().unwrap_or_else(|| fail("no outcome"));
            let want: Vec<i64> = Faction::ALL
                .iter()
                .map(|f| {
                    outcome
                        .scores
                        .iter()
                        .find(|s| s.faction == *f)
                        .and_then(|s| s.assembly_seats)
                        .map_or(-1, i64::from)
                })
                .collect();
            if seats != want {
                fail(&format!("Assembly seats {seats:?}, outcome {want:?}"));
            }
            continue;
        }
        if let Some(rest) = line.strip_prefix("Order has collapsed (order ") {
            let n = num(rest.trim_end_matches(")."));
            let order = i64::from(after.public.tracks.order);
            if n != order {
                fail(&format!("order {n}, state {order}"));
            }
            continue;
        }
        if line.contains("all power") || line.contains("All power") {
            // "(N) … (M)": the Soviet's legitimacy (with the month's bonus)
            // and the Government's.
            let figures: Vec<i64> = line
                .split('(')
                .skip(1)
                .filter_map(|p| p.split(')').next())
                .filter(|p| p.chars().all(|c| c.is_ascii_digit()))
                .map(num)
                .collect();
            if let [soviet, gov] = figures[..] {
                let bonus = soviet - track(after, Track::SovietLegitimacy);
                if gov != track(after, Track::GovLegitimacy) || !(bonus == 0 || bonus == 10) {
                    fail("the legitimacies in the all-power line are not the state's");
                }
            } else if has_digit(line) {
                fail("unexpected figures in the all-power line");
            }
            continue;
        }
        // A motion or action whose condition no longer held: the
        // scenario's threshold.
        if let Some((_, why)) = line.split_once("could not be carried out: ") {
            let ok = !has_digit(why)
                || why.split_whitespace().any(|w| {
                    w.trim_end_matches('.')
                        .parse::<i64>()
                        .is_ok_and(|n| thresholds(sc).contains(&n))
                });
            if !ok {
                fail("not the scenario's threshold");
            }
            continue;
        }
        // A cause and its changes.
        let Some((cause, changes)) = line.rsplit_once(": ") else {
            if has_digit(line) {
                fail("a figure in a line with no cause");
            }
            continue;
        };
        check_cause(sc, after, cause).unwrap_or_else(|e| fail(&e));
        for item in changes.trim_end_matches('.').split("; ") {
            tell(&mut told, sc, before, after, item).unwrap_or_else(|e| fail(&e));
        }
    }

    // The changes add up to what happened.
    for (_, t) in TRACKS {
        let want = track(after, t) - track(before, t);
        let got = told.tracks.get(&t).copied().unwrap_or(0);
        assert_eq!(
            got,
            want,
            "{t:?}: the story tells {got}, the state moved {want}:\n{}",
            story.join("\n")
        );
    }
    for g in Group::ALL {
        let want =
            i64::from(after.public.groups[&g].unrest) - i64::from(before.public.groups[&g].unrest);
        let got = told.unrest.get(&g).copied().unwrap_or(0);
        assert_eq!(
            got,
            want,
            "{g} unrest: the story tells {got}, the state moved {want}:\n{}",
            story.join("\n")
        );
        for f in Faction::ALL {
            let want = i64::from(after.public.groups[&g].support[f])
                - i64::from(before.public.groups[&g].support[f]);
            let got = told.support.get(&(g, f)).copied().unwrap_or(0);
            assert_eq!(
                got,
                want,
                "{f} among the {g}: the story tells {got}, the state moved {want}:\n{}",
                story.join("\n")
            );
        }
    }
    let want = i64::from(after.public.soviet_seats.bolsheviks)
        - i64::from(before.public.soviet_seats.bolsheviks);
    assert_eq!(told.seats, want, "Bolshevik seats:\n{}", story.join("\n"));
    let anything = after.public != before.public;
    assert_eq!(
        saw_now,
        anything,
        "a 'Now:' line exactly when something changed:\n{}",
        story.join("\n")
    );
}

/// Every "at least N" of the scenario's motions and actions.
fn thresholds(sc: &engine::Scenario) -> Vec<i64> {
    let a = &sc.actions;
    sc.motions
        .values()
        .flat_map(|m| m.requires.iter())
        .chain(
            [
                &a.press_campaign,
                &a.organize,
                &a.relief,
                &a.suppress,
                &a.seize_power,
            ]
            .into_iter()
            .flat_map(|d| d.requires.iter()),
        )
        .filter_map(|c| match c {
            engine::scenario::Condition::AtLeast { value, .. } => Some(i64::from(*value)),
            _ => None,
        })
        .collect()
}

/// A level of the "Now:" line against the final state.
fn check_level(sc: &engine::Scenario, after: &State, item: &str) -> Result<(), String> {
    let bad = |what: &str| Err(format!("{what}: {item:?}"));
    for (noun, t) in TRACKS {
        if let Some(v) = item.strip_prefix(&format!("{noun} ")) {
            return if num(v) == track(after, t) {
                Ok(())
            } else {
                bad("not the state's level")
            };
        }
    }
    if let Some(v) = item.strip_prefix("order ") {
        return if num(v) == i64::from(after.public.tracks.order) {
            Ok(())
        } else {
            bad("not the state's order")
        };
    }
    if let Some(v) = item.strip_prefix("Soviet seats: the Bolsheviks ") {
        let (b, s) = v.split_once(", the Soviet delegates ").ok_or("seats")?;
        let seats = after.public.soviet_seats;
        return if num(b) == i64::from(seats.bolsheviks) && num(s) == i64::from(seats.soviet) {
            Ok(())
        } else {
            bad("not the state's seats")
        };
    }
    if let Some(v) = item.strip_prefix("among the ") {
        let (g, shares) = v.split_once(": ").ok_or("support")?;
        let g = group_of(g).ok_or("group")?;
        for share in shares.split(", ") {
            let (f, n) = share.rsplit_once(' ').ok_or("share")?;
            let f = faction_of(f).ok_or("faction")?;
            if num(n) != i64::from(after.public.groups[&g].support[f]) {
                return bad("not the state's support");
            }
        }
        return Ok(());
    }
    for g in Group::ALL {
        if let Some(v) = item.strip_prefix(&format!("{} unrest ", possessive(g))) {
            return if num(v) == i64::from(after.public.groups[&g].unrest) {
                Ok(())
            } else {
                bad("not the state's unrest")
            };
        }
    }
    if has_digit(item) {
        return bad("an unknown level");
    }
    let _ = sc;
    Ok(())
}

/// Figures a cause may carry: the scenario's thresholds, a motion's round
/// (the offensive's odds are told in words).
fn check_cause(sc: &engine::Scenario, after: &State, cause: &str) -> Result<(), String> {
    let cause = cause.replace("Order No. 1", "Order No. one");
    if !has_digit(&cause) {
        return Ok(());
    }
    if cause.contains("(its odds were ") {
        // In words only: a number would give away the hidden loyal troops.
        return Err(format!("the offensive's odds as a number: {cause}"));
    }
    if let Some(i) = cause.find("(unrest ") {
        let n = num(cause[i + 8..].split_whitespace().next().unwrap());
        return if n == i64::from(sc.rules.drift.radical_unrest) {
            Ok(())
        } else {
            Err(format!("radical unrest {n}"))
        };
    }
    if let Some(i) = cause.find("(bread below ") {
        let n = num(&cause[i + 13..]);
        return if n == i64::from(sc.rules.drift.bread_lines_below) {
            Ok(())
        } else {
            Err(format!("bread lines {n}"))
        };
    }
    if let Some(i) = cause.find("elections for round ") {
        let n = num(cause[i + 20..].split_whitespace().next().unwrap());
        let passed = after
            .public
            .passed
            .contains(&Motion::ScheduleElections { round: n as u8 });
        return if passed {
            Ok(())
        } else {
            Err(format!("no elections passed for round {n}"))
        };
    }
    if cause.contains("could not be carried out") {
        // "This needs loyal troops of at least 30."
        return Ok(());
    }
    Err(format!("a figure in the cause {cause:?}"))
}

/// Add one told change to the sums.
fn tell(
    told: &mut Told,
    sc: &engine::Scenario,
    before: &State,
    after: &State,
    item: &str,
) -> Result<(), String> {
    if !has_digit(item) {
        return Ok(());
    }
    let signed = |rest: &str| -> Option<i64> {
        if let Some(n) = rest.strip_prefix("rose ") {
            Some(num(n))
        } else {
            rest.strip_prefix("fell ").map(|n| -num(n))
        }
    };
    for (noun, t) in TRACKS {
        if let Some(rest) = item.strip_prefix(&format!("{noun} ")) {
            let d = signed(rest).ok_or(format!("a track change: {item:?}"))?;
            *told.tracks.entry(t).or_default() += d;
            return Ok(());
        }
    }
    if let Some(rest) = item.strip_prefix("every group's unrest ") {
        let d = signed(rest).ok_or("unrest")?;
        for g in Group::ALL {
            *told.unrest.entry(g).or_default() += d;
        }
        return Ok(());
    }
    for g in Group::ALL {
        if let Some(rest) = item.strip_prefix(&format!("{} unrest ", possessive(g))) {
            *told.unrest.entry(g).or_default() += signed(rest).ok_or("unrest")?;
            return Ok(());
        }
    }
    if let Some(rest) = item
        .strip_prefix("the Bolsheviks won ")
        .and_then(|r| r.strip_suffix(" Soviet seats"))
    {
        told.seats += num(rest);
        return Ok(());
    }
    if let Some(rest) = item
        .strip_prefix("the Bolsheviks lost ")
        .and_then(|r| r.strip_suffix(" Soviet seats"))
    {
        told.seats -= num(rest);
        return Ok(());
    }
    // "the F won N points among the G (n from the F1, m from the F2)"
    for (verb, sign, dir) in [(" won ", 1, " from "), (" lost ", -1, " to ")] {
        if let Some((who, rest)) = item.split_once(verb) {
            let Some(f) = faction_of(who) else { continue };
            let (n, rest) = rest
                .split_once(" points among the ")
                .ok_or(format!("support: {item:?}"))?;
            let (g, parts) = rest.split_once(" (").ok_or("support parts")?;
            let g = group_of(g).ok_or("group")?;
            let n = num(n);
            *told.support.entry((g, f)).or_default() += sign * n;
            let mut sum = 0;
            for part in parts.trim_end_matches(')').split(", ") {
                let (m, other) = part
                    .split_once(dir)
                    .ok_or(format!("support part {part:?}"))?;
                let other = faction_of(other).ok_or("faction")?;
                *told.support.entry((g, other)).or_default() -= sign * num(m);
                sum += num(m);
            }
            return if sum == n {
                Ok(())
            } else {
                Err(format!("the parts do not add up: {item:?}"))
            };
        }
    }
    if let Some(r) = item.strip_prefix("an offer of coalition stands until round ") {
        let r = num(r);
        let round = i64::from(before.round);
        return if r > round && r <= round + 1 + i64::from(sc.rules.coalition.offer_extra_rounds) {
            Ok(())
        } else {
            Err(format!("offer until {r}"))
        };
    }
    if let Some(r) = item.strip_prefix("the Constituent Assembly will be elected before round ") {
        let r = num(r.split_whitespace().next().unwrap());
        let _ = after;
        return if r > i64::from(before.round) && r <= i64::from(sc.rounds) {
            Ok(())
        } else {
            Err(format!("elections in round {r}"))
        };
    }
    Err(format!("a figure the checker does not know: {item:?}"))
}

/// The story of the resolution among `events`.
fn story_of(events: &[Emitted]) -> Option<Vec<String>> {
    events.iter().find_map(|e| match &e.event {
        GameEvent::Resolved { summary, .. } => Some(summary.clone()),
        _ => None,
    })
}

/// Play a whole game with random motions, votes and actions, checking the
/// story of every resolution. Returns how many stories were checked.
fn play(seed: u64) -> usize {
    let players = [
        Faction::Liberals,
        Faction::Soviet,
        Faction::Bolsheviks,
        Faction::Liberals,
        Faction::Soviet,
        Faction::Bolsheviks,
    ];
    let mut t = Table::with_players(scenario(), seed, &players);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let sc = t.scenario.clone();
    let mut checked = 0;
    while !t.ended() {
        t.goto(Phase::Proposals);
        for (i, _) in players.iter().enumerate() {
            for _ in 0..2 {
                let mut m = Motion::CATALOG[rng.random_range(0..Motion::CATALOG.len())];
                if let Motion::ScheduleElections { .. } = m {
                    m = Motion::ScheduleElections {
                        round: t.round() + rng.random_range(2..5),
                    };
                }
                let _ = t.try_exec(Command::Table {
                    player: PlayerId(i as u32 + 1),
                    motion: m,
                });
            }
        }
        t.goto(Phase::Voting);
        let ids: Vec<MotionId> = t.state().round_motions().map(|m| m.id).collect();
        for (i, _) in players.iter().enumerate() {
            for id in &ids {
                let vote = match rng.random_range(0..10) {
                    0..=6 => Vote::Yes,
                    7..=8 => Vote::No,
                    _ => Vote::Abstain,
                };
                let _ = t.try_exec(Command::Vote {
                    player: PlayerId(i as u32 + 1),
                    motion: *id,
                    vote,
                });
            }
            for _ in 0..rng.random_range(0..3) {
                let action = match Action::CATALOG[rng.random_range(0..Action::CATALOG.len())] {
                    Action::Agitate { .. } => Action::Agitate {
                        group: Group::ALL[rng.random_range(0..4)],
                    },
                    a => a,
                };
                let _ = t.try_exec(Command::Plan {
                    player: PlayerId(i as u32 + 1),
                    action,
                });
            }
        }
        let before = t.state().clone();
        let events = t.advance();
        let story = story_of(&events).expect("the voting phase ends in a resolution");
        check_story(&sc, &before, t.state(), &story);
        checked += 1;
        if !t.ended() {
            t.advance();
        }
    }
    checked
}

#[test]
fn every_number_in_the_rounds_story_matches_the_state() {
    let mut stories = 0;
    for seed in 0..150 {
        stories += play(seed);
    }
    assert!(stories > 500, "only {stories} stories checked");
}

#[test]
fn the_story_names_the_causes_of_the_monthly_drift() {
    // Bread 45 falls to 40 in March: the story says why, in its own sentence.
    let mut t = Table::new(1);
    t.goto(Phase::Voting);
    t.advance();
    let story = t.summary().join("\n");
    assert!(
        story.contains("Bread ran short, as every month: bread fell 5."),
        "{story}"
    );
    assert!(
        story.contains("Nobody elected the Government, and no date is set for the elections: the Government's legitimacy fell 2."),
        "{story}"
    );
    assert!(
        story.contains("War weariness and hunger stirred unrest: every group's unrest rose 2."),
        "{story}"
    );
    assert!(
        story.contains(
            "The Soviet's promises wore thin, as every month: the Soviet's legitimacy fell 6."
        ),
        "{story}"
    );
    let now = story.lines().last().unwrap();
    assert!(
        now.starts_with(
            "Now: the Government's legitimacy 48; the Soviet's legitimacy 54; bread 40;"
        ),
        "{now}"
    );
}

#[test]
fn a_motion_in_the_story_says_what_it_is() {
    let mut t = Table::new(3);
    t.round_with(&[Motion::OrderNo1], &[]);
    let story = t.summary().join("\n");
    assert!(
        story.contains("Order No. 1 (soldiers elect committees and obey the Soviet first): the Soviet's legitimacy rose 8; loyal troops weakened; the Soviet delegates won 5 points among the soldiers ("),
        "{story}"
    );
}

#[test]
fn the_coalitions_drain_is_its_own_sentence() {
    let mut t = Table::new(4);
    t.round_with(&[Motion::OfferCoalition], &[]);
    t.round_with(&[Motion::JoinCoalition], &[]);
    let story = t.summary().join("\n");
    assert!(
        story.contains("The coalition's drain (the moderates share the Government's blame): the Soviet's legitimacy fell 3; the Bolsheviks won 5 points among the workers (5 from the Soviet delegates); the Bolsheviks won 5 points among the soldiers (5 from the Soviet delegates)."),
        "{story}"
    );
}

#[test]
fn the_months_event_says_what_it_changed_and_where_things_stand() {
    let mut t = Table::new(6);
    t.round_with(&[Motion::ContinueWar], &[]);
    // From March's resolution to April's briefing.
    let events = t.advance();
    let effects = events
        .iter()
        .find_map(|e| match &e.event {
            GameEvent::EventRevealed { card, effects } if card.id == "april_theses" => {
                Some(effects.clone())
            }
            _ => None,
        })
        .expect("April's card");
    let text = effects.join("\n");
    assert!(
        text.contains("the Government's legitimacy fell 10"),
        "{text}"
    );
    assert!(text.contains("the soldiers' unrest rose 10"), "{text}");
    assert!(
        text.contains("the Bolsheviks received 3 influence points"),
        "{text}"
    );
    let now = effects
        .iter()
        .find(|l| l.starts_with("Now: "))
        .expect(&text);
    let gov = t.state().public.tracks.gov_legitimacy;
    assert!(
        now.contains(&format!("the Government's legitimacy {gov};")),
        "{now}"
    );
}
