//! `dualpower`: the terminal client for Dual Power.
//!
//! Interactive for people (line editing, completion, colours, a status
//! prompt), or driven by a script (`--script FILE` or piped stdin) for
//! teachers, tests and classroom set-ups. See `docs/CLI.md`.

mod app;
mod banner;
mod botrun;
mod command;
mod interactive;
mod link;
mod render;
mod tokens;

use app::{App, Entry, Options, Shared};
use clap::{Args, Parser, Subcommand};
use protocol::*;
use std::io::{BufRead, IsTerminal};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc;

#[derive(Parser)]
#[command(
    name = "dualpower",
    version,
    about = "Play or host Dual Power (Petrograd, 1917) from a terminal.",
    after_help = "Examples:
  dualpower host                                   # a new game; shows the join code
  dualpower join KXR7M --name Ana                  # join a game on this computer's server
  dualpower join KXR7M --name Ana --server ws://192.168.1.20:8080/ws
  dualpower spectate KXR7M                         # the projector view
  dualpower join KXR7M --name Bot1 --script moves.txt --strict

Inside, type `help` for the commands."
)]
struct Cli {
    #[command(subcommand)]
    command: Sub,
}

#[derive(Args, Clone)]
struct Common {
    /// The server's address: HOST:PORT, or a ws:// or http:// URL. Several,
    /// separated by commas (several servers on one database), are tried in
    /// turn.
    #[arg(
        long,
        default_value = "ws://127.0.0.1:8080/ws",
        env = "DUALPOWER_SERVER"
    )]
    server: String,
    /// Read commands from this file instead of the keyboard (one per line).
    #[arg(long, value_name = "FILE")]
    script: Option<std::path::PathBuf>,
    /// Print every message from the server as one JSON line (for programs).
    #[arg(long)]
    json: bool,
    /// Exit with status 2 as soon as a command is refused (scripts).
    #[arg(long)]
    strict: bool,
    /// No colours (also when NO_COLOR is set or output is not a terminal).
    #[arg(long)]
    no_color: bool,
    /// Longest a script waits on one `wait` line, in seconds.
    #[arg(long, default_value_t = 600, value_name = "SECS")]
    wait_timeout: u64,
}

#[derive(Subcommand)]
enum Sub {
    /// Create a game and host it (you get the join code and the controls).
    #[command(after_help = "Examples:
  dualpower host                          # standard timers (about 90 minutes)
  dualpower host --preset short           # about 45 minutes
  dualpower host --timers 60,300,180,180,60 --auto-factions
  dualpower host --server ws://0.0.0.0:8080/ws")]
    Host {
        /// Timer preset: standard (about 90 min) or short (about 45).
        #[arg(long, default_value = "standard", value_parser = ["standard", "short"])]
        preset: String,
        /// Exact seconds per phase: briefing,negotiation,proposals,voting,resolution.
        #[arg(long, value_name = "B,N,P,V,R")]
        timers: Option<String>,
        /// Put each player in the smallest faction instead of letting them choose.
        #[arg(long)]
        auto_factions: bool,
        /// Give players historical characters with secret objectives.
        #[arg(long)]
        characters: bool,
        /// The random seed (same seed and moves, same game).
        #[arg(long)]
        seed: Option<u64>,
        #[command(flatten)]
        common: Common,
    },
    /// Join a game as a player. Run it again after a crash to get your seat back.
    #[command(after_help = "Examples:
  dualpower join KXR7M --name Ana
  dualpower join KXR7M --name Ana --faction bolsheviks
  dualpower join KXR7M --name Ana --server ws://192.168.1.20:8080/ws")]
    Join {
        /// The join code the host shows.
        code: String,
        /// Your display name (1 to 24 characters, unique in the game).
        #[arg(long)]
        name: String,
        /// liberals, soviet or bolsheviks (if the host lets players choose).
        #[arg(long)]
        faction: Option<String>,
        #[command(flatten)]
        common: Common,
    },
    /// Watch a game read-only (e.g. on the projector).
    #[command(after_help = "Example:\n  dualpower spectate KXR7M")]
    Spectate {
        code: String,
        #[command(flatten)]
        common: Common,
    },
    /// Add bots to a game as players (they play until it ends).
    #[command(after_help = "Examples:
  dualpower bots KXR7M --count 2                  # two bots, in the smallest factions
  dualpower bots KXR7M --faction bolsheviks --bold
  dualpower bots KXR7M --count 30 --server ws://192.168.1.20:8080/ws   # load test")]
    Bots {
        code: String,
        /// How many bots.
        #[arg(long, default_value_t = 1)]
        count: usize,
        /// liberals, soviet or bolsheviks (default: the smallest faction).
        #[arg(long)]
        faction: Option<String>,
        /// All bold (default: alternate bold and cautious).
        #[arg(long, conflicts_with = "cautious")]
        bold: bool,
        /// All cautious.
        #[arg(long)]
        cautious: bool,
        /// The bots' random seed.
        #[arg(long, default_value_t = 1917)]
        seed: u64,
        /// Their display name (numbered when several).
        #[arg(long, default_value = "Bot")]
        name: String,
        #[arg(
            long,
            default_value = "ws://127.0.0.1:8080/ws",
            env = "DUALPOWER_SERVER"
        )]
        server: String,
    },
    /// Come back to a game: the host with the game's code (on the same
    /// computer), anyone with their token.
    #[command(after_help = "Examples:
  dualpower resume KXR7M           # the host, on the computer that hosted
  dualpower resume KXR7M.3f9a…     # a token (type `token` in the client to see yours)")]
    Resume {
        /// The game's code (the host's seat saved on this computer) or a token.
        token: String,
        #[command(flatten)]
        common: Common,
    },
}

fn parse_timers(s: &str) -> Result<PhaseTimers, String> {
    let n: Vec<u32> = s
        .split(',')
        .map(|x| x.trim().parse::<u32>())
        .collect::<Result<_, _>>()
        .map_err(|_| {
            format!("--timers wants five numbers of seconds, e.g. 60,300,180,180,60; got `{s}`")
        })?;
    match n.as_slice() {
        [b, ng, p, v, r] => Ok(PhaseTimers {
            briefing: *b,
            negotiation: *ng,
            proposals: *p,
            voting: *v,
            resolution: *r,
        }),
        _ => Err(format!(
            "--timers wants five numbers, e.g. 60,300,180,180,60; got `{s}`"
        )),
    }
}

/// The WebSocket URL for what the user typed after `--server`: `HOST:PORT`,
/// `ws://HOST:PORT`, `http://HOST:PORT` (the page's address works too) or a
/// full `ws://HOST:PORT/ws`. Without a path, the server's `/ws`.
fn server_url(input: &str) -> Result<String, String> {
    let s = input.trim();
    let (scheme, rest) = match s.split_once("://") {
        Some((scheme, rest)) => match scheme.to_ascii_lowercase().as_str() {
            "ws" | "http" => ("ws", rest),
            "wss" | "https" => ("wss", rest),
            other => {
                return Err(format!(
                    "--server: `{other}://` is not a server address; use HOST:PORT, e.g. 192.168.1.20:8080 (got `{input}`)"
                ))
            }
        },
        None => ("ws", s),
    };
    let (host, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    if host.is_empty() || host.contains(char::is_whitespace) {
        return Err(format!(
            "--server: give the server's address as HOST:PORT, e.g. 192.168.1.20:8080 (got `{input}`)"
        ));
    }
    let path = match path.trim_end_matches('/') {
        "" => "/ws",
        p => p,
    };
    Ok(format!("{scheme}://{host}{path}"))
}

fn server_or_exit(input: &str) -> String {
    // Several addresses, comma-separated: each is read on its own.
    input
        .split(',')
        .filter(|a| !a.trim().is_empty())
        .map(|a| {
            server_url(a).unwrap_or_else(|e| {
                eprintln!("{e}");
                std::process::exit(app::EXIT_FAILED);
            })
        })
        .collect::<Vec<_>>()
        .join(",")
}

fn main() {
    let cli = Cli::parse();
    let (entry, common) = match cli.command {
        Sub::Host {
            preset,
            timers,
            auto_factions,
            characters,
            seed,
            common,
        } => {
            let timers = match timers.as_deref().map(parse_timers).transpose() {
                Ok(t) => t,
                Err(e) => {
                    eprintln!("{e}");
                    std::process::exit(app::EXIT_FAILED);
                }
            };
            (
                Entry::Host {
                    preset: if preset == "short" {
                        TimerPreset::Short
                    } else {
                        TimerPreset::Standard
                    },
                    timers,
                    faction_choice: if auto_factions {
                        FactionChoice::Auto
                    } else {
                        FactionChoice::Choose
                    },
                    characters,
                    seed,
                },
                common,
            )
        }
        Sub::Join {
            code,
            name,
            faction,
            common,
        } => {
            let faction = match faction.as_deref() {
                None => None,
                Some(f) => match Faction::parse(&f.to_ascii_lowercase()) {
                    Some(f) => Some(f),
                    None => {
                        eprintln!("--faction: liberals, soviet or bolsheviks (got `{f}`)");
                        std::process::exit(app::EXIT_FAILED);
                    }
                },
            };
            (
                Entry::Join {
                    code: code.trim().to_ascii_uppercase(),
                    name,
                    faction,
                },
                common,
            )
        }
        Sub::Spectate { code, common } => (
            Entry::Spectate {
                code: code.trim().to_ascii_uppercase(),
            },
            common,
        ),
        Sub::Resume { token, common } => (Entry::Resume { token }, common),
        Sub::Bots {
            code,
            count,
            faction,
            bold,
            cautious,
            seed,
            name,
            server,
        } => {
            let faction = match faction
                .as_deref()
                .map(|f| Faction::parse(&f.to_ascii_lowercase()))
            {
                None => None,
                Some(Some(f)) => Some(f),
                Some(None) => {
                    eprintln!("--faction: liberals, soviet or bolsheviks");
                    std::process::exit(app::EXIT_FAILED);
                }
            };
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("a tokio runtime");
            let code = runtime.block_on(botrun::run(botrun::BotsOptions {
                server: server_or_exit(&server),
                code: code.trim().to_ascii_uppercase(),
                count: count.max(1),
                faction,
                bold: if bold {
                    Some(true)
                } else if cautious {
                    Some(false)
                } else {
                    None
                },
                seed,
                name,
            }));
            std::process::exit(code);
        }
    };
    std::process::exit(run(entry, common));
}

fn run(entry: Entry, common: Common) -> i32 {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let interactive = common.script.is_none()
        && std::io::stdin().is_terminal()
        && std::io::stdout().is_terminal();
    let color = !common.no_color
        && std::env::var_os("NO_COLOR").is_none()
        && std::io::stdout().is_terminal()
        && !common.json;
    render::set_color(color);
    let shared = Arc::new(Mutex::new(Shared::default()));
    let opts = Options {
        server: server_or_exit(&common.server),
        server_given: common.server.clone(),
        json: common.json,
        strict: common.strict,
        interactive,
        wait_timeout: Duration::from_secs(common.wait_timeout),
    };
    // The line editor keeps the terminal in raw mode while it waits for a
    // line; the client may stop meanwhile (the seat was taken by another
    // window, the game was deleted, `quit`): put the terminal back as it
    // was, or the shell would be left without echo.
    let terminal = TerminalMode::save(interactive);
    let code = runtime.block_on(async move {
        let (printer, lines) = if interactive {
            match interactive::start(shared.clone()) {
                Ok(x) => x,
                // A terminal the line editor cannot drive (TERM=dumb, as in
                // some editors' and IDEs' panes): play on with plain lines.
                Err(e) => {
                    eprintln!(
                        "The line editor cannot run in this terminal ({e}): reading plain lines instead, without editing or completion."
                    );
                    plain_lines(None)
                }
            }
        } else {
            plain_lines(common.script.clone())
        };
        App::new(opts, printer, shared).run(entry, lines).await
    });
    terminal.restore();
    code
}

/// Lines from a script or standard input, one per `Some`, then `None`; and
/// a printer that prints.
fn plain_lines(
    script: Option<std::path::PathBuf>,
) -> (app::Printer, mpsc::UnboundedReceiver<Option<String>>) {
    let (tx, rx) = mpsc::unbounded_channel();
    std::thread::spawn(move || {
        let reader: Box<dyn BufRead> = match &script {
            Some(path) => match std::fs::File::open(path) {
                Ok(f) => Box::new(std::io::BufReader::new(f)),
                Err(e) => {
                    eprintln!("cannot read {}: {e}", path.display());
                    let _ = tx.send(None);
                    return;
                }
            },
            None => Box::new(std::io::BufReader::new(std::io::stdin())),
        };
        for line in reader.lines() {
            let Ok(line) = line else { break };
            if tx.send(Some(line)).is_err() {
                return;
            }
        }
        let _ = tx.send(None);
    });
    let printer: app::Printer = Box::new(|text: String| println!("{text}"));
    (printer, rx)
}

/// The terminal's settings before the line editor changed them.
struct TerminalMode {
    #[cfg(unix)]
    saved: Option<nix::sys::termios::Termios>,
}

impl TerminalMode {
    fn save(interactive: bool) -> TerminalMode {
        TerminalMode {
            #[cfg(unix)]
            saved: interactive
                .then(|| nix::sys::termios::tcgetattr(std::io::stdin()).ok())
                .flatten(),
        }
    }

    fn restore(&self) {
        #[cfg(unix)]
        if let Some(saved) = &self.saved {
            let _ = nix::sys::termios::tcsetattr(
                std::io::stdin(),
                nix::sys::termios::SetArg::TCSANOW,
                saved,
            );
        }
    }
}
