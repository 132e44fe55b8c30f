//! End-to-end test support: start the real server binary on a free port and
//! talk to it over real WebSockets with the protocol crate's types.
//!
//! - [`TestServer`]: the `dualpower-server` process; killed on drop.
//! - [`Client`]: one WebSocket connection. A background task reads every
//!   frame; [`Client::request`] sends a request and waits for its answer,
//!   keeping the events that arrive meanwhile, and every event's `seq` is
//!   checked to follow the previous one without a gap.

pub mod cli;
pub mod fuzzing;
pub mod pg;

use futures_util::{SinkExt, StreamExt};
use protocol::*;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;

/// How long any single wait may take before a test fails.
pub const WAIT: Duration = Duration::from_secs(20);

/// Path of a workspace binary. The first call in a test process runs
/// `cargo build` for the server and the CLI, so a test never runs a stale
/// binary (a no-op when they are up to date).
pub fn binary(name: &str) -> PathBuf {
    static BUILT: OnceLock<()> = OnceLock::new();
    let exe = std::env::current_exe().expect("test executable path");
    // target/debug/deps/<test> -> target/debug/<name>
    let dir = exe
        .parent()
        .and_then(|p| p.parent())
        .expect("target directory")
        .to_path_buf();
    let path = dir.join(name);
    BUILT.get_or_init(|| {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let status = Command::new(cargo)
            .args([
                "build",
                "--quiet",
                "-p",
                "server",
                "-p",
                "client-cli",
                "--bins",
            ])
            .status()
            .expect("run cargo build");
        assert!(status.success(), "building the binaries failed");
    });
    assert!(path.exists(), "{} not found", path.display());
    path
}

/// The real server, on a free port of 127.0.0.1.
pub struct TestServer {
    child: Child,
    pub addr: String,
    /// The server's log (stderr), when started with
    /// [`TestServer::start_logged`].
    log: Option<std::sync::Arc<std::sync::Mutex<String>>>,
    /// The PostgreSQL database standing in for `:memory:`
    /// (`DUALPOWER_TEST_STORE=postgres`), dropped with the server.
    temp_db: Option<String>,
}

impl TestServer {
    pub fn start() -> TestServer {
        Self::start_with(&[])
    }

    /// Start with extra arguments; without `--db`, nothing is kept on disk.
    pub fn start_with(args: &[&str]) -> TestServer {
        Self::spawn(Command::new(binary("dualpower-server")), args, false)
    }

    /// Start with extra arguments, keeping the server's log for
    /// [`TestServer::log`].
    pub fn start_logged(args: &[&str]) -> TestServer {
        Self::spawn(Command::new(binary("dualpower-server")), args, true)
    }

    /// Start through `sh -c "SHELL_PREFIX; exec SERVER ARGS…"` (e.g. to
    /// lower a limit with `ulimit` first), keeping the log.
    pub fn start_in_shell(shell_prefix: &str, args: &[&str]) -> TestServer {
        let mut cmd = Command::new("sh");
        cmd.arg("-c")
            .arg(format!("{shell_prefix}; exec \"$0\" \"$@\""))
            .arg(binary("dualpower-server"));
        Self::spawn(cmd, args, true)
    }

    fn spawn(mut cmd: Command, args: &[&str], logged: bool) -> TestServer {
        // DUALPOWER_TEST_STORE=postgres: the same test on PostgreSQL.
        let mut owned: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        let mut file_key = None;
        let mut temp_db = None;
        if pg::test_store_is_postgres() {
            let at = owned.iter().position(|a| a == "--db");
            let given = at.map_or(":memory:".to_string(), |i| owned[i + 1].clone());
            if !given.starts_with("postgres") {
                let (url, name) = pg::database_for(&given);
                match at {
                    Some(i) => owned[i + 1] = url,
                    None => owned.extend(["--db".to_string(), url]),
                }
                if given == ":memory:" {
                    temp_db = Some(name);
                } else {
                    if let Some(port) = pg::remembered_port(&given) {
                        if !owned.iter().any(|a| a == "--bind") {
                            owned.extend(["--bind".to_string(), format!("127.0.0.1:{port}")]);
                        }
                    }
                    file_key = Some(given);
                }
                if !owned.iter().any(|a| a == "--lease-secs") {
                    owned.extend(["--lease-secs".to_string(), "2".to_string()]);
                }
            }
        }
        let args: Vec<&str> = owned.iter().map(String::as_str).collect();
        let args = &args[..];
        if !args.contains(&"--bind") {
            cmd.args(["--bind", "127.0.0.1:0"]);
        }
        cmd.args(args);
        if !args.contains(&"--db") {
            cmd.args(["--db", ":memory:"]);
        }
        // Test clients are robots that send far faster than people; the
        // rate limit has its own test.
        if !args.contains(&"--rate-per-sec") {
            cmd.args(["--rate-per-sec", "10000", "--rate-burst", "10000"]);
        }
        // Every test client comes from 127.0.0.1.
        if !args.contains(&"--address-rate-per-sec") {
            cmd.args([
                "--address-rate-per-sec",
                "10000",
                "--address-rate-burst",
                "10000",
            ]);
        }
        // The server ends when this process does (its stdin closes), even
        // if a test never drops its server (a `static`, a panic, a kill).
        let mut child = cmd
            .env("DUALPOWER_EXIT_WITH_STDIN", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            // DUALPOWER_TEST_LOGS=1 shows the server's log while debugging.
            .stderr(if logged {
                Stdio::piped()
            } else if std::env::var_os("DUALPOWER_TEST_LOGS").is_some() {
                Stdio::inherit()
            } else {
                Stdio::null()
            })
            .spawn()
            .expect("start dualpower-server");
        let log = child.stderr.take().map(|stderr| {
            let log = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
            let keep = log.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                    if std::env::var_os("DUALPOWER_TEST_LOGS").is_some() {
                        eprintln!("{line}");
                    }
                    let mut log = keep.lock().expect("log lock");
                    log.push_str(&line);
                    log.push('\n');
                }
            });
            log
        });
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("read the listening line");
        let addr = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line: {line:?}"))
            .to_string();
        if let Some(key) = file_key {
            if let Some(port) = addr.rsplit(':').next().and_then(|p| p.parse().ok()) {
                pg::remember_port(&key, port);
            }
        }
        TestServer {
            child,
            addr,
            log,
            temp_db,
        }
    }

    /// The server's log so far (started with `start_logged`).
    pub fn log(&self) -> String {
        self.log
            .as_ref()
            .map(|l| l.lock().expect("log lock").clone())
            .unwrap_or_default()
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn ws_url(&self) -> String {
        format!("ws://{}/ws", self.addr)
    }

    /// Send SIGTERM, wait for the exit status, and return it with the
    /// whole log (started with `start_logged`).
    pub fn terminate_keeping_log(self) -> (std::process::ExitStatus, String) {
        let log = self.log.clone();
        let status = self.terminate();
        // The log's reader thread sees the end of stderr shortly after.
        std::thread::sleep(Duration::from_millis(200));
        let log = log
            .map(|l| l.lock().expect("log lock").clone())
            .unwrap_or_default();
        (status, log)
    }

    /// Send SIGTERM and wait for the exit status.
    pub fn terminate(mut self) -> std::process::ExitStatus {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let status = self.child.wait().expect("wait for server");
        std::mem::forget(self);
        status
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some(name) = self.temp_db.take() {
            pg::drop_database(&name);
        }
    }
}

/// One WebSocket connection speaking protocol v1.
pub struct Client {
    pub name: String,
    paused: tokio::sync::watch::Sender<bool>,
    out: mpsc::UnboundedSender<Message>,
    incoming: mpsc::UnboundedReceiver<ServerMsg>,
    next_id: u64,
    /// Every event received, in order, with its seq.
    pub events: Vec<(u64, GameEvent)>,
    /// The seq the next event must have.
    next_seq: Option<u64>,
    pub token: Option<String>,
    pub viewer: Option<Viewer>,
    pub last_view: Option<GameView>,
    pub closed: bool,
    /// Messages a test set aside to look at later.
    pub inbox: Vec<ServerMsg>,
    /// The last snapshot with every later event folded in
    /// ([`GameView::apply`]), as a client keeps its view current.
    pub folded: Option<GameView>,
    /// `folded` as it was when the latest snapshot arrived.
    pub folded_before_snapshot: Option<GameView>,
}

impl Client {
    /// Connect without saying hello.
    pub async fn connect_raw(url: &str, name: &str) -> Client {
        let (ws, _) = tokio_tungstenite::connect_async(url)
            .await
            .expect("connect to the server");
        Self::over(ws, name)
    }

    /// Connect from the local address `source` (another 127.x.y.z stands
    /// for another machine) and say hello; `Err` if the server refuses the
    /// connection.
    pub async fn connect_from(
        url: &str,
        source: std::net::IpAddr,
        name: &str,
    ) -> Result<Client, String> {
        let host = url
            .trim_start_matches("ws://")
            .split('/')
            .next()
            .unwrap_or_default();
        let target: std::net::SocketAddr = host.parse().map_err(|e| format!("{host}: {e}"))?;
        let socket = tokio::net::TcpSocket::new_v4().map_err(|e| e.to_string())?;
        socket
            .bind(std::net::SocketAddr::new(source, 0))
            .map_err(|e| format!("bind {source}: {e}"))?;
        let tcp = socket.connect(target).await.map_err(|e| e.to_string())?;
        let (ws, _) = tokio::time::timeout(
            Duration::from_secs(5),
            tokio_tungstenite::client_async(url, tokio_tungstenite::MaybeTlsStream::Plain(tcp)),
        )
        .await
        .map_err(|_| "no answer in 5 s".to_string())?
        .map_err(|e| e.to_string())?;
        let mut c = Self::over(ws, name);
        let id = RequestId::Text("hello".into());
        let hello = ClientMsg::new(
            Some(id.clone()),
            ClientRequest::Hello {
                protocol_version: PROTOCOL_VERSION,
                client: Some("e2e-tests".into()),
                catalog_on_request: true,
            },
        );
        c.send_text(&serde_json::to_string(&hello).expect("encode"));
        match tokio::time::timeout(Duration::from_secs(5), c.answer_to(&id)).await {
            Ok(ServerMsg::Welcome { .. }) => Ok(c),
            Ok(other) => Err(format!("{other:?}")),
            Err(_) => Err("no welcome in 5 s".into()),
        }
    }

    fn over(
        ws: tokio_tungstenite::WebSocketStream<
            tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
        >,
        name: &str,
    ) -> Client {
        let (mut sink, mut stream) = ws.split();
        let (out, mut out_rx) = mpsc::unbounded_channel::<Message>();
        let (in_tx, incoming) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            while let Some(m) = out_rx.recv().await {
                if sink.send(m).await.is_err() {
                    break;
                }
            }
        });
        let (paused, mut paused_rx) = tokio::sync::watch::channel(false);
        tokio::spawn(async move {
            loop {
                // A paused client stops reading the socket, as a frozen
                // laptop would.
                if paused_rx.wait_for(|p| !*p).await.is_err() {
                    break;
                }
                let Some(Ok(frame)) = stream.next().await else {
                    break;
                };
                if let Message::Text(text) = frame {
                    let msg: ServerMsg = serde_json::from_str(text.as_str()).unwrap_or_else(|e| {
                        panic!("server sent an undecodable message: {e}: {text}")
                    });
                    if in_tx.send(msg).is_err() {
                        break;
                    }
                }
            }
        });
        Client {
            name: name.to_string(),
            paused,
            out,
            incoming,
            next_id: fresh_id_base(),
            events: Vec::new(),
            next_seq: None,
            token: None,
            viewer: None,
            last_view: None,
            closed: false,
            inbox: Vec::new(),
            folded: None,
            folded_before_snapshot: None,
        }
    }

    /// Connect and complete the `hello` handshake.
    pub async fn connect(url: &str, name: &str) -> Client {
        let mut c = Client::connect_raw(url, name).await;
        let answer = c
            .request(ClientRequest::Hello {
                protocol_version: PROTOCOL_VERSION,
                client: Some("e2e-tests".into()),
                catalog_on_request: true,
            })
            .await;
        assert!(matches!(answer, ServerMsg::Welcome { .. }), "{answer:?}");
        c
    }

    /// Stop reading from the socket (the server's messages pile up).
    pub fn pause_reading(&self) {
        self.paused.send_replace(true);
    }

    /// Read from the socket again after [`Client::pause_reading`].
    pub fn resume_reading(&self) {
        self.paused.send_replace(false);
    }

    /// Send a raw text frame.
    pub fn send_text(&self, text: &str) {
        let _ = self.out.send(Message::Text(text.into()));
    }

    pub fn send_binary(&self, bytes: Vec<u8>) {
        let _ = self.out.send(Message::Binary(bytes.into()));
    }

    /// Send a request with a fresh id; return the answer to it (events that
    /// arrive meanwhile are recorded).
    pub async fn request(&mut self, request: ClientRequest) -> ServerMsg {
        let id = RequestId::Number(self.next_id);
        self.next_id += 1;
        let msg = ClientMsg::new(Some(id.clone()), request);
        self.send_text(&serde_json::to_string(&msg).expect("encode"));
        self.answer_to(&id).await
    }

    /// A request that must succeed with `ack`.
    pub async fn ok(&mut self, request: ClientRequest) {
        let what = format!("{request:?}");
        match self.request(request).await {
            ServerMsg::Ack { .. } => {}
            other => panic!("{}: {what} was refused: {other:?}", self.name),
        }
    }

    /// A request that must be refused with `code`.
    pub async fn refused(&mut self, request: ClientRequest, code: ErrorCode) -> String {
        let what = format!("{request:?}");
        match self.request(request).await {
            ServerMsg::Error {
                code: c, message, ..
            } if c == code => message,
            other => panic!(
                "{}: {what} should be refused with {code}, got {other:?}",
                self.name
            ),
        }
    }

    /// Wait for the message answering `id`.
    pub async fn answer_to(&mut self, id: &RequestId) -> ServerMsg {
        loop {
            let msg = self
                .next()
                .await
                .unwrap_or_else(|| panic!("{}: connection closed", self.name));
            if msg.request_id() == Some(id) {
                return msg;
            }
        }
    }

    /// A message already received, without waiting.
    pub fn try_next(&mut self) -> Option<ServerMsg> {
        match self.incoming.try_recv() {
            Ok(msg) => {
                self.record(&msg);
                Some(msg)
            }
            Err(mpsc::error::TryRecvError::Disconnected) => {
                self.closed = true;
                None
            }
            Err(mpsc::error::TryRecvError::Empty) => None,
        }
    }

    /// The next message, recording state; `None` once closed.
    pub async fn next(&mut self) -> Option<ServerMsg> {
        let msg = match tokio::time::timeout(WAIT, self.incoming.recv()).await {
            Ok(Some(m)) => m,
            Ok(None) => {
                self.closed = true;
                return None;
            }
            Err(_) => panic!("{}: nothing from the server for {WAIT:?}", self.name),
        };
        self.record(&msg);
        Some(msg)
    }

    fn record(&mut self, msg: &ServerMsg) {
        match msg {
            ServerMsg::Joined { token, viewer, .. } => {
                if token.is_some() {
                    self.token = token.clone();
                }
                self.viewer = Some(*viewer);
            }
            ServerMsg::GameCreated { host_token, .. } => {
                self.token = Some(host_token.clone());
                self.viewer = Some(Viewer::Host);
            }
            ServerMsg::Snapshot { seq, view, .. } => {
                if let Some(expected) = self.next_seq {
                    assert!(
                        *seq + 1 >= expected,
                        "{}: snapshot seq {seq} went backwards (expected next {expected})",
                        self.name
                    );
                }
                self.next_seq = Some(seq + 1);
                self.last_view = Some((**view).clone());
                self.folded_before_snapshot = self.folded.replace((**view).clone());
            }
            ServerMsg::Event { seq, event } => {
                if let Some(expected) = self.next_seq {
                    assert_eq!(
                        *seq, expected,
                        "{}: seq gap or duplicate before {event:?}",
                        self.name
                    );
                }
                self.next_seq = Some(seq + 1);
                self.events.push((*seq, event.clone()));
                if let Some(v) = &mut self.folded {
                    v.apply(event);
                }
            }
            _ => {}
        }
    }

    /// A fresh snapshot of the game as this connection may see it.
    pub async fn get_state(&mut self) -> GameView {
        match self.request(ClientRequest::GetState).await {
            ServerMsg::Snapshot { view, .. } => *view,
            other => panic!("{}: get_state: {other:?}", self.name),
        }
    }

    /// Read until the next snapshot; return its view.
    pub async fn wait_snapshot(&mut self) -> GameView {
        loop {
            match self.next().await {
                Some(ServerMsg::Snapshot { view, .. }) => return *view,
                Some(_) => {}
                None => panic!("{}: closed while waiting for a snapshot", self.name),
            }
        }
    }

    /// Read until an event matches `pred`; return it.
    pub async fn wait_for(&mut self, mut pred: impl FnMut(&GameEvent) -> bool) -> GameEvent {
        if let Some((_, e)) = self.events.iter().find(|(_, e)| pred(e)) {
            return e.clone();
        }
        loop {
            match self.next().await {
                Some(ServerMsg::Event { event, .. }) if pred(&event) => return event,
                Some(_) => {}
                None => panic!("{}: closed while waiting", self.name),
            }
        }
    }

    /// Read everything the server has sent so far (a ping round trip makes
    /// sure it has all been delivered).
    pub async fn drain(&mut self) {
        let _ = self.request(ClientRequest::Ping).await;
    }

    /// The seq of the last event or snapshot seen.
    pub fn last_seq(&self) -> u64 {
        self.next_seq.map_or(0, |s| s - 1)
    }

    /// Close the connection.
    pub fn disconnect(self) {
        let _ = self.out.send(Message::Close(None));
    }

    /// Whether any recorded event matches.
    pub fn saw(&self, pred: impl Fn(&GameEvent) -> bool) -> bool {
        self.events.iter().any(|(_, e)| pred(e))
    }
}

/// Create a game as host, with `timers` seconds per phase.
pub async fn host_game(url: &str, timers: u32, seed: u64) -> (Client, String) {
    let mut host = Client::connect(url, "host").await;
    let answer = host
        .request(ClientRequest::CreateGame {
            scenario: None,
            preset: TimerPreset::Standard,
            timers: Some(PhaseTimers {
                briefing: timers,
                negotiation: timers,
                proposals: timers,
                voting: timers,
                resolution: timers,
            }),
            faction_choice: FactionChoice::Choose,
            characters: false,
            seed: Some(seed),
        })
        .await;
    let ServerMsg::GameCreated { code, .. } = answer else {
        panic!("create_game: {answer:?}");
    };
    host.wait_snapshot().await;
    (host, code)
}

/// Join a game as a player of `faction`.
pub async fn join(url: &str, code: &str, name: &str, faction: Faction) -> Client {
    let mut c = Client::connect(url, name).await;
    let answer = c
        .request(ClientRequest::JoinGame {
            code: code.to_string(),
            name: name.to_string(),
            faction: Some(faction),
        })
        .await;
    assert!(
        matches!(answer, ServerMsg::Joined { .. }),
        "{name}: {answer:?}"
    );
    c.wait_snapshot().await;
    c
}

/// Where a new client's request ids start: the current time in µs, so a
/// new connection never repeats an id an earlier client of the same seat
/// used (the server would take it for a resend), as PROTOCOL.md asks.
pub fn fresh_id_base() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or(1)
}
