//! `balance`: self-play of many seeded games under each strategy mix, and
//! the figures a designer tunes the scenario by. See docs/BALANCE.md.

use bots::balance::{self, Report, ENDINGS};
use bots::sim::Mix;
use clap::Parser;
use engine::Scenario;
use protocol::*;
use std::sync::Arc;

#[derive(Parser)]
#[command(
    about = "Self-play N games per strategy mix and report win rates, endings, rounds, the use of every motion and action, and the tracks",
    after_help = "Mixes: bots, cautious, aggressive, historical-liberals, historical-soviet, historical-bolsheviks, random (default: all).\n\nExamples:\n  cargo run --release -p bots --bin balance -- --games 1000\n  cargo run --release -p bots --bin balance -- --mix bots --tracks\n  cargo run --release -p bots --bin balance -- --games 200 --seed 7 --scenario my-class.toml --json"
)]
struct Args {
    /// Games per mix.
    #[arg(long, default_value_t = 1000)]
    games: u64,
    /// The first seed; game i uses seed + i.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// A scenario file instead of the built-in one.
    #[arg(long)]
    scenario: Option<std::path::PathBuf>,
    /// A strategy mix to measure (repeat; default: every mix).
    #[arg(long, value_parser = parse_mix)]
    mix: Vec<Mix>,
    /// Also print the mean tracks after each round, per mix.
    #[arg(long)]
    tracks: bool,
    /// One JSON array of reports instead of the tables.
    #[arg(long)]
    json: bool,
}

fn parse_mix(s: &str) -> Result<Mix, String> {
    Mix::parse(s).ok_or_else(|| {
        let all: Vec<String> = Mix::ALL.iter().map(|m| m.id()).collect();
        format!("unknown mix {s:?}: one of {}", all.join(", "))
    })
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let scenario = match &args.scenario {
        Some(path) => Scenario::from_toml(&std::fs::read_to_string(path)?)
            .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?,
        None => Scenario::default_scenario(),
    };
    let scenario = Arc::new(scenario);
    let mixes = if args.mix.is_empty() {
        Mix::ALL.to_vec()
    } else {
        args.mix.clone()
    };
    let started = std::time::Instant::now();
    let seeds = args.seed..args.seed + args.games;
    let reports: Vec<Report> = mixes
        .iter()
        .map(|m| balance::measure(&scenario, *m, seeds.clone()))
        .collect();
    if args.json {
        println!("{}", serde_json::to_string_pretty(&reports)?);
        return Ok(());
    }
    println!(
        "{} games per mix (seeds {}..{}), {} mixes in {:.1} s, scenario {}\n",
        args.games,
        seeds.start,
        seeds.end,
        reports.len(),
        started.elapsed().as_secs_f64(),
        scenario.id
    );
    // Wins and endings, one row per mix.
    print!("| mix | liberals | soviet | bolsheviks |");
    for e in ENDINGS {
        print!(" {} |", e.title());
    }
    println!(" rounds | goals |");
    print!("| --- | --- | --- | --- |");
    for _ in ENDINGS {
        print!(" --- |");
    }
    println!(" --- | --- |");
    for r in &reports {
        print!("| {} |", r.mix);
        for f in Faction::ALL {
            print!(" {:.1}% |", r.win_rate(f));
        }
        for e in ENDINGS {
            print!(" {:.1}% |", r.ending_share(e));
        }
        let broken = r.broken_goals();
        println!(
            " {:.2} | {} |",
            r.mean_rounds(),
            if broken.is_empty() {
                "met".to_string()
            } else {
                broken.join("; ")
            }
        );
    }
    // The use of every motion and action: tabled / passed, % of games.
    println!("\nMotions: % of games in which it was tabled / passed\n");
    print!("| motion |");
    for r in &reports {
        print!(" {} |", r.mix);
    }
    println!();
    print!("| --- |");
    for _ in &reports {
        print!(" --- |");
    }
    println!();
    for m in Motion::CATALOG {
        print!("| `{}` |", m.id());
        for r in &reports {
            print!(
                " {:.0} / {:.0} |",
                r.tabled_share(m.id()),
                r.passed_share(m.id())
            );
        }
        println!();
    }
    println!("\nActions: % of games in which some faction planned it\n");
    print!("| action |");
    for r in &reports {
        print!(" {} |", r.mix);
    }
    println!();
    print!("| --- |");
    for _ in &reports {
        print!(" --- |");
    }
    println!();
    for a in Action::CATALOG {
        print!("| `{}` |", a.id());
        for r in &reports {
            print!(" {:.0} |", r.planned_share(a.id()));
        }
        println!();
    }
    println!();
    for r in &reports {
        println!(
            "{}: {:.1}% of bot requests refused by the rules",
            r.mix,
            r.refusal_rate()
        );
        let saturated = r.saturated_tracks(7);
        if !saturated.is_empty() {
            println!("  tracks near their bounds: {}", saturated.join(", "));
        }
    }
    if args.tracks {
        for r in &reports {
            println!(
                "\n{}: mean tracks after each round (games still running)",
                r.mix
            );
            println!("  round games   gov soviet weariness bread order | B seats  unrest W/S  B support W/S  coalition %");
            for (i, (n, _)) in r.after_round.iter().enumerate() {
                let g = |k: &str| r.mean_after(i + 1, k).unwrap_or(0.0);
                println!(
                    "  {:>5} {:>5} {:>5.1} {:>6.1} {:>9.1} {:>5.1} {:>5.1} | {:>7.1} {:>5.1}/{:<5.1} {:>6.1}/{:<6.1} {:>6.0}",
                    i + 1,
                    n,
                    g("gov_legitimacy"),
                    g("soviet_legitimacy"),
                    g("war_weariness"),
                    g("bread"),
                    g("order"),
                    g("bolshevik_seats"),
                    g("workers_unrest"),
                    g("soldiers_unrest"),
                    g("bolshevik_workers"),
                    g("bolshevik_soldiers"),
                    g("coalition")
                );
            }
        }
    }
    Ok(())
}
