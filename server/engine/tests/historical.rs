//! 1917 as it happened, played through the engine: the scenario should end
//! in the October insurrection in the last rounds on most seeds when the
//! players do what the historical actors did. See docs/HISTORICAL-SCRIPT.md.

mod common;

use common::*;
use protocol::*;

/// What happened in one month: decrees and resolutions the table passes
/// (everyone votes as history voted), and the factions' actions.
struct Month {
    /// Decrees, tabled by the liberal (or the coalition's soviet player).
    decrees: &'static [Motion],
    /// Resolutions with the Bolsheviks' vote (the soviet delegates vote yes).
    resolutions: &'static [(Motion, Vote)],
    actions: &'static [(PlayerId, Action)],
}

const fn agitate(group: Group) -> Action {
    Action::Agitate { group }
}

/// The script, March to October. Every faction spends its income.
const SCRIPT: [Month; 8] = [
    // March: the Provisional Government proclaims civil liberties and
    // keeps faith with the Allies; the Soviet issues Order No. 1 and
    // supports the Government "insofar as".
    Month {
        decrees: &[Motion::CivilLiberties, Motion::ContinueWar],
        resolutions: &[
            (Motion::OrderNo1, Vote::Yes),
            (Motion::ConditionalSupport, Vote::No),
        ],
        actions: &[
            (LIB, Action::PressCampaign),
            (LIB, Action::Organize),
            (SOV, Action::PressCampaign),
            (SOV, Action::Organize),
            (BOL, agitate(Group::Workers)),
        ],
    },
    // April: Lenin's April Theses and Milyukov's note; the Government
    // amnesties the exiles and, in the April crisis, invites the
    // socialists into the cabinet.
    Month {
        decrees: &[Motion::Amnesty, Motion::OfferCoalition],
        resolutions: &[(Motion::PeaceAppeal, Vote::Yes)],
        actions: &[
            (LIB, Action::PressCampaign),
            (LIB, Action::PressCampaign),
            (SOV, agitate(Group::Peasants)),
            (SOV, Action::PressCampaign),
            (BOL, agitate(Group::Workers)),
            (BOL, agitate(Group::Soldiers)),
        ],
    },
    // May: the first coalition (Tsereteli, Chernov, Kerensky as War
    // Minister); the grain monopoly.
    Month {
        decrees: &[Motion::GrainMonopoly],
        resolutions: &[
            (Motion::JoinCoalition, Vote::No),
            (Motion::ConditionalSupport, Vote::No),
        ],
        actions: &[
            (LIB, Action::Organize),
            (LIB, Action::PressCampaign),
            (SOV, Action::PressCampaign),
            (SOV, agitate(Group::Soldiers)),
            (BOL, agitate(Group::Soldiers)),
            (BOL, Action::Organize),
        ],
    },
    // June: the First Congress of Soviets; Kerensky's offensive.
    Month {
        decrees: &[Motion::Offensive],
        resolutions: &[(Motion::ConditionalSupport, Vote::No)],
        actions: &[
            (LIB, Action::PressCampaign),
            (LIB, Action::Organize),
            (SOV, Action::PressCampaign),
            (SOV, Action::Relief),
            (BOL, agitate(Group::Workers)),
            (BOL, Action::Organize),
        ],
    },
    // July: the July Days. The Bolsheviks put themselves at the head of
    // the rising (seize_power, free) and fail; the Government restores
    // the death penalty at the front and names Kornilov commander; the
    // Soviet majority condemns the Bolsheviks.
    Month {
        decrees: &[
            Motion::DeathPenaltyAtFront,
            Motion::AppointHardlineCommander,
        ],
        resolutions: &[(Motion::CondemnBolsheviks, Vote::No)],
        actions: &[
            (LIB, Action::Suppress),
            (LIB, Action::PressCampaign),
            (SOV, Action::PressCampaign),
            (BOL, Action::SeizePower),
            (BOL, Action::Organize),
        ],
    },
    // August: the Bolshevik leaders arrested after the July Days are in
    // prison or hiding; Kornilov marches; Kerensky calls on the Soviet, the
    // workers are armed, the coup collapses.
    Month {
        decrees: &[Motion::ArrestBolsheviks, Motion::CallOnSoviet],
        resolutions: &[(Motion::ArmWorkers, Vote::Yes)],
        actions: &[
            (LIB, Action::PressCampaign),
            (SOV, Action::PressCampaign),
            (SOV, Action::Relief),
            (BOL, agitate(Group::Workers)),
            (BOL, agitate(Group::Soldiers)),
            (BOL, Action::Organize),
        ],
    },
    // September: the Soviets turn Bolshevik; Trotsky chairs the
    // Petrograd Soviet.
    Month {
        decrees: &[Motion::ConditionalSupport; 0],
        resolutions: &[(Motion::PeaceAppeal, Vote::Yes)],
        actions: &[
            (LIB, Action::PressCampaign),
            (LIB, Action::Relief),
            (SOV, Action::PressCampaign),
            // The Red Guard, armed against Kornilov, keeps its rifles and
            // grows; the agitation goes on with what is left.
            (BOL, Action::Organize),
            (BOL, Action::Organize),
            (BOL, agitate(Group::Soldiers)),
            (BOL, agitate(Group::Workers)),
        ],
    },
    // October: the Military Revolutionary Committee; the insurrection.
    Month {
        decrees: &[],
        resolutions: &[(Motion::FormMrc, Vote::Yes)],
        actions: &[
            (LIB, Action::PressCampaign),
            (SOV, Action::PressCampaign),
            (BOL, Action::SeizePower),
            (BOL, Action::Organize),
        ],
    },
];

/// One line per month of what the table saw (for the docs and failures).
fn trace_line(t: &Table) -> String {
    let s = t.state();
    let p = &s.public;
    format!(
        "r{} gov {} sov {} ww {} bread {} order {} | react {} red {} loyal {} | seats B {} | W {:?} S {:?} | unrest W {} S {} | coal {}",
        s.round,
        p.tracks.gov_legitimacy,
        p.tracks.soviet_legitimacy,
        p.tracks.war_weariness,
        p.tracks.bread,
        p.tracks.order,
        s.hidden.reaction,
        s.hidden.red_guards,
        s.hidden.loyal_troops,
        p.soviet_seats.bolsheviks,
        p.groups[&Group::Workers].support,
        p.groups[&Group::Soldiers].support,
        p.groups[&Group::Workers].unrest,
        p.groups[&Group::Soldiers].unrest,
        p.coalition,
    )
}

/// Play the script on one seed; the outcome and the trace.
fn play(seed: u64) -> (Outcome, Vec<String>, Vec<Motion>) {
    let mut t = Table::new(seed);
    let mut trace = Vec::new();
    for month in &SCRIPT {
        let mut ids = Vec::new();
        for m in month.decrees {
            // An action or motion history chose but the rules refuse (a
            // precondition) is skipped: the script goes on.
            t.goto(Phase::Proposals);
            if let Ok(e) = t.try_exec(engine::Command::Table {
                player: LIB,
                motion: *m,
            }) {
                if let Some(GameEvent::MotionTabled { motion }) = e.first().map(|e| &e.event) {
                    ids.push((motion.id, Vote::Yes));
                }
            }
        }
        for (m, bol_vote) in month.resolutions {
            t.goto(Phase::Proposals);
            if let Ok(e) = t.try_exec(engine::Command::Table {
                player: SOV,
                motion: *m,
            }) {
                if let Some(GameEvent::MotionTabled { motion }) = e.first().map(|e| &e.event) {
                    ids.push((motion.id, *bol_vote));
                }
            }
        }
        t.goto(Phase::Voting);
        for (id, bol_vote) in ids {
            let inst = t.state().motion(id).expect("motion").institution;
            for p in [LIB, SOV, BOL] {
                let f = t.state().player(p).expect("player").faction;
                if t.state().may_sit(f, inst) {
                    let vote = if p == BOL { bol_vote } else { Vote::Yes };
                    t.vote(p, id, vote);
                }
            }
        }
        for (p, a) in month.actions {
            let _ = t.try_exec(engine::Command::Plan {
                player: *p,
                action: *a,
            });
        }
        t.resolve();
        trace.push(trace_line(&t));
        if t.ended() {
            break;
        }
        t.advance();
    }
    let outcome = t.outcome().cloned().expect("the game ends by October");
    let passed = t.state().public.passed.clone();
    (outcome, trace, passed)
}

#[test]
fn historical_script_ends_in_the_october_insurrection_in_rounds_7_or_8_on_most_seeds() {
    // HISTORICAL_SEEDS=1000 measures the rate over more seeds.
    let seeds: u64 = std::env::var("HISTORICAL_SEEDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50);
    let mut october = 0;
    let mut tally: std::collections::BTreeMap<String, u32> = Default::default();
    // The real actors' decisions, in the order they took them: each must
    // actually pass in the script, not just be tabled.
    let milestones = [
        "civil_liberties",
        "amnesty",
        "order_no_1",
        "continue_war",
        "offer_coalition",
        "join_coalition",
        "offensive",
        "appoint_hardline_commander",
        "arrest_bolsheviks",
        "call_on_soviet",
        "form_mrc",
    ];
    let mut missed: std::collections::BTreeMap<&str, u32> = Default::default();
    for seed in 0..seeds {
        let (o, trace, passed) = play(seed);
        let ids: Vec<&str> = passed.iter().map(|m| m.id()).collect();
        for m in milestones {
            if !ids.contains(&m) {
                *missed.entry(m).or_default() += 1;
            }
        }
        *tally
            .entry(format!("{:?} in round {}", o.ending, o.round))
            .or_default() += 1;
        if o.ending == Ending::OctoberInsurrection && (7..=8).contains(&o.round) {
            october += 1;
        } else if std::env::var("HISTORICAL_TRACE").is_ok() {
            eprintln!("seed {seed}: {:?} in round {}", o.ending, o.round);
            for l in &trace {
                eprintln!("  {l}");
            }
        }
    }
    eprintln!("historical script over {seeds} seeds: {tally:?}; milestones missed: {missed:?}");
    for (m, n) in &missed {
        assert!(
            *n * 100 <= seeds as u32 * 20,
            "{m} did not pass on {n}/{seeds} seeds: the script no longer follows 1917"
        );
    }
    assert!(
        october * 100 >= seeds * 80,
        "only {october}/{seeds} seeds end in the October insurrection in rounds 7-8: {tally:?}"
    );
}

#[test]
fn historical_script_trace_for_seed_0() {
    let (o, trace, _) = play(0);
    for l in &trace {
        eprintln!("{l}");
    }
    eprintln!("{:?} in round {}: {}", o.ending, o.round, o.summary);
    // The script reaches the resolution of September at least: no earlier
    // ending cuts 1917 short.
    assert!(
        o.round >= 7,
        "ended early: {:?} in round {}",
        o.ending,
        o.round
    );
}
