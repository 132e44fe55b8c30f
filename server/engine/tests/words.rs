//! The game explains itself: every faction, group, track, motion, action,
//! monthly event and idea has, in the scenario file, what it does in this
//! game (with the file's own numbers) and what it was in 1917; every
//! faction has a briefing; every character a brief, an objective and a
//! real fate.

use engine::scenario::DEFAULT_SCENARIO_TOML;
use engine::Scenario;
use protocol::{Action, Faction, Flag, Group, Motion};

fn default() -> Scenario {
    Scenario::default_scenario()
}

/// The built-in file with one piece of text replaced (which must exist).
fn edited(from: &str, to: &str) -> String {
    assert!(
        DEFAULT_SCENARIO_TOML.contains(from),
        "the scenario file no longer contains {from:?}"
    );
    DEFAULT_SCENARIO_TOML.replacen(from, to, 1)
}

#[test]
fn every_id_has_what_it_does_and_what_it_was() {
    let c = default().catalog.clone();
    let mut ids: Vec<(String, &str, &str, &str)> = Vec::new();
    for e in c
        .factions
        .iter()
        .chain(&c.groups)
        .chain(&c.tracks)
        .chain(&c.events)
        .chain(&c.ideas)
    {
        ids.push((e.id.clone(), &e.name, &e.does, &e.history));
    }
    for m in &c.motions {
        ids.push((m.id.clone(), &m.name, &m.does, &m.history));
    }
    for a in &c.actions {
        ids.push((a.id.clone(), &a.name, &a.does, &a.history));
    }
    for (id, name, does, history) in &ids {
        assert!(!name.trim().is_empty(), "{id} has no name");
        assert!(does.len() > 20, "{id}: `does` is too short: {does:?}");
        assert!(
            history.len() > 60,
            "{id}: `history` is too short: {history:?}"
        );
        assert!(
            !does.contains('{') && !does.contains('}'),
            "{id}: a placeholder was left unfilled: {does}"
        );
    }
    let has = |list: &[String], id: &str| list.iter().any(|x| x == id);
    let of = |v: &[protocol::Explained]| v.iter().map(|e| e.id.clone()).collect::<Vec<_>>();
    for f in Faction::ALL {
        assert!(has(&of(&c.factions), f.id()), "faction {f}");
    }
    for g in Group::ALL {
        assert!(has(&of(&c.groups), g.id()), "group {g}");
    }
    for t in [
        "gov_legitimacy",
        "soviet_legitimacy",
        "war_weariness",
        "bread",
        "order",
        "soviet_seats",
        "reaction",
        "red_guards",
        "loyal_troops",
    ] {
        assert!(has(&of(&c.tracks), t), "track {t}");
    }
    let motions: Vec<String> = c.motions.iter().map(|m| m.id.clone()).collect();
    for m in Motion::CATALOG {
        assert!(has(&motions, m.id()), "motion {}", m.id());
    }
    let actions: Vec<String> = c.actions.iter().map(|a| a.id.clone()).collect();
    for a in Action::CATALOG {
        assert!(has(&actions, a.id()), "action {}", a.id());
    }
    for e in &default().events {
        assert!(has(&of(&c.events), &e.id), "event {}", e.id);
    }
    for idea in ["influence", "phases", "voting"] {
        assert!(has(&of(&c.ideas), idea), "idea {idea}");
    }
    // The policies a game may have in force, which the clients list.
    for f in Flag::ALL {
        assert!(has(&of(&c.ideas), f.id()), "policy {}", f.id());
    }
}

#[test]
fn a_policy_in_force_is_explained_with_the_files_numbers_or_the_file_is_refused() {
    let c = default().catalog.clone();
    let idea = |id: &str| c.ideas.iter().find(|i| i.id == id).unwrap().clone();
    assert!(
        idea("free_press").does.contains("×125%"),
        "{:?}",
        idea("free_press")
    );
    assert!(idea("mrc").does.contains("+10"), "{:?}", idea("mrc"));
    let at_war = idea("at_war").does;
    assert!(at_war.contains("rises 4 more every month"), "{at_war}");
    assert!(
        at_war.contains("costs the Government 3 legitimacy"),
        "{at_war}"
    );
    assert!(idea("elections_scheduled")
        .does
        .contains("loses 2 legitimacy"));
    let text = edited("[ideas.mrc]", "[ideas.mrc_unused]");
    let err = Scenario::from_toml(&text).unwrap_err();
    assert_eq!(err.field, "ideas.mrc", "{err}");
}

#[test]
fn the_texts_carry_the_files_numbers() {
    let c = default().catalog.clone();
    let relief = c.actions.iter().find(|a| a.id == "relief").unwrap();
    assert_eq!(relief.cost, 2);
    assert!(relief.does.contains("Costs 2 influence"), "{}", relief.does);
    assert!(relief.does.contains("bread +5"), "{}", relief.does);
    let order = c.motions.iter().find(|m| m.id == "order_no_1").unwrap();
    assert!(
        order.does.contains("Soviet legitimacy +8"),
        "{}",
        order.does
    );
    assert!(
        order.does.contains("loyal troops \u{2212}10"),
        "{}",
        order.does
    );
    assert!(order.once);
}

#[test]
fn a_teachers_edited_number_shows_up_in_the_text() {
    let text = edited(
        "[actions.relief]",
        "[actions.relief]\n# edited by a teacher",
    )
    .replacen(
        "cost = 2\neffects = [{ op = \"add\", track = \"bread\", by = 5 }]",
        "cost = 4\neffects = [{ op = \"add\", track = \"bread\", by = 7 }]",
        1,
    )
    .replacen("amount = 5", "amount = 9", 1)
    .replacen("income_base = 3", "income_base = 6", 1);
    let sc = Scenario::from_toml(&text).unwrap();
    let c = &sc.catalog;
    let relief = c.actions.iter().find(|a| a.id == "relief").unwrap();
    assert_eq!(relief.cost, 4);
    assert!(relief.does.contains("Costs 4 influence"), "{}", relief.does);
    assert!(relief.does.contains("bread +7"), "{}", relief.does);
    let agitate = c.actions.iter().find(|a| a.id == "agitate").unwrap();
    assert!(agitate.does.contains("9 points"), "{}", agitate.does);
    let influence = c.ideas.iter().find(|i| i.id == "influence").unwrap();
    assert!(
        influence.does.contains("receives 6 plus"),
        "{}",
        influence.does
    );
    // The liberals' briefing names the relief's new numbers too.
    let b = sc.briefing(Faction::Liberals).unwrap();
    assert!(
        b.first_moves.iter().any(|m| m.contains("bread +7")),
        "{:?}",
        b.first_moves
    );
}

#[test]
fn a_missing_text_refuses_the_file_with_the_field() {
    let text = edited("name = \"Land reform\"\n", "");
    let err = Scenario::from_toml(&text).unwrap_err();
    assert_eq!(err.field, "motions.land_reform.name", "{err}");

    let start = DEFAULT_SCENARIO_TOML.find("[tracks.bread]").unwrap();
    let history = DEFAULT_SCENARIO_TOML[start..].find("history = ").unwrap() + start;
    let end = DEFAULT_SCENARIO_TOML[history..].find('\n').unwrap() + history;
    let text = format!(
        "{}{}",
        &DEFAULT_SCENARIO_TOML[..history],
        &DEFAULT_SCENARIO_TOML[end + 1..]
    );
    let err = Scenario::from_toml(&text).unwrap_err();
    assert_eq!(err.field, "tracks.bread.history", "{err}");
    assert!(err.reason.contains("1917"), "{err}");
}

#[test]
fn a_placeholder_that_names_nothing_refuses_the_file() {
    let text = edited(
        "Costs {cost} influence: {effects}.",
        "Costs {kost} influence.",
    );
    let err = Scenario::from_toml(&text).unwrap_err();
    assert_eq!(err.field, "actions.relief.does", "{err}");
    assert!(err.reason.contains("{kost}"), "{err}");
}

#[test]
fn every_faction_has_a_briefing() {
    let sc = default();
    for f in Faction::ALL {
        let b = sc
            .briefing(f)
            .unwrap_or_else(|| panic!("no briefing for {f}"));
        assert!(b.wants.len() > 30 && b.wins.len() > 30 && b.watch.len() > 30);
        assert!(b.first_moves.len() >= 3, "{f}: {:?}", b.first_moves);
        for text in [&b.wants, &b.wins, &b.watch]
            .into_iter()
            .chain(&b.first_moves)
        {
            assert!(!text.contains('{'), "{f}: unfilled placeholder in {text}");
        }
    }
    let bolsheviks = sc.briefing(Faction::Bolsheviks).unwrap();
    assert!(
        bolsheviks.wins.contains("more than 50 Soviet seats"),
        "{}",
        bolsheviks.wins
    );
}

#[test]
fn a_class_of_thirty_gets_distinct_historical_characters_with_their_fates() {
    let sc = default();
    assert!(
        sc.characters.len() >= 30,
        "{} characters",
        sc.characters.len()
    );
    for f in Faction::ALL {
        let n = sc.characters.iter().filter(|c| c.faction == f).count();
        assert!(
            n >= 10,
            "{f} has {n} characters: a class of 30 needs 10 a faction"
        );
    }
    let mut names: Vec<&str> = sc.characters.iter().map(|c| c.name.as_str()).collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), sc.characters.len(), "a name appears twice");
    for c in &sc.characters {
        assert!(c.brief.len() > 40, "{}: brief", c.name);
        assert!(c.objective.len() > 15, "{}: objective", c.name);
        assert!(c.fate.len() > 60, "{}: fate {:?}", c.name, c.fate);
        // A fate says when: a year after 1917.
        assert!(
            (1918..=1970).any(|y| c.fate.contains(&y.to_string())),
            "{}: the fate names no year: {}",
            c.name,
            c.fate
        );
    }
}

#[test]
fn a_character_without_a_fate_refuses_the_file() {
    let from = "fate = \"Resigned in July 1917 in favour of Kerensky. Arrested by the Bolsheviks in 1918, he escaped, emigrated to Paris and died there in 1925.\"\n";
    let err = Scenario::from_toml(&edited(from, "")).unwrap_err();
    assert_eq!(err.field, "characters.1.fate", "{err}");
}
