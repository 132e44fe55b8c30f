//! Discussion questions drawn from this game's turning points.

use super::*;

// ------------------------------------------------------------ questions --

/// Discussion questions drawn from this game's turning points, each naming
/// what happened. Only what the report's reader could see is used.
pub(super) fn questions(input: &ReportInput, rec: &Record) -> Vec<String> {
    let sc = input.scenario;
    let m = |n: u8| month_name(sc, n);
    let mut q = Vec::new();
    let passed: Vec<(u8, Motion)> = rec
        .rounds
        .iter()
        .flat_map(|(n, r)| passed_in(r).into_iter().map(move |x| (*n, x)))
        .collect();
    let first = |id: &str| passed.iter().find(|(_, x)| x.id() == id).map(|(n, _)| *n);
    let tabled_failed = |id: &str| {
        rec.rounds.iter().find_map(|(n, r)| {
            r.motions
                .iter()
                .find(|x| x.motion.id() == id && r.results.get(&x.id).is_some_and(|t| !t.passed))
                .map(|_| *n)
        })
    };
    let ended = rec.outcome.as_ref();

    // The coalition.
    match (first("offer_coalition"), first("join_coalition")) {
        (Some(o), Some(j)) => q.push(format!(
            "The liberals offered a coalition in {} and the Soviet delegates joined the Government in {}, as the real moderates did in May 1917. What did they gain by sharing power, and why did it cost them support among the workers and soldiers?",
            m(o), m(j)
        )),
        (Some(o), None) => q.push(format!(
            "The liberals offered a coalition in {}{}, and the Soviet delegates never joined the Government. In 1917 they did join, in May. Was refusing wiser? Who gained from it?",
            m(o),
            tabled_failed("join_coalition").map_or(String::new(), |j| format!(" (the Soviet voted joining down in {})", m(j)))
        )),
        _ => q.push(
            "Nobody offered a coalition in your game; in 1917 the Soviet's moderates joined the Government in May and shared the blame for the war and the bread lines. Would a coalition have helped the Government, or the Soviet delegates?"
                .into(),
        ),
    }
    if let Some(l) = first("leave_coalition") {
        q.push(format!(
            "The Soviet delegates left the coalition in {}. Why then, and what did it change?",
            m(l)
        ));
    }
    // The offensive.
    for (n, _) in passed.iter().filter(|(_, x)| *x == Motion::Offensive) {
        let failed = rec.rounds[n]
            .summary
            .iter()
            .any(|l| l.to_lowercase().contains("offensive") && l.to_lowercase().contains("fail"));
        q.push(if failed {
            format!(
                "The offensive of {} failed, as Kerensky's did in June 1917. Why did the Government gamble on it, and who gained from its failure?",
                m(*n)
            )
        } else {
            format!(
                "The offensive of {} succeeded, unlike Kerensky's in June 1917. How did the victory change the Government's position, and what might it have changed in history?",
                m(*n)
            )
        });
    }
    // Insurrections (seize_power is revealed at the resolution).
    for (n, r) in &rec.rounds {
        let seized = r
            .actions
            .iter()
            .any(|a| a.actions.contains(&Action::SeizePower));
        if !seized {
            continue;
        }
        let won = ended.is_some_and(|o| o.round == *n && o.ending == Ending::OctoberInsurrection);
        let street = r.card.as_ref().is_some_and(|(c, _)| c.street_rises);
        q.push(match (won, street) {
            (true, _) => format!(
                "The Bolsheviks' insurrection succeeded in {}. What made it possible: the Red Guards, the Soviet seats, the Government's weakness? Which decision earlier in the game could have stopped it?",
                m(*n)
            ),
            (false, true) => format!(
                "The street rose in {} and the Bolsheviks led it, and the rising failed, as the July Days did in 1917. Should they have disowned it? What did the failure cost them?",
                m(*n)
            ),
            (false, false) => format!(
                "The Bolsheviks tried to seize power in {} and failed. What were they missing, and what would Lenin have said about the timing?",
                m(*n)
            ),
        });
    }
    for (n, r) in &rec.rounds {
        if r.card.as_ref().is_some_and(|(c, _)| c.street_rises)
            && !r
                .actions
                .iter()
                .any(|a| a.actions.contains(&Action::SeizePower))
            && r.state.is_some()
        {
            q.push(format!(
                "When the street rose in {}, the Bolsheviks did not lead it. In July 1917 they did, and failed. Was staying out wiser?",
                m(*n)
            ));
        }
    }
    // The coup.
    for (n, r) in &rec.rounds {
        if !r.card.as_ref().is_some_and(|(c, _)| c.coup_attempt) {
            continue;
        }
        let won = ended.is_some_and(|o| o.round == *n && o.ending == Ending::MilitaryDictatorship);
        let called = passed_in(r).contains(&Motion::CallOnSoviet);
        q.push(if won {
            format!(
                "The generals' coup succeeded in {}. In 1917 Kornilov's failed because the Government called on the Soviet and the workers armed. What could your class have done?",
                m(*n)
            )
        } else if called {
            format!(
                "In {} the generals moved and the Government called on the Soviet to stop them, as Kerensky did against Kornilov. Who came out of the coup stronger, and why?",
                m(*n)
            )
        } else {
            format!(
                "In {} the generals attempted a coup and it failed without the Government calling on the Soviet. What stopped it, and who gained?",
                m(*n)
            )
        });
    }
    // The Soviet majority.
    let hist = history(input, rec);
    let majority = hist
        .iter()
        .skip(1)
        .zip(rec.rounds.keys().filter(|n| rec.rounds[*n].state.is_some()))
        .find(|((_, s, _), _)| s.soviet_seats.bolsheviks > 50)
        .map(|(_, n)| *n);
    let max_seats = hist
        .iter()
        .map(|(_, s, _)| s.soviet_seats.bolsheviks)
        .max()
        .unwrap_or(0);
    q.push(match majority {
        Some(n) => format!(
            "The Bolsheviks won a majority of the Soviet's seats in {} (they started with {}); in 1917 it happened in September. Which decisions sent workers and soldiers to them?",
            m(n),
            input.start.soviet_seats.bolsheviks
        ),
        None => format!(
            "The Bolsheviks never won a majority in the Soviet in your game (at most {max_seats} of 100 seats); in 1917 they won it in September. What kept the workers and soldiers with the moderates?"
        ),
    });
    // Land.
    q.push(match first("land_reform") {
        Some(n) => format!(
            "Land reform passed in {}. The real Provisional Government never dared it before the Constituent Assembly met. How did it change the peasants' support?",
            m(n)
        ),
        None => {
            let peasants = hist
                .last()
                .and_then(|(_, s, _)| s.groups.get(&Group::Peasants).copied());
            format!(
                "Nobody passed land reform in your game, as the real Provisional Government never did{}. Why was land so hard to give, and who could promise it most easily?",
                peasants.map_or(String::new(), |p| format!(
                    " (at the end, of every 100 peasants, {} backed the Soviet delegates, {} the Bolsheviks and {} the liberals)",
                    p.support[Faction::Soviet],
                    p.support[Faction::Bolsheviks],
                    p.support[Faction::Liberals]
                ))
            )
        }
    });
    // Bread.
    if let Some((label, low)) = hist
        .iter()
        .skip(1)
        .map(|(l, s, _)| (l.clone(), s.tracks.bread))
        .min_by_key(|(_, b)| *b)
    {
        q.push(format!(
            "Bread fell to {low} of 100 (its lowest) in {label}, from {} at the start. The revolution began with bread lines in February 1917: how did hunger shape your game?",
            input.start.tracks.bread
        ));
    }
    // The closest vote.
    if let Some((n, mv, t)) = rec
        .rounds
        .iter()
        .flat_map(|(n, r)| {
            r.motions
                .iter()
                .filter_map(move |mv| r.results.get(&mv.id).map(|t| (*n, mv, t)))
        })
        .filter(|(_, _, t)| t.yes > 0.0 && t.no > 0.0)
        .min_by(|a, b| margin(a.2).total_cmp(&margin(b.2)))
    {
        q.push(format!(
            "The closest vote of the game: {} {} in {} by {} to {}. What would have changed if it had gone the other way?",
            motion_name(sc, mv.motion),
            if t.passed { "passed" } else { "failed" },
            m(n),
            votes(t.yes),
            votes(t.no)
        ));
    }
    // The ending.
    q.push(match ended {
        Some(o) if o.ending == Ending::EndedByHost => format!(
            "Your game stopped in {} before history finished; the real 1917 ended with the Bolshevik seizure of power in October and the Constituent Assembly dispersed in January 1918. Where was your 1917 heading, and which decision of your class did most to send it there?",
            m(o.round)
        ),
        Some(o) => format!(
            "Your 1917 ended with {} in {}; the real one with the Bolshevik seizure of power in October and the Constituent Assembly dispersed in January 1918. Which decision of your class made the biggest difference?",
            ending_phrase(o.ending),
            m(o.round)
        ),
        None => "Your game has not ended yet. Which ending is it heading for, and which decision could still change it?".into(),
    });
    q
}

/// How one-sided a vote was: 0 a tie, 1 unanimous.
pub(super) fn margin(t: &Tally) -> f64 {
    (t.yes - t.no).abs() / (t.yes + t.no + t.abstain).max(1.0)
}

pub(super) fn ending_phrase(e: Ending) -> &'static str {
    match e {
        Ending::MilitaryDictatorship => "a military dictatorship",
        Ending::Collapse => "the collapse of the state",
        Ending::OctoberInsurrection => "the Bolsheviks' insurrection",
        Ending::AllPowerToSoviets => "all power to the Soviets",
        Ending::ConstituentAssembly => "the Constituent Assembly",
        Ending::EndedByHost => "the host stopping the game",
    }
}
