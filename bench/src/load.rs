//! The load itself: connections, the chat schedule, the gameplay, the
//! measurements.

use crate::procfs;
use futures_util::{SinkExt, StreamExt};
use hdrhistogram::Histogram;
use protocol::*;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, watch, Semaphore};
use tokio_tungstenite::tungstenite::{protocol::WebSocketConfig, Message};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    DualPower,
    Bare,
}

impl Target {
    pub fn name(self) -> &'static str {
        match self {
            Target::DualPower => "dualpower",
            Target::Bare => "bare",
        }
    }
}

pub struct Load {
    pub url: String,
    pub target: Target,
    pub games: usize,
    pub players: usize,
    pub rate: f64,
    pub duration: Duration,
    pub warmup: Duration,
    pub phase_every: Duration,
    /// Spread the games' phase changes evenly over `phase_every` (as games
    /// in different classrooms would be), instead of all at once.
    pub stagger: bool,
    pub server_pid: Option<u32>,
    /// With several addresses: each player connects to another process
    /// than its game's (the game's connections are then proxied), instead
    /// of every connection of a game going to the process that created it.
    pub spread: bool,
    /// Each player asks for the catalog once after joining, as the bundled
    /// clients do (the game in words, ~30 KB per player).
    pub catalog: bool,
}

#[derive(Debug, Default, Clone)]
pub struct Report {
    pub connections: usize,
    pub chat_rate: f64,
    pub msgs_out_per_sec: f64,
    pub msgs_in_per_sec: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    /// A game request's answer (table, vote, plan): p99 and max.
    pub answer_p99_ms: f64,
    pub answer_max_ms: f64,
    /// Chat fan-out and answers for what was sent within a second after a
    /// phase change (`--synchronized`: the second every game changes
    /// phase), p99 and max.
    pub burst_p99_ms: f64,
    pub burst_max_ms: f64,
    pub burst_answer_p99_ms: f64,
    pub burst_answer_max_ms: f64,
    pub errors: u64,
    pub refused: u64,
    pub server_cpu_s: f64,
    pub cpu_us_per_msg: f64,
    /// Memory per connection half a second after the games started.
    pub kib_per_conn: f64,
    /// Memory per connection with everyone in, before the games start.
    pub kib_per_conn_joined: f64,
    /// Memory per connection at the end of the measured load (steady
    /// state: games running, chat flowing).
    pub kib_per_conn_load: f64,
    pub peak_rss_mib: f64,
}

struct Stats {
    start: Instant,
    latency_us: Mutex<Histogram<u64>>,
    /// From sending a game request (table, vote, plan) to its answer.
    answer_us: Mutex<Histogram<u64>>,
    /// The same two, for what was sent within a second after a host moved
    /// its game's phase on (with `--synchronized`, the second in which
    /// every game changes phase: its resolution and the burst of votes).
    burst_latency_us: Mutex<Histogram<u64>>,
    burst_answer_us: Mutex<Histogram<u64>>,
    /// When a host last moved its phase on (µs since `start`).
    phase_at: AtomicU64,
    /// Whether the burst figures are kept: only when every game changes
    /// phase at once. With the changes spread out, "the last phase
    /// change" moves every few milliseconds, and a line delayed past the
    /// next one would be left out: the figure would be biased low.
    bursts: bool,
    chats: AtomicU64,
    out: AtomicU64,
    inbound: AtomicU64,
    errors: AtomicU64,
    refused: AtomicU64,
    measuring: AtomicBool,
}

impl Stats {
    fn micros(&self) -> u64 {
        self.start.elapsed().as_micros() as u64
    }

    fn reset(&self) {
        self.latency_us.lock().expect("histogram").reset();
        self.answer_us.lock().expect("histogram").reset();
        self.burst_latency_us.lock().expect("histogram").reset();
        self.burst_answer_us.lock().expect("histogram").reset();
        for c in [
            &self.chats,
            &self.out,
            &self.inbound,
            &self.errors,
            &self.refused,
        ] {
            c.store(0, Relaxed);
        }
    }
}

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

fn text(msg: &ClientMsg) -> Message {
    Message::Text(
        serde_json::to_string(msg)
            .expect("protocol types serialize")
            .into(),
    )
}

fn req(request: ClientRequest) -> Message {
    text(&ClientMsg::new(None, request))
}

/// The chat text carries the sender and the send time:
/// `lg <sender> <micros since start>`.
const MARK: &str = "\"text\":\"lg ";

fn parse_mark(frame: &str) -> Option<(usize, u64)> {
    let at = frame.find(MARK)? + MARK.len();
    let mut it = frame[at..].split(|c: char| !c.is_ascii_digit());
    let sender = it.next()?.parse().ok()?;
    let sent = it.next()?.parse().ok()?;
    Some((sender, sent))
}

pub async fn run(load: Load) -> anyhow::Result<Report> {
    let stats = Arc::new(Stats {
        start: Instant::now(),
        latency_us: Mutex::new(Histogram::new_with_bounds(1, 60_000_000, 3)?),
        answer_us: Mutex::new(Histogram::new_with_bounds(1, 60_000_000, 3)?),
        burst_latency_us: Mutex::new(Histogram::new_with_bounds(1, 60_000_000, 3)?),
        burst_answer_us: Mutex::new(Histogram::new_with_bounds(1, 60_000_000, 3)?),
        phase_at: AtomicU64::new(u64::MAX),
        bursts: !load.stagger,
        chats: AtomicU64::new(0),
        out: AtomicU64::new(0),
        inbound: AtomicU64::new(0),
        errors: AtomicU64::new(0),
        refused: AtomicU64::new(0),
        measuring: AtomicBool::new(false),
    });
    let idle_rss = load.server_pid.and_then(procfs::memory_kib).map(|m| m.0);
    let gate = Arc::new(Semaphore::new(200));
    let (stop_tx, stop) = watch::channel(false);
    let mut chat_txs: Vec<mpsc::UnboundedSender<()>> = Vec::new();
    let mut ready = Vec::new();
    let connected = Arc::new(AtomicU64::new(0));
    let t_connect = Instant::now();

    for g in 0..load.games {
        let code = match load.target {
            Target::DualPower => {
                let (code_tx, code_rx) = watch::channel(String::new());
                let (start_tx, start_rx) = watch::channel(false);
                let host = tokio::spawn(host_task(
                    HostPlan {
                        url: pick(&load.url, g),
                        seed: g as u64,
                        phase_every: load.phase_every,
                        offset: if load.stagger {
                            load.phase_every.mul_f64(g as f64 / load.games as f64)
                        } else {
                            Duration::ZERO
                        },
                    },
                    code_tx,
                    start_rx,
                    stats.clone(),
                    stop.clone(),
                ));
                ready.push((host, Some(start_tx)));
                Some(code_rx)
            }
            Target::Bare => None,
        };
        for p in 0..load.players {
            let idx = g * load.players + p;
            let (tx, rx) = mpsc::unbounded_channel();
            chat_txs.push(tx);
            let player = Player {
                url: pick(&load.url, if load.spread { g + p } else { g }),
                target: load.target,
                idx,
                game: g,
                faction: Faction::ALL[p % 3],
                first_of_faction: p < 3,
                code: code.clone(),
                stats: stats.clone(),
                gate: gate.clone(),
                connected: connected.clone(),
                catalog: load.catalog,
            };
            ready.push((tokio::spawn(player.run(rx, stop.clone())), None));
        }
    }
    let total = (load.games * load.players) as u64;
    let expected = total
        + if load.target == Target::DualPower {
            load.games as u64
        } else {
            0
        };
    // Wait for every player to be in.
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let c = connected.load(Relaxed);
        if c >= total {
            break;
        }
        if Instant::now() > deadline {
            anyhow::bail!("only {c} of {total} players connected in 300 s");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    eprintln!(
        "{}: {expected} connections in {:.1} s",
        load.target.name(),
        t_connect.elapsed().as_secs_f64()
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    let joined_rss = load.server_pid.and_then(procfs::memory_kib).map(|m| m.0);
    for (_, start) in &ready {
        if let Some(s) = start {
            let _ = s.send(true);
        }
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let connected_rss = load.server_pid.and_then(procfs::memory_kib).map(|m| m.0);

    // The chat schedule: `rate` per second over all players.
    let scheduler = {
        let txs = chat_txs.clone();
        let rate = load.rate;
        let mut stop = stop.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_millis(2));
            let mut owed = 0.0;
            let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
            let mut last = Instant::now();
            loop {
                tokio::select! {
                    _ = tick.tick() => {}
                    _ = stop.changed() => return,
                }
                let now = Instant::now();
                owed += rate * (now - last).as_secs_f64();
                last = now;
                while owed >= 1.0 {
                    owed -= 1.0;
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    let _ = txs[(x % txs.len() as u64) as usize].send(());
                }
            }
        })
    };

    tokio::time::sleep(load.warmup).await;
    stats.reset();
    stats.measuring.store(true, Relaxed);
    let cpu0 = load.server_pid.and_then(procfs::cpu_seconds);
    let t0 = Instant::now();
    let mut progress = tokio::time::interval(Duration::from_secs(5));
    progress.tick().await;
    while t0.elapsed() < load.duration {
        progress.tick().await;
        let secs = t0.elapsed().as_secs_f64();
        let h = stats.latency_us.lock().expect("histogram").clone();
        eprintln!(
            "  {:>4.0} s: chat {:>6.0}/s, in {:>8.0}/s, p99 {:>7.2} ms, errors {}",
            secs,
            stats.chats.load(Relaxed) as f64 / secs,
            stats.inbound.load(Relaxed) as f64 / secs,
            h.value_at_quantile(0.99) as f64 / 1000.0,
            stats.errors.load(Relaxed)
        );
    }
    let secs = t0.elapsed().as_secs_f64();
    stats.measuring.store(false, Relaxed);
    let cpu1 = load.server_pid.and_then(procfs::cpu_seconds);
    let mem = load.server_pid.and_then(procfs::memory_kib);
    let h = stats.latency_us.lock().expect("histogram").clone();
    let answers = stats.answer_us.lock().expect("histogram").clone();
    let burst = stats.burst_latency_us.lock().expect("histogram").clone();
    let burst_answers = stats.burst_answer_us.lock().expect("histogram").clone();
    let delivered = stats.inbound.load(Relaxed);
    let cpu = match (cpu0, cpu1) {
        (Some(a), Some(b)) => b - a,
        _ => 0.0,
    };
    let report = Report {
        connections: connected.load(Relaxed) as usize
            + if load.target == Target::DualPower {
                load.games
            } else {
                0
            },
        chat_rate: stats.chats.load(Relaxed) as f64 / secs,
        msgs_out_per_sec: stats.out.load(Relaxed) as f64 / secs,
        msgs_in_per_sec: delivered as f64 / secs,
        p50_ms: h.value_at_quantile(0.50) as f64 / 1000.0,
        p99_ms: h.value_at_quantile(0.99) as f64 / 1000.0,
        max_ms: h.max() as f64 / 1000.0,
        answer_p99_ms: answers.value_at_quantile(0.99) as f64 / 1000.0,
        answer_max_ms: answers.max() as f64 / 1000.0,
        burst_p99_ms: burst.value_at_quantile(0.99) as f64 / 1000.0,
        burst_max_ms: burst.max() as f64 / 1000.0,
        burst_answer_p99_ms: burst_answers.value_at_quantile(0.99) as f64 / 1000.0,
        burst_answer_max_ms: burst_answers.max() as f64 / 1000.0,
        errors: stats.errors.load(Relaxed),
        refused: stats.refused.load(Relaxed),
        server_cpu_s: cpu,
        cpu_us_per_msg: if delivered > 0 {
            cpu * 1e6 / delivered as f64
        } else {
            0.0
        },
        kib_per_conn: match (idle_rss, connected_rss) {
            (Some(a), Some(b)) => b.saturating_sub(a) as f64 / expected as f64,
            _ => 0.0,
        },
        kib_per_conn_joined: match (idle_rss, joined_rss) {
            (Some(a), Some(b)) => b.saturating_sub(a) as f64 / expected as f64,
            _ => 0.0,
        },
        kib_per_conn_load: match (idle_rss, mem) {
            (Some(a), Some(b)) => b.0.saturating_sub(a) as f64 / expected as f64,
            _ => 0.0,
        },
        peak_rss_mib: mem.map_or(0.0, |m| m.1 as f64 / 1024.0),
    };
    let _ = stop_tx.send(true);
    scheduler.abort();
    for (h, _) in ready {
        h.abort();
    }
    Ok(report)
}

/// The load's clients' WebSocket settings: tungstenite's default read
/// buffer (128 KiB) is zero-filled before every read, which made that
/// `memset` two thirds of the load generator's CPU at 40,000 frames a
/// second, taken from the two cores the server under test also runs on.
/// A browser-sized 4 KiB buffer reads the same frames (a larger one in
/// several reads).
fn client_config() -> Option<WebSocketConfig> {
    Some(WebSocketConfig::default().read_buffer_size(4096))
}

async fn connect(url: &str, gate: &Semaphore) -> anyhow::Result<Ws> {
    let _permit = gate.acquire().await?;
    let (ws, _) = tokio::time::timeout(
        Duration::from_secs(30),
        tokio_tungstenite::connect_async_with_config(url, client_config(), true),
    )
    .await??;
    Ok(ws)
}

/// Read frames until one satisfies `pred`.
async fn until(ws: &mut Ws, mut pred: impl FnMut(&ServerMsg) -> bool) -> anyhow::Result<ServerMsg> {
    loop {
        match tokio::time::timeout(Duration::from_secs(60), ws.next()).await? {
            Some(Ok(Message::Text(t))) => {
                if let Ok(m) = serde_json::from_str::<ServerMsg>(&t) {
                    if let ServerMsg::Error { message, .. } = &m {
                        anyhow::bail!("refused: {message}");
                    }
                    if pred(&m) {
                        return Ok(m);
                    }
                }
            }
            Some(Ok(_)) => {}
            Some(Err(e)) => return Err(e.into()),
            None => anyhow::bail!("closed"),
        }
    }
}

async fn hello(ws: &mut Ws) -> anyhow::Result<()> {
    ws.send(req(ClientRequest::Hello {
        protocol_version: PROTOCOL_VERSION,
        client: Some("loadgen".into()),
        catalog_on_request: true,
    }))
    .await?;
    until(ws, |m| matches!(m, ServerMsg::Welcome { .. })).await?;
    Ok(())
}

/// One game's host: where, which seed, and when to move the phases on.
struct HostPlan {
    url: String,
    seed: u64,
    phase_every: Duration,
    offset: Duration,
}

async fn host_task(
    plan: HostPlan,
    code_tx: watch::Sender<String>,
    mut start: watch::Receiver<bool>,
    stats: Arc<Stats>,
    mut stop: watch::Receiver<bool>,
) {
    let HostPlan {
        url,
        seed,
        phase_every,
        offset,
    } = plan;
    let result: anyhow::Result<()> = async {
        let (mut ws, _) =
            tokio_tungstenite::connect_async_with_config(&url, client_config(), true).await?;
        hello(&mut ws).await?;
        let long = 3600;
        ws.send(req(ClientRequest::CreateGame {
            scenario: None,
            preset: TimerPreset::Standard,
            timers: Some(PhaseTimers {
                briefing: long,
                negotiation: long,
                proposals: long,
                voting: long,
                resolution: long,
            }),
            faction_choice: FactionChoice::Choose,
            characters: false,
            seed: Some(seed),
        }))
        .await?;
        let ServerMsg::GameCreated { code, .. } =
            until(&mut ws, |m| matches!(m, ServerMsg::GameCreated { .. })).await?
        else {
            unreachable!()
        };
        let _ = code_tx.send(code);
        // Keep reading (the host is a member too) until told to start.
        loop {
            tokio::select! {
                r = start.wait_for(|s| *s) => { r?; break; }
                f = ws.next() => if f.is_none() { anyhow::bail!("host closed") },
            }
        }
        ws.send(req(ClientRequest::StartGame)).await?;
        // The briefing ends at this game's offset (so rounds are under
        // way within one period), then a phase every period.
        let mut next = tokio::time::Instant::now() + offset;
        loop {
            tokio::select! {
                _ = tokio::time::sleep_until(next) => {
                    next += phase_every;
                    stats.out.fetch_add(1, Relaxed);
                    stats.phase_at.store(stats.micros(), Relaxed);
                    ws.send(req(ClientRequest::AdvancePhase)).await?;
                }
                f = ws.next() => match f {
                    Some(Ok(Message::Text(t))) => count_in(&stats, &t, usize::MAX),
                    Some(Ok(_)) => {}
                    _ => anyhow::bail!("the host's connection closed"),
                },
                _ = stop.changed() => return Ok(()),
            }
        }
    }
    .await;
    if result.is_err() {
        stats.errors.fetch_add(1, Relaxed);
    }
}

fn count_in(stats: &Stats, frame: &str, me: usize) {
    if !stats.measuring.load(Relaxed) {
        return;
    }
    stats.inbound.fetch_add(1, Relaxed);
    if let Some((sender, sent)) = parse_mark(frame) {
        if sender != me {
            record(stats, &stats.latency_us, &stats.burst_latency_us, sent);
        }
    } else {
        if frame.starts_with("{\"type\":\"error\"") {
            stats.refused.fetch_add(1, Relaxed);
        }
        if let Some(sent) = answered(frame) {
            record(stats, &stats.answer_us, &stats.burst_answer_us, sent);
        }
    }
}

/// Record the time since `sent` (µs) in `all`, and in `burst` too when
/// every game changes phase at once and it was sent within a second
/// after the last change.
fn record(stats: &Stats, all: &Mutex<Histogram<u64>>, burst: &Mutex<Histogram<u64>>, sent: u64) {
    let took = stats.micros().saturating_sub(sent).max(1);
    let _ = all.lock().expect("histogram").record(took);
    if !stats.bursts {
        return;
    }
    let at = stats.phase_at.load(Relaxed);
    if sent >= at && sent - at < 1_000_000 {
        let _ = burst.lock().expect("histogram").record(took);
    }
}

/// Game requests carry their send time in their id: `micros * 16 + i`
/// (`i` tells apart the requests sent together). The send time of the
/// request an `ack` or `error` answers.
fn answered(frame: &str) -> Option<u64> {
    let rest = frame
        .strip_prefix("{\"type\":\"ack\",\"id\":")
        .or_else(|| frame.strip_prefix("{\"type\":\"error\",\"id\":"))?;
    let digits: &str = &rest[..rest.find(|c: char| !c.is_ascii_digit())?];
    Some(digits.parse::<u64>().ok()? / 16)
}

struct Player {
    url: String,
    target: Target,
    idx: usize,
    game: usize,
    faction: Faction,
    first_of_faction: bool,
    code: Option<watch::Receiver<String>>,
    stats: Arc<Stats>,
    gate: Arc<Semaphore>,
    connected: Arc<AtomicU64>,
    catalog: bool,
}

impl Player {
    async fn run(mut self, mut chat: mpsc::UnboundedReceiver<()>, mut stop: watch::Receiver<bool>) {
        let stats = self.stats.clone();
        let result: anyhow::Result<()> = async {
            // A player connects once its game has a code: a connection
            // that waited for it without reading would not answer the
            // server's pings, and be dropped as too slow.
            let code = match self.code.take() {
                Some(mut code_rx) => Some(code_rx.wait_for(|c| !c.is_empty()).await?.clone()),
                None => None,
            };
            let mut ws = connect(&self.url, &self.gate).await?;
            let mut seats = Seats::default();
            match self.target {
                Target::Bare => {
                    ws.send(Message::Text(format!("g{}", self.game).into())).await?;
                }
                Target::DualPower => {
                    hello(&mut ws).await?;
                    let code = code.expect("a code channel");
                    ws.send(req(ClientRequest::JoinGame {
                        code,
                        name: format!("p{}", self.idx),
                        faction: Some(self.faction),
                    }))
                    .await?;
                    if let ServerMsg::Snapshot { view, .. } =
                        until(&mut ws, |m| matches!(m, ServerMsg::Snapshot { .. })).await?
                    {
                        seats = Seats::of(&view.state);
                    }
                    if self.catalog {
                        ws.send(req(ClientRequest::GetCatalog)).await?;
                        until(&mut ws, |m| matches!(m, ServerMsg::Catalog { .. })).await?;
                    }
                }
            }
            self.connected.fetch_add(1, Relaxed);
            let mut motions: Vec<MotionId> = Vec::new();
            loop {
                tokio::select! {
                    c = chat.recv() => {
                        if c.is_none() { return Ok(()); }
                        let text = format!("lg {} {}", self.idx, stats.micros());
                        let msg = match self.target {
                            Target::Bare => Message::Text(text.into()),
                            Target::DualPower => req(ClientRequest::Chat { channel: Channel::Floor, text }),
                        };
                        if stats.measuring.load(Relaxed) {
                            stats.chats.fetch_add(1, Relaxed);
                            stats.out.fetch_add(1, Relaxed);
                        }
                        ws.send(msg).await?;
                    }
                    f = ws.next() => match f {
                        Some(Ok(Message::Text(t))) => {
                            count_in(&stats, &t, self.idx);
                            if self.target == Target::DualPower && !t.contains(MARK) {
                                let now = stats.micros();
                                for (i, r) in self.play(&t, &mut seats, &mut motions).into_iter().enumerate() {
                                    if stats.measuring.load(Relaxed) {
                                        stats.out.fetch_add(1, Relaxed);
                                    }
                                    let id = RequestId::Number(now * 16 + i as u64 % 16);
                                    ws.send(text(&ClientMsg::new(Some(id), r))).await?;
                                }
                            }
                        }
                        Some(Ok(_)) => {}
                        Some(Err(e)) => return Err(e.into()),
                        None => anyhow::bail!("closed"),
                    },
                    _ = stop.changed() => return Ok(()),
                }
            }
        }
        .await;
        if result.is_err() {
            stats.errors.fetch_add(1, Relaxed);
        }
    }

    /// The gameplay: table in proposals, vote and plan in voting. A player
    /// votes on the motions its faction may vote on, as a client shows them
    /// (the web client offers no ballot elsewhere).
    fn play(
        &self,
        frame: &str,
        seats: &mut Seats,
        motions: &mut Vec<MotionId>,
    ) -> Vec<ClientRequest> {
        if frame.contains("\"kind\":\"state_changed\"") {
            // Only where the factions sit is read, and only that: the rest
            // of the public state (a few kilobytes to every player at each
            // resolution) is skipped unparsed, so the load generator's own
            // work does not delay the chat it measures.
            if let Ok(changed) = serde_json::from_str::<StateChangedFrame>(frame) {
                *seats = changed.event.state;
            }
            return Vec::new();
        }
        if !(frame.contains("\"kind\":\"phase_started\"")
            || frame.contains("\"kind\":\"motion_tabled\""))
        {
            return Vec::new();
        }
        let Ok(ServerMsg::Event { event, .. }) = serde_json::from_str::<ServerMsg>(frame) else {
            return Vec::new();
        };
        match event {
            GameEvent::MotionTabled { motion } => {
                if seats.may_vote(self.faction, motion.institution) {
                    motions.push(motion.id);
                }
                Vec::new()
            }
            GameEvent::PhaseStarted {
                phase: Phase::Proposals,
                round,
                ..
            } => {
                motions.clear();
                if !self.first_of_faction {
                    return Vec::new();
                }
                let options: &[Motion] = match self.faction {
                    Faction::Liberals => &[
                        Motion::CivilLiberties,
                        Motion::Amnesty,
                        Motion::LandReform,
                        Motion::GrainMonopoly,
                    ],
                    Faction::Soviet => &[
                        Motion::OrderNo1,
                        Motion::PeaceAppeal,
                        Motion::ConditionalSupport,
                        Motion::WorkersControl,
                    ],
                    Faction::Bolsheviks => &[
                        Motion::ArmWorkers,
                        Motion::WorkersControl,
                        Motion::FormMrc,
                        Motion::PeaceAppeal,
                    ],
                };
                vec![ClientRequest::TableMotion {
                    motion: options[usize::from(round) % options.len()],
                }]
            }
            GameEvent::PhaseStarted {
                phase: Phase::Voting,
                ..
            } => {
                let mut out: Vec<ClientRequest> = motions
                    .iter()
                    .map(|m| ClientRequest::Vote {
                        motion: *m,
                        vote: if self.idx.is_multiple_of(2) {
                            Vote::Yes
                        } else {
                            Vote::No
                        },
                    })
                    .collect();
                if self.first_of_faction {
                    out.push(ClientRequest::PlanAction {
                        action: Action::Agitate {
                            group: Group::ALL[self.idx % 4],
                        },
                    });
                }
                out
            }
            _ => Vec::new(),
        }
    }
}

/// Where each faction may vote, as the game's public state says (what a
/// client's view holds): [`PublicState::may_sit`] on the two fields it
/// reads, kept apart so that a `state_changed` is read without the rest
/// (its test holds the two to the same answers).
#[derive(Default, serde::Deserialize)]
struct Seats {
    coalition: bool,
    #[serde(rename = "soviet_seats")]
    soviet: PerFaction<u8>,
}

/// A `state_changed` event frame, only as far as [`Seats`] reads it.
#[derive(serde::Deserialize)]
struct StateChangedFrame {
    event: StateChangedEvent,
}

#[derive(serde::Deserialize)]
struct StateChangedEvent {
    state: Seats,
}

impl Seats {
    fn of(state: &PublicState) -> Seats {
        Seats {
            coalition: state.coalition,
            soviet: state.soviet_seats,
        }
    }

    fn may_vote(&self, faction: Faction, institution: Institution) -> bool {
        match institution {
            Institution::Government => {
                faction == Faction::Liberals || (faction == Faction::Soviet && self.coalition)
            }
            Institution::Soviet => self.soviet[faction] > 0,
        }
    }
}

/// The `n`th of comma-separated addresses (several server processes on one
/// database: game `g` is created on process `g mod N`).
fn pick(urls: &str, n: usize) -> String {
    let all: Vec<&str> = urls
        .split(',')
        .map(str::trim)
        .filter(|u| !u.is_empty())
        .collect();
    match all.len() {
        0 => urls.to_string(),
        len => all[n % len].to_string(),
    }
}

#[cfg(test)]
mod tests {
    /// A player votes where a client would offer it a ballot: read from a
    /// `state_changed` frame as the server writes it (the protocol's own
    /// fixture, changed and encoded again).
    #[test]
    fn a_player_votes_only_where_its_faction_sits() {
        use protocol::*;
        let fixture = include_str!("../../protocol/tests/fixtures/server-event-state_changed.json");
        let Ok(ServerMsg::Event {
            seq,
            event: GameEvent::StateChanged { mut state },
        }) = serde_json::from_str::<ServerMsg>(fixture)
        else {
            panic!("the fixture is a state_changed event");
        };
        state.coalition = true;
        state.soviet_seats = PerFaction {
            liberals: 0,
            soviet: 30,
            bolsheviks: 5,
        };
        let frame = encode(&ServerMsg::Event {
            seq,
            event: GameEvent::StateChanged {
                state: state.clone(),
            },
        });
        let seats = serde_json::from_str::<super::StateChangedFrame>(&frame)
            .unwrap()
            .event
            .state;
        let may = |f, i| seats.may_vote(f, i);
        assert!(may(Faction::Liberals, Institution::Government));
        assert!(may(Faction::Soviet, Institution::Government));
        assert!(!may(Faction::Bolsheviks, Institution::Government));
        assert!(!may(Faction::Liberals, Institution::Soviet));
        assert!(may(Faction::Soviet, Institution::Soviet));
        assert!(may(Faction::Bolsheviks, Institution::Soviet));
        // The same answers as the protocol's rule, in and out of a
        // coalition, with and without Bolshevik seats.
        for coalition in [false, true] {
            for bolsheviks in [0, 40] {
                state.coalition = coalition;
                state.soviet_seats.bolsheviks = bolsheviks;
                state.soviet_seats.soviet = 100 - bolsheviks;
                let seats = super::Seats::of(&state);
                for f in Faction::ALL {
                    for i in [Institution::Government, Institution::Soviet] {
                        assert_eq!(seats.may_vote(f, i), state.may_sit(f, i), "{f:?} {i:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn the_mark_is_read_back_from_an_event_frame() {
        let frame = r#"{"type":"event","seq":9,"event":{"kind":"chat","id":4,"scope":{"kind":"floor"},"from":3,"text":"lg 17 123456"}}"#;
        assert_eq!(super::parse_mark(frame), Some((17, 123_456)));
        assert_eq!(super::parse_mark(r#"{"text":"hello"}"#), None);
    }

    #[test]
    fn an_answer_gives_back_its_requests_send_time() {
        use protocol::*;
        for (frame, sent) in [
            (
                encode(&ServerMsg::Ack {
                    id: Some(RequestId::Number(1_000 * 16 + 3)),
                }),
                Some(1_000),
            ),
            (
                encode(&ServerMsg::error(
                    Some(RequestId::Number(77 * 16)),
                    ErrorCode::WrongPhase,
                    "no",
                )),
                Some(77),
            ),
            (encode(&ServerMsg::Ack { id: None }), None),
            (
                encode(&ServerMsg::Pong {
                    id: Some(RequestId::Number(5)),
                }),
                None,
            ),
        ] {
            assert_eq!(super::answered(&frame), sent, "{frame}");
        }
    }
}
