//! The chronicle of 1917: what really happened each month, which the
//! debrief sets beside what the class did.

use engine::Scenario;

#[test]
fn every_month_of_the_default_scenario_has_its_history_and_the_aftermath_too() {
    let sc = Scenario::default_scenario();
    for round in 1..=sc.rounds + 1 {
        let c = sc
            .chronicle(round)
            .unwrap_or_else(|| panic!("round {round} has no chronicle entry"));
        assert!(!c.title.trim().is_empty(), "round {round} has no title");
        // Two or three sentences, not a placeholder.
        let sentences = c.happened.matches(". ").count() + 1;
        assert!(
            sentences >= 2 && c.happened.len() >= 150,
            "round {round}: {:?}",
            c.happened
        );
    }
    // History's milestones are where the class's 1917 is compared.
    let passed = |round: u8| sc.chronicle(round).unwrap().passed.clone();
    assert!(passed(3).contains(&"join_coalition".to_string()));
    assert!(passed(4).contains(&"offensive".to_string()));
    assert!(passed(6).contains(&"call_on_soviet".to_string()));
    assert!(passed(8).contains(&"form_mrc".to_string()));
}

fn with_chronicle(entry: &str) -> String {
    let base = include_str!("../../../scenarios/petrograd-1917.toml");
    let cut = base
        .find("\n[[chronicle]]")
        .expect("the default has a chronicle");
    format!("{}\n{entry}\n", &base[..cut])
}

#[test]
fn a_chronicle_that_names_an_unknown_motion_or_round_is_refused_with_the_field() {
    let bad_motion = Scenario::from_toml(&with_chronicle(
        "[[chronicle]]\nround = 1\nhappened = \"x\"\npassed = [\"abolish_tsar\"]",
    ))
    .unwrap_err();
    assert_eq!(bad_motion.field, "chronicle[0].passed", "{bad_motion}");
    assert!(bad_motion.to_string().contains("abolish_tsar"));

    let bad_round = Scenario::from_toml(&with_chronicle(
        "[[chronicle]]\nround = 12\nhappened = \"x\"",
    ))
    .unwrap_err();
    assert_eq!(bad_round.field, "chronicle[0].round", "{bad_round}");

    let twice = Scenario::from_toml(&with_chronicle(
        "[[chronicle]]\nround = 2\nhappened = \"x\"\n[[chronicle]]\nround = 2\nhappened = \"y\"",
    ))
    .unwrap_err();
    assert_eq!(twice.field, "chronicle[1].round", "{twice}");

    // A teacher's scenario may leave the chronicle out entirely.
    let none = Scenario::from_toml(&with_chronicle("")).expect("no chronicle is fine");
    assert!(none.chronicle.is_empty());
}
