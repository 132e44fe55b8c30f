//! One test per rule of GAME.md, named after its section. Each drives a game
//! through `Command`s with an explicit clock, as the server does, on the
//! default Petrograd 1917 scenario (sometimes with a different start, as a
//! teacher's edited scenario would have).
//!
//! Most effects are measured against a control game: the same seed and the
//! same round, without the motion or action. The monthly drift and the
//! by-elections then cancel out, except where the effect itself changes
//! them (bread and war weariness feed the drift; support feeds the seats);
//! those tests say so.

mod common;

use common::*;
use engine::scenario::Effect;
use engine::{Command, Scenario};
use protocol::*;

/// The default scenario with GAME.md's own numbers where docs/BALANCE.md
/// tuned them for play, so these tests check the rules as GAME.md states
/// them. (`the_default_scenario_differs_from_game_md_only_where_balance_says`
/// pins the tuned values.)
fn scenario() -> Scenario {
    let mut sc = common::scenario();
    sc.start.reaction = 10;
    sc.rules.drift.radical_unrest = 60;
    sc.rules.coalition.shift_to_bolsheviks = 2;
    sc.rules.collapse_order = 15;
    sc.actions.agitate.bolshevik_unrest_at_least = 60;
    sc.rules
        .drift
        .effects
        .retain(|e| !is_soviet_legitimacy(&e.effect));
    set_add(&mut sc, "peace_appeal", Track::SovietLegitimacy, 4);
    let wc = sc
        .motions
        .get_mut("workers_control")
        .expect("workers_control");
    for e in &mut wc.effects {
        if let Effect::Unrest { groups, by } = &mut e.effect {
            if groups == &[Group::Middle] {
                *by = 10;
            }
        }
    }
    sc
}

fn is_soviet_legitimacy(e: &Effect) -> bool {
    matches!(
        e,
        Effect::Add {
            track: Track::SovietLegitimacy,
            ..
        }
    )
}

/// Set the `add` of `track` in a motion's effects.
fn set_add(sc: &mut Scenario, motion: &str, track: Track, value: i32) {
    let m = sc.motions.get_mut(motion).expect("motion");
    for e in &mut m.effects {
        if let Effect::Add { track: t, by } = &mut e.effect {
            if *t == track {
                *by = value;
            }
        }
    }
}

/// The `add` of `track` in a motion's effects.
fn add_of(sc: &Scenario, motion: &str, track: Track) -> Option<i32> {
    sc.motions[motion]
        .effects
        .iter()
        .find_map(|e| match e.effect {
            Effect::Add { track: t, by } if t == track => Some(by),
            _ => None,
        })
}

#[test]
fn the_default_scenario_differs_from_game_md_only_where_balance_says() {
    let tuned = common::scenario();
    assert_eq!(tuned.start.reaction, 35);
    assert_eq!(tuned.rules.coalition.shift_to_bolsheviks, 5);
    assert_eq!(tuned.rules.collapse_order, 20);
    assert_eq!(tuned.actions.agitate.bolshevik_unrest_at_least, 50);
    assert_eq!(tuned.rules.drift.radical_unrest, 45);
    assert_eq!(
        tuned
            .rules
            .drift
            .effects
            .iter()
            .filter(|e| is_soviet_legitimacy(&e.effect))
            .map(|e| &e.effect)
            .collect::<Vec<_>>(),
        [&Effect::Add {
            track: Track::SovietLegitimacy,
            by: -6
        }]
    );
    assert_eq!(
        add_of(&tuned, "peace_appeal", Track::SovietLegitimacy),
        Some(2)
    );
    assert!(tuned.motions["workers_control"]
        .effects
        .iter()
        .any(|e| e.effect
            == Effect::Unrest {
                groups: vec![Group::Middle],
                by: 20
            }));
    // Everything else these tests rely on is GAME.md's.
    let game_md = scenario();
    assert_eq!(
        game_md.rules.drift.unrest_divisor,
        tuned.rules.drift.unrest_divisor
    );
    assert_eq!(game_md.rules.byelection_step, tuned.rules.byelection_step);
    assert_eq!(game_md.rules.assembly.liberal_legitimacy, 40);
}

fn with_start(f: impl Fn(&mut Scenario)) -> Scenario {
    let mut sc = scenario();
    f(&mut sc);
    sc
}

fn group_of(sc: &mut Scenario, g: Group) -> &mut engine::scenario::GroupSetup {
    sc.groups.get_mut(&g).expect("group")
}

fn nothing(_: &mut Table) {}

/// The effect of one passed motion in round 1 against a round without it.
fn motion_effect(sc: &Scenario, m: Motion) -> std::collections::BTreeMap<String, i64> {
    effect(sc, 1, nothing, |t| {
        t.pass(m);
    })
}

/// The effect of one planned action in round 1 against a round without it.
fn action_effect(sc: &Scenario, p: PlayerId, a: Action) -> std::collections::BTreeMap<String, i64> {
    effect(sc, 1, nothing, |t| {
        t.plan(p, a);
    })
}

fn ip(t: &Table, f: Faction) -> u32 {
    t.state().factions[f].ip
}

fn support(t: &Table, g: Group) -> PerFaction<u8> {
    t.state().public.groups[&g].support
}

fn summary_has(t: &Table, needle: &str) -> bool {
    t.summary().iter().any(|l| l.contains(needle))
}

// ---------------------------------------------------------------- income --

#[test]
fn income_each_faction_gets_3_plus_its_national_support_over_10_at_the_briefing() {
    let t = Table::with(scenario(), 1);
    // National support at the start: liberals 22.75, soviet 69.55,
    // bolsheviks 7.7 (election-weighted 15/15/60/10).
    assert_eq!(t.phase(), Some(Phase::Briefing));
    assert_eq!(ip(&t, Faction::Liberals), 3 + 2);
    assert_eq!(ip(&t, Faction::Soviet), 3 + 7);
    assert_eq!(ip(&t, Faction::Bolsheviks), 3 + 1);
    let incomes: Vec<(Faction, u32)> = t
        .log
        .iter()
        .filter_map(|e| match e.event {
            GameEvent::IncomeReceived {
                faction, amount, ..
            } => Some((faction, amount)),
            _ => None,
        })
        .collect();
    assert_eq!(
        incomes,
        vec![
            (Faction::Liberals, 5),
            (Faction::Soviet, 10),
            (Faction::Bolsheviks, 4)
        ]
    );
}

#[test]
fn income_is_recomputed_each_round_from_the_support_after_the_event_and_unspent_ip_carries_over() {
    let mut t = Table::with(scenario(), 1);
    // Round 1: nobody spends; round 2 (April): the Bolsheviks get +3 from
    // the April Theses on top of their income.
    t.finish_round();
    assert_eq!(t.round(), 2);
    assert_eq!(ip(&t, Faction::Liberals), 5 + 5);
    assert_eq!(ip(&t, Faction::Soviet), 10 + 10);
    assert_eq!(ip(&t, Faction::Bolsheviks), 4 + 3 + 4);
    // Spending lowers the pool at once (the plan deducts it).
    t.plan(LIB, Action::PressCampaign);
    assert_eq!(ip(&t, Faction::Liberals), 8);
}

#[test]
fn income_rises_with_national_support() {
    // Bolsheviks with 35% everywhere: 3 + round(35 / 10) = 7 (3.5 rounds up).
    let sc = with_start(|sc| {
        for g in Group::ALL {
            group_of(sc, g).support = PerFaction::new(30, 35, 35);
        }
    });
    let t = Table::with(sc, 1);
    assert_eq!(ip(&t, Faction::Bolsheviks), 7);
    assert_eq!(ip(&t, Faction::Liberals), 6);
}

// ------------------------------------------------------- faction actions --

#[test]
fn action_agitate_costs_2_and_shifts_5_support_to_the_faction_from_the_other_two_in_proportion() {
    // Workers 10/70/20: the liberals take 5 from 70 and 20: 4 and 1.
    let d = action_effect(
        &scenario(),
        LIB,
        Action::Agitate {
            group: Group::Workers,
        },
    );
    assert_eq!(
        d,
        changes(&[
            ("workers.liberals", 5),
            ("workers.soviet", -4),
            ("workers.bolsheviks", -1),
            ("ip.liberals", -2),
        ])
    );
}

#[test]
fn action_agitate_is_worth_1_25_times_with_free_press() {
    let sc = with_start(|sc| sc.start.flags = vec![Flag::FreePress]);
    // 5 × 1.25 = 6.25 → 6, from soviet 75 and bolsheviks 5 (soldiers).
    let d = action_effect(
        &sc,
        LIB,
        Action::Agitate {
            group: Group::Soldiers,
        },
    );
    assert_eq!(d["soldiers.liberals"], 6);
    assert_eq!(d["soldiers.soviet"] + d["soldiers.bolsheviks"], -6);
}

#[test]
fn action_agitate_by_bolsheviks_is_worth_1_5_times_where_unrest_is_at_least_60() {
    let sc = with_start(|sc| group_of(sc, Group::Peasants).unrest = 60);
    // 5 × 1.5 = 7.5 → 8.
    let d = action_effect(
        &sc,
        BOL,
        Action::Agitate {
            group: Group::Peasants,
        },
    );
    assert_eq!(d["peasants.bolsheviks"], 8);
    // Not for the other factions, and not below 60.
    let d = action_effect(
        &sc,
        SOV,
        Action::Agitate {
            group: Group::Peasants,
        },
    );
    assert_eq!(d["peasants.soviet"], 5);
    let sc = with_start(|sc| group_of(sc, Group::Peasants).unrest = 59);
    let d = action_effect(
        &sc,
        BOL,
        Action::Agitate {
            group: Group::Peasants,
        },
    );
    assert_eq!(d["peasants.bolsheviks"], 5);
    // Both multipliers: 5 × 1.25 × 1.5 = 9.375 → 9.
    let sc = with_start(|sc| {
        group_of(sc, Group::Peasants).unrest = 70;
        sc.start.flags = vec![Flag::FreePress];
    });
    let d = action_effect(
        &sc,
        BOL,
        Action::Agitate {
            group: Group::Peasants,
        },
    );
    assert_eq!(d["peasants.bolsheviks"], 9);
}

#[test]
fn action_press_campaign_costs_2_and_moves_the_legitimacy_each_faction_cares_about() {
    let sc = scenario();
    assert_eq!(
        action_effect(&sc, LIB, Action::PressCampaign),
        changes(&[("gov_legitimacy", 4), ("ip.liberals", -2)])
    );
    assert_eq!(
        action_effect(&sc, SOV, Action::PressCampaign),
        changes(&[("soviet_legitimacy", 4), ("ip.soviet", -2)])
    );
    assert_eq!(
        action_effect(&sc, BOL, Action::PressCampaign),
        changes(&[("gov_legitimacy", -3), ("ip.bolsheviks", -2)])
    );
}

#[test]
fn action_organize_costs_3_and_builds_each_factions_force() {
    let sc = scenario();
    assert_eq!(
        action_effect(&sc, LIB, Action::Organize),
        changes(&[("loyal_troops", 6), ("reaction", 3), ("ip.liberals", -3)])
    );
    assert_eq!(
        action_effect(&sc, SOV, Action::Organize),
        changes(&[
            ("workers.unrest", -5),
            ("soldiers.unrest", -5),
            ("ip.soviet", -3)
        ])
    );
    assert_eq!(
        action_effect(&sc, BOL, Action::Organize),
        changes(&[("red_guards", 8), ("ip.bolsheviks", -3)])
    );
}

#[test]
fn action_relief_costs_2_and_raises_bread_by_5() {
    // Bread 45 → 50 before the drift, so the drift's bread term is one
    // point smaller: every group gets one point less unrest.
    let d = action_effect(&scenario(), SOV, Action::Relief);
    assert_eq!(
        d,
        changes(&[
            ("bread", 5),
            ("ip.soviet", -2),
            ("workers.unrest", -1),
            ("soldiers.unrest", -1),
            ("peasants.unrest", -1),
            ("middle.unrest", -1),
        ])
    );
}

#[test]
fn action_suppress_is_for_liberals_with_30_loyal_troops_and_costs_3() {
    let sc = with_start(|sc| sc.start.red_guards = 20);
    // Workers 10/70/20: the 5 Bolshevik points go to 10 and 70 (1 and 4).
    // Fewer Bolshevik workers also lower the by-elections' target: 14
    // seats instead of 17.
    let d = action_effect(&sc, LIB, Action::Suppress);
    assert_eq!(
        d,
        changes(&[
            ("red_guards", -10),
            ("workers.bolsheviks", -5),
            ("workers.liberals", 1),
            ("workers.soviet", 4),
            ("gov_legitimacy", -5),
            ("reaction", 3),
            ("ip.liberals", -3),
            ("seats.bolsheviks", -3),
            ("seats.soviet", 3),
        ])
    );
    // Below 30 loyal troops the plan is refused.
    let sc = with_start(|sc| sc.start.loyal_troops = 29);
    let mut t = Table::with(sc, 1);
    t.goto(Phase::Voting);
    let r = t
        .try_exec(Command::Plan {
            player: LIB,
            action: Action::Suppress,
        })
        .unwrap_err();
    assert_eq!(r.code, ErrorCode::PreconditionFailed);
    let r = t
        .try_exec(Command::Plan {
            player: SOV,
            action: Action::Suppress,
        })
        .unwrap_err();
    assert_eq!(r.code, ErrorCode::NotEligible);
}

#[test]
fn an_action_whose_condition_fails_by_its_turn_loses_its_influence_and_says_so() {
    // 32 loyal troops when suppress is planned; Order No. 1 (a resolution,
    // before the actions) takes 10: suppress needs 30 when its turn comes.
    let sc = with_start(|sc| sc.start.loyal_troops = 32);
    let mut t = Table::with(sc, 1);
    let ip = t.state().factions[Faction::Liberals].ip;
    t.round_with(&[Motion::OrderNo1], &[(LIB, Action::Suppress)]);
    assert_eq!(
        t.state().factions[Faction::Liberals].ip,
        ip - 3,
        "not refunded"
    );
    let line = t
        .summary()
        .iter()
        .find(|l| l.contains("could not be carried out"))
        .cloned()
        .unwrap_or_default();
    assert!(
        line.ends_with(
            "This needs loyal troops of at least 30. The influence spent on it is lost."
        ),
        "{:#?}",
        t.summary()
    );
}

#[test]
fn action_seize_power_costs_5_and_only_the_bolsheviks_may_plan_it_once() {
    let sc = with_start(|sc| sc.start.ip = PerFaction::new(0, 0, 10));
    let mut t = Table::with(sc, 1);
    t.goto(Phase::Voting);
    let r = t
        .try_exec(Command::Plan {
            player: LIB,
            action: Action::SeizePower,
        })
        .unwrap_err();
    assert_eq!(r.code, ErrorCode::NotEligible);
    t.plan(BOL, Action::SeizePower);
    assert_eq!(ip(&t, Faction::Bolsheviks), 14 - 5);
    let r = t
        .try_exec(Command::Plan {
            player: BOL,
            action: Action::SeizePower,
        })
        .unwrap_err();
    assert_eq!(r.code, ErrorCode::PreconditionFailed);
}

#[test]
fn actions_can_be_removed_from_the_plan_for_a_refund_until_the_voting_closes() {
    let mut t = Table::with(scenario(), 1);
    let a = t.plan(SOV, Action::Organize);
    assert_eq!(ip(&t, Faction::Soviet), 7);
    t.exec(Command::Unplan {
        player: SOV,
        action: a,
    });
    assert_eq!(ip(&t, Faction::Soviet), 10);
    assert!(t.state().factions[Faction::Soviet].plan.is_empty());
}

#[test]
fn actions_are_simultaneous_and_all_of_a_factions_actions_apply() {
    // Both agitate among the workers in the same round; both apply.
    let d = effect(&scenario(), 1, nothing, |t| {
        t.plan(
            LIB,
            Action::Agitate {
                group: Group::Middle,
            },
        );
        t.plan(
            BOL,
            Action::Agitate {
                group: Group::Middle,
            },
        );
        t.plan(BOL, Action::PressCampaign);
    });
    assert_eq!(d["ip.liberals"], -2);
    assert_eq!(d["ip.bolsheviks"], -4);
    assert_eq!(d["gov_legitimacy"], -3);
    assert!(d["middle.liberals"] > 0 && d["middle.bolsheviks"] > 0);
    assert_eq!(
        d["middle.liberals"] + d["middle.soviet"] + d["middle.bolsheviks"],
        0
    );
}

// ------------------------------------------------------- decree catalog --

#[test]
fn decree_civil_liberties_gives_gov_8_and_a_free_press_once() {
    assert_eq!(
        motion_effect(&scenario(), Motion::CivilLiberties),
        changes(&[("gov_legitimacy", 8), ("flag.free_press", 1)])
    );
    let mut t = Table::with(scenario(), 1);
    t.round_with(&[Motion::CivilLiberties], &[]);
    t.advance();
    t.goto(Phase::Proposals);
    let r = t
        .try_exec(Command::Table {
            player: LIB,
            motion: Motion::CivilLiberties,
        })
        .unwrap_err();
    assert_eq!(r.code, ErrorCode::PreconditionFailed);
}

#[test]
fn decree_amnesty_gives_gov_4_soviet_2_red_guards_3() {
    assert_eq!(
        motion_effect(&scenario(), Motion::Amnesty),
        changes(&[
            ("gov_legitimacy", 4),
            ("soviet_legitimacy", 2),
            ("red_guards", 3)
        ])
    );
}

#[test]
fn decree_continue_war_sets_at_war_loyal_5_weariness_8_middle_to_liberals_5_soldiers_unrest_10() {
    // War weariness 60 + 8, then +4 in the drift (at war): 72, so the drift
    // adds one more point of unrest everywhere than in the control game.
    // Middle 70/28/2: the 5 come from the soviet's 28 and the Bolsheviks' 2.
    assert_eq!(
        motion_effect(&scenario(), Motion::ContinueWar),
        changes(&[
            ("flag.at_war", 1),
            ("loyal_troops", 5),
            ("war_weariness", 8 + 4),
            ("middle.liberals", 5),
            ("middle.soviet", -5),
            ("soldiers.unrest", 10 + 1),
            ("workers.unrest", 1),
            ("peasants.unrest", 1),
            ("middle.unrest", 1),
        ])
    );
}

#[test]
fn decree_offensive_succeeds_with_probability_loyal_troops_minus_half_weariness() {
    // Certain success: gov +10, war weariness +5 (weariness 0 → 5 makes the
    // drift's weariness term -4 instead of -5: one more point of unrest).
    let sure = with_start(|sc| {
        sc.start.loyal_troops = 100;
        sc.start.war_weariness = 0;
    });
    assert_eq!(
        motion_effect(&sure, Motion::Offensive),
        changes(&[
            ("gov_legitimacy", 10),
            ("war_weariness", 5),
            ("workers.unrest", 1),
            ("soldiers.unrest", 1),
            ("peasants.unrest", 1),
            ("middle.unrest", 1),
        ])
    );
    // Certain failure (odds 40 - 50 < 0): gov -15, 10 soldiers' support to
    // the Bolsheviks, weariness +15, loyal troops -10.
    let doomed = with_start(|sc| sc.start.war_weariness = 100);
    let d = motion_effect(&doomed, Motion::Offensive);
    assert_eq!(d["gov_legitimacy"], -15);
    assert_eq!(d["soldiers.bolsheviks"], 10);
    assert_eq!(d["soldiers.liberals"] + d["soldiers.soviet"], -10);
    assert!(
        !d.contains_key("war_weariness"),
        "100 + 15 is clamped to 100"
    );
    assert_eq!(d["loyal_troops"], -10);
    // Odds 60 - 60/2 = 30 in 100: over many seeds about 30% succeed.
    let even = with_start(|sc| sc.start.loyal_troops = 60);
    let mut wins = 0;
    for seed in 0..200 {
        let mut t = Table::with(even.clone(), seed);
        t.round_with(&[Motion::Offensive], &[]);
        // The story says the odds in words (a number would give away the
        // hidden loyal troops); 30 in 100 is poor.
        assert!(summary_has(&t, "its odds were poor"));
        if summary_has(&t, "The offensive succeeded") {
            wins += 1;
        }
    }
    assert!((40..=80).contains(&wins), "{wins} of 200 offensives won");
}

#[test]
fn decree_offensive_needs_40_loyal_troops() {
    let mut t = Table::with(with_start(|sc| sc.start.loyal_troops = 39), 1);
    t.goto(Phase::Proposals);
    let r = t
        .try_exec(Command::Table {
            player: LIB,
            motion: Motion::Offensive,
        })
        .unwrap_err();
    assert_eq!(r.code, ErrorCode::PreconditionFailed);
    assert!(r.message.contains("loyal troops of at least 40"), "{r}");
}

#[test]
fn decree_peace_without_annexations_weariness_minus_10_middle_from_liberals_5_reaction_5() {
    // Weariness 50 after it: the drift's weariness term falls from 1 to 0.
    assert_eq!(
        motion_effect(&scenario(), Motion::PeaceWithoutAnnexations),
        changes(&[
            ("war_weariness", -10),
            ("middle.liberals", -5),
            ("middle.soviet", 5),
            ("reaction", 5),
            ("workers.unrest", -1),
            ("soldiers.unrest", -1),
            ("peasants.unrest", -1),
            ("middle.unrest", -1),
        ])
    );
}

#[test]
fn decree_schedule_elections_sets_the_round_gives_gov_6_and_ends_the_unelected_drift() {
    // gov +6, and no -2 for an unelected government in the drift.
    assert_eq!(
        motion_effect(&scenario(), Motion::ScheduleElections { round: 3 }),
        changes(&[
            ("gov_legitimacy", 6 + 2),
            ("election_round", 3 - 9),
            ("flag.elections_scheduled", 1)
        ])
    );
    // At least the current round + 2.
    let mut t = Table::with(scenario(), 1);
    t.goto(Phase::Proposals);
    let r = t
        .try_exec(Command::Table {
            player: LIB,
            motion: Motion::ScheduleElections { round: 2 },
        })
        .unwrap_err();
    assert_eq!(r.code, ErrorCode::PreconditionFailed);
    assert!(r.message.contains("round 3 at the earliest"), "{r}");
}

#[test]
fn decree_postpone_elections_moves_them_one_round_later_for_gov_minus_6() {
    let mut t = Table::with(scenario(), 1);
    // Nothing to postpone while they are after the last round.
    t.goto(Phase::Proposals);
    let r = t
        .try_exec(Command::Table {
            player: LIB,
            motion: Motion::PostponeElections,
        })
        .unwrap_err();
    assert_eq!(r.code, ErrorCode::PreconditionFailed);
    t.round_with(&[Motion::ScheduleElections { round: 5 }], &[]);
    t.advance();
    let gov = t.state().public.tracks.gov_legitimacy;
    t.round_with(&[Motion::PostponeElections], &[]);
    assert_eq!(t.state().public.election_round, 6);
    // -6, and no unelected drift (the elections are still scheduled).
    assert_eq!(t.state().public.tracks.gov_legitimacy, gov - 6);
}

#[test]
fn decree_land_reform_wins_peasants_from_the_bolsheviks_first_costs_middle_10_reaction_10_bread_5()
{
    // Peasants 20/75/5: 5 to the liberals, all from the Bolsheviks' 5;
    // then 5 to the soviet, from the Bolsheviks first (none left), the rest
    // from the liberals: literally GAME.md, and the liberals end where they
    // began (see RULES-NOTES.md). Middle 70/28/2 loses 10 liberal points
    // to 28 and 2 (9 and 1). Bread 45 - 5 - 5 = 35: the drift's bread term
    // stays 1.
    assert_eq!(
        motion_effect(&scenario(), Motion::LandReform),
        changes(&[
            ("peasants.bolsheviks", -5),
            ("peasants.soviet", 5),
            ("middle.liberals", -10),
            ("middle.soviet", 9),
            ("middle.bolsheviks", 1),
            ("reaction", 10),
            ("bread", -5),
        ])
    );
    // With more Bolshevik peasants both moderate parties gain 5.
    let sc = with_start(|sc| group_of(sc, Group::Peasants).support = PerFaction::new(20, 60, 20));
    let d = motion_effect(&sc, Motion::LandReform);
    assert_eq!(
        (
            d["peasants.liberals"],
            d["peasants.soviet"],
            d["peasants.bolsheviks"]
        ),
        (5, 5, -10)
    );
}

#[test]
fn decree_grain_monopoly_bread_10_peasants_unrest_10() {
    // Bread 55 before the drift, 50 after: the bread term falls from 1 to 0.
    assert_eq!(
        motion_effect(&scenario(), Motion::GrainMonopoly),
        changes(&[
            ("bread", 10),
            ("peasants.unrest", 10 - 1),
            ("workers.unrest", -1),
            ("soldiers.unrest", -1),
            ("middle.unrest", -1),
        ])
    );
}

#[test]
fn decree_death_penalty_at_front_loyal_10_soldiers_from_liberals_to_bolsheviks_10_reaction_5() {
    // More Bolshevik soldiers raise the by-election target: 22 seats, not 17.
    assert_eq!(
        motion_effect(&scenario(), Motion::DeathPenaltyAtFront),
        changes(&[
            ("loyal_troops", 10),
            ("soldiers.liberals", -10),
            ("soldiers.bolsheviks", 10),
            ("reaction", 5),
            ("seats.bolsheviks", 5),
            ("seats.soviet", -5),
        ])
    );
}

#[test]
fn decree_arrest_bolsheviks_needs_loyal_troops_above_red_guards() {
    let sc = with_start(|sc| sc.start.red_guards = 20);
    // Workers 10/70/20 and soldiers 15/75/10 each lose 5 Bolshevik points
    // to the other two in proportion; 12 seats instead of 17.
    assert_eq!(
        motion_effect(&sc, Motion::ArrestBolsheviks),
        changes(&[
            ("red_guards", -15),
            ("workers.bolsheviks", -5),
            ("workers.liberals", 1),
            ("workers.soviet", 4),
            ("soldiers.bolsheviks", -5),
            ("soldiers.liberals", 1),
            ("soldiers.soviet", 4),
            ("gov_legitimacy", -5),
            ("reaction", 5),
            ("seats.bolsheviks", -5),
            ("seats.soviet", 5),
        ])
    );
    let mut t = Table::with(with_start(|sc| sc.start.red_guards = 40), 1);
    t.goto(Phase::Proposals);
    let r = t
        .try_exec(Command::Table {
            player: LIB,
            motion: Motion::ArrestBolsheviks,
        })
        .unwrap_err();
    assert_eq!(r.code, ErrorCode::PreconditionFailed);
    assert!(
        r.message.contains("loyal troops to exceed the Red Guards"),
        "{r}"
    );
}

#[test]
fn decree_appoint_hardline_commander_loyal_10_reaction_15() {
    assert_eq!(
        motion_effect(&scenario(), Motion::AppointHardlineCommander),
        changes(&[("loyal_troops", 10), ("reaction", 15)])
    );
}

#[test]
fn decree_call_on_soviet_red_guards_10_reaction_minus_20_gov_minus_5_soviet_5() {
    let sc = with_start(|sc| sc.start.reaction = 30);
    assert_eq!(
        motion_effect(&sc, Motion::CallOnSoviet),
        changes(&[
            ("red_guards", 10),
            ("reaction", -20),
            ("gov_legitimacy", -5),
            ("soviet_legitimacy", 5)
        ])
    );
}

// --------------------------------------------------- resolution catalog --

#[test]
fn resolution_order_no_1_soviet_8_loyal_minus_10_soldiers_to_soviet_5_once() {
    // Soldiers 15/75/10: the 5 come from 15 and 10 (3 and 2); one seat
    // fewer for the Bolsheviks at the by-elections.
    assert_eq!(
        motion_effect(&scenario(), Motion::OrderNo1),
        changes(&[
            ("soviet_legitimacy", 8),
            ("loyal_troops", -10),
            ("soldiers.soviet", 5),
            ("soldiers.liberals", -3),
            ("soldiers.bolsheviks", -2),
            ("seats.bolsheviks", -1),
            ("seats.soviet", 1),
        ])
    );
    let mut t = Table::with(scenario(), 1);
    t.round_with(&[Motion::OrderNo1], &[]);
    t.advance();
    t.goto(Phase::Proposals);
    let r = t
        .try_exec(Command::Table {
            player: SOV,
            motion: Motion::OrderNo1,
        })
        .unwrap_err();
    assert_eq!(r.code, ErrorCode::PreconditionFailed);
    assert!(r.message.contains("only once"), "{r}");
}

#[test]
fn resolution_conditional_support_gov_6_soviet_minus_2() {
    assert_eq!(
        motion_effect(&scenario(), Motion::ConditionalSupport),
        changes(&[("gov_legitimacy", 6), ("soviet_legitimacy", -2)])
    );
}

#[test]
fn resolution_peace_appeal_weariness_minus_5_soviet_4_and_gov_minus_3_while_at_war() {
    // Weariness 55: the drift's weariness term falls from 1 to 0.
    let calm = changes(&[
        ("war_weariness", -5),
        ("soviet_legitimacy", 4),
        ("workers.unrest", -1),
        ("soldiers.unrest", -1),
        ("peasants.unrest", -1),
        ("middle.unrest", -1),
    ]);
    assert_eq!(motion_effect(&scenario(), Motion::PeaceAppeal), calm);
    let at_war = with_start(|sc| sc.start.flags = vec![Flag::AtWar]);
    let mut expected = calm.clone();
    expected.insert("gov_legitimacy".into(), -3);
    assert_eq!(motion_effect(&at_war, Motion::PeaceAppeal), expected);
}

#[test]
fn resolution_workers_control_workers_5_to_the_soviet_parties_by_seats_bread_minus_5_middle_unrest_10(
) {
    // 5 workers' points from the liberals: 15% of them (rounded: 1) to the
    // Bolsheviks, who hold 15 seats, 4 to the soviet. Bread 35 after the
    // drift: its unrest term is still 1.
    assert_eq!(
        motion_effect(&scenario(), Motion::WorkersControl),
        changes(&[
            ("workers.liberals", -5),
            ("workers.soviet", 4),
            ("workers.bolsheviks", 1),
            ("bread", -5),
            ("middle.unrest", 10),
        ])
    );
}

#[test]
fn resolution_arm_workers_red_guards_10_workers_unrest_5() {
    assert_eq!(
        motion_effect(&scenario(), Motion::ArmWorkers),
        changes(&[("red_guards", 10), ("workers.unrest", 5)])
    );
}

#[test]
fn resolution_form_mrc_red_guards_10_and_the_next_seize_power_counts_10_more() {
    assert_eq!(
        motion_effect(&scenario(), Motion::FormMrc),
        changes(&[("red_guards", 10), ("flag.mrc", 1)])
    );
}

#[test]
fn resolution_condemn_bolsheviks_workers_5_from_bolsheviks_to_soviet_red_guards_minus_5_soviet_minus_3(
) {
    let sc = with_start(|sc| sc.start.red_guards = 20);
    assert_eq!(
        motion_effect(&sc, Motion::CondemnBolsheviks),
        changes(&[
            ("workers.bolsheviks", -5),
            ("workers.soviet", 5),
            ("red_guards", -5),
            ("soviet_legitimacy", -3),
            ("seats.bolsheviks", -3),
            ("seats.soviet", 3),
        ])
    );
}

#[test]
fn resolution_all_power_to_soviets_needs_soviet_legitimacy_above_the_governments() {
    // Soviet 60 > gov 50, the soviet holds 85 seats: it wins at once.
    let mut t = Table::with(scenario(), 1);
    let events = t.round_with(&[Motion::AllPowerToSoviets], &[]);
    let o = ended_in(&events).expect("the game ends");
    assert_eq!(o.ending, Ending::AllPowerToSoviets);
    assert_eq!(o.winners, vec![Faction::Soviet]);
    // Not when the Government is more legitimate: the vote passes, nothing
    // happens.
    let mut t = Table::with(with_start(|sc| sc.start.gov_legitimacy = 70), 1);
    let events = t.round_with(&[Motion::AllPowerToSoviets], &[]);
    assert!(ended_in(&events).is_none());
    assert!(summary_has(&t, "falls flat"), "{:?}", t.summary());
}

#[test]
fn motions_pass_only_by_vote_cabinet_on_more_yes_than_no_soviet_on_more_than_50_seats() {
    // Two liberals: one yes, one no is a tie, and fails.
    let mut t = Table::with_players(
        scenario(),
        1,
        &[
            Faction::Liberals,
            Faction::Liberals,
            Faction::Soviet,
            Faction::Bolsheviks,
        ],
    );
    let m = t.table(PlayerId(1), Motion::Amnesty);
    t.vote(PlayerId(1), m, Vote::Yes);
    t.vote(PlayerId(2), m, Vote::No);
    let res = t.table_results_after_resolve();
    assert_eq!(res[0].0, m);
    assert!(!res[0].1.passed);
    // Soviet: 85 seats for the soviet faction; its only player abstains,
    // the Bolsheviks' 15 seats vote yes: fails. The soviet's player votes
    // yes: passes with 100.
    t.advance();
    let m = t.table(PlayerId(4), Motion::ArmWorkers);
    t.vote(PlayerId(3), m, Vote::Abstain);
    t.vote(PlayerId(4), m, Vote::Yes);
    let res = t.table_results_after_resolve();
    assert!(!res[0].1.passed);
    assert_eq!(res[0].1.yes, 17.0, "the Bolsheviks hold 17 seats in April");
}

// ------------------------------------------------------------- coalition --

fn offer_in_round_1(t: &mut Table) {
    t.round_with(&[Motion::OfferCoalition], &[]);
    t.advance();
}

#[test]
fn coalition_offer_stands_for_the_rest_of_the_round_and_the_next_and_costs_gov_3_outside_may() {
    let d = motion_effect(&scenario(), Motion::OfferCoalition);
    assert_eq!(d, changes(&[("gov_legitimacy", -3)]));
    let mut t = Table::with(scenario(), 1);
    offer_in_round_1(&mut t);
    assert_eq!(t.state().public.coalition_offer_until, Some(2));
    // Unanswered in round 2, it lapses: join_coalition is refused in round 3.
    t.finish_round();
    assert_eq!(t.round(), 3);
    assert_eq!(t.state().public.coalition_offer_until, None);
    t.goto(Phase::Proposals);
    let r = t
        .try_exec(Command::Table {
            player: SOV,
            motion: Motion::JoinCoalition,
        })
        .unwrap_err();
    assert_eq!(r.code, ErrorCode::PreconditionFailed);
    assert!(r.message.contains("offer_coalition first"), "{r}");
    // What the players read says so: the offer is answered in the next
    // round (it stands from its resolution), not "this round and 1 more".
    let does = motion_does("offer_coalition");
    assert!(
        does.contains("which they may accept with join_coalition within 1 round after this one"),
        "{does}"
    );
}

/// What a motion does, as the catalog tells the players.
fn motion_does(id: &str) -> String {
    let sc = scenario();
    let m = sc.catalog.motions.iter().find(|m| m.id == id);
    m.map(|m| m.does.clone()).unwrap_or_default()
}

#[test]
fn coalition_offer_is_free_in_may_the_government_crisis() {
    let mut t = Table::with(scenario(), 1);
    t.finish_round();
    t.finish_round();
    assert_eq!(t.round(), 3);
    let d = effect(
        &scenario(),
        1,
        |t| {
            t.finish_round();
            t.finish_round();
        },
        |t| {
            t.pass(Motion::OfferCoalition);
        },
    );
    assert_eq!(d, changes(&[]), "no legitimacy cost in May");
}

#[test]
fn coalition_join_seats_soviet_players_in_the_cabinet_until_leave_coalition_passes() {
    let mut t = Table::with(scenario(), 1);
    offer_in_round_1(&mut t);
    assert_eq!(t.game.view(Viewer::Spectator).cabinet, vec![LIB]);
    t.round_with(&[Motion::JoinCoalition], &[]);
    assert!(t.state().public.coalition);
    assert_eq!(t.state().public.coalition_offer_until, None);
    assert_eq!(t.game.view(Viewer::Spectator).cabinet, vec![LIB, SOV]);
    // The soviet's player now tables and votes on decrees: with the liberal
    // voting no, one yes and one no is a tie and fails.
    t.advance();
    let m = t.table(SOV, Motion::Amnesty);
    t.vote(SOV, m, Vote::Yes);
    t.vote(LIB, m, Vote::No);
    let r = t
        .try_exec(Command::Vote {
            player: BOL,
            motion: m,
            vote: Vote::Yes,
        })
        .unwrap_err();
    assert_eq!(r.code, ErrorCode::NotEligible);
    let res = t.table_results_after_resolve();
    assert_eq!(
        (res[0].1.yes, res[0].1.no, res[0].1.passed),
        (1.0, 1.0, false)
    );
    t.advance();
    t.round_with(&[Motion::LeaveCoalition], &[]);
    assert!(!t.state().public.coalition);
    assert_eq!(t.game.view(Viewer::Spectator).cabinet, vec![LIB]);
    t.advance();
    t.goto(Phase::Proposals);
    let r = t
        .try_exec(Command::Table {
            player: SOV,
            motion: Motion::Amnesty,
        })
        .unwrap_err();
    assert_eq!(r.code, ErrorCode::NotEligible);
    let r = t
        .try_exec(Command::Table {
            player: SOV,
            motion: Motion::LeaveCoalition,
        })
        .unwrap_err();
    assert_eq!(r.code, ErrorCode::PreconditionFailed);
}

#[test]
fn coalition_every_resolution_moves_2_workers_and_soldiers_support_from_soviet_to_bolsheviks_and_soviet_legitimacy_minus_3(
) {
    // The join passes before the drift, so its own round already counts.
    let d = effect(&scenario(), 1, offer_in_round_1, |t| {
        t.pass(Motion::JoinCoalition);
    });
    assert_eq!(d["coalition"], 1);
    assert_eq!(d["soviet_legitimacy"], -3);
    assert_eq!(d["workers.soviet"], -2);
    assert_eq!(d["workers.bolsheviks"], 2);
    assert_eq!(d["soldiers.soviet"], -2);
    assert_eq!(d["soldiers.bolsheviks"], 2);
}

// --------------------------------------------------------- monthly drift --

#[test]
fn drift_bread_falls_5_and_war_weariness_rises_4_while_at_war() {
    let mut t = Table::with(scenario(), 1);
    t.resolve();
    assert_eq!(t.state().public.tracks.bread, 40);
    assert_eq!(t.state().public.tracks.war_weariness, 60);
    let mut t = Table::with(with_start(|sc| sc.start.flags = vec![Flag::AtWar]), 1);
    t.resolve();
    assert_eq!(t.state().public.tracks.war_weariness, 64);
}

#[test]
fn drift_unrest_rises_by_weariness_minus_50_over_10_plus_50_minus_bread_over_10_toward_zero() {
    // Weariness 60, bread 45 → 40: 10/10 + 10/10 = 2.
    let mut t = Table::with(scenario(), 1);
    t.resolve();
    let u = |t: &Table, g| t.state().public.groups[&g].unrest;
    assert_eq!(
        [
            u(&t, Group::Workers),
            u(&t, Group::Soldiers),
            u(&t, Group::Peasants),
            u(&t, Group::Middle)
        ],
        [42, 47, 32, 22]
    );
    // Weariness 35, bread 75 → 70: -15/10 = -1 (toward zero), -20/10 = -2.
    let sc = with_start(|sc| {
        sc.start.war_weariness = 35;
        sc.start.bread = 75;
    });
    let mut t = Table::with(sc, 1);
    t.resolve();
    assert_eq!(u(&t, Group::Workers), 40 - 3);
    assert_eq!(u(&t, Group::Middle), 20 - 3);
    // Order is 100 minus the mean unrest.
    let mean = (37 + 42 + 27 + 17) as f64 / 4.0;
    assert_eq!(t.state().public.tracks.order, (100.0 - mean).round() as u8);
}

#[test]
fn drift_workers_and_soldiers_at_60_unrest_give_3_support_to_the_bolsheviks_from_the_cabinet() {
    // Workers 58 + 2 = 60: 3 of the liberals' 10 go to the Bolsheviks (only
    // the liberals sit in the cabinet). Soldiers stay below 60.
    let sc = with_start(|sc| group_of(sc, Group::Workers).unrest = 58);
    let mut t = Table::with(sc, 1);
    t.resolve();
    assert_eq!(support(&t, Group::Workers), PerFaction::new(7, 70, 23));
    assert_eq!(support(&t, Group::Soldiers), PerFaction::new(15, 75, 10));
    // In coalition, from liberals and soviet in proportion.
    // Workers 56 → 58 in March, 60 in April, when the coalition forms.
    let sc = with_start(|sc| group_of(sc, Group::Workers).unrest = 56);
    let mut t = Table::with(sc, 1);
    offer_in_round_1(&mut t);
    let before = support(&t, Group::Workers);
    t.round_with(&[Motion::JoinCoalition], &[]);
    let after = support(&t, Group::Workers);
    assert_eq!(t.state().public.groups[&Group::Workers].unrest, 60);
    // 3 from the cabinet (liberals 10, soviet 70: 0 and 3), then the
    // coalition's 2 from soviet to Bolsheviks.
    assert_eq!(
        i32::from(after.bolsheviks) - i32::from(before.bolsheviks),
        3 + 2
    );
    assert_eq!(after.liberals, before.liberals);
}

#[test]
fn drift_gov_legitimacy_minus_2_unelected_and_minus_3_more_while_bread_below_30() {
    let mut t = Table::with(scenario(), 1);
    t.resolve();
    assert_eq!(t.state().public.tracks.gov_legitimacy, 48);
    // Bread 34 → 29: bread lines.
    let mut t = Table::with(with_start(|sc| sc.start.bread = 34), 1);
    t.resolve();
    assert_eq!(t.state().public.tracks.gov_legitimacy, 45);
    // Bread 35 → 30: not below 30.
    let mut t = Table::with(with_start(|sc| sc.start.bread = 35), 1);
    t.resolve();
    assert_eq!(t.state().public.tracks.gov_legitimacy, 48);
}

// ---------------------------------------------------- Soviet by-elections --

#[test]
fn byelections_move_seats_toward_the_bolshevik_share_of_workers_and_soldiers_by_at_most_15() {
    let sc = with_start(|sc| {
        group_of(sc, Group::Workers).support = PerFaction::new(20, 40, 40);
        group_of(sc, Group::Soldiers).support = PerFaction::new(0, 40, 60);
    });
    // Target: 100 × (40 + 60) / (80 + 100) = 55.6 → 56 seats.
    let mut t = Table::with(sc, 1);
    let seats = |t: &Table| t.state().public.soviet_seats;
    t.finish_round();
    assert_eq!(seats(&t), PerFaction::new(0, 70, 30));
    t.finish_round();
    assert_eq!(seats(&t).bolsheviks, 45);
    t.finish_round();
    assert_eq!(seats(&t).bolsheviks, 56);
    assert_eq!(seats(&t).soviet, 44);
    // And down again when the Bolsheviks lose the factories.
    let sc = with_start(|sc| sc.start.bolshevik_seats = 60);
    let mut t = Table::with(sc, 1);
    t.resolve();
    assert_eq!(seats(&t).bolsheviks, 45, "target 17, at most 15 a round");
}

// ------------------------------------------------------------------ events --

#[test]
fn event_march_the_tsar_abdicates_changes_nothing() {
    let t = Table::with(scenario(), 1);
    let card = t.state().event.clone().expect("a card");
    assert_eq!((card.round, card.id.as_str()), (1, "abdication"));
    let lobby = Table::lobby(scenario(), 1, false);
    let mut a = lobby.snap();
    let mut b = t.snap();
    for s in [&mut a, &mut b] {
        s.retain(|k, _| !k.starts_with("ip."));
    }
    assert_eq!(a, b);
}

fn to_round(t: &mut Table, round: u8) {
    while t.round() < round {
        t.finish_round();
        assert!(!t.ended(), "ended before round {round}: {:?}", t.outcome());
    }
}

#[test]
fn event_april_lenin_returns_bolsheviks_3_ip_and_at_war_the_note_costs_gov_10_and_soldiers_unrest_10(
) {
    let mut peace = Table::with(scenario(), 1);
    to_round(&mut peace, 2);
    let mut war = Table::with(with_start(|sc| sc.start.flags = vec![Flag::AtWar]), 1);
    to_round(&mut war, 2);
    assert_eq!(peace.state().event.as_ref().unwrap().id, "april_theses");
    // 4 income in March, 4 + 3 in April.
    assert_eq!(ip(&peace, Faction::Bolsheviks), 4 + 4 + 3);
    let mut d = diff(&peace.snap(), &war.snap());
    d.remove("order");
    // At war the drift also added 4 weariness in March (64: the same
    // unrest term as 60).
    assert_eq!(
        d,
        changes(&[
            ("gov_legitimacy", -10),
            ("soldiers.unrest", 10),
            ("war_weariness", 4),
            ("flag.at_war", 1),
        ])
    );
}

#[test]
fn event_may_the_government_crisis_raises_workers_unrest_5() {
    let mut t = Table::with(scenario(), 1);
    to_round(&mut t, 2);
    t.finish_round();
    let before = t.state().public.groups[&Group::Workers].unrest;
    let mut u = Table::with(scenario(), 1);
    to_round(&mut u, 2);
    u.resolve();
    let after_drift = u.state().public.groups[&Group::Workers].unrest;
    assert_eq!(t.state().event.as_ref().unwrap().id, "government_crisis");
    assert_eq!(before, after_drift + 5);
}

#[test]
fn event_june_first_congress_of_soviets_soviet_5_and_offensive_odds_plus_10() {
    let mut t = Table::with(scenario(), 1);
    to_round(&mut t, 3);
    t.resolve();
    let soviet = t.state().public.tracks.soviet_legitimacy;
    t.advance();
    assert_eq!(t.state().event.as_ref().unwrap().id, "congress_of_soviets");
    assert_eq!(t.state().public.tracks.soviet_legitimacy, soviet + 5);
    // Loyal troops 40, weariness 60: odds 10 (slim), and 20 in June (poor).
    t.round_with(&[Motion::Offensive], &[]);
    assert!(summary_has(&t, "its odds were poor"), "{:?}", t.summary());
}

fn july(sc: Scenario) -> Table {
    let mut t = Table::with(sc, 1);
    to_round(&mut t, 5);
    t
}

fn hot() -> Scenario {
    with_start(|sc| {
        group_of(sc, Group::Workers).unrest = 60;
        sc.start.red_guards = 30;
    })
}

#[test]
fn event_july_days_the_street_rises_only_at_60_workers_or_soldiers_unrest() {
    let calm = with_start(|sc| {
        group_of(sc, Group::Workers).unrest = 20;
        group_of(sc, Group::Soldiers).unrest = 20;
    });
    let t = july(calm);
    let card = t.state().event.clone().unwrap();
    assert_eq!(card.id, "july_days");
    assert!(!card.street_rises);
    let t = july(hot());
    assert!(t.state().event.as_ref().unwrap().street_rises);
}

#[test]
fn event_july_days_leading_the_rising_is_free_and_counts_red_guards_minus_10() {
    let mut t = july(hot());
    let ip_before = ip(&t, Faction::Bolsheviks);
    t.plan(BOL, Action::SeizePower);
    assert_eq!(ip(&t, Faction::Bolsheviks), ip_before, "free in July");
    t.resolve();
    // Red guards 30 - 10 = 20 against 40 loyal troops: it fails, with the
    // failed insurrection's price (red guards halved).
    assert!(!t.ended());
    assert_eq!(t.state().hidden.red_guards, 15);
    assert!(summary_has(&t, "The insurrection fails"));
    // With 55 red guards (45 effective) and a weak Government it succeeds.
    let sc = with_start(|sc| {
        group_of(sc, Group::Workers).unrest = 60;
        sc.start.red_guards = 55;
        sc.start.gov_legitimacy = 30;
    });
    let mut t = july(sc);
    t.plan(BOL, Action::SeizePower);
    let events = t.resolve();
    let o = ended_in(&events).expect("the July rising wins");
    assert_eq!((o.ending, o.round), (Ending::OctoberInsurrection, 5));
    // 50 red guards (40 effective) do not beat 40 loyal troops.
    let sc = with_start(|sc| {
        group_of(sc, Group::Workers).unrest = 60;
        sc.start.red_guards = 50;
        sc.start.gov_legitimacy = 30;
    });
    let mut t = july(sc);
    t.plan(BOL, Action::SeizePower);
    assert!(ended_in(&t.resolve()).is_none());
}

#[test]
fn event_july_days_not_planning_seize_power_disowns_the_rising_bolshevik_workers_minus_5() {
    let mut t = july(hot());
    let before = support(&t, Group::Workers);
    t.resolve();
    assert!(summary_has(&t, "The Bolsheviks disowned the July rising"));
    let after = support(&t, Group::Workers);
    // -5 for disowning (the drift's radical shift has nothing left to take:
    // four months of unrest ≥ 60 have already moved the liberals' 10).
    assert_eq!(before.liberals, 0);
    assert_eq!(
        i32::from(after.bolsheviks) - i32::from(before.bolsheviks),
        -5
    );
}

fn august(sc: Scenario) -> Table {
    let mut t = Table::with(sc, 1);
    to_round(&mut t, 6);
    t
}

#[test]
fn event_august_the_generals_move_when_reaction_is_at_least_40() {
    let t = august(with_start(|sc| sc.start.reaction = 39));
    assert!(!t.state().event.as_ref().unwrap().coup_attempt);
    let t = august(with_start(|sc| sc.start.reaction = 40));
    let card = t.state().event.clone().unwrap();
    assert_eq!(card.id, "generals_move");
    assert!(card.coup_attempt);
}

#[test]
fn event_august_the_coup_wins_when_loyal_troops_plus_reaction_exceed_red_guards_plus_40() {
    // 40 + 40 > 5 + 40: a military dictatorship.
    let mut t = august(with_start(|sc| sc.start.reaction = 40));
    let o = ended_in(&t.resolve()).cloned().expect("the coup wins");
    assert_eq!((o.ending, o.round), (Ending::MilitaryDictatorship, 6));
    assert!(o.winners.is_empty());
    // 40 + 40 = 80 is not more than 40 + 40: the coup fails.
    let mut t = august(with_start(|sc| {
        sc.start.reaction = 40;
        sc.start.red_guards = 40;
    }));
    let before = t.snap();
    t.resolve();
    assert!(!t.ended());
    let after = t.snap();
    assert_eq!(after["reaction"], 0);
    assert_eq!(after["red_guards"], before["red_guards"] + 15);
    assert_eq!(after["loyal_troops"], before["loyal_troops"] - 10);
    // gov -10 on top of the drift's -2 and -3 (bread 15: bread lines).
    assert_eq!(
        after["gov_legitimacy"],
        before["gov_legitimacy"] - 10 - 2 - 3
    );
    assert!(after["workers.bolsheviks"] >= before["workers.bolsheviks"] + 10);
    assert!(summary_has(&t, "The generals' coup fails"));
}

#[test]
fn event_august_call_on_soviet_stops_the_coup_whatever_the_numbers() {
    let mut t = august(with_start(|sc| sc.start.reaction = 80));
    t.round_with(&[Motion::CallOnSoviet], &[]);
    assert!(!t.ended(), "{:?}", t.outcome());
    assert_eq!(t.state().hidden.reaction, 0);
    assert!(summary_has(&t, "the Government called on the Soviet"));
}

#[test]
fn event_september_the_soviets_turn_by_elections_move_up_to_25_seats() {
    let sc = with_start(|sc| {
        group_of(sc, Group::Workers).support = PerFaction::new(0, 10, 90);
        group_of(sc, Group::Soldiers).support = PerFaction::new(0, 10, 90);
        sc.start.reaction = 0;
    });
    let mut t = Table::with(sc, 1);
    to_round(&mut t, 7);
    assert_eq!(t.state().event.as_ref().unwrap().id, "soviets_turn");
    // Put the seats back to 15 (as a host's restored game might have them)
    // to see one September step.
    let mut public = t.state().public.clone();
    public.soviet_seats = PerFaction::new(0, 85, 15);
    t.game.apply(&GameEvent::StateChanged { state: public });
    t.resolve();
    assert_eq!(t.state().public.soviet_seats.bolsheviks, 15 + 25);
}

#[test]
fn event_october_congress_of_soviets_counts_soviet_legitimacy_plus_10_for_all_power() {
    // Soviet legitimacy 65 (60, +5 in June). The Government starts at 95
    // and loses 2 a month, 5 once bread is below 30 (from June): 69 after
    // September's drift, 64 after October's.
    let sc = with_start(|sc| sc.start.gov_legitimacy = 95);
    let mut t = Table::with(sc.clone(), 1);
    to_round(&mut t, 7);
    t.round_with(&[Motion::AllPowerToSoviets], &[]);
    assert_eq!(t.state().public.tracks.gov_legitimacy, 69);
    assert!(!t.ended(), "September: 65 does not exceed 69");
    let mut t = Table::with(sc, 1);
    to_round(&mut t, 8);
    assert_eq!(t.state().event.as_ref().unwrap().id, "congress_convenes");
    let o = ended_in(&t.round_with(&[Motion::AllPowerToSoviets], &[]))
        .cloned()
        .expect("October: 65 + 10 exceeds 64");
    assert_eq!(o.ending, Ending::AllPowerToSoviets);
}

#[test]
fn event_injected_by_the_host_plays_with_its_own_rules() {
    // The host plays the September card in March: its 25-seat step holds.
    let sc = with_start(|sc| {
        group_of(sc, Group::Workers).support = PerFaction::new(0, 10, 90);
        group_of(sc, Group::Soldiers).support = PerFaction::new(0, 10, 90);
    });
    let mut t = Table::with(sc, 1);
    t.exec(Command::InjectEvent {
        event: "soviets_turn".into(),
    });
    t.resolve();
    assert_eq!(t.state().public.soviet_seats.bolsheviks, 15 + 25);
}

// ------------------------------------------------------------------ endings --

fn seize_with(sc: Scenario, extra: &[Motion]) -> (Table, Option<Outcome>) {
    let mut t = Table::with(sc, 1);
    for m in extra {
        t.pass(*m);
    }
    t.plan(BOL, Action::SeizePower);
    let o = ended_in(&t.resolve()).cloned();
    (t, o)
}

fn rising(red: u8, gov: u8, seats: u8) -> Scenario {
    with_start(|sc| {
        sc.start.red_guards = red;
        sc.start.gov_legitimacy = gov;
        sc.start.bolshevik_seats = seats;
        sc.start.ip = PerFaction::new(0, 0, 5);
    })
}

#[test]
fn ending_military_dictatorship_when_reaction_reaches_100_in_any_round() {
    let sc = with_start(|sc| sc.start.reaction = 90);
    let mut t = Table::with(sc, 1);
    let o = ended_in(&t.round_with(&[Motion::AppointHardlineCommander], &[]))
        .cloned()
        .expect("a coup");
    assert_eq!((o.ending, o.round), (Ending::MilitaryDictatorship, 1));
    assert!(o.winners.is_empty());
    assert!(o.scores.iter().all(|s| !s.won));
}

#[test]
fn ending_collapse_when_order_is_15_or_less() {
    // Unrest +2 in the drift: 83 → 85 everywhere, order 15.
    let at = |u: u8| {
        with_start(move |sc| {
            for g in Group::ALL {
                group_of(sc, g).unrest = u;
            }
        })
    };
    let mut t = Table::with(at(83), 1);
    let o = ended_in(&t.resolve()).cloned().expect("collapse");
    assert_eq!((o.ending, o.round), (Ending::Collapse, 1));
    assert!(o.winners.is_empty());
    let mut t = Table::with(at(82), 1);
    assert!(ended_in(&t.resolve()).is_none(), "order 16 holds");
}

#[test]
fn ending_october_insurrection_needs_red_guards_above_loyal_troops_and_a_soviet_majority() {
    // 70 seats at the start, 55 after March's by-elections (target 17).
    let (_, o) = seize_with(rising(41, 50, 70), &[]);
    let o = o.expect("the insurrection wins");
    assert_eq!((o.ending, o.round), (Ending::OctoberInsurrection, 1));
    assert_eq!(o.winners, vec![Faction::Bolsheviks]);
    // 40 red guards do not exceed 40 loyal troops.
    let (_, o) = seize_with(rising(40, 50, 70), &[]);
    assert!(o.is_none());
}

#[test]
fn ending_october_insurrection_or_a_government_below_25_legitimacy() {
    // Gov 26 - 2 (drift) = 24 < 25; the Bolsheviks hold 17 seats.
    let (_, o) = seize_with(rising(41, 26, 15), &[]);
    assert_eq!(o.expect("wins").ending, Ending::OctoberInsurrection);
    // 27 - 2 = 25 is not below 25.
    let (_, o) = seize_with(rising(41, 27, 15), &[]);
    assert!(o.is_none());
}

#[test]
fn ending_october_insurrection_failed_halves_red_guards_moves_10_support_from_bolsheviks_and_gives_gov_10(
) {
    let (t, o) = seize_with(rising(41, 50, 15), &[]);
    assert!(o.is_none());
    let mut control = Table::with(rising(41, 50, 15), 1);
    control.resolve();
    let d = diff(&control.snap(), &t.snap());
    assert_eq!(t.state().hidden.red_guards, 20, "41 halved");
    assert_eq!(d["gov_legitimacy"], 10);
    assert_eq!(d["workers.bolsheviks"], -10);
    assert_eq!(d["soldiers.bolsheviks"], -10);
    assert_eq!(d["ip.bolsheviks"], -5);
    assert!(summary_has(&t, "without a Soviet majority"));
}

#[test]
fn ending_october_insurrection_counts_the_military_revolutionary_committee_10_more_once() {
    // 26 + 10 (form_mrc) = 36 red guards, 46 with the committee: > 40.
    let (_, o) = seize_with(rising(26, 50, 70), &[Motion::FormMrc]);
    assert_eq!(o.expect("wins").ending, Ending::OctoberInsurrection);
    // Without the committee, 36 + 10 (arm_workers) does not reach 41.
    let (t, o) = seize_with(rising(26, 50, 70), &[Motion::ArmWorkers]);
    assert!(o.is_none());
    assert!(!t.state().public.flags.contains(&Flag::Mrc));
    // The committee counts for one rising only.
    let (t, o) = seize_with(rising(10, 50, 70), &[Motion::FormMrc]);
    assert!(o.is_none());
    assert!(!t.state().public.flags.contains(&Flag::Mrc));
}

#[test]
fn ending_all_power_to_soviets_the_faction_holding_the_soviet_majority_wins() {
    let sc = with_start(|sc| sc.start.bolshevik_seats = 70);
    let mut t = Table::with(sc, 1);
    let o = ended_in(&t.round_with(&[Motion::AllPowerToSoviets], &[]))
        .cloned()
        .expect("all power");
    assert_eq!(o.ending, Ending::AllPowerToSoviets);
    assert_eq!(o.winners, vec![Faction::Bolsheviks]);
    // 50/50: no majority, nobody to take power.
    let sc = with_start(|sc| {
        sc.start.bolshevik_seats = 50;
        group_of(sc, Group::Workers).support = PerFaction::new(0, 50, 50);
        group_of(sc, Group::Soldiers).support = PerFaction::new(0, 50, 50);
    });
    let mut t = Table::with(sc, 1);
    assert!(ended_in(&t.round_with(&[Motion::AllPowerToSoviets], &[])).is_none());
    assert!(summary_has(&t, "no faction holds a Soviet majority"));
}

fn play_out_table(sc: Scenario) -> Table {
    let mut t = Table::with(sc, 1);
    for _ in 0..8 {
        t.finish_round();
        if t.ended() {
            break;
        }
    }
    t
}

fn play_out(sc: Scenario) -> Outcome {
    play_out_table(sc).outcome().cloned().expect("ended")
}

/// Election-weighted support ×100 (weights 15/15/60/10 sum to 100).
fn national_x100(t: &Table, f: Faction) -> u32 {
    let sc = scenario();
    t.state()
        .public
        .groups
        .iter()
        .map(|(g, gs)| sc.group(*g).weight * u32::from(gs.support[f]))
        .sum()
}

#[test]
fn ending_constituent_assembly_after_october_700_seats_by_weighted_support_most_seats_wins() {
    let t = play_out_table(scenario());
    let o = t.outcome().cloned().unwrap();
    assert_eq!((o.ending, o.round), (Ending::ConstituentAssembly, 8));
    let seats: Vec<u32> = o.scores.iter().map(|s| s.assembly_seats.unwrap()).collect();
    assert_eq!(seats.iter().sum::<u32>(), 700);
    // Proportional to the final weighted support (largest remainder).
    for (f, n) in Faction::ALL.into_iter().zip(&seats) {
        let exact = 700.0 * f64::from(national_x100(&t, f)) / 10_000.0;
        assert!(
            (f64::from(*n) - exact).abs() < 1.0,
            "{f:?}: {n} for {exact}"
        );
    }
    // Gov 50 - 16 (unelected) - 15 (bread lines from June) = 19 < 40.
    assert_eq!(o.winners, vec![Faction::Soviet]);
}

#[test]
fn ending_constituent_assembly_liberals_also_win_with_gov_legitimacy_at_least_40() {
    let o = play_out(with_start(|sc| sc.start.gov_legitimacy = 71));
    assert_eq!(o.ending, Ending::ConstituentAssembly);
    assert_eq!(o.winners, vec![Faction::Liberals, Faction::Soviet]);
    let o = play_out(with_start(|sc| sc.start.gov_legitimacy = 70));
    assert_eq!(o.winners, vec![Faction::Soviet], "39 is not enough");
}

#[test]
fn ending_constituent_assembly_when_the_scheduled_round_would_begin() {
    let mut t = Table::with(scenario(), 1);
    t.round_with(&[Motion::ScheduleElections { round: 3 }], &[]);
    assert!(!t.ended());
    t.advance();
    let o = ended_in(&t.resolve()).cloned().expect("elections");
    assert_eq!((o.ending, o.round), (Ending::ConstituentAssembly, 2));
    // What the players read says so: round 3 is never played.
    let does = motion_does("schedule_elections");
    assert!(
        does.contains("a round at least 2 ahead: when it would begin, the Constituent Assembly is elected instead and the game ends"),
        "{does}"
    );
}

#[test]
fn endings_are_checked_in_order_dictatorship_collapse_insurrection_all_power_assembly() {
    let chaos = |sc: &mut Scenario| {
        for g in Group::ALL {
            group_of(sc, g).unrest = 90;
        }
    };
    // A winning coup and a collapse: the dictatorship.
    let sc = with_start(|sc| {
        chaos(sc);
        sc.start.reaction = 100;
    });
    let mut t = Table::with(sc, 1);
    assert_eq!(
        ended_in(&t.resolve()).unwrap().ending,
        Ending::MilitaryDictatorship
    );
    // A collapse and a winning insurrection: the collapse.
    let mut sc = rising(41, 50, 70);
    chaos(&mut sc);
    let (_, o) = seize_with(sc, &[]);
    assert_eq!(o.unwrap().ending, Ending::Collapse);
    // A winning insurrection and all power to the Soviets: the insurrection.
    let (_, o) = seize_with(rising(41, 50, 70), &[Motion::AllPowerToSoviets]);
    assert_eq!(o.unwrap().ending, Ending::OctoberInsurrection);
    // All power in October, when the Assembly would be elected: all power.
    let mut t = Table::with(scenario(), 1);
    to_round(&mut t, 8);
    let o = ended_in(&t.round_with(&[Motion::AllPowerToSoviets], &[]))
        .cloned()
        .unwrap();
    assert_eq!(o.ending, Ending::AllPowerToSoviets);
}

// ------------------------------------------------------------------- scores --

#[test]
fn scores_are_weighted_support_plus_legitimacy_or_bolshevik_seats() {
    let mut t = Table::with(scenario(), 1);
    for _ in 0..8 {
        t.finish_round();
    }
    let o = t.outcome().cloned().unwrap();
    let p = &t.state().public;
    let score = |f: Faction| o.scores.iter().find(|s| s.faction == f).unwrap().score;
    let national = |f| (national_x100(&t, f) + 50) / 100;
    assert_eq!(
        score(Faction::Liberals),
        national(Faction::Liberals) + u32::from(p.tracks.gov_legitimacy)
    );
    assert_eq!(
        score(Faction::Soviet),
        national(Faction::Soviet) + u32::from(p.tracks.soviet_legitimacy)
    );
    assert_eq!(
        score(Faction::Bolsheviks),
        national(Faction::Bolsheviks) + u32::from(p.soviet_seats.bolsheviks)
    );
    let won: Vec<Faction> = o
        .scores
        .iter()
        .filter(|s| s.won)
        .map(|s| s.faction)
        .collect();
    assert_eq!(won, o.winners);
}

// --------------------------------------------------------------- characters --

#[test]
fn characters_each_player_gets_a_figure_of_their_faction_with_a_private_brief_and_no_rule_changes()
{
    let mut t = Table::lobby(scenario(), 1, true);
    for (name, f) in [
        ("A", Faction::Liberals),
        ("B", Faction::Liberals),
        ("C", Faction::Bolsheviks),
    ] {
        t.exec(Command::Join {
            name: name.into(),
            faction: Some(f),
        });
    }
    let names: Vec<Option<String>> = t
        .state()
        .players
        .iter()
        .map(|p| p.character.clone())
        .collect();
    assert_eq!(
        names,
        vec![
            Some("Pavel Milyukov".into()),
            Some("Prince Georgy Lvov".into()),
            Some("Vladimir Lenin".into())
        ]
    );
    // The brief goes to its player (and the host) only.
    for e in &t.log {
        if let GameEvent::CharacterAssigned { player, .. } = e.event {
            assert_eq!(e.audience, Audience::Player { player });
        }
    }
    let v = t.game.view(Viewer::Player {
        id: PlayerId(3),
        faction: Faction::Bolsheviks,
    });
    assert!(v.character.unwrap().objective.contains("Seize power"));
    assert!(t.game.view(Viewer::Spectator).character.is_none());
    // The same round with and without characters: the same state.
    let run = |chars: bool| {
        let mut t = Table::lobby(scenario(), 7, chars);
        for f in Faction::ALL {
            t.exec(Command::Join {
                name: f.id().into(),
                faction: Some(f),
            });
        }
        let now = t.now;
        t.exec(Command::Start { now_ms: now });
        t.round_with(
            &[Motion::ContinueWar, Motion::OrderNo1],
            &[(BOL, Action::Organize)],
        );
        t.snap()
    };
    assert_eq!(run(true), run(false));
}

// ------------------------------------------------------------------- moves --

/// The host moves a bot to another faction: it takes a name of its new
/// faction's figures (as `add_bot` names it), not held by anyone; a person
/// keeps theirs. The engine's replay and a client's view folded from the
/// events agree.
#[test]
fn moves_a_bot_takes_a_figure_of_its_new_faction_and_a_person_keeps_their_name() {
    // Without characters: a bot is named after one of its faction's
    // figures (with characters, after the one it plays: the next test).
    let mut t = Table::lobby(scenario(), 1, false);
    for (name, f) in [
        ("Ana", Faction::Liberals),
        ("Boris", Faction::Soviet),
        ("Vera", Faction::Bolsheviks),
    ] {
        t.exec(Command::Join {
            name: name.into(),
            faction: Some(f),
        });
    }
    let now = t.now;
    t.exec(Command::Start { now_ms: now });
    t.add_bot(Faction::Liberals);
    t.add_bot(Faction::Soviet);
    let name = |t: &Table, id: PlayerId| t.state().player(id).expect("seated").name.clone();
    let (bot, soviet_bot) = (PlayerId(4), PlayerId(5));
    assert_eq!(name(&t, bot), "Guchkov (bot)");
    assert_eq!(name(&t, soviet_bot), "Chernov (bot)");
    // What each viewer holds before the moves, to fold the rest into.
    let viewers = [
        Viewer::Host,
        Viewer::Spectator,
        Viewer::Player {
            id: LIB,
            faction: Faction::Liberals,
        },
        Viewer::Player {
            id: BOL,
            faction: Faction::Bolsheviks,
        },
    ];
    let mut folded: Vec<GameView> = viewers.iter().map(|v| t.game.view(*v)).collect();
    let from = t.log.len();

    let moved = t.exec(Command::Move {
        player: bot,
        faction: Faction::Soviet,
        reason: Some("Balance".into()),
    });
    // Chernov is seated already: the next of the Soviet's figures.
    assert_eq!(name(&t, bot), "Dan (bot)");
    assert_eq!(t.state().player(bot).unwrap().faction, Faction::Soviet);
    assert!(
        moved.iter().any(|e| matches!(
            &e.event,
            GameEvent::PlayerMoved { player, name: Some(n), .. } if *player == bot && n == "Dan (bot)"
        )),
        "{moved:?}"
    );
    // A person moved keeps their own name, and the event names nobody.
    let moved = t.exec(Command::Move {
        player: SOV,
        faction: Faction::Liberals,
        reason: None,
    });
    assert_eq!(name(&t, SOV), "Boris");
    assert!(
        moved.iter().any(|e| matches!(
            &e.event,
            GameEvent::PlayerMoved { player, name: None, .. } if *player == SOV
        )),
        "{moved:?}"
    );
    // The figure it left is not dealt to another bot: a debrief tells
    // players apart by name.
    let late_bot = t.add_bot(Faction::Liberals).id;
    assert_eq!(name(&t, late_bot), "Rodzianko (bot)");
    // Back among the liberals, the bot is a liberal again: its own
    // Guchkov is free.
    t.exec(Command::Move {
        player: bot,
        faction: Faction::Liberals,
        reason: None,
    });
    assert_eq!(name(&t, bot), "Guchkov (bot)");
    t.exec(Command::Move {
        player: soviet_bot,
        faction: Faction::Bolsheviks,
        reason: None,
    });
    assert_eq!(name(&t, soviet_bot), "Zinoviev (bot)");
    // Nor is a removed bot's name dealt again.
    t.exec(Command::Kick {
        player: soviet_bot,
        reason: None,
    });
    let next = t.add_bot(Faction::Bolsheviks);
    assert_eq!(next.name, "Sverdlov (bot)");
    assert_nobody_shares_a_name(&t);

    // The engine's replay holds the same names.
    assert_eq!(t.replayed().state(), t.state());
    // So does every client's view folded from the events it received.
    for (viewer, view) in viewers.iter().zip(&mut folded) {
        for e in t.log[from..].iter().filter(|e| e.audience.includes(viewer)) {
            view.apply(&e.event);
        }
        assert_eq!(view.players, t.game.view(*viewer).players, "{viewer:?}");
        if matches!(viewer, Viewer::Host | Viewer::Spectator) {
            assert_eq!(*view, t.game.view(*viewer), "{viewer:?}");
        }
    }
}

#[test]
fn a_bot_is_named_after_the_character_it_plays() {
    let mut t = Table::lobby(scenario(), 1, true);
    for (name, f) in [("Ana", Faction::Liberals), ("Boris", Faction::Soviet)] {
        t.exec(Command::Join {
            name: name.into(),
            faction: Some(f),
        });
    }
    let now = t.now;
    t.exec(Command::Start { now_ms: now });
    // Every bot's name is its character's surname (numbered if a bot
    // that left it had it), marked as a bot.
    let check = |t: &Table| {
        for p in t.state().players.iter().filter(|p| p.bot) {
            if let Some(c) = t.state().characters.get(&p.id) {
                let surname = c.name.rsplit(' ').next().unwrap();
                assert!(
                    p.name == format!("{surname} (bot)")
                        || p.name.starts_with(&format!("{surname} ")) && p.name.ends_with(" (bot)"),
                    "{p:?} plays {}",
                    c.name
                );
            }
        }
    };
    let bot = t.add_bot(Faction::Liberals);
    // Ana plays Milyukov, the first liberal; the bot the last, so that the
    // best known are left for people.
    assert_eq!(bot.character.as_deref(), Some("Fyodor Kokoshkin"));
    assert_eq!(bot.name, "Kokoshkin (bot)");
    check(&t);
    let vera = t.exec(Command::Join {
        name: "Vera".into(),
        faction: Some(Faction::Liberals),
    });
    assert!(
        vera.iter().any(|e| matches!(
            &e.event,
            GameEvent::PlayerJoined { player } if player.character.as_deref() == Some("Prince Georgy Lvov")
        )),
        "{vera:?}"
    );
    // Moved, it plays one of its new faction's characters, and is named
    // after it.
    t.exec(Command::Move {
        player: bot.id,
        faction: Faction::Soviet,
        reason: None,
    });
    let moved = t.state().player(bot.id).unwrap().name.clone();
    let character = t.state().characters[&bot.id].name.clone();
    assert_eq!(character, "Maria Spiridonova");
    assert_eq!(moved, "Spiridonova (bot)");
    check(&t);
    // Once every liberal character is played, a bot is named after a
    // figure nobody plays, or, with every one played, a numbered one:
    // never after someone else's character alone.
    for _ in 0..14 {
        t.add_bot(Faction::Liberals);
        check(&t);
    }
    assert_nobody_shares_a_name(&t);
    assert_eq!(t.replayed().state(), t.state());
}

#[test]
fn a_bot_whose_character_has_a_surname_too_long_for_a_name_takes_a_figures_name() {
    // A teacher's scenario may name its characters at length; a display
    // name has at most 24 characters. Every liberal's surname made long:
    let mut toml = String::new();
    let mut liberal = false;
    for line in engine::scenario::DEFAULT_SCENARIO_TOML.lines() {
        if line.starts_with("faction = ") {
            liberal = line == "faction = \"liberals\"";
        }
        match line.strip_prefix("name = \"") {
            Some(name) if liberal => toml.push_str(&format!(
                "name = \"{}vichovichenkovsky\"\n",
                name.trim_end_matches('"')
            )),
            _ => toml.push_str(&format!("{line}\n")),
        }
        if line.is_empty() {
            liberal = false;
        }
    }
    let mut t = Table::lobby(Scenario::from_toml(&toml).unwrap(), 1, true);
    t.exec(Command::Join {
        name: "Ana".into(),
        faction: Some(Faction::Liberals),
    });
    let bot = t.add_bot(Faction::Liberals);
    assert_eq!(
        bot.character.as_deref(),
        Some("Fyodor Kokoshkinvichovichenkovsky")
    );
    assert_eq!(bot.name, "Guchkov (bot)");
}

#[test]
fn a_removed_players_character_can_be_given_to_another() {
    let mut t = Table::lobby(scenario(), 1, true);
    for name in ["Ana", "Boris"] {
        t.exec(Command::Join {
            name: name.into(),
            faction: Some(Faction::Liberals),
        });
    }
    let (ana, boris) = (PlayerId(1), PlayerId(2));
    let milyukov = t.state().characters[&ana].name.clone();
    t.exec(Command::Kick {
        player: ana,
        reason: None,
    });
    // Not "already played by someone": nobody plays it any more.
    t.exec(Command::AssignCharacter {
        player: boris,
        character: milyukov.clone(),
    });
    assert_eq!(t.state().characters[&boris].name, milyukov);
}

/// No two players go by the same name (a debrief tells players apart by
/// name).
fn assert_nobody_shares_a_name(t: &Table) {
    let mut names: Vec<String> = t
        .state()
        .players
        .iter()
        .map(|p| p.name.to_lowercase())
        .collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), t.state().players.len(), "{names:?}");
}

// --------------------------------------------------------------- visibility --

#[test]
fn visibility_the_host_sees_everything_live() {
    let mut t = Table::with(scenario(), 1);
    t.plan(LIB, Action::PressCampaign);
    let m = t.state().motions.len();
    assert_eq!(m, 0);
    let v = t.game.view(Viewer::Host);
    assert_eq!(v.factions.len(), 3);
    assert_eq!(v.factions[0].plan.len(), 1);
    assert_eq!(v.hidden, Some(t.state().hidden));
    // Every event reaches the host.
    assert_eq!(t.seen_by(Viewer::Host).len(), t.log.len());
}

#[test]
fn visibility_a_player_never_sees_another_factions_channel_ip_or_plan() {
    let mut t = Table::with(scenario(), 1);
    t.exec(Command::Chat {
        from: engine::Speaker::Player(LIB),
        channel: Channel::Faction,
        text: "secret".into(),
    });
    t.exec(Command::Chat {
        from: engine::Speaker::Player(LIB),
        channel: Channel::Private { to: SOV },
        text: "between us".into(),
    });
    t.plan(LIB, Action::PressCampaign);
    let bol = Viewer::Player {
        id: BOL,
        faction: Faction::Bolsheviks,
    };
    let sov = Viewer::Player {
        id: SOV,
        faction: Faction::Soviet,
    };
    for e in t.seen_by(bol) {
        match e {
            GameEvent::Chat { text, .. } => {
                assert!(text != "secret" && text != "between us")
            }
            GameEvent::IncomeReceived { faction, .. }
            | GameEvent::ActionPlanned { faction, .. } => {
                assert_eq!(*faction, Faction::Bolsheviks)
            }
            GameEvent::HiddenChanged { .. } => panic!("hidden tracks leaked"),
            _ => {}
        }
    }
    let sov_chat: Vec<&String> = t
        .seen_by(sov)
        .into_iter()
        .filter_map(|e| match e {
            GameEvent::Chat { text, .. } => Some(text),
            _ => None,
        })
        .collect();
    assert_eq!(sov_chat, vec!["between us"]);
    let v = t.game.view(bol);
    assert_eq!(v.factions.len(), 1);
    assert_eq!(v.factions[0].faction, Faction::Bolsheviks);
    assert!(v.hidden.is_none());
    // Forces in bands, never exact.
    assert!(v.state.forces.red_guards.exact.is_none());
    assert_eq!(v.state.forces.loyal_troops.band, Band::Rising);
}

#[test]
fn visibility_a_faction_sees_its_own_open_ballots_the_others_only_the_roll_call_after_the_close() {
    // Two Bolsheviks (BOL and player 4) and one Soviet delegate vote.
    let mut t = Table::with_players(
        scenario(),
        1,
        &[
            Faction::Liberals,
            Faction::Soviet,
            Faction::Bolsheviks,
            Faction::Bolsheviks,
        ],
    );
    let bol2 = PlayerId(4);
    let m = t.table(SOV, Motion::ArmWorkers);
    t.vote(SOV, m, Vote::Yes);
    t.vote(BOL, m, Vote::No);
    t.vote(bol2, m, Vote::Yes);
    let bolshevik = |id| Viewer::Player {
        id,
        faction: Faction::Bolsheviks,
    };
    // A Bolshevik sees both Bolshevik ballots, live and in the view, and
    // not the Soviet delegate's.
    let v = t.game.view(bolshevik(BOL));
    assert_eq!(v.motions[0].my_vote, Some(Vote::No));
    let seen: Vec<(PlayerId, Vote)> = v.motions[0]
        .ballots
        .iter()
        .map(|b| (b.player, b.vote))
        .collect();
    assert_eq!(seen, vec![(BOL, Vote::No), (bol2, Vote::Yes)]);
    let cast = |viewer| -> Vec<PlayerId> {
        t.seen_by(viewer)
            .into_iter()
            .filter_map(|e| match e {
                GameEvent::VoteCast { player, .. } => Some(*player),
                _ => None,
            })
            .collect()
    };
    assert_eq!(cast(bolshevik(bol2)), vec![BOL, bol2]);
    // The Soviet delegate sees only their own; the liberal and the
    // projector none.
    let sov = Viewer::Player {
        id: SOV,
        faction: Faction::Soviet,
    };
    assert_eq!(cast(sov), vec![SOV]);
    let sv = t.game.view(sov);
    assert_eq!(sv.motions[0].ballots.len(), 1);
    assert_eq!(sv.motions[0].ballots[0].player, SOV);
    let lib = Viewer::Player {
        id: LIB,
        faction: Faction::Liberals,
    };
    for viewer in [lib, Viewer::Spectator] {
        assert!(cast(viewer).is_empty(), "{viewer:?}");
        assert!(t.game.view(viewer).motions[0].ballots.is_empty());
    }
    assert_eq!(t.game.view(Viewer::Host).motions[0].ballots.len(), 3);
    // After the close: the roll call is public, and no ballot is live.
    let res = t.table_results_after_resolve();
    assert_eq!(res[0].1.roll_call.len(), 3);
    assert!(t
        .seen_by(Viewer::Spectator)
        .iter()
        .any(|e| matches!(e, GameEvent::VotesClosed { .. })));
    assert!(t.game.view(bolshevik(BOL)).motions[0].ballots.is_empty());
}

#[test]
fn visibility_a_spectator_sees_the_public_view_only() {
    let mut t = Table::with(scenario(), 1);
    t.plan(BOL, Action::Organize);
    let v = t.game.view(Viewer::Spectator);
    assert!(v.factions.is_empty());
    assert!(v.hidden.is_none());
    assert!(v.character.is_none());
    assert_eq!(v.state, t.state().public);
    assert!(t.seen_by(Viewer::Spectator).iter().all(|e| !matches!(
        e,
        GameEvent::IncomeReceived { .. }
            | GameEvent::ActionPlanned { .. }
            | GameEvent::HiddenChanged { .. }
            | GameEvent::VoteCast { .. }
    )));
}

// ------------------------------------------------------- rounds and pacing --

#[test]
fn rounds_run_briefing_negotiation_proposals_voting_resolution_with_the_timers_as_deadlines() {
    let mut t = Table::with(scenario(), 1);
    let start = t.now;
    let mut seen = vec![(t.phase().unwrap(), t.state().deadline_ms.unwrap() - start)];
    for _ in 0..5 {
        t.advance();
        seen.push((t.phase().unwrap(), t.state().deadline_ms.unwrap() - t.now));
    }
    assert_eq!(
        seen,
        vec![
            (Phase::Briefing, 60_000),
            (Phase::Negotiation, 300_000),
            (Phase::Proposals, 120_000),
            (Phase::Voting, 120_000),
            (Phase::Resolution, 60_000),
            (Phase::Briefing, 60_000),
        ]
    );
    assert_eq!(t.round(), 2);
    // The clock ends a phase only once its deadline has passed.
    let deadline = t.state().deadline_ms.unwrap();
    assert!(t
        .exec(Command::Tick {
            now_ms: deadline - 1
        })
        .is_empty());
    t.exec(Command::Tick { now_ms: deadline });
    assert_eq!(t.phase(), Some(Phase::Negotiation));
    // The short preset halves every timer.
    let short = scenario().timers(TimerPreset::Short);
    assert_eq!((short.briefing, short.negotiation), (30, 150));
}

#[test]
fn voting_a_player_may_change_their_vote_until_the_phase_closes() {
    let mut t = Table::with(scenario(), 1);
    let m = t.table(LIB, Motion::Amnesty);
    t.vote(LIB, m, Vote::No);
    t.vote(LIB, m, Vote::Yes);
    let res = t.table_results_after_resolve();
    assert_eq!(
        (res[0].1.yes, res[0].1.no, res[0].1.passed),
        (1.0, 0.0, true)
    );
}
