//! The client's loop: lines in (typed or from a script), requests out,
//! server messages in, text out.
//!
//! Interactive and script mode share it. The difference: a script runs one
//! line at a time, waiting for each answer (and for `wait` conditions),
//! while a person can type on while answers arrive.

use crate::command::{self, Command, Show, WaitFor};
use crate::link::{Link, LinkEvent};
use crate::render::{self, now_ms, paint, Tone};
use crate::tokens::{self, Seat, Tokens};
use protocol::*;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// How the user asked to enter the game.
#[derive(Debug, Clone)]
pub enum Entry {
    Host {
        preset: TimerPreset,
        timers: Option<PhaseTimers>,
        faction_choice: FactionChoice,
        characters: bool,
        seed: Option<u64>,
    },
    Join {
        code: String,
        name: String,
        faction: Option<Faction>,
    },
    Spectate {
        code: String,
    },
    Resume {
        token: String,
    },
}

pub struct Options {
    /// The WebSocket URL.
    pub server: String,
    /// What the user typed after `--server` (for messages).
    pub server_given: String,
    pub json: bool,
    pub strict: bool,
    pub interactive: bool,
    /// Longest a script waits for one `wait` condition.
    pub wait_timeout: Duration,
}

/// Where text goes: a printer that does not garble the line being typed,
/// or plain stdout.
pub type Printer = Box<dyn FnMut(String) + Send>;

/// What the line editor needs to see: the view (for completion) and the
/// prompt.
#[derive(Default)]
pub struct Shared {
    pub view: Option<GameView>,
    /// The game explained (for completing `help` terms).
    pub catalog: Option<Arc<Catalog>>,
    pub prompt: String,
    /// Lines the editor has passed on, and lines the client has finished
    /// with (answered, or not a request): the editor draws its next prompt
    /// when they are equal (or after a while), so the prompt shows the
    /// game as the answer left it (`[R1 briefing` right after `start`,
    /// not `[lobby]`).
    pub lines_sent: u64,
    pub lines_done: u64,
}

/// Exit codes.
pub const EXIT_REFUSED: i32 = 2;
pub const EXIT_FAILED: i32 = 1;

enum Busy {
    Answer {
        id: RequestId,
        since: Instant,
    },
    Wait {
        cond: WaitFor,
        since: Instant,
        mark: u64,
    },
    Sleep(Instant),
}

pub struct App {
    opts: Options,
    link: Link,
    printer: Printer,
    shared: Arc<Mutex<Shared>>,
    view: Option<GameView>,
    /// The game explained, asked for once (`get_catalog`) after the first
    /// snapshot: the same for the whole game.
    catalog: Option<Arc<Catalog>>,
    /// The `get_catalog` request not yet answered.
    catalog_id: Option<RequestId>,
    /// Recent lines for `log`.
    history: VecDeque<String>,
    /// Events received, and the kinds of the most recent ones (for `wait event`).
    events_seen: u64,
    recent_kinds: VecDeque<(u64, &'static str)>,
    busy: Option<Busy>,
    tokens: Tokens,
    /// This seat in the token file, and its token.
    token_key: Option<String>,
    token: Option<String>,
    /// The last event `seq` received, and the one last saved with the
    /// token (saved at most about once a second, and on the way out).
    last_seq: Option<u64>,
    saved: Option<Seat>,
    saved_at: Instant,
    /// Events that came before any view (the replay after taking a seat
    /// back from another run): shown once the view is there.
    early: Vec<(u64, GameEvent)>,
    /// False while the connection is down.
    online: bool,
    /// Interactive: the request of the last line typed, until answered.
    line_request: Option<RequestId>,
    lines_seen: u64,
    /// Warnings already given for this phase's deadline.
    /// The deadline being counted down and the last checkpoint announced.
    warned: (Option<u64>, u64),
    refused: bool,
    /// The entry request's id, until answered.
    entry_id: Option<RequestId>,
    host_code_shown: bool,
    /// The parts of a download received so far (a long record comes in
    /// several `download` messages).
    download_parts: String,
}

impl App {
    pub fn new(opts: Options, print: Printer, shared: Arc<Mutex<Shared>>) -> App {
        let link = Link::start(
            opts.server.clone(),
            format!("dualpower-cli/{}", env!("CARGO_PKG_VERSION")),
        );
        App {
            opts,
            link,
            printer: print,
            shared,
            view: None,
            catalog: None,
            catalog_id: None,
            history: VecDeque::new(),
            events_seen: 0,
            recent_kinds: VecDeque::new(),
            busy: None,
            tokens: Tokens::load(),
            token_key: None,
            token: None,
            last_seq: None,
            saved: None,
            saved_at: Instant::now(),
            early: Vec::new(),
            online: true,
            line_request: None,
            lines_seen: 0,
            warned: (None, 0),
            refused: false,
            entry_id: None,
            host_code_shown: false,
            download_parts: String::new(),
        }
    }

    fn say(&mut self, lines: Vec<String>) {
        if lines.is_empty() || self.opts.json {
            return;
        }
        self.print(lines.join("\n"));
    }

    fn note(&mut self, line: String) {
        if self.opts.json {
            eprintln!("{line}");
        } else {
            self.print(line);
        }
    }

    fn error(&mut self, line: String) {
        let text = paint(&format!("✗ {line}"), Tone::Bad);
        if self.opts.json {
            eprintln!("✗ {line}");
        } else {
            self.print(text);
        }
    }

    /// Print above the line being typed. The view is handed to the line
    /// editor first: the printer redraws the prompt at once, and it must
    /// show the game the printed text tells of (a phase's banner, then a
    /// prompt still naming the last phase, otherwise).
    fn print(&mut self, text: String) {
        self.share_view();
        (self.printer)(text);
    }

    /// The view and the catalog, for the prompt's redraws and completion.
    /// Not the prompt itself: a line is begun only once `publish` sets it
    /// (after the catch-up at start, so its first prompt names the game).
    fn share_view(&self) {
        let mut s = self.shared.lock().unwrap_or_else(|e| e.into_inner());
        self.share_into(&mut s);
    }

    fn share_into(&self, s: &mut Shared) {
        s.view = self.view.clone();
        s.catalog = self.catalog.clone();
    }

    fn publish(&self) {
        let mut s = self.shared.lock().unwrap_or_else(|e| e.into_inner());
        self.share_into(&mut s);
        s.prompt = render::prompt(self.view.as_ref(), now_ms());
        if self.line_request.is_none() {
            s.lines_done = self.lines_seen;
        }
    }

    /// Save the seat's token with the last `seq` received, so the same
    /// `join` (or `resume`) later replays exactly what was missed. Only
    /// when it changed and, unless `now`, not within a second of the last
    /// save.
    fn save_seat(&mut self, now: bool) {
        let (Some(key), Some(token)) = (&self.token_key, &self.token) else {
            return;
        };
        let seat = Seat {
            token: token.clone(),
            last_seq: self.last_seq,
        };
        let saved_token = self.saved.as_ref().map(|s| &s.token);
        if self.saved.as_ref() == Some(&seat)
            || (!now
                && saved_token == Some(token)
                && self.saved_at.elapsed() < Duration::from_secs(1))
        {
            return;
        }
        self.tokens.set(key.clone(), seat.clone());
        self.saved = Some(seat);
        self.saved_at = Instant::now();
    }

    /// Run until the input ends (or `quit`); returns the exit code.
    pub async fn run(
        mut self,
        entry: Entry,
        lines: mpsc::UnboundedReceiver<Option<String>>,
    ) -> i32 {
        let code = self.run_until_done(entry, lines).await;
        self.save_seat(true);
        code
    }

    async fn run_until_done(
        &mut self,
        entry: Entry,
        mut lines: mpsc::UnboundedReceiver<Option<String>>,
    ) -> i32 {
        // Connect, then enter the game.
        match self.link.events.recv().await {
            Some(LinkEvent::Connected { .. }) => {}
            Some(LinkEvent::Fatal { reason }) | Some(LinkEvent::Lost { reason }) => {
                let given = if self.opts.server_given.trim() == self.opts.server {
                    String::new()
                } else {
                    format!(" (from --server {})", self.opts.server_given.trim())
                };
                self.error(format!(
                    "Tried {}{given}: {reason}. Is the server running, and is that its address? Give it as --server HOST:PORT, e.g. --server 192.168.1.20:8080.",
                    self.opts.server
                ));
                return EXIT_FAILED;
            }
            _ => return EXIT_FAILED,
        }
        let request = match self.entry_request(entry) {
            Ok(r) => r,
            Err(e) => {
                self.error(e);
                return EXIT_FAILED;
            }
        };
        let replay = matches!(
            request,
            ClientRequest::Resume {
                last_seq: Some(_),
                ..
            }
        );
        self.entry_id = Some(self.link.send(request));
        if replay {
            // The server replays the missed events without a snapshot:
            // ask for one after them.
            self.link.send(ClientRequest::GetState);
        }
        loop {
            let Some(ev) = self.link.events.recv().await else {
                return EXIT_FAILED;
            };
            if let Some(code) = self.on_link(ev) {
                return code;
            }
            // In a game, and the game's explanations in hand (or refused:
            // an older server has none to give).
            if self.entry_id.is_none() && self.view.is_some() && self.catalog_id.is_none() {
                break;
            }
        }
        self.publish();

        let mut tick = tokio::time::interval(Duration::from_millis(500));
        let mut input_open = true;
        loop {
            tokio::select! {
                ev = self.link.events.recv() => {
                    let Some(ev) = ev else { return EXIT_FAILED };
                    if let Some(code) = self.on_link(ev) {
                        return code;
                    }
                    self.publish();
                }
                line = lines.recv(), if input_open && self.busy.is_none() => {
                    match line.flatten() {
                        Some(line) => {
                            if let Some(code) = self.on_line(&line) {
                                return code;
                            }
                        }
                        None => {
                            input_open = false;
                        }
                    }
                    self.publish();
                }
                _ = tick.tick() => {
                    self.on_tick();
                    self.save_seat(false);
                    self.publish();
                }
            }
            if self.opts.strict && self.refused {
                return EXIT_REFUSED;
            }
            if !input_open && self.busy.is_none() {
                return if self.refused && self.opts.strict {
                    EXIT_REFUSED
                } else {
                    0
                };
            }
        }
    }

    fn entry_request(&mut self, entry: Entry) -> Result<ClientRequest, String> {
        Ok(match entry {
            Entry::Host {
                preset,
                timers,
                faction_choice,
                characters,
                seed,
            } => ClientRequest::CreateGame {
                scenario: None,
                preset,
                timers,
                faction_choice,
                characters,
                seed,
            },
            Entry::Join {
                code,
                name,
                faction,
            } => {
                let key = tokens::key(&self.opts.server, &code, &name);
                let saved = self.tokens.get(&key).cloned();
                self.token_key = Some(key);
                match saved {
                    Some(seat) => {
                        self.note(format!("Welcome back: taking your seat in {code} again."));
                        self.take_back(seat)
                    }
                    None => ClientRequest::JoinGame {
                        code,
                        name,
                        faction,
                    },
                }
            }
            Entry::Spectate { code } => ClientRequest::Spectate {
                code,
                last_seq: None,
            },
            Entry::Resume { token } => {
                let token = token.trim().to_string();
                if !token.contains('.') {
                    // A game's code: the host's seat saved on this computer.
                    let code = token.to_ascii_uppercase();
                    let key = tokens::key(&self.opts.server, &code, "host");
                    let Some(seat) = self.tokens.get(&key).cloned() else {
                        return Err(format!(
                            "No host seat for game {code} is saved on this computer (for {}). \
                             Run this on the computer that hosted it, or give the whole token \
                             (type `token` in the host's window to see it).",
                            self.opts.server
                        ));
                    };
                    self.token_key = Some(key);
                    self.take_back(seat)
                } else {
                    match self.tokens.find_token(&token) {
                        Some((key, seat)) => {
                            let seat = seat.clone();
                            self.token_key = Some(key.to_string());
                            self.take_back(seat)
                        }
                        None => ClientRequest::Resume {
                            token,
                            last_seq: None,
                        },
                    }
                }
            }
        })
    }

    /// Resume a saved seat from the last event this computer received.
    fn take_back(&mut self, seat: Seat) -> ClientRequest {
        self.last_seq = seat.last_seq;
        self.token = Some(seat.token.clone());
        self.saved = Some(seat.clone());
        ClientRequest::Resume {
            token: seat.token,
            last_seq: seat.last_seq,
        }
    }

    /// Handle what the link reports; `Some(code)` to exit.
    fn on_link(&mut self, ev: LinkEvent) -> Option<i32> {
        match ev {
            LinkEvent::Connected { resumed } => {
                self.online = true;
                if resumed {
                    self.note(paint("Reconnected: you are back in the game.", Tone::Good));
                }
                None
            }
            LinkEvent::Ended => Some(EXIT_FAILED),
            LinkEvent::Lost { reason } => {
                self.online = false;
                self.note(paint(
                    &format!("Connection to the server lost ({reason}); reconnecting on its own…"),
                    Tone::Bad,
                ));
                None
            }
            LinkEvent::Fatal { reason } => {
                self.error(format!("Cannot go on: {reason}"));
                Some(EXIT_FAILED)
            }
            LinkEvent::Msg(msg) => self.on_msg(msg),
        }
    }

    fn on_msg(&mut self, mut msg: ServerMsg) -> Option<i32> {
        if self.opts.json {
            println!(
                "{}",
                serde_json::to_string(&msg).expect("protocol types serialize")
            );
        }
        // A download in parts: keep them until the last one.
        if let ServerMsg::Download {
            content,
            part: Some(part),
            parts: Some(parts),
            ..
        } = &mut msg
        {
            if *part == 1 {
                self.download_parts.clear();
            }
            self.download_parts.push_str(content);
            if part < parts {
                return None;
            }
            *content = std::mem::take(&mut self.download_parts);
        }
        let answered = msg.request_id().cloned();
        let is_entry = answered.is_some() && answered == self.entry_id;
        match msg {
            ServerMsg::Welcome { .. } | ServerMsg::Pong { .. } | ServerMsg::Ack { .. } => {}
            ServerMsg::GameCreated {
                code, host_token, ..
            } => {
                let key = tokens::key(&self.opts.server, &code, "host");
                self.tokens.set(
                    key.clone(),
                    Seat {
                        token: host_token.clone(),
                        last_seq: None,
                    },
                );
                self.token_key = Some(key);
                self.token = Some(host_token);
                let mut lines = vec![
                    String::new(),
                    paint(
                        "Your game is ready. Students join with this code:",
                        Tone::Title,
                    ),
                    String::new(),
                ];
                lines.extend(
                    crate::banner::big(&code)
                        .into_iter()
                        .map(|l| format!("    {l}")),
                );
                lines.push(String::new());
                lines.push(format!(
                    "    dualpower join {code} --name <their name> --server {}",
                    self.opts.server
                ));
                lines.push(String::new());
                // No secret on a screen meant for the class: the host's key
                // is saved on this computer, and `token` shows it on request.
                lines.push(paint(
                    &format!(
                        "If this window closes, run `dualpower resume {code}` on this computer to take the controls back."
                    ),
                    Tone::Dim,
                ));
                lines.push("Type `start` when everyone is in, `help` for your controls.".into());
                self.host_code_shown = true;
                self.say(lines);
            }
            ServerMsg::Joined {
                code,
                viewer,
                token,
                ..
            } => {
                if let Some(token) = token {
                    self.token = Some(token);
                    self.save_seat(true);
                }
                if is_entry {
                    let who = match viewer {
                        Viewer::Host => "the host".to_string(),
                        Viewer::Spectator => "a spectator (read-only)".to_string(),
                        Viewer::Player { faction, .. } => {
                            format!(
                                "a player of the {}",
                                paint(faction.name(), Tone::Faction(faction))
                            )
                        }
                    };
                    self.say(vec![format!(
                        "You are in game {code} as {who}. Type `help` for the commands."
                    )]);
                }
            }
            ServerMsg::Catalog { catalog, .. } => {
                self.catalog = Some(Arc::new(*catalog));
            }
            ServerMsg::Snapshot { view, seq, .. } => {
                let first = self.view.is_none();
                if self.catalog.is_none() && self.catalog_id.is_none() {
                    self.catalog_id = Some(self.link.send(ClientRequest::GetCatalog));
                }
                self.view = Some(*view);
                self.last_seq = Some(seq);
                if first {
                    self.remember_seat();
                    let early = std::mem::take(&mut self.early);
                    if !early.is_empty() {
                        self.say(vec![paint("While you were away:", Tone::Title)]);
                    }
                    for (event_seq, event) in early {
                        self.show_event(event_seq, event, event_seq > seq);
                    }
                    let v = self.view.as_ref().expect("just set");
                    let mut lines = vec![paint(&render::status(v, now_ms()), Tone::Title)];
                    if let Some(p) = v.phase {
                        lines.push(render::phase_hint(p).to_string());
                    }
                    self.say(lines);
                }
            }
            ServerMsg::Event { event, seq } => {
                self.last_seq = Some(seq);
                if self.view.is_none() {
                    self.early.push((seq, event));
                } else {
                    self.show_event(seq, event, true);
                }
            }
            ServerMsg::Error {
                code, message, id, ..
            } => {
                if is_entry {
                    if let (ErrorCode::InvalidToken, Some(key)) = (code, self.token_key.clone()) {
                        // A stale saved seat (the game is gone): forget it.
                        self.tokens.forget(&key);
                    }
                    self.error(format!("{message} ({})", code));
                    return Some(EXIT_FAILED);
                }
                self.error(format!("{message} ({})", code));
                if id.is_some() {
                    self.refused = true;
                }
            }
            ServerMsg::Goodbye { reason, code } => {
                // A goodbye for good (replaced, removed, game deleted) is
                // the last thing this client says: one sentence, then it
                // stops (the link does not reconnect).
                let reason = match code {
                    Some(GoodbyeCode::Replaced) => "This seat was taken by a newer window or device (the same seat opened again elsewhere); this one stops here and the newer one plays on.".to_string(),
                    _ => reason,
                };
                self.note(paint(&reason, Tone::Bad));
            }
            ServerMsg::Download {
                filename, content, ..
            } => {
                // Only a file name, in the current directory.
                let name = std::path::Path::new(&filename)
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_else(|| "dualpower-debrief.txt".into());
                match std::fs::write(&name, &content) {
                    Ok(()) => self.note(paint(
                        &format!("Saved {name} ({} KB).", content.len().div_ceil(1024)),
                        Tone::Good,
                    )),
                    Err(e) => self.error(format!("Could not save {name}: {e}")),
                }
            }
        }
        if is_entry {
            self.entry_id = None;
        }
        if answered.is_some() && answered == self.catalog_id {
            self.catalog_id = None;
        }
        if answered.is_some() && self.line_request == answered {
            self.line_request = None;
        }
        if let (Some(Busy::Answer { id, .. }), Some(a)) = (&self.busy, &answered) {
            if id == a {
                self.busy = None;
            }
        }
        self.check_wait();
        None
    }

    /// Show an event (and `apply` it to the view unless the view already
    /// holds it: a replayed event older than the snapshot).
    fn show_event(&mut self, _seq: u64, event: GameEvent, apply: bool) {
        self.events_seen += 1;
        self.recent_kinds
            .push_back((self.events_seen, event.kind()));
        if self.recent_kinds.len() > 1000 {
            self.recent_kinds.pop_front();
        }
        let mut lines = Vec::new();
        if let Some(view) = &mut self.view {
            // Names of players who are leaving are needed first.
            let before = render::event(view, &event);
            if apply {
                view.apply(&event);
            }
            lines = if matches!(
                event,
                GameEvent::PlayerJoined { .. } | GameEvent::VotesClosed { .. }
            ) {
                render::event(view, &event)
            } else {
                before
            };
            if let GameEvent::PlayerMoved { player, .. } = &event {
                if apply && view.me() == Some(*player) {
                    self.link.send(ClientRequest::GetState);
                }
            }
        }
        for l in &lines {
            self.history.push_back(l.clone());
        }
        while self.history.len() > 500 {
            self.history.pop_front();
        }
        self.say(lines);
    }

    /// A seat taken with a token typed by hand is remembered too, so the
    /// next run replays what it missed: under the host's key or the
    /// player's name.
    fn remember_seat(&mut self) {
        if self.token_key.is_some() {
            return;
        }
        let (Some(token), Some(v)) = (&self.token, &self.view) else {
            return;
        };
        let who = match v.viewer {
            Viewer::Host => "host".to_string(),
            Viewer::Player { id, .. } => match v.player(id) {
                Some(p) => p.name.clone(),
                None => return,
            },
            Viewer::Spectator => return,
        };
        let code = token.split('.').next().unwrap_or_default().to_string();
        self.token_key = Some(tokens::key(&self.opts.server, &code, &who));
        self.saved = None;
        self.save_seat(true);
    }

    fn check_wait(&mut self) {
        let Some(Busy::Wait { cond, mark, .. }) = &self.busy else {
            return;
        };
        let Some(v) = &self.view else { return };
        let done = match cond {
            WaitFor::Phase { phase, round } => {
                v.status == GameStatus::Running
                    && v.phase == Some(*phase)
                    && round.is_none_or(|r| v.round == r)
            }
            WaitFor::Round(r) => v.round >= *r || v.status == GameStatus::Ended,
            WaitFor::Players(n) => v.players.len() >= *n,
            WaitFor::Motions(n) => v.motions.len() >= *n,
            WaitFor::Event(kind) => self.recent_kinds.iter().any(|(i, k)| i > mark && k == kind),
            WaitFor::Ended => v.status == GameStatus::Ended,
        };
        // A game that ended satisfies nothing else: stop waiting.
        let ended = v.status == GameStatus::Ended && !matches!(cond, WaitFor::Ended);
        let cond = cond.clone();
        if done {
            self.busy = None;
        } else if ended {
            self.busy = None;
            self.error(format!("The game ended while waiting for {cond:?}."));
            self.refused = true;
        }
    }

    fn on_tick(&mut self) {
        match &self.busy {
            Some(Busy::Sleep(until)) if Instant::now() >= *until => self.busy = None,
            Some(Busy::Answer { since, .. }) if since.elapsed() > Duration::from_secs(60) => {
                self.busy = None;
                self.error("No answer from the server in 60 s.".into());
                self.refused = true;
            }
            Some(Busy::Wait { since, cond, .. }) if since.elapsed() > self.opts.wait_timeout => {
                let msg = format!("Gave up waiting for {cond:?}.");
                self.busy = None;
                self.error(msg);
                self.refused = true;
            }
            _ => {}
        }
        // Time warnings for people.
        if !self.opts.interactive {
            return;
        }
        let Some(v) = &self.view else { return };
        let (Some(deadline), None, Some(_)) = (v.deadline_ms, v.paused_remaining_ms, v.phase)
        else {
            return;
        };
        // A status line at each whole minute left, and at 0:30 and 0:10:
        // the prompt is only redrawn on Enter, so the clock comes to you.
        let left = deadline.saturating_sub(now_ms());
        let due = if left <= 10_000 {
            10_000
        } else if left <= 30_000 {
            30_000
        } else {
            left.div_ceil(60_000) * 60_000
        };
        match self.warned {
            (Some(d), last) if d == deadline => {
                if due < last && left > 0 {
                    self.warned.1 = due;
                    // The status as of the checkpoint itself ("2:00 left").
                    let status = render::status(v, deadline.saturating_sub(due));
                    self.note(paint(&format!("⏱ {status}"), Tone::Dim));
                }
            }
            // A new phase or deadline: its start was already announced.
            _ => self.warned = (Some(deadline), due),
        }
    }

    /// One line typed or read from the script.
    fn on_line(&mut self, line: &str) -> Option<i32> {
        self.lines_seen += 1;
        self.line_request = None;
        let parsed = command::parse(line, self.view.as_ref());
        let cmd = match parsed {
            Ok(c) => c,
            Err(e) => {
                self.error(e);
                self.refused = true;
                return None;
            }
        };
        match cmd {
            Command::Nothing => {}
            Command::Quit => {
                self.note(
                    "Bye. You stay in the game: type the same command again to come back.".into(),
                );
                return Some(if self.refused && self.opts.strict {
                    EXIT_REFUSED
                } else {
                    0
                });
            }
            Command::Echo(text) => {
                if self.opts.json {
                    eprintln!("{text}");
                } else {
                    self.note(text);
                }
            }
            Command::Sleep(d) => self.busy = Some(Busy::Sleep(Instant::now() + d)),
            Command::Wait(cond) => {
                self.busy = Some(Busy::Wait {
                    cond,
                    since: Instant::now(),
                    mark: self.events_seen,
                });
                self.check_wait();
            }
            Command::HelpOn(spec) => self.say(vec![
                format!("{} {}", spec.name, spec.args),
                format!("  {}", spec.help),
                format!("  e.g. {}", spec.example),
            ]),
            Command::HelpTopic(topic) => {
                let lines = render::help_topic(self.catalog.as_deref(), &topic);
                self.print(lines.join("\n"));
            }
            Command::Catalog { section, page } => {
                let lines = render::catalog(self.catalog.as_deref(), section.as_deref(), page);
                self.print(lines.join("\n"));
            }
            Command::Show(show) => {
                let lines = match (&self.view, show) {
                    (_, Show::Help) => render::help(self.view.as_ref()),
                    (None, _) => vec!["Not in a game yet.".into()],
                    (Some(v), Show::State) => render::state(v, self.catalog.as_deref()),
                    (Some(v), Show::Me) => render::me(v),
                    (Some(v), Show::Motions) => render::motions(v),
                    (Some(v), Show::Players) => render::players(v),
                    (Some(v), Show::Status) => vec![render::status(v, now_ms())],
                    (Some(_), Show::Log(n)) => {
                        let skip = self.history.len().saturating_sub(n);
                        self.history.iter().skip(skip).cloned().collect()
                    }
                };
                // Shown even in --json mode: the user asked for it.
                self.print(lines.join("\n"));
            }
            Command::Token { show } => {
                let lines = match (&self.token, show) {
                    (None, _) => vec!["A spectator has no token: run the same `dualpower spectate CODE` to watch again.".into()],
                    (Some(_), false) => vec![
                        paint("Your token is the key to your seat: whoever has it can play as you (the host's: every control and every private message).", Tone::Bad),
                        "It is saved on this computer; the same `join` (the host: `dualpower resume CODE`) brings you back.".into(),
                        "To see it anyway, away from the projector and other eyes, type `token show`.".into(),
                    ],
                    (Some(token), true) => vec![
                        paint("Keep it secret (not on the projector, not in the chat):", Tone::Bad),
                        format!("    dualpower resume {token}"),
                    ],
                };
                self.print(lines.join("\n"));
            }
            Command::Request(request) => {
                if !self.online {
                    self.note(paint(
                        "Not connected right now: this will be sent once the connection is back.",
                        Tone::Dim,
                    ));
                }
                let id = self.link.send(request);
                if self.opts.interactive {
                    self.line_request = Some(id.clone());
                }
                if !self.opts.interactive {
                    self.busy = Some(Busy::Answer {
                        id,
                        since: Instant::now(),
                    });
                }
            }
        }
        None
    }
}
