//! Illegal commands: each is refused with its stable error code and a
//! sentence for people, and leaves the state exactly as it was (the
//! serialized state and its hash are compared).

mod common;

use common::*;
use engine::{Command, Refusal};
use protocol::*;

/// Run a command that must be refused with `code`, with a sentence for
/// people. `handle` borrows the game immutably, so it cannot change the
/// state; what is checked here is `execute`: it must refuse with the same
/// refusal and apply nothing (a refactor applying events as checks pass
/// would trip the hash and serialization comparison).
fn refused(t: &mut Table, c: Command, code: ErrorCode) -> Refusal {
    let json = serde_json::to_string(t.state()).unwrap();
    let hash = t.state().hash();
    let r = t.game.handle(&c).expect_err("handle refuses");
    let r2 = t.try_exec(c).expect_err("execute refuses");
    assert_eq!(r, r2);
    assert_eq!(r.code, code, "{r}");
    assert!(
        r.message.len() > 10 && r.message.ends_with('.'),
        "a sentence: {r}"
    );
    assert_eq!(t.state().hash(), hash);
    assert_eq!(serde_json::to_string(t.state()).unwrap(), json);
    r
}

fn table(player: PlayerId, motion: Motion) -> Command {
    Command::Table { player, motion }
}

fn plan(player: PlayerId, action: Action) -> Command {
    Command::Plan { player, action }
}

#[test]
fn refused_wrong_phase_tabling_outside_proposals_voting_outside_voting_planning_outside_voting() {
    let mut t = Table::new(1);
    let r = refused(&mut t, table(LIB, Motion::Amnesty), ErrorCode::WrongPhase);
    assert!(r.message.contains("briefing"), "{r}");
    refused(&mut t, plan(LIB, Action::Relief), ErrorCode::WrongPhase);
    let m = t.table(LIB, Motion::Amnesty);
    refused(
        &mut t,
        Command::Vote {
            player: LIB,
            motion: m,
            vote: Vote::Yes,
        },
        ErrorCode::WrongPhase,
    );
    t.goto(Phase::Voting);
    refused(
        &mut t,
        table(LIB, Motion::CivilLiberties),
        ErrorCode::WrongPhase,
    );
    refused(
        &mut t,
        Command::Withdraw {
            player: LIB,
            motion: m,
        },
        ErrorCode::WrongPhase,
    );
}

#[test]
fn refused_before_the_start_and_after_the_end() {
    let mut t = Table::lobby(scenario(), 1, false);
    refused(
        &mut t,
        Command::Start { now_ms: 1 },
        ErrorCode::PreconditionFailed,
    );
    refused(
        &mut t,
        Command::Advance { now_ms: 1 },
        ErrorCode::NotStarted,
    );
    let mut t = Table::new(1);
    refused(
        &mut t,
        Command::Start { now_ms: 1 },
        ErrorCode::AlreadyStarted,
    );
    t.exec(Command::EndGame {
        now_ms: 0,
        reason: None,
    });
    refused(&mut t, Command::Advance { now_ms: 1 }, ErrorCode::GameOver);
    refused(&mut t, table(LIB, Motion::Amnesty), ErrorCode::GameOver);
}

#[test]
fn refused_not_eligible_decrees_outside_the_cabinet_resolutions_without_soviet_seats() {
    let mut t = Table::new(1);
    t.goto(Phase::Proposals);
    let r = refused(&mut t, table(BOL, Motion::Amnesty), ErrorCode::NotEligible);
    assert!(r.message.contains("cabinet"), "{r}");
    refused(
        &mut t,
        table(SOV, Motion::CivilLiberties),
        ErrorCode::NotEligible,
    );
    let r = refused(&mut t, table(LIB, Motion::OrderNo1), ErrorCode::NotEligible);
    assert!(r.message.contains("Soviet seats"), "{r}");
    let d = t.table(LIB, Motion::Amnesty);
    let s = t.table(SOV, Motion::ArmWorkers);
    t.goto(Phase::Voting);
    let vote = |player, motion| Command::Vote {
        player,
        motion,
        vote: Vote::Yes,
    };
    refused(&mut t, vote(BOL, d), ErrorCode::NotEligible);
    refused(&mut t, vote(LIB, s), ErrorCode::NotEligible);
    refused(&mut t, plan(SOV, Action::Suppress), ErrorCode::NotEligible);
    refused(
        &mut t,
        plan(LIB, Action::SeizePower),
        ErrorCode::NotEligible,
    );
}

#[test]
fn refused_not_enough_ip() {
    let mut t = Table::new(1);
    // The Bolsheviks have 4: organize (3), then agitate (2) is too much.
    t.plan(BOL, Action::Organize);
    let r = refused(
        &mut t,
        plan(
            BOL,
            Action::Agitate {
                group: Group::Workers,
            },
        ),
        ErrorCode::InsufficientIp,
    );
    assert!(
        r.message.contains("costs 2") && r.message.contains("has 1"),
        "{r}"
    );
    refused(
        &mut t,
        plan(BOL, Action::SeizePower),
        ErrorCode::InsufficientIp,
    );
}

#[test]
fn refused_precondition_failed_with_the_reason() {
    let mut t = Table::new(1);
    t.goto(Phase::Proposals);
    let r = refused(
        &mut t,
        table(SOV, Motion::JoinCoalition),
        ErrorCode::PreconditionFailed,
    );
    assert!(r.message.contains("offer"), "{r}");
    refused(
        &mut t,
        table(SOV, Motion::LeaveCoalition),
        ErrorCode::PreconditionFailed,
    );
    refused(
        &mut t,
        table(LIB, Motion::PostponeElections),
        ErrorCode::PreconditionFailed,
    );
    refused(
        &mut t,
        table(LIB, Motion::ScheduleElections { round: 10 }),
        ErrorCode::PreconditionFailed,
    );
    // Red guards above loyal troops.
    let mut sc = scenario();
    sc.start.red_guards = 45;
    let mut t = Table::with(sc, 1);
    t.goto(Phase::Proposals);
    refused(
        &mut t,
        table(LIB, Motion::ArrestBolsheviks),
        ErrorCode::PreconditionFailed,
    );
}

#[test]
fn refused_unknown_motion_and_unknown_action() {
    let mut t = Table::new(1);
    t.goto(Phase::Proposals);
    refused(
        &mut t,
        table(LIB, Motion::Unknown),
        ErrorCode::UnknownMotion,
    );
    t.goto(Phase::Voting);
    refused(&mut t, plan(LIB, Action::Unknown), ErrorCode::UnknownAction);
    refused(
        &mut t,
        Command::Unplan {
            player: LIB,
            action: ActionId(99),
        },
        ErrorCode::NoSuchAction,
    );
    refused(
        &mut t,
        Command::Vote {
            player: LIB,
            motion: MotionId(99),
            vote: Vote::Yes,
        },
        ErrorCode::NoSuchMotion,
    );
}

#[test]
fn refused_vote_on_a_closed_or_withdrawn_motion() {
    let mut t = Table::new(1);
    let gone = t.table(LIB, Motion::CivilLiberties);
    t.exec(Command::Withdraw {
        player: LIB,
        motion: gone,
    });
    let m = t.table(LIB, Motion::Amnesty);
    t.all_vote(m, Vote::Yes);
    let r = refused(
        &mut t,
        Command::Vote {
            player: LIB,
            motion: gone,
            vote: Vote::Yes,
        },
        ErrorCode::MotionClosed,
    );
    assert!(r.message.contains("closed"), "{r}");
    t.finish_round();
    t.goto(Phase::Voting);
    refused(
        &mut t,
        Command::Vote {
            player: LIB,
            motion: m,
            vote: Vote::No,
        },
        ErrorCode::MotionClosed,
    );
}

#[test]
fn refused_a_motion_past_the_limit_of_2_per_institution_and_a_duplicate() {
    let mut t = Table::new(1);
    t.table(LIB, Motion::CivilLiberties);
    let r = refused(
        &mut t,
        table(LIB, Motion::CivilLiberties),
        ErrorCode::DuplicateMotion,
    );
    assert!(r.message.contains("already on the table"), "{r}");
    let second = t.table(LIB, Motion::Amnesty);
    let r = refused(
        &mut t,
        table(LIB, Motion::ContinueWar),
        ErrorCode::MotionLimit,
    );
    assert!(r.message.contains("2 motions"), "{r}");
    // The Soviet's limit is its own.
    t.table(SOV, Motion::OrderNo1);
    t.table(BOL, Motion::ArmWorkers);
    refused(
        &mut t,
        table(SOV, Motion::PeaceAppeal),
        ErrorCode::MotionLimit,
    );
    // A withdrawn motion frees its place; only its proposer may withdraw.
    refused(
        &mut t,
        Command::Withdraw {
            player: SOV,
            motion: second,
        },
        ErrorCode::NotProposer,
    );
    t.exec(Command::Withdraw {
        player: LIB,
        motion: second,
    });
    t.table(LIB, Motion::ContinueWar);
}

#[test]
fn refused_unknown_player_and_empty_chat() {
    let mut t = Table::new(1);
    refused(
        &mut t,
        table(PlayerId(42), Motion::Amnesty),
        ErrorCode::NoSuchPlayer,
    );
    refused(
        &mut t,
        Command::Chat {
            from: engine::Speaker::Player(LIB),
            channel: Channel::Floor,
            text: "   ".into(),
        },
        ErrorCode::EmptyMessage,
    );
    refused(
        &mut t,
        Command::Join {
            name: "p1".into(),
            faction: None,
        },
        ErrorCode::NameTaken,
    );
}

#[test]
fn refused_invisible_blank_and_line_breaking_names() {
    let mut t = Table::lobby(scenario(), 1, false);
    let join = |name: &str| Command::Join {
        name: name.into(),
        faction: None,
    };
    for name in [
        "\u{200B}",
        "\u{200D}\u{200D}",
        "\u{FEFF}",
        "\u{2060}",
        "\u{3164}",
        "\u{115F}",
        "\u{2800}\u{2800}",
        "\u{0301}\u{0308}",
        "\u{0301}Ana",
        "Ana\u{2028}Boris",
        "Ana\u{2029}B",
        "Ana\u{00A0}K",
        "An\u{200B}a",
        "Ana\u{3164}",
        "\t",
        "--",
    ] {
        let r = refused(&mut t, join(name), ErrorCode::InvalidName);
        assert!(!r.message.is_empty(), "{name:?}");
    }
    // Ordinary names from many scripts, with accents, emoji and spaces,
    // are welcome; runs of spaces count as one.
    for name in [
        "Ana",
        "Zoë",
        "Иван",
        "李雷",
        "O'Neil",
        "Ana  K.",
        "❤\u{FE0F} Mia",
        "7",
    ] {
        t.exec(join(name));
    }
    let names: Vec<&str> = t.state().players.iter().map(|p| p.name.as_str()).collect();
    assert!(names.contains(&"Ana K."), "{names:?}");
}

#[test]
fn refused_names_that_look_like_a_name_already_taken() {
    let mut t = Table::lobby(scenario(), 1, false);
    t.exec(Command::Join {
        name: "Lenin".into(),
        faction: None,
    });
    t.exec(Command::Join {
        name: "Zoë".into(),
        faction: None,
    });
    for name in [
        "Lеnin",             // Cyrillic е
        "LENIN",             // case
        "Ⅼenin",             // Roman numeral fifty
        "Zoe\u{0308}",       // the same letters, decomposed
        "Z\u{03BF}\u{00EB}", // Greek omicron
        "Lenin ",            // trailing space
        "ＬＥＮＩＮ",        // full-width
    ] {
        let r = refused(
            &mut t,
            Command::Join {
                name: name.into(),
                faction: None,
            },
            ErrorCode::NameTaken,
        );
        assert!(
            r.message.contains("Lenin") || r.message.contains("Zoë"),
            "{r}"
        );
    }
    t.exec(Command::Join {
        name: "Lenina".into(),
        faction: None,
    });
}

#[test]
fn refused_chat_that_shows_nothing() {
    let mut t = Table::new(1);
    for text in [
        "\u{200B}\u{200D}",
        "\u{FEFF} \u{2060}",
        "\u{3164}",
        "\u{2800}",
        "\u{0301}",
    ] {
        refused(
            &mut t,
            Command::Chat {
                from: engine::Speaker::Player(LIB),
                channel: Channel::Floor,
                text: text.into(),
            },
            ErrorCode::EmptyMessage,
        );
    }
    t.exec(Command::Chat {
        from: engine::Speaker::Player(LIB),
        channel: Channel::Floor,
        text: "\u{2764}\u{FE0F}".into(),
    });
}
