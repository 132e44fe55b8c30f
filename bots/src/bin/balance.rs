//! `balance`: self-play of many seeded games with bots on every seat, and
//! the figures a designer tunes the scenario by. See docs/BALANCE.md.

use bots::sim;
use clap::Parser;
use engine::Scenario;
use protocol::*;
use std::collections::BTreeMap;
use std::sync::Arc;

#[derive(Parser)]
#[command(
    about = "Self-play N games with bots and report endings, win rates and tracks",
    after_help = "Examples:\n  cargo run --release -p bots --bin balance -- --games 1000\n  cargo run --release -p bots --bin balance -- --games 200 --seed 7 --scenario my-class.toml --json"
)]
struct Args {
    #[arg(long, default_value_t = 1000)]
    games: u64,
    /// The first seed; game i uses seed + i.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// A scenario file instead of the built-in one.
    #[arg(long)]
    scenario: Option<std::path::PathBuf>,
    /// One JSON object instead of the table.
    #[arg(long)]
    json: bool,
}

#[derive(serde::Serialize, Default)]
struct Summary {
    games: u64,
    endings: BTreeMap<String, f64>,
    win_rate: BTreeMap<String, f64>,
    mean_rounds: f64,
    refusal_rate: f64,
    /// Per round (1-based index 0 = after round 1): mean public tracks.
    trajectory: Vec<BTreeMap<String, f64>>,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let scenario = match &args.scenario {
        Some(path) => Scenario::from_toml(&std::fs::read_to_string(path)?)
            .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?,
        None => Scenario::default_scenario(),
    };
    let scenario = Arc::new(scenario);
    let started = std::time::Instant::now();
    let mut endings: BTreeMap<&'static str, u64> = BTreeMap::new();
    let mut wins: BTreeMap<Faction, u64> = BTreeMap::new();
    let mut rounds = 0u64;
    let (mut requests, mut refused) = (0u64, 0u64);
    let mut sums: Vec<(u64, BTreeMap<String, f64>)> = Vec::new();
    for i in 0..args.games {
        let played = sim::play(&scenario, args.seed + i);
        *endings.entry(played.outcome.ending.title()).or_default() += 1;
        for f in &played.outcome.winners {
            *wins.entry(*f).or_default() += 1;
        }
        rounds += u64::from(played.outcome.round);
        requests += played.requests;
        refused += played.refused;
        for (r, s) in played.history.iter().enumerate() {
            if sums.len() <= r {
                sums.push((0, BTreeMap::new()));
            }
            let (n, m) = &mut sums[r];
            *n += 1;
            let t = &s.tracks;
            for (k, v) in [
                ("gov_legitimacy", t.gov_legitimacy),
                ("soviet_legitimacy", t.soviet_legitimacy),
                ("war_weariness", t.war_weariness),
                ("bread", t.bread),
                ("order", t.order),
                ("bolshevik_seats", s.soviet_seats.bolsheviks),
            ] {
                *m.entry(k.to_string()).or_default() += f64::from(v);
            }
            let g = |grp: Group| s.groups.get(&grp).copied();
            for (k, v) in [
                ("workers_unrest", g(Group::Workers).map_or(0, |x| x.unrest)),
                (
                    "soldiers_unrest",
                    g(Group::Soldiers).map_or(0, |x| x.unrest),
                ),
                (
                    "bolshevik_workers",
                    g(Group::Workers).map_or(0, |x| x.support.bolsheviks),
                ),
                (
                    "bolshevik_soldiers",
                    g(Group::Soldiers).map_or(0, |x| x.support.bolsheviks),
                ),
                ("coalition", u8::from(s.coalition) * 100),
            ] {
                *m.entry(k.to_string()).or_default() += f64::from(v);
            }
        }
    }
    let n = args.games.max(1) as f64;
    let summary = Summary {
        games: args.games,
        endings: endings
            .iter()
            .map(|(k, v)| (k.to_string(), *v as f64 / n))
            .collect(),
        win_rate: Faction::ALL
            .iter()
            .map(|f| (f.id().to_string(), *wins.get(f).unwrap_or(&0) as f64 / n))
            .collect(),
        mean_rounds: rounds as f64 / n,
        refusal_rate: refused as f64 / requests.max(1) as f64,
        trajectory: sums
            .into_iter()
            .map(|(count, m)| m.into_iter().map(|(k, v)| (k, v / count as f64)).collect())
            .collect(),
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&summary)?);
        return Ok(());
    }
    println!(
        "{} games (seeds {}..{}) in {:.1} s, scenario {}",
        args.games,
        args.seed,
        args.seed + args.games,
        started.elapsed().as_secs_f64(),
        scenario.id
    );
    println!("\nEndings");
    for (k, v) in &summary.endings {
        println!("  {k:<30} {:>5.1}%", v * 100.0);
    }
    println!("\nWins (a game may have no winner, or several)");
    for (k, v) in &summary.win_rate {
        println!("  {k:<30} {:>5.1}%", v * 100.0);
    }
    println!("\nMean rounds played: {:.2}", summary.mean_rounds);
    println!(
        "Bot requests refused by the rules: {:.1}%",
        summary.refusal_rate * 100.0
    );
    println!("\nMean tracks after each round (games still running)");
    println!("  round   gov   soviet  weariness  bread  order  bolshevik seats  unrest W/S   bolshevik support W/S  coalition %");
    for (r, m) in summary.trajectory.iter().enumerate() {
        let g = |k: &str| m.get(k).copied().unwrap_or(0.0);
        println!(
            "  {:>5} {:>5.1} {:>8.1} {:>10.1} {:>6.1} {:>6.1} {:>16.1}  {:>5.1}/{:<5.1}  {:>10.1}/{:<10.1} {:>11.0}",
            r + 1,
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
    Ok(())
}
