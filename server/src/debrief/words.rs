//! Names and sentences for people: motions, actions, groups, durations.

use super::*;

pub(super) fn because(reason: &Option<String>) -> String {
    reason
        .as_ref()
        .map(|r| format!(" ({})", one_line(r)))
        .unwrap_or_default()
}

/// "12 min" (rounded down), or "40 s" in the first minute.
pub(super) fn since_start(ms: u64) -> String {
    match ms / 60_000 {
        0 => format!("{} s", ms / 1000),
        m => format!("{m} min"),
    }
}

pub(super) fn duration(ms: u64) -> String {
    let s = ms / 1000;
    match (s / 60, s % 60) {
        (0, s) => format!("{s} s"),
        (m, 0) => format!("{m} min"),
        (m, s) => format!("{m} min {s} s"),
    }
}

/// User text on one line (a chat with line breaks would break a list).
pub(super) fn one_line(t: &str) -> String {
    t.split_whitespace().collect::<Vec<_>>().join(" ")
}

pub(super) fn name(players: &BTreeMap<PlayerId, PlayerInfo>, id: PlayerId) -> String {
    players
        .get(&id)
        .map_or_else(|| format!("player {}", id.0), |p| one_line(&p.name))
}

pub(super) fn month_name(scenario: &Scenario, round: u8) -> String {
    match scenario.month(round) {
        "" => format!("Round {round}"),
        m => m.to_string(),
    }
}

// -------------------------------------------------------------- the words --

/// A motion's name for people: the scenario's (a teacher's own file names
/// its motions), else a built-in one.
pub fn motion_name(sc: &Scenario, m: Motion) -> String {
    match sc.catalog.motions.iter().find(|e| e.id == m.id()) {
        Some(e) => match m {
            Motion::ScheduleElections { round } => format!("{} (for round {round})", e.name),
            _ => e.name.clone(),
        },
        None => builtin_motion_name(m),
    }
}

fn builtin_motion_name(m: Motion) -> String {
    use Motion::*;
    match m {
        CivilLiberties => "Civil liberties".into(),
        Amnesty => "Amnesty".into(),
        ContinueWar => "War until victory".into(),
        Offensive => "The offensive".into(),
        PeaceWithoutAnnexations => "Peace without annexations".into(),
        ScheduleElections { round } => format!("Elections scheduled (for round {round})"),
        PostponeElections => "Elections postponed".into(),
        LandReform => "Land reform".into(),
        GrainMonopoly => "Grain monopoly".into(),
        DeathPenaltyAtFront => "Death penalty at the front".into(),
        ArrestBolsheviks => "Arrest of the Bolsheviks".into(),
        AppointHardlineCommander => "A hard-line commander-in-chief".into(),
        CallOnSoviet => "Call on the Soviet".into(),
        OfferCoalition => "Offer of coalition".into(),
        OrderNo1 => "Order No. 1".into(),
        ConditionalSupport => "Conditional support".into(),
        PeaceAppeal => "Peace appeal".into(),
        JoinCoalition => "Join the coalition".into(),
        LeaveCoalition => "Leave the coalition".into(),
        WorkersControl => "Workers' control".into(),
        ArmWorkers => "Arm the workers".into(),
        FormMrc => "The Military Revolutionary Committee".into(),
        CondemnBolsheviks => "Condemn the Bolsheviks".into(),
        AllPowerToSoviets => "All power to the Soviets".into(),
        Unknown => "An unknown motion".into(),
    }
}

pub(super) fn motion_id_name(sc: &Scenario, id: &str) -> String {
    if let Some(e) = sc.catalog.motions.iter().find(|e| e.id == id) {
        return e.name.clone();
    }
    Motion::parse(id, Some(0)).map_or_else(
        || id.to_string(),
        |m| match m {
            Motion::ScheduleElections { .. } => "Elections scheduled".into(),
            m => builtin_motion_name(m),
        },
    )
}

/// An action's name for people.
pub fn action_name(a: Action) -> String {
    match a {
        Action::Agitate { group } => format!("agitate among the {}", group_noun(group)),
        Action::PressCampaign => "a press campaign".into(),
        Action::Organize => "organize".into(),
        Action::Relief => "bread relief".into(),
        Action::Suppress => "suppress the Red Guards".into(),
        Action::SeizePower => "seize power".into(),
        Action::Unknown => "an unknown action".into(),
    }
}

pub(super) fn group_noun(g: Group) -> &'static str {
    match g {
        Group::Workers => "workers",
        Group::Soldiers => "soldiers",
        Group::Peasants => "peasants",
        Group::Middle => "middle classes",
    }
}

/// A group counted in people: "100 workers", "100 people of the middle
/// classes".
pub(super) fn people(g: Group) -> &'static str {
    match g {
        Group::Middle => "people of the middle classes",
        g => group_noun(g),
    }
}

pub(super) fn institution(i: Institution) -> &'static str {
    match i {
        Institution::Government => "decree",
        Institution::Soviet => "Soviet resolution",
    }
}

pub(super) fn votes(x: f64) -> String {
    if x.fract() == 0.0 {
        format!("{x:.0}")
    } else {
        format!("{x:.1}")
    }
}

pub(super) fn tally_line(i: Institution, t: &Tally) -> String {
    let unit = match i {
        Institution::Government => "votes",
        Institution::Soviet => "seats",
    };
    format!(
        "{} ({} yes, {} no, {} abstaining {unit}){}",
        if t.passed { "passed" } else { "failed" },
        votes(t.yes),
        votes(t.no),
        votes(t.abstain),
        t.note
            .as_ref()
            .map(|n| format!(": {}", one_line(n)))
            .unwrap_or_default()
    )
}
