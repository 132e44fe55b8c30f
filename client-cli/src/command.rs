//! What the user types, turned into requests.
//!
//! [`COMMANDS`] is the one table of commands: `help`, tab completion and
//! the parser all read it. [`parse`] needs the current view to resolve
//! names (`tell Ana …`, `vote land_reform yes`) into ids.

use protocol::*;
use std::time::Duration;

/// Who may use a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Who {
    Anyone,
    Player,
    Host,
    /// Only useful in scripts (`--script`): listed apart from the playing
    /// commands.
    Script,
}

#[derive(Debug, PartialEq, Eq)]
pub struct Spec {
    pub name: &'static str,
    pub aliases: &'static [&'static str],
    pub args: &'static str,
    pub help: &'static str,
    pub example: &'static str,
    pub who: Who,
}

const fn spec(
    name: &'static str,
    aliases: &'static [&'static str],
    args: &'static str,
    help: &'static str,
    example: &'static str,
    who: Who,
) -> Spec {
    Spec {
        name,
        aliases,
        args,
        help,
        example,
        who,
    }
}

pub const COMMANDS: &[Spec] = &[
    spec("help", &["?"], "[command|term]", "The commands, or explain one or a game term.", "help vote", Who::Anyone),
    spec("say", &[], "<text>", "Speak on the public floor.", "say Bread, peace and land!", Who::Anyone),
    spec("f", &["faction"], "<text>", "Speak to your own faction only.", "f Shall we table land reform?", Who::Player),
    spec("tell", &["w"], "<player> <text>", "A private message to one player.", "tell Ana Will you vote yes?", Who::Player),
    spec("table", &["propose"], "<motion> [round]", "Table a motion (proposals phase).", "table land_reform", Who::Player),
    spec("withdraw", &[], "<motion>", "Withdraw your motion (proposals phase).", "withdraw m3", Who::Player),
    spec("vote", &[], "<motion> yes|no|abstain", "Vote on a motion (voting phase).", "vote land_reform yes", Who::Player),
    spec("plan", &[], "<action> [group]", "Add an action to your faction's plan.", "plan agitate workers", Who::Player),
    spec("unplan", &[], "<action>", "Take an action out and get its IP back.", "unplan a2", Who::Player),
    spec("ready", &[], "", "You are ready to move on to the next phase.", "ready", Who::Player),
    spec("unready", &[], "", "Take back your `ready`.", "unready", Who::Player),
    spec("state", &["s"], "", "Tracks, groups, Soviet seats, cabinet, decrees.", "state", Who::Anyone),
    spec("me", &["faction-info"], "", "Your faction, IP, plan, briefing, character.", "me", Who::Anyone),
    spec("motions", &["m"], "", "This round's motions and votes.", "motions", Who::Anyone),
    spec("players", &["who"], "", "Who is in the game.", "players", Who::Anyone),
    spec("log", &[], "[n]", "The last n things that happened (20).", "log 30", Who::Anyone),
    spec("catalog", &[], "[section] [page]", "Every motion and action, explained.", "catalog decrees", Who::Anyone),
    spec("status", &[], "", "Round, month, phase and time left.", "status", Who::Anyone),
    spec("start", &[], "", "Start the game.", "start", Who::Host),
    spec("next", &["advance"], "", "End this phase now and go to the next.", "next", Who::Host),
    spec("endphase", &["end-phase"], "[reason]", "End this phase now, saying why.", "endphase Time to vote", Who::Host),
    spec("pause", &[], "[reason]", "Stop the clock.", "pause Questions", Who::Host),
    spec("resume", &["unpause"], "", "Start the clock again.", "resume", Who::Host),
    spec("extend", &[], "<seconds> [reason]", "Give this phase more time.", "extend 120 More debate", Who::Host),
    spec("timers", &[], "standard|short|<b n p v r>", "Phase timers: a preset or five seconds.", "timers short", Who::Host),
    spec("kick", &[], "<player> [reason]", "Remove a player.", "kick p4 Left the class", Who::Host),
    spec("move", &[], "<player> <faction> [reason]", "Move a player to another faction.", "move Ana bolsheviks Balance", Who::Host),
    spec("assign", &["character"], "<player> <character>", "Give a player a historical character.", "assign Ana Leon Trotsky", Who::Host),
    spec("mute", &[], "<player> <seconds> [reason]", "Mute a player for a while (0 unmutes).", "mute Boris 120 Spam", Who::Host),
    spec("redact", &[], "<chat#> [reason]", "Hide a chat message (its # is beside it).", "redact 12 Rude", Who::Host),
    spec("inject", &[], "<event>", "Play one of the scenario's events now.", "inject july_days", Who::Host),
    spec("readyrule", &["ready-rule"], "on|off", "Whether the phase ends once all are ready.", "readyrule off", Who::Host),
    spec("bot", &["addbot"], "[faction]", "Fill a seat with a bot; `kick` removes it.", "bot bolsheviks", Who::Host),
    spec("end", &["endgame"], "[reason]", "End the game now.", "end End of class", Who::Host),
    spec("download", &[], "html|markdown|log [faction]", "Save the debrief record to a file here.", "download html", Who::Host),
    spec("delete-game", &[], "", "Delete this game's record on the server now.", "delete-game", Who::Host),
    spec("wait", &[], "<condition>", "Wait for `phase P [round N]`, `round N`, `players N`, `motions N`, `event KIND` or `ended`.", "wait phase voting", Who::Script),
    spec("sleep", &[], "<seconds>", "Pause the script for a while.", "sleep 2", Who::Script),
    spec("echo", &[], "<text>", "Print a line.", "echo Round one done", Who::Script),
    spec("token", &[], "[show]", "Your seat's secret key; never on a projector.", "token", Who::Anyone),
    spec("quit", &["exit"], "", "Leave (you stay in the game, come back later).", "quit", Who::Anyone),
];

/// Find a command by name or alias.
pub fn find(word: &str) -> Option<&'static Spec> {
    let word = word.to_ascii_lowercase();
    COMMANDS
        .iter()
        .find(|c| c.name == word || c.aliases.contains(&word.as_str()))
}

/// Something to wait for (scripts).
#[derive(Debug, Clone, PartialEq)]
pub enum WaitFor {
    Phase { phase: Phase, round: Option<u8> },
    Round(u8),
    Players(usize),
    Motions(usize),
    Event(String),
    Ended,
}

/// Local views of the game.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Show {
    Help,
    State,
    Me,
    Motions,
    Players,
    Log(usize),
    Status,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    Request(ClientRequest),
    Show(Show),
    HelpOn(&'static Spec),
    /// `help` on a game term (a motion, action, idea, track, group,
    /// faction or event id), or `help host` / `help scripts`: explained from
    /// the server's catalog.
    HelpTopic(String),
    /// `catalog [section] [page]`.
    Catalog {
        section: Option<String>,
        page: usize,
    },
    Wait(WaitFor),
    Sleep(Duration),
    Echo(String),
    /// The seat's token: a warning, and the token itself with `show`.
    Token {
        show: bool,
    },
    Quit,
    Nothing,
}

/// Parse one line. Errors are one sentence with the usage.
pub fn parse(line: &str, view: Option<&GameView>) -> Result<Command, String> {
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') {
        return Ok(Command::Nothing);
    }
    let (word, rest) = split_word(line);
    let Some(spec) = find(word) else {
        let hint = suggest(word)
            .map(|s| format!(" Did you mean `{s}`?"))
            .unwrap_or_default();
        return Err(format!(
            "Unknown command `{word}`.{hint} Type `help` for the list."
        ));
    };
    let usage = || {
        format!(
            "Usage: {} {}  (e.g. `{}`)",
            spec.name, spec.args, spec.example
        )
    };
    let need_text = |rest: &str| -> Result<String, String> {
        if rest.is_empty() {
            Err(usage())
        } else {
            Ok(rest.to_string())
        }
    };
    let reason = |rest: &str| (!rest.is_empty()).then(|| rest.to_string());
    use ClientRequest as R;
    let req = match spec.name {
        "help" => {
            return Ok(if rest.is_empty() {
                Command::Show(Show::Help)
            } else {
                let word = rest.split_whitespace().next().unwrap_or("");
                match find(word) {
                    Some(s) => Command::HelpOn(s),
                    None => Command::HelpTopic(word.to_ascii_lowercase()),
                }
            })
        }
        "say" => R::Chat {
            channel: Channel::Floor,
            text: need_text(rest)?,
        },
        "f" => R::Chat {
            channel: Channel::Faction,
            text: need_text(rest)?,
        },
        "tell" => {
            let (who, text) = split_name(rest);
            if who.is_empty() || text.is_empty() {
                return Err(usage());
            }
            R::Chat {
                channel: Channel::Private {
                    to: player_ref(who, view)?,
                },
                text: text.to_string(),
            }
        }
        "table" => {
            let args: Vec<&str> = rest.split_whitespace().collect();
            let Some(id) = args.first() else {
                return Err(usage());
            };
            let round = match args.get(1) {
                Some(r) => Some(
                    r.parse::<u8>()
                        .map_err(|_| format!("`{r}` is not a round number. {}", usage()))?,
                ),
                None => None,
            };
            let id = id.to_ascii_lowercase();
            match Motion::parse(&id, round) {
                Some(motion) => R::TableMotion { motion },
                None if Motion::parse(&id, Some(0)).is_some() => {
                    return Err(format!(
                        "`{id}` needs the round of the election, e.g. `table {id} 6`."
                    ))
                }
                None => {
                    return Err(format!(
                        "No motion `{id}`. Type `catalog` to see the motions."
                    ))
                }
            }
        }
        "withdraw" => R::WithdrawMotion {
            motion: motion_ref(one_arg(rest).ok_or_else(usage)?, view)?,
        },
        "vote" => {
            let args: Vec<&str> = rest.split_whitespace().collect();
            if args.len() != 2 {
                return Err(usage());
            }
            let vote = match args[1].to_ascii_lowercase().as_str() {
                "yes" | "y" | "aye" | "for" => Vote::Yes,
                "no" | "n" | "nay" | "against" => Vote::No,
                "abstain" | "a" | "abs" => Vote::Abstain,
                other => return Err(format!("`{other}` is not a vote: say yes, no or abstain.")),
            };
            R::Vote {
                motion: motion_ref(args[0], view)?,
                vote,
            }
        }
        "plan" => {
            let args: Vec<&str> = rest.split_whitespace().collect();
            let Some(id) = args.first() else {
                return Err(usage());
            };
            let id = id.to_ascii_lowercase();
            let group = match args.get(1) {
                Some(g) => Some(Group::parse(&g.to_ascii_lowercase()).ok_or_else(|| {
                    format!("No group `{g}`: workers, soldiers, peasants or middle.")
                })?),
                None => None,
            };
            match Action::parse(&id, group) {
                Some(action) => R::PlanAction { action },
                None if id == "agitate" => {
                    return Err("Agitate which group? e.g. `plan agitate workers`.".into())
                }
                None => {
                    return Err(format!(
                        "No action `{id}`. Type `catalog` to see the actions."
                    ))
                }
            }
        }
        "unplan" => R::UnplanAction {
            action: action_ref(one_arg(rest).ok_or_else(usage)?, view)?,
        },
        "ready" => R::SetReady { ready: true },
        "unready" => R::SetReady { ready: false },
        "state" => return Ok(Command::Show(Show::State)),
        "me" => return Ok(Command::Show(Show::Me)),
        "motions" => return Ok(Command::Show(Show::Motions)),
        "players" => return Ok(Command::Show(Show::Players)),
        "catalog" => {
            let mut words = rest.split_whitespace();
            let mut section = words.next().map(str::to_ascii_lowercase);
            let mut page = 1;
            // `catalog 2` pages the overview; `catalog decrees 2` a section.
            if let Some(n) = section.as_deref().and_then(|s| s.parse::<usize>().ok()) {
                page = n;
                section = None;
            } else if let Some(p) = words.next() {
                page = p.parse::<usize>().map_err(|_| usage())?;
            }
            return Ok(Command::Catalog {
                section,
                page: page.max(1),
            });
        }
        "assign" => {
            let (who, character) = split_name(rest);
            if who.is_empty() || character.trim().is_empty() {
                return Err(usage());
            }
            R::AssignCharacter {
                player: player_ref(who, view)?,
                character: character.trim().trim_matches('"').to_string(),
            }
        }
        "status" => return Ok(Command::Show(Show::Status)),
        "log" => {
            let n = match one_arg(rest) {
                Some(n) => n
                    .parse()
                    .map_err(|_| format!("`{n}` is not a number. {}", usage()))?,
                None => 20,
            };
            return Ok(Command::Show(Show::Log(n)));
        }
        "start" => R::StartGame,
        "next" => R::AdvancePhase,
        "endphase" => R::EndPhase {
            reason: reason(rest),
        },
        "pause" => R::Pause {
            reason: reason(rest),
        },
        "resume" => R::ResumeGame,
        "extend" => {
            let (secs, why) = split_word(rest);
            let seconds = secs
                .parse()
                .map_err(|_| format!("`{secs}` is not a number of seconds. {}", usage()))?;
            R::Extend {
                seconds,
                reason: reason(why),
            }
        }
        "timers" => {
            let args: Vec<&str> = rest.split_whitespace().collect();
            match args.as_slice() {
                ["standard"] => R::SetTimers {
                    preset: Some(TimerPreset::Standard),
                    timers: None,
                },
                ["short"] => R::SetTimers {
                    preset: Some(TimerPreset::Short),
                    timers: None,
                },
                [b, n, p, v, r] => {
                    let num = |s: &str| {
                        s.parse::<u32>()
                            .map_err(|_| format!("`{s}` is not a number of seconds. {}", usage()))
                    };
                    R::SetTimers {
                        preset: None,
                        timers: Some(PhaseTimers {
                            briefing: num(b)?,
                            negotiation: num(n)?,
                            proposals: num(p)?,
                            voting: num(v)?,
                            resolution: num(r)?,
                        }),
                    }
                }
                _ => return Err(usage()),
            }
        }
        "kick" => {
            let (who, why) = split_name(rest);
            if who.is_empty() {
                return Err(usage());
            }
            R::Kick {
                player: player_ref(who, view)?,
                reason: reason(why),
            }
        }
        "move" => {
            let (who, more) = split_name(rest);
            let (faction, why) = split_word(more);
            if who.is_empty() || faction.is_empty() {
                return Err(usage());
            }
            R::MovePlayer {
                player: player_ref(who, view)?,
                faction: faction_ref(faction)?,
                reason: reason(why),
            }
        }
        "mute" => {
            let (who, more) = split_name(rest);
            let (secs, why) = split_word(more);
            if who.is_empty() || secs.is_empty() {
                return Err(usage());
            }
            R::Mute {
                player: player_ref(who, view)?,
                seconds: secs
                    .parse()
                    .map_err(|_| format!("`{secs}` is not a number of seconds. {}", usage()))?,
                reason: reason(why),
            }
        }
        "redact" => {
            let (n, why) = split_word(rest);
            let chat = n
                .trim_start_matches('#')
                .parse()
                .map_err(|_| format!("`{n}` is not a chat number. {}", usage()))?;
            R::Redact {
                chat,
                reason: reason(why),
            }
        }
        "inject" => R::InjectEvent {
            event: one_arg(rest).ok_or_else(usage)?.to_string(),
        },
        "readyrule" => match one_arg(rest).map(|s| s.to_ascii_lowercase()).as_deref() {
            Some("on") => R::SetReadyRule { enabled: true },
            Some("off") => R::SetReadyRule { enabled: false },
            _ => return Err(usage()),
        },
        "bot" => R::AddBot {
            faction: one_arg(rest).map(faction_ref).transpose()?,
        },
        "end" => R::EndGame {
            reason: reason(rest),
        },
        "download" => {
            let args: Vec<&str> = rest.split_whitespace().collect();
            let format = match args.first().map(|s| s.to_ascii_lowercase()).as_deref() {
                Some("html") => DownloadFormat::Html,
                Some("markdown" | "md") => DownloadFormat::Markdown,
                Some("log" | "json") => DownloadFormat::Log,
                _ => return Err(usage()),
            };
            let faction = args.get(1).map(|f| faction_ref(f)).transpose()?;
            R::Download { format, faction }
        }
        "delete-game" => R::DeleteGame,
        "wait" => {
            return parse_wait(rest)
                .map(Command::Wait)
                .map_err(|e| e.unwrap_or_else(usage))
        }
        "sleep" => {
            let secs: f64 = one_arg(rest)
                .and_then(|s| s.trim_end_matches('s').parse().ok())
                .filter(|s: &f64| s.is_finite() && *s >= 0.0)
                .ok_or_else(usage)?;
            return Ok(Command::Sleep(Duration::from_secs_f64(secs.min(3600.0))));
        }
        "echo" => return Ok(Command::Echo(rest.to_string())),
        "quit" => return Ok(Command::Quit),
        "token" => {
            return match one_arg(rest) {
                None => Ok(Command::Token { show: false }),
                Some(a) if a.eq_ignore_ascii_case("show") => Ok(Command::Token { show: true }),
                Some(_) => Err(usage()),
            }
        }
        other => unreachable!("command `{other}` in the table but not parsed"),
    };
    Ok(Command::Request(req))
}

fn parse_wait(rest: &str) -> Result<WaitFor, Option<String>> {
    let args: Vec<String> = rest
        .split_whitespace()
        .map(|s| s.to_ascii_lowercase())
        .collect();
    let num = |s: &str| {
        s.parse::<usize>()
            .map_err(|_| Some(format!("`{s}` is not a number.")))
    };
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    Ok(match args.as_slice() {
        ["phase", p] | ["phase", p, "round", _] => {
            let phase = Phase::ALL
                .into_iter()
                .find(|x| x.id() == *p)
                .ok_or_else(|| {
                    Some(format!(
                        "No phase `{p}`: briefing, negotiation, proposals, voting or resolution."
                    ))
                })?;
            let round = match args.get(3) {
                Some(r) => Some(num(r)? as u8),
                None => None,
            };
            WaitFor::Phase { phase, round }
        }
        ["round", n] => WaitFor::Round(num(n)? as u8),
        ["players", n] => WaitFor::Players(num(n)?),
        ["motions", n] => WaitFor::Motions(num(n)?),
        ["event", kind] => WaitFor::Event(kind.to_string()),
        ["ended"] => WaitFor::Ended,
        _ => return Err(None),
    })
}

fn split_word(s: &str) -> (&str, &str) {
    let s = s.trim();
    match s.find(char::is_whitespace) {
        Some(i) => (&s[..i], s[i..].trim_start()),
        None => (s, ""),
    }
}

/// A player name may be quoted: `tell "Ana K" hello`.
fn split_name(s: &str) -> (&str, &str) {
    let s = s.trim();
    if let Some(stripped) = s.strip_prefix('"') {
        if let Some(end) = stripped.find('"') {
            return (&stripped[..end], stripped[end + 1..].trim_start());
        }
    }
    split_word(s)
}

fn one_arg(s: &str) -> Option<&str> {
    s.split_whitespace().next()
}

fn faction_ref(s: &str) -> Result<Faction, String> {
    let s = s.to_ascii_lowercase();
    let f = match s.as_str() {
        "liberals" | "liberal" | "duma" | "kadets" => Faction::Liberals,
        "soviet" | "soviets" | "delegates" | "mensheviks" | "srs" => Faction::Soviet,
        "bolsheviks" | "bolshevik" | "bolos" => Faction::Bolsheviks,
        _ => return Err(format!("No faction `{s}`: liberals, soviet or bolsheviks.")),
    };
    Ok(f)
}

/// `p3`, `3`, or a name (any case, or a unique beginning of one).
pub fn player_ref(s: &str, view: Option<&GameView>) -> Result<PlayerId, String> {
    let players = view.map(|v| v.players.as_slice()).unwrap_or(&[]);
    let lower = s.to_lowercase();
    if let Some(p) = players.iter().find(|p| p.name.to_lowercase() == lower) {
        return Ok(p.id);
    }
    if let Ok(n) = lower.trim_start_matches('p').parse::<u32>() {
        return Ok(PlayerId(n));
    }
    let matches: Vec<&PlayerInfo> = players
        .iter()
        .filter(|p| p.name.to_lowercase().starts_with(&lower))
        .collect();
    match matches.as_slice() {
        [one] => Ok(one.id),
        [] => Err(format!(
            "No player `{s}`. Type `players` to see who is here."
        )),
        many => Err(format!(
            "`{s}` could be {}; type more of the name.",
            many.iter()
                .map(|p| p.name.as_str())
                .collect::<Vec<_>>()
                .join(" or ")
        )),
    }
}

/// `m3`, `3`, or a motion's catalog id tabled this round.
fn motion_ref(s: &str, view: Option<&GameView>) -> Result<MotionId, String> {
    let lower = s.to_ascii_lowercase();
    if let Ok(n) = lower.trim_start_matches('m').parse::<u32>() {
        return Ok(MotionId(n));
    }
    let motions = view.map(|v| v.motions.as_slice()).unwrap_or(&[]);
    let open: Vec<&MotionView> = motions
        .iter()
        .filter(|m| m.motion.id() == lower && m.status == MotionStatus::Tabled)
        .collect();
    match open.as_slice() {
        [one] => Ok(one.id),
        [] => Err(format!(
            "No motion `{s}` on the table. Type `motions` to see them."
        )),
        _ => Err(format!(
            "Several `{s}` motions are on the table; use the number, e.g. `{}`.",
            open[0].id
        )),
    }
}

/// `a2`, `2`, or an action id in the viewer's plan.
fn action_ref(s: &str, view: Option<&GameView>) -> Result<ActionId, String> {
    let lower = s.to_ascii_lowercase();
    if let Ok(n) = lower.trim_start_matches('a').parse::<u32>() {
        return Ok(ActionId(n));
    }
    let plan = view
        .and_then(|v| v.my_faction().and_then(|f| v.secrets(f)))
        .map(|s| s.plan.as_slice())
        .unwrap_or(&[]);
    plan.iter()
        .find(|a| a.action.id() == lower)
        .map(|a| a.id)
        .ok_or_else(|| format!("No `{s}` in your plan. Type `me` to see the plan."))
}

/// The closest command name, for typos.
fn suggest(word: &str) -> Option<&'static str> {
    let word = word.to_ascii_lowercase();
    let common = |name: &str| {
        word.chars()
            .zip(name.chars())
            .take_while(|(a, b)| a == b)
            .count()
    };
    COMMANDS
        .iter()
        .map(|c| {
            (
                distance(&word, c.name),
                std::cmp::Reverse(common(c.name)),
                c.name,
            )
        })
        .filter(|(d, _, name)| *d <= 2 && *d < name.len())
        .min()
        .map(|(_, _, n)| n)
}

/// Levenshtein distance (short words only).
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur.push((prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

/// Words that complete the current word, given the words before it.
pub fn completions(
    before: &[&str],
    partial: &str,
    view: Option<&GameView>,
    catalog: Option<&Catalog>,
) -> Vec<String> {
    let partial_l = partial.to_lowercase();
    let names = || -> Vec<String> {
        view.map(|v| {
            v.players
                .iter()
                .map(|p| {
                    if p.name.contains(' ') {
                        format!("\"{}\"", p.name)
                    } else {
                        p.name.clone()
                    }
                })
                .collect()
        })
        .unwrap_or_default()
    };
    let candidates: Vec<String> = match before {
        [] => {
            let host = view.is_some_and(|v| v.viewer == Viewer::Host);
            COMMANDS
                .iter()
                .filter(|c| match c.who {
                    Who::Host => host || view.is_none(),
                    Who::Player => !host,
                    Who::Anyone | Who::Script => true,
                })
                .map(|c| c.name.to_string())
                .collect()
        }
        [cmd, rest @ ..] => {
            let Some(spec) = find(cmd) else {
                return Vec::new();
            };
            match (spec.name, rest.len()) {
                ("help", 0) => {
                    let mut words: Vec<String> =
                        COMMANDS.iter().map(|c| c.name.to_string()).collect();
                    words.extend(["host", "scripts"].map(String::from));
                    if let Some(c) = catalog {
                        words.extend(crate::render::terms(c).into_iter().map(|(id, _)| id));
                    }
                    words
                }
                ("catalog", 0) => crate::render::CATALOG_SECTIONS
                    .iter()
                    .map(|(s, _)| s.to_string())
                    .collect(),
                ("assign", 0) => names(),
                ("assign", _) => catalog
                    .map(|c| {
                        c.characters
                            .iter()
                            .map(|c| format!("\"{}\"", c.name))
                            .collect()
                    })
                    .unwrap_or_default(),
                ("table", 0) => Motion::CATALOG.iter().map(|m| m.id().to_string()).collect(),
                ("plan", 0) => Action::CATALOG.iter().map(|a| a.id().to_string()).collect(),
                ("plan", 1) => Group::ALL.iter().map(|g| g.id().to_string()).collect(),
                ("vote" | "withdraw", 0) => view
                    .map(|v| {
                        v.motions
                            .iter()
                            .filter(|m| m.status == MotionStatus::Tabled)
                            .flat_map(|m| [m.id.to_string(), m.motion.id().to_string()])
                            .collect()
                    })
                    .unwrap_or_default(),
                ("vote", 1) => vec!["yes".into(), "no".into(), "abstain".into()],
                ("unplan", 0) => view
                    .and_then(|v| v.my_faction().and_then(|f| v.secrets(f)))
                    .map(|s| s.plan.iter().map(|a| a.id.to_string()).collect())
                    .unwrap_or_default(),
                ("tell" | "kick" | "move" | "mute", 0) => names(),
                ("move", 1) | ("download", 1) => {
                    Faction::ALL.iter().map(|f| f.id().to_string()).collect()
                }
                ("download", 0) => vec!["html".into(), "markdown".into(), "log".into()],
                ("timers", 0) => vec!["standard".into(), "short".into()],
                ("readyrule", 0) => vec!["on".into(), "off".into()],
                ("wait", 0) => ["phase", "round", "players", "motions", "event", "ended"]
                    .iter()
                    .map(|s| s.to_string())
                    .collect(),
                ("wait", 1) if rest[0] == "phase" => {
                    Phase::ALL.iter().map(|p| p.id().to_string()).collect()
                }
                _ => Vec::new(),
            }
        }
    };
    let mut out: Vec<String> = candidates
        .into_iter()
        .filter(|c| {
            c.to_lowercase()
                .trim_start_matches('"')
                .starts_with(partial_l.trim_start_matches('"'))
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_command_in_the_table_parses_its_own_example() {
        for c in COMMANDS {
            let r = parse(c.example, None);
            // Names need a view; everything else parses.
            if c.example.contains("Ana") || c.example.contains("Boris") || c.name == "vote" {
                continue;
            }
            assert!(r.is_ok(), "{}: {:?}", c.example, r);
        }
    }

    #[test]
    fn typos_get_a_suggestion_and_usage_errors_an_example() {
        let e = parse("vot m1 yes", None).unwrap_err();
        assert!(e.contains("Did you mean `vote`"), "{e}");
        let e = parse("vote m1 perhaps", None).unwrap_err();
        assert!(e.contains("yes, no or abstain"), "{e}");
        let e = parse("plan", None).unwrap_err();
        assert!(e.contains("plan agitate workers"), "{e}");
        let e = parse("table schedule_elections", None).unwrap_err();
        assert!(e.contains("needs the round"), "{e}");
    }

    #[test]
    fn requests_carry_their_parameters() {
        assert_eq!(
            parse("table schedule_elections 6", None).unwrap(),
            Command::Request(ClientRequest::TableMotion {
                motion: Motion::ScheduleElections { round: 6 }
            })
        );
        assert_eq!(
            parse("plan agitate soldiers", None).unwrap(),
            Command::Request(ClientRequest::PlanAction {
                action: Action::Agitate {
                    group: Group::Soldiers
                }
            })
        );
        assert_eq!(
            parse("vote m3 no", None).unwrap(),
            Command::Request(ClientRequest::Vote {
                motion: MotionId(3),
                vote: Vote::No
            })
        );
        assert_eq!(
            parse("wait phase voting round 2", None).unwrap(),
            Command::Wait(WaitFor::Phase {
                phase: Phase::Voting,
                round: Some(2)
            })
        );
    }

    #[test]
    fn help_on_a_game_term_and_catalog_pages_parse() {
        assert_eq!(
            parse("help land_reform", None).unwrap(),
            Command::HelpTopic("land_reform".into())
        );
        assert_eq!(
            parse("help Influence", None).unwrap(),
            Command::HelpTopic("influence".into())
        );
        // A command's name still explains the command.
        assert!(
            matches!(parse("help vote", None).unwrap(), Command::HelpOn(s) if s.name == "vote")
        );
        assert_eq!(
            parse("catalog decrees 2", None).unwrap(),
            Command::Catalog {
                section: Some("decrees".into()),
                page: 2
            }
        );
        assert_eq!(
            parse("catalog 3", None).unwrap(),
            Command::Catalog {
                section: None,
                page: 3
            }
        );
        assert!(parse("catalog decrees two", None).is_err());
        // A player by number; the character's name may have spaces.
        assert_eq!(
            parse("assign p4 Leon Trotsky", None).unwrap(),
            Command::Request(ClientRequest::AssignCharacter {
                player: PlayerId(4),
                character: "Leon Trotsky".into()
            })
        );
        assert!(parse("assign p4", None).is_err());
    }

    #[test]
    fn script_commands_are_listed_apart() {
        for c in COMMANDS {
            let script = matches!(c.name, "wait" | "sleep" | "echo");
            assert_eq!(c.who == Who::Script, script, "{}", c.name);
        }
    }

    #[test]
    fn completion_offers_commands_motions_groups() {
        assert!(completions(&[], "vo", None, None).contains(&"vote".to_string()));
        assert!(completions(&["table"], "land", None, None).contains(&"land_reform".to_string()));
        assert_eq!(
            completions(&["plan", "agitate"], "so", None, None),
            vec!["soldiers".to_string()]
        );
    }
}
