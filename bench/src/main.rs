//! `loadgen`: how many classrooms one machine holds.
//!
//! Runs G games × P players over real WebSockets against a server, plays
//! (chat at a set aggregate rate; the host moves the phases on; players
//! table, vote and plan), and measures chat fan-out latency (from a send to
//! its arrival at every other member of the game), message rates, errors,
//! and, for a local server, its CPU time and memory from `/proc`.
//!
//! `loadgen compare` starts the real server and the bare baseline
//! (`bare-server`) one after the other on this machine and runs the same
//! load against each, so every figure comes with its ratio to what the
//! socket layer alone does. See `BENCHMARKS.md`.

mod load;
mod procfs;

use clap::{Parser, Subcommand};
use load::{Load, Report, Target};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

#[derive(Parser)]
#[command(
    name = "loadgen",
    about = "Load generator for Dual Power",
    after_help = "Examples:
  loadgen compare --games 250 --players 40 --rate 1000 --duration 30 --runs 3
  loadgen compare --games 50 --players 40 --ramp
  loadgen compare --games 60 --players 40 --rate 240 --ramp-games --db postgres://127.0.0.1/test
  loadgen run --url ws://127.0.0.1:8080/ws --games 10 --players 30 --rate 100 --server-pid 1234"
)]
struct Cli {
    #[command(subcommand)]
    command: Sub,
}

#[derive(clap::Args, Clone)]
struct Shape {
    /// Games (rooms).
    #[arg(long, default_value_t = 25)]
    games: usize,
    /// Players per game (plus one host each, for Dual Power).
    #[arg(long, default_value_t = 40)]
    players: usize,
    /// Chat messages per second, over all games.
    #[arg(long, default_value_t = 200.0)]
    rate: f64,
    /// Seconds measured (after everyone is connected and a warm-up).
    #[arg(long, default_value_t = 20)]
    duration: u64,
    /// Seconds of load before measuring.
    #[arg(long, default_value_t = 3)]
    warmup: u64,
    /// Seconds between the host's phase changes (Dual Power only).
    #[arg(long, default_value_t = 5)]
    phase_secs: u64,
    /// Every game changes phase at the same instant (the worst case),
    /// instead of spread over the period.
    #[arg(long)]
    synchronized: bool,
    /// With several `--url`s: players connect to the processes in turn,
    /// not to their game's (their connections are proxied).
    #[arg(long)]
    spread_players: bool,
    /// Each player asks for the catalog once after joining, as the bundled
    /// clients do (Dual Power only).
    #[arg(long)]
    catalog: bool,
}

#[derive(Subcommand)]
enum Sub {
    /// Load a running server.
    Run {
        /// The server's address; several, comma-separated (several server
        /// processes on one database), take the games in turn.
        #[arg(long, default_value = "ws://127.0.0.1:8080/ws")]
        url: String,
        /// `dualpower` (the game protocol) or `bare` (the baseline's).
        #[arg(long, default_value = "dualpower")]
        target: String,
        /// The server's process id, to read its CPU time and memory.
        #[arg(long)]
        server_pid: Option<u32>,
        #[command(flatten)]
        shape: Shape,
    },
    /// Start the real server and the bare baseline in turn and load each.
    Compare {
        #[command(flatten)]
        shape: Shape,
        /// Instead of one rate: raise the rate from `--rate` by a quarter
        /// at a time until chat p99 passes 50 ms, for each server.
        #[arg(long)]
        ramp: bool,
        /// Directory holding `dualpower-server` and `bare-server`
        /// (default: next to this binary).
        #[arg(long)]
        bin_dir: Option<PathBuf>,
        /// The Dual Power server's store: `:memory:`, `file` (a new SQLite
        /// file in the temporary directory, removed afterwards: the
        /// server's default kind of store), or anything `--db` takes. On
        /// PostgreSQL (`postgres://USER@HOST/DB`) each run gets a database
        /// of its own on that server, dropped afterwards.
        #[arg(long, default_value = ":memory:")]
        db: String,
        /// Instead of one load: raise the number of games by half at a
        /// time (each game keeping its share of `--rate`) until chat p99
        /// passes 50 ms or the chat rate falls behind (commits backing up),
        /// for Dual Power only: how many games one process holds.
        #[arg(long, conflicts_with = "ramp")]
        ramp_games: bool,
        /// With `--ramp-games`: stop after this many games.
        #[arg(long, default_value_t = 100_000)]
        max_games: usize,
        /// Run the comparison this many times, the two servers taking
        /// turns (Dual Power, bare, Dual Power, …), and report each run
        /// and the median of every figure: single runs on a shared
        /// machine vary by a few milliseconds of p99.
        #[arg(long, default_value_t = 1)]
        runs: usize,
    },
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    match cli.command {
        Sub::Run {
            url,
            target,
            server_pid,
            shape,
        } => {
            let target = match target.as_str() {
                "dualpower" => Target::DualPower,
                "bare" => Target::Bare,
                other => anyhow::bail!("--target: dualpower or bare, not {other}"),
            };
            let report = rt.block_on(load::run(load_of(&shape, url, target, server_pid)))?;
            print_reports(&[("server", &report)]);
        }
        Sub::Compare {
            shape,
            ramp,
            bin_dir,
            db,
            ramp_games,
            max_games,
            runs,
        } => {
            let runs = runs.max(1);
            let dir = bin_dir.unwrap_or_else(|| {
                std::env::current_exe()
                    .ok()
                    .and_then(|p| p.parent().map(PathBuf::from))
                    .unwrap_or_default()
            });
            let dir = Setup { dir, db };
            if ramp_games {
                let knee = ramp_games_knee(&rt, &dir, &shape, max_games)?;
                println!();
                println!(
                    "Games ({} players each, {:.1} chat msg/s each) at which chat p99 passes 50 ms or chat falls behind, on {}",
                    shape.players,
                    shape.rate / shape.games.max(1) as f64,
                    dir.db
                );
                println!("  {knee}");
            } else if ramp {
                let mut ratios = Vec::new();
                for run in 1..=runs {
                    let mut knees = Vec::new();
                    for target in [Target::DualPower, Target::Bare] {
                        knees.push((target, ramp_knee(&rt, &dir, &shape, target)?));
                    }
                    println!();
                    println!(
                        "Run {run} of {runs}: chat rate at which p99 fan-out latency passes 50 ms"
                    );
                    for (t, knee) in &knees {
                        println!("  {:<10} {knee}", t.name());
                    }
                    if let [(_, Knee::Passed(ours)), (_, Knee::Passed(bare))] = knees.as_slice() {
                        println!("  ratio      {:.2} (goal ≥ 0.90)", ours / bare);
                        ratios.push(ours / bare);
                    }
                }
                if runs > 1 && !ratios.is_empty() {
                    println!();
                    println!(
                        "Median ratio over {} runs: {:.2} (goal ≥ 0.90)",
                        ratios.len(),
                        median(&ratios)
                    );
                }
            } else {
                let (mut ours, mut bare) = (Vec::new(), Vec::new());
                for run in 1..=runs {
                    ours.push(one(&rt, &dir, &shape, Target::DualPower, shape.rate)?);
                    bare.push(one(&rt, &dir, &shape, Target::Bare, shape.rate)?);
                    if runs > 1 {
                        println!("Run {run} of {runs}");
                        print_reports(&[("dualpower", &ours[run - 1]), ("bare", &bare[run - 1])]);
                        println!();
                    }
                }
                if runs > 1 {
                    println!("Median of {runs} runs (each figure on its own)");
                }
                print_reports(&[
                    ("dualpower", &median_report(&ours)),
                    ("bare", &median_report(&bare)),
                ]);
            }
        }
    }
    Ok(())
}

fn load_of(shape: &Shape, url: String, target: Target, server_pid: Option<u32>) -> Load {
    Load {
        url,
        target,
        games: shape.games,
        players: shape.players,
        rate: shape.rate,
        duration: Duration::from_secs(shape.duration),
        warmup: Duration::from_secs(shape.warmup),
        phase_every: Duration::from_secs(shape.phase_secs),
        stagger: !shape.synchronized,
        server_pid,
        spread: shape.spread_players,
        catalog: shape.catalog,
    }
}

/// A running server: the process, its address, and its temporary store
/// (held only to be removed after the process stops).
struct Server(Child, String, #[allow(dead_code)] Option<TempDb>);

/// A PostgreSQL database for one run, dropped afterwards.
struct FreshPg {
    admin: String,
    name: String,
}

impl FreshPg {
    fn create(admin: &str) -> anyhow::Result<FreshPg> {
        static RUNS: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let name = format!(
            "loadgen_{}_{}",
            std::process::id(),
            RUNS.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        );
        pg_admin(admin, &format!("CREATE DATABASE {name}"))?;
        Ok(FreshPg {
            admin: admin.to_string(),
            name,
        })
    }

    /// The address of the new database: `postgres://USER@HOST/DB?QUERY`
    /// with DB replaced.
    fn url(&self) -> String {
        let (head, query) = self.admin.split_once('?').unwrap_or((&self.admin, ""));
        let scheme = head.find("://").map_or(0, |i| i + 3);
        let base = match head[scheme..].find('/') {
            Some(i) => &head[..scheme + i],
            None => head,
        };
        if query.is_empty() {
            format!("{base}/{}", self.name)
        } else {
            format!("{base}/{}?{query}", self.name)
        }
    }
}

impl Drop for FreshPg {
    fn drop(&mut self) {
        let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
        if let Err(e) = pg_admin(&self.admin, &sql) {
            eprintln!("{e}");
        }
    }
}

/// Run one statement on the PostgreSQL server of `url`, on a thread and a
/// runtime of its own (callers may be inside the load's runtime or not).
fn pg_admin(url: &str, sql: &str) -> anyhow::Result<()> {
    let admin = url.split_once('?').map_or(url, |u| u.0).to_string();
    let sql = sql.to_string();
    std::thread::spawn(move || -> anyhow::Result<()> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        rt.block_on(async {
            let (client, conn) = tokio_postgres::connect(&admin, tokio_postgres::NoTls)
                .await
                .map_err(|e| anyhow::anyhow!("PostgreSQL at {admin}: {e}"))?;
            tokio::spawn(conn);
            client
                .batch_execute(&sql)
                .await
                .map_err(|e| anyhow::anyhow!("{sql}: {e}"))
        })
    })
    .join()
    .map_err(|_| anyhow::anyhow!("the PostgreSQL thread panicked"))?
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Where the servers are and which store the real one uses.
struct Setup {
    dir: PathBuf,
    db: String,
}

/// A SQLite file for one run, removed with its journal afterwards.
struct TempDb(PathBuf);

impl Drop for TempDb {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm"] {
            let mut p = self.0.clone().into_os_string();
            p.push(suffix);
            let _ = std::fs::remove_file(p);
        }
    }
}

fn start(setup: &Setup, target: Target) -> anyhow::Result<Server> {
    let dir = &setup.dir;
    let temp = (target == Target::DualPower && setup.db == "file").then(|| {
        TempDb(std::env::temp_dir().join(format!(
            "loadgen-{}-{}.db",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos())
        )))
    });
    let db = match &temp {
        Some(t) => t.0.to_string_lossy().into_owned(),
        None => setup.db.clone(),
    };
    use std::io::BufRead;
    let mut cmd = match target {
        Target::DualPower => {
            let mut c = Command::new(dir.join("dualpower-server"));
            // The per-connection rate limit stays on, loose enough for the
            // load's own pace; everything else is the default.
            c.args([
                "--bind",
                "127.0.0.1:0",
                "--db",
                &db,
                "--rate-per-sec",
                "100",
                "--rate-burst",
                "200",
                // Every simulated client comes from 127.0.0.1.
                "--address-rate-per-sec",
                "1000000",
                "--address-rate-burst",
                "1000000",
                "--max-connections-per-address",
                "1000000",
            ]);
            c
        }
        Target::Bare => {
            let mut c = Command::new(dir.join("bare-server"));
            c.args(["--bind", "127.0.0.1:0"]);
            c
        }
    };
    let mut child = cmd
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| {
            anyhow::anyhow!(
                "start {:?} (build with `cargo build --release -p server -p bench`): {e}",
                cmd.get_program()
            )
        })?;
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut line)?;
    let addr = line
        .trim()
        .strip_prefix("listening on ")
        .ok_or_else(|| anyhow::anyhow!("unexpected first line {line:?}"))?
        .to_string();
    Ok(Server(child, format!("ws://{addr}/ws"), temp))
}

fn one(
    rt: &tokio::runtime::Runtime,
    dir: &Setup,
    shape: &Shape,
    target: Target,
    rate: f64,
) -> anyhow::Result<Report> {
    // On PostgreSQL a database of its own, so no run inherits another's
    // games (a new process would take them over).
    let fresh = if target == Target::DualPower
        && (dir.db.starts_with("postgres://") || dir.db.starts_with("postgresql://"))
    {
        Some(FreshPg::create(&dir.db)?)
    } else {
        None
    };
    let setup;
    let dir = match &fresh {
        Some(f) => {
            setup = Setup {
                dir: dir.dir.clone(),
                db: f.url(),
            };
            &setup
        }
        None => dir,
    };
    let server = start(dir, target)?;
    std::thread::sleep(Duration::from_millis(300));
    let mut shape = shape.clone();
    shape.rate = rate;
    let load = load_of(&shape, server.1.clone(), target, Some(server.0.id()));
    let report = rt.block_on(load::run(load))?;
    drop(server);
    Ok(report)
}

/// The median of some figures (the mean of the middle two for an even
/// count).
fn median(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => 0.0,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

/// Each figure's median over several runs of the same load (errors: the
/// worst run's).
fn median_report(runs: &[Report]) -> Report {
    let m = |f: fn(&Report) -> f64| median(&runs.iter().map(f).collect::<Vec<_>>());
    Report {
        connections: m(|r| r.connections as f64) as usize,
        chat_rate: m(|r| r.chat_rate),
        msgs_out_per_sec: m(|r| r.msgs_out_per_sec),
        msgs_in_per_sec: m(|r| r.msgs_in_per_sec),
        p50_ms: m(|r| r.p50_ms),
        p99_ms: m(|r| r.p99_ms),
        max_ms: m(|r| r.max_ms),
        answer_p99_ms: m(|r| r.answer_p99_ms),
        answer_max_ms: m(|r| r.answer_max_ms),
        burst_p99_ms: m(|r| r.burst_p99_ms),
        burst_max_ms: m(|r| r.burst_max_ms),
        burst_answer_p99_ms: m(|r| r.burst_answer_p99_ms),
        burst_answer_max_ms: m(|r| r.burst_answer_max_ms),
        // Errors are never averaged away: the worst run's.
        errors: runs.iter().map(|r| r.errors).max().unwrap_or(0),
        refused: runs.iter().map(|r| r.refused).max().unwrap_or(0),
        server_cpu_s: m(|r| r.server_cpu_s),
        cpu_us_per_msg: m(|r| r.cpu_us_per_msg),
        kib_per_conn: m(|r| r.kib_per_conn),
        kib_per_conn_joined: m(|r| r.kib_per_conn_joined),
        kib_per_conn_load: m(|r| r.kib_per_conn_load),
        peak_rss_mib: m(|r| r.peak_rss_mib),
    }
}

enum Knee {
    /// The first rate at which p99 passed 50 ms.
    Passed(f64),
    /// p99 stayed under 50 ms up to this rate.
    Never(f64),
}

impl std::fmt::Display for Knee {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Knee::Passed(r) => write!(f, "{r:.0} msg/s"),
            Knee::Never(r) => write!(f, "not reached up to {r:.0} msg/s"),
        }
    }
}

/// Raise the games by half at a time, each with its share of the rate.
fn ramp_games_knee(
    rt: &tokio::runtime::Runtime,
    dir: &Setup,
    shape: &Shape,
    max_games: usize,
) -> anyhow::Result<String> {
    let per_game = shape.rate / shape.games.max(1) as f64;
    let mut games = shape.games.max(1);
    let mut last = None;
    while games <= max_games {
        let mut step = shape.clone();
        step.games = games;
        let rate = per_game * games as f64;
        let r = one(rt, dir, &step, Target::DualPower, rate)?;
        println!(
            "games {games:>5} ({:>5} connections), rate {rate:>7.0}/s (achieved {:>7.0}/s): p50 {:>7.2} ms, p99 {:>7.2} ms, max {:>7.1} ms, errors {}, CPU µs/msg {:.1}, RSS {:.0} MiB",
            r.connections,
            r.chat_rate,
            r.p50_ms,
            r.p99_ms,
            r.max_ms,
            r.errors,
            r.cpu_us_per_msg,
            r.peak_rss_mib
        );
        if r.p99_ms > 50.0 || r.chat_rate < rate * 0.8 || r.errors > 0 {
            return Ok(match last {
                Some(ok) => format!("passed at {games} games; held {ok}"),
                None => format!("passed already at {games} games"),
            });
        }
        last = Some(games);
        games = (games * 3).div_ceil(2);
    }
    Ok(format!("not reached up to {}", last.unwrap_or(games)))
}

fn ramp_knee(
    rt: &tokio::runtime::Runtime,
    dir: &Setup,
    shape: &Shape,
    target: Target,
) -> anyhow::Result<Knee> {
    let mut rate = shape.rate;
    let mut last = rate;
    for _ in 0..10 {
        let r = one(rt, dir, shape, target, rate)?;
        println!(
            "{:<10} rate {:>7.0}/s (achieved {:>7.0}/s): p50 {:>7.2} ms, p99 {:>7.2} ms, max {:>7.1} ms, errors {}",
            target.name(),
            rate,
            r.chat_rate,
            r.p50_ms,
            r.p99_ms,
            r.max_ms,
            r.errors
        );
        if r.p99_ms > 50.0 || r.chat_rate < rate * 0.8 {
            return Ok(Knee::Passed(rate));
        }
        last = rate;
        rate *= 1.25;
    }
    Ok(Knee::Never(last))
}

/// A row of the report: its label, how to read it, its goal.
type Row = (&'static str, Box<dyn Fn(&Report) -> f64>, &'static str);

fn print_reports(reports: &[(&str, &Report)]) {
    let rows: Vec<Row> = vec![
        ("connections", Box::new(|r| r.connections as f64), ""),
        ("chat sent /s", Box::new(|r| r.chat_rate), ""),
        (
            "messages out /s (clients → server)",
            Box::new(|r| r.msgs_out_per_sec),
            "",
        ),
        (
            "messages in /s (server → clients)",
            Box::new(|r| r.msgs_in_per_sec),
            "",
        ),
        ("fan-out p50 ms", Box::new(|r| r.p50_ms), ""),
        ("fan-out p99 ms", Box::new(|r| r.p99_ms), "goal ≤ 5"),
        ("fan-out max ms", Box::new(|r| r.max_ms), ""),
        (
            "game request answer p99 ms",
            Box::new(|r| r.answer_p99_ms),
            "",
        ),
        (
            "game request answer max ms",
            Box::new(|r| r.answer_max_ms),
            "",
        ),
        (
            "within 1 s of a phase change: fan-out p99 ms",
            Box::new(|r| r.burst_p99_ms),
            "--synchronized: goal < 100",
        ),
        (
            "within 1 s of a phase change: fan-out max ms",
            Box::new(|r| r.burst_max_ms),
            "",
        ),
        (
            "within 1 s of a phase change: answer p99 ms",
            Box::new(|r| r.burst_answer_p99_ms),
            "--synchronized: goal < 100",
        ),
        (
            "within 1 s of a phase change: answer max ms",
            Box::new(|r| r.burst_answer_max_ms),
            "",
        ),
        ("errors", Box::new(|r| r.errors as f64), ""),
        ("refused requests", Box::new(|r| r.refused as f64), ""),
        ("server CPU s", Box::new(|r| r.server_cpu_s), ""),
        (
            "server CPU µs per delivered message",
            Box::new(|r| r.cpu_us_per_msg),
            "goal ≤ 1.15× bare",
        ),
        (
            "server memory per connection, joined KiB",
            Box::new(|r| r.kib_per_conn_joined),
            "",
        ),
        (
            "server memory per connection, started KiB",
            Box::new(|r| r.kib_per_conn),
            "(0.5 s after the start: briefings in flight)",
        ),
        (
            "server memory per connection, under load KiB",
            Box::new(|r| r.kib_per_conn_load),
            "goal ≤ 1.2× bare",
        ),
        ("server peak RSS MiB", Box::new(|r| r.peak_rss_mib), ""),
    ];
    print!("{:<40}", "");
    for (name, _) in reports {
        print!("{name:>14}");
    }
    if reports.len() == 2 {
        print!("{:>10}", "ratio");
    }
    println!();
    for (label, f, goal) in rows {
        print!("{label:<40}");
        let values: Vec<f64> = reports.iter().map(|(_, r)| f(r)).collect();
        for v in &values {
            if v.fract() == 0.0 && v.abs() < 1e12 {
                print!("{v:>14.0}");
            } else {
                print!("{v:>14.2}");
            }
        }
        if let [a, b] = values.as_slice() {
            if *b != 0.0 {
                print!("{:>10.2}", a / b);
            } else {
                print!("{:>10}", "-");
            }
        }
        println!("  {goal}");
    }
}
