//! One game's task (an actor). It owns the [`Game`], the game's event log,
//! the connections attached to it and the phase timer. Connections talk to
//! it through a [`RoomHandle`]; it writes to them through their bounded
//! outbound queues.
//!
//! Each member (the host, each player, the spectators) has its own stream:
//! the game's log filtered by [`protocol::Audience::includes`], numbered
//! `seq` = 1, 2, 3… without gaps. The same filter serves live delivery,
//! snapshots and resumption.

use crate::config::Limits;
use crate::hub::{new_secret, secrets_equal};
use crate::store::{Batch, Store, StoreError, StoredAnswer};
use engine::request::Member as RuleMember;
use engine::{Command, Emitted, Game, Refusal};
use protocol::*;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::sync::{mpsc, oneshot, watch, Notify};
use tracing::{error, info, warn};

/// One text frame, ready for the socket: built once in its final form and
/// shared, not copied, by everyone it goes to (a reference-counted
/// buffer; an answer kept for resends is the same bytes).
pub use crate::frames::Frame;

/// How a room reaches one connection.
#[derive(Debug, Clone)]
pub struct ConnLink {
    pub id: u64,
    /// Its frames' way to its socket.
    pub out: Arc<crate::outlet::Outlet>,
    /// Rung when the room drops the connection (e.g. it reads too slowly).
    pub kick: Arc<Notify>,
    /// The token of the seat the room gave this connection (set when it
    /// joins): the connection then draws on the seat's rate limit.
    pub seat_token: Arc<std::sync::OnceLock<String>>,
    /// The client said `catalog_on_request` in its hello: its snapshots
    /// leave the catalog out (it asks once with `get_catalog`).
    pub catalog_on_request: Arc<std::sync::atomic::AtomicBool>,
}

impl ConnLink {
    pub fn catalog_on_request(&self) -> bool {
        self.catalog_on_request
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    fn send(&self, msg: &ServerMsg) -> bool {
        self.send_text(encode(msg).into())
    }

    /// Written at once (if the socket takes it). False when the
    /// connection has too much waiting, or is closing.
    fn send_text(&self, text: Frame) -> bool {
        self.out.send_text(text)
    }

    /// Added, to be written by the next `flush` (a room publishing several
    /// events writes them together). False as for `send_text`.
    fn add_text(&self, text: Frame) -> bool {
        self.out.add_text(text)
    }

    /// As `add_text`, for an event's frame.
    fn add_event(&self, seq: u64, body: &Arc<str>) -> bool {
        self.out.add_event(seq, body)
    }

    /// Written at once, counted as one. False as for `send_text`.
    fn send_batch(&self, frames: Vec<Frame>) -> bool {
        if frames.is_empty() {
            return true;
        }
        let added = self.out.add_batch(frames);
        self.out.flush();
        added
    }

    /// Close with a goodbye (after what waits).
    pub fn close(&self, reason: &str, code: GoodbyeCode) {
        self.out.close(reason, code);
    }
}

/// Who a connection is in a game.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MemberKey {
    Host,
    Player(PlayerId),
    Spectator,
}

/// Messages to a room.
#[derive(Debug)]
pub enum RoomMsg {
    /// The creator's connection becomes the host.
    AttachHost {
        conn: ConnLink,
        id: Option<RequestId>,
        token: String,
    },
    Join {
        conn: ConnLink,
        id: Option<RequestId>,
        name: String,
        faction: Option<Faction>,
        reply: oneshot::Sender<bool>,
    },
    Spectate {
        conn: ConnLink,
        id: Option<RequestId>,
        last_seq: Option<u64>,
        reply: oneshot::Sender<bool>,
    },
    Resume {
        conn: ConnLink,
        id: Option<RequestId>,
        secret: String,
        last_seq: Option<u64>,
        reply: oneshot::Sender<bool>,
    },
    /// A request from an attached connection.
    Request {
        conn_id: u64,
        id: Option<RequestId>,
        request: ClientRequest,
    },
    /// The connection closed.
    Detach { conn_id: u64 },
    /// Stop the room (its game was deleted, e.g. past retention).
    Close { reason: String },
    /// Stop the room because another server process owns its game now:
    /// members are told to reconnect (and reach the new owner).
    Release { reason: String },
    /// The debrief over plain HTTP: checked against the host's secret.
    HttpDownload {
        secret: String,
        format: DownloadFormat,
        faction: Option<Faction>,
        reply: oneshot::Sender<Result<ServerMsg, Refusal>>,
    },
}

/// A cheap, cloneable way to reach a room.
#[derive(Debug, Clone)]
pub struct RoomHandle {
    pub code: String,
    tx: mpsc::Sender<RoomMsg>,
    /// Whether the game has ended (finished games do not count toward
    /// `--max-games`).
    ended: Arc<AtomicBool>,
}

impl RoomHandle {
    /// Send to the room; false if it has stopped.
    pub async fn send(&self, msg: RoomMsg) -> bool {
        self.tx.send(msg).await.is_ok()
    }

    /// Whether the room has stopped (its game was deleted, or it was
    /// finished and left memory).
    pub fn is_closed(&self) -> bool {
        self.tx.is_closed()
    }

    /// Wait until the room has stopped.
    pub async fn closed(&self) {
        self.tx.closed().await
    }

    /// Whether its game has ended.
    pub fn has_ended(&self) -> bool {
        self.ended.load(Ordering::Relaxed)
    }
}

/// What a room starts from: a new game, or one restored from the store.
pub struct RoomInit {
    pub game: Game,
    pub log: Vec<Emitted>,
    pub host_secret: String,
    pub player_secrets: HashMap<PlayerId, String>,
    pub answers: Vec<StoredAnswer>,
    /// Restored from the store: when its last batch was committed (the
    /// moment a crash stopped its clock). `None` for a new game.
    pub restored_at_ms: Option<u64>,
}

impl RoomInit {
    pub fn new(game: Game, host_secret: String) -> Self {
        RoomInit {
            game,
            log: Vec::new(),
            host_secret,
            player_secrets: HashMap::new(),
            answers: Vec::new(),
            restored_at_ms: None,
        }
    }
}

/// Start a room's task. The caller spawns the returned future.
pub fn spawn(
    code: String,
    init: RoomInit,
    store: Arc<dyn Store>,
    limits: Limits,
    shutdown: watch::Receiver<bool>,
) -> (
    RoomHandle,
    impl std::future::Future<Output = ()> + Send + 'static,
) {
    let (tx, rx) = mpsc::channel(256);
    let mut room = Room {
        code: code.clone(),
        game: init.game,
        log: init.log,
        host_secret: init.host_secret,
        player_secrets: init.player_secrets,
        removed_secrets: HashMap::new(),
        members: Vec::new(),
        streams: HashMap::new(),
        answers: HashMap::new(),
        answer_order: HashMap::new(),
        store,
        limits,
        closing: None,
        bots: HashMap::new(),
        bots_should_look: true,
        holding: false,
        bot_wake: None,
        store_trouble: None,
        ended: Arc::new(AtomicBool::new(false)),
        empty_since: None,
        cut: Vec::new(),
        audiences: Audiences::default(),
    };
    for e in &room.log {
        room.audiences.observe(e);
    }
    // A removed player's token is refused for good, with its reason.
    let kicked = room.game.state().kicked.clone();
    let (gone, kept): (HashMap<_, _>, HashMap<_, _>) = std::mem::take(&mut room.player_secrets)
        .into_iter()
        .partition(|(p, _)| kicked.contains(p));
    room.player_secrets = kept;
    room.removed_secrets = gone;
    // Only the latest answers per member can still be asked for again
    // (the store hands them over oldest first).
    for a in init.answers {
        room.remember(a.member, a.request, a.fingerprint, a.frame.into());
    }
    // Every member's stream length, from the log.
    let keys: Vec<MemberKey> = room.all_keys();
    for key in keys {
        let n = room.stream_of(key).count() as u64;
        room.streams.insert(key, n);
    }
    // The bots the host seated take their seats again (they do nothing
    // while the game is paused or waits in the lobby).
    let seated: Vec<PlayerId> = room
        .game
        .state()
        .players
        .iter()
        .filter(|p| p.bot)
        .map(|p| p.id)
        .collect();
    for id in seated {
        room.seat_bot(id);
    }
    let restored_at_ms = init.restored_at_ms;
    let ended = Arc::new(AtomicBool::new(
        room.game.state().status == GameStatus::Ended,
    ));
    room.ended = ended.clone();
    (
        RoomHandle { code, tx, ended },
        room.run(rx, shutdown, restored_at_ms),
    )
}

struct Member {
    key: MemberKey,
    conn: ConnLink,
}

struct Room {
    code: String,
    game: Game,
    /// Every event of the game, in order, with its audience.
    log: Vec<Emitted>,
    host_secret: String,
    player_secrets: HashMap<PlayerId, String>,
    /// The secrets of players the host removed: refused with `removed`.
    removed_secrets: HashMap<PlayerId, String>,
    members: Vec<Member>,
    /// Length of each member key's stream (its last `seq`).
    streams: HashMap<MemberKey, u64>,
    /// Answers already given, by member and request id, so a request
    /// resent after a reconnect is applied once and answered the same.
    /// At most [`ANSWERS_PER_MEMBER`] per member, the oldest forgotten
    /// first.
    answers: HashMap<(MemberKey, RequestId), (u64, Frame)>,
    /// Each member's remembered request ids, oldest first.
    answer_order: HashMap<MemberKey, std::collections::VecDeque<RequestId>>,
    store: Arc<dyn Store>,
    limits: Limits,
    /// Set when the room must stop (its game was deleted, or moved to
    /// another server process): the reason members are told, and whether
    /// they should reconnect.
    closing: Option<(String, GoodbyeCode)>,
    /// The bots the host seated, played by the room itself.
    bots: HashMap<PlayerId, bots::Bot>,
    /// Something was committed since the bots last looked at their views.
    bots_should_look: bool,
    /// Publishing adds events to the members' outlets without writing
    /// them: a burst's answers follow, then one write (see `Room::moves`).
    holding: bool,
    /// When a bot seated beside people wants to act although nothing
    /// happened (see `bots::Bot::next_wake`), as of the bots' last look.
    bot_wake: Option<u64>,
    /// The store is failing: when it started and when to try again.
    store_trouble: Option<StoreTrouble>,
    /// Set once the game has ended (the hub counts running games only).
    ended: Arc<AtomicBool>,
    /// When the last member left a finished game (it then leaves memory).
    empty_since: Option<u64>,
    /// Players whose connections were cut for being too slow, to be shown
    /// as away.
    cut: Vec<PlayerId>,
    /// Who each member is as of the last published event.
    audiences: Audiences,
}

/// The one rule deciding who receives an event, used for live delivery,
/// resumption and snapshots alike: each member's viewer *as of that event*
/// (a player's faction after the event itself, so a moved player receives
/// its own move and then its new faction's events), judged by
/// [`Audience::includes`].
#[derive(Debug, Default, Clone)]
struct Audiences {
    factions: HashMap<PlayerId, Faction>,
}

impl Audiences {
    /// Take the event into account; returns self to judge it.
    fn observe(&mut self, e: &Emitted) -> &Self {
        match &e.event {
            GameEvent::PlayerJoined { player } => {
                self.factions.insert(player.id, player.faction);
            }
            GameEvent::PlayerMoved {
                player, faction, ..
            } => {
                self.factions.insert(*player, *faction);
            }
            _ => {}
        }
        self
    }

    fn viewer(&self, key: MemberKey) -> Option<Viewer> {
        match key {
            MemberKey::Host => Some(Viewer::Host),
            MemberKey::Spectator => Some(Viewer::Spectator),
            MemberKey::Player(id) => self
                .factions
                .get(&id)
                .map(|&faction| Viewer::Player { id, faction }),
        }
    }

    fn includes(&self, key: MemberKey, e: &Emitted) -> bool {
        self.viewer(key).is_some_and(|v| e.audience.includes(&v))
    }
}

/// The store failed; the room waits before trying again, and told the host.
#[derive(Debug, Clone, Copy)]
struct StoreTrouble {
    retry_at_ms: u64,
    backoff_ms: u64,
}

/// Milliseconds since the Unix epoch: the shell's clock.
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

impl Room {
    async fn run(
        mut self,
        mut rx: mpsc::Receiver<RoomMsg>,
        mut shutdown: watch::Receiver<bool>,
        restored_at_ms: Option<u64>,
    ) {
        if let Some(at_ms) = restored_at_ms {
            self.restore(at_ms).await;
        }
        let mut stopping = false;
        loop {
            if self.closing.is_some() {
                break;
            }
            self.settle_cut().await;
            self.drive_bots().await;
            if self.idle_and_finished() {
                info!(game = %self.code, "finished game left memory (its record stays for the debrief)");
                break;
            }
            let wake = self.next_wake();
            tokio::select! {
                msg = rx.recv() => match msg {
                    Some(RoomMsg::Request { conn_id, id, request }) if joins_a_burst(&request) => {
                        let after = self.burst((conn_id, id, request), &mut rx).await;
                        if let Some(msg) = after {
                            self.handle(msg).await;
                        }
                    }
                    Some(msg) => self.handle(msg).await,
                    None => break,
                },
                _ = sleep_until(wake), if wake.is_some() => self.on_timer().await,
                _ = shutdown.changed() => {
                    stopping = true;
                    break;
                }
            }
        }
        if stopping {
            self.pause_for_shutdown().await;
        }
        let (reason, code) = match self.closing.take() {
            Some(closing) => closing,
            None => (
                "The server is shutting down.".to_string(),
                GoodbyeCode::ShuttingDown,
            ),
        };
        for m in self.members.drain(..) {
            m.conn.close(&reason, code);
        }
        info!(game = %self.code, "game closed");
    }

    /// A restored game: paused first, at the moment its clock stopped
    /// (the last commit before the server went down), before anything
    /// else can happen; then whoever was connected is shown as away until
    /// they resume. Nothing moves until the host resumes.
    async fn restore(&mut self, at_ms: u64) {
        let s = self.game.state();
        if s.status == GameStatus::Running && s.paused_remaining_ms.is_none() {
            let _ = self
                .execute(Command::Pause {
                    now_ms: at_ms,
                    reason: Some(
                        "The server restarted: the host resumes the game when everyone is back."
                            .into(),
                    ),
                    min_remaining_ms: RESTORE_GRACE_MS,
                    restart: true,
                })
                .await;
        }
        let away: Vec<PlayerId> = self
            .game
            .state()
            .players
            .iter()
            .filter(|p| p.connected && !p.bot)
            .map(|p| p.id)
            .collect();
        for player in away {
            // They lost the server when it went down, not when it came back
            // (the debrief counts their time connected from this).
            let _ = self
                .execute(Command::SetConnected {
                    player,
                    connected: false,
                    now_ms: at_ms,
                })
                .await;
        }
    }

    /// The server is stopping (SIGTERM, Ctrl-C): a running game pauses
    /// first, so it comes back with the time it had left.
    async fn pause_for_shutdown(&mut self) {
        let s = self.game.state();
        if s.status == GameStatus::Running && s.paused_remaining_ms.is_none() {
            let _ = self
                .execute(Command::Pause {
                    now_ms: now_ms(),
                    reason: Some(
                        "The server is restarting: the host resumes the game when everyone is back."
                            .into(),
                    ),
                    min_remaining_ms: 0,
                    restart: true,
                })
                .await;
        }
    }

    /// A finished game with nobody attached for a while leaves memory; it
    /// is loaded again from the store when someone asks for it.
    fn idle_and_finished(&mut self) -> bool {
        if self.game.state().status != GameStatus::Ended || !self.members.is_empty() {
            self.empty_since = None;
            return false;
        }
        let now = now_ms();
        let since = *self.empty_since.get_or_insert(now);
        now.saturating_sub(since) >= self.limits.finished_idle_ms
    }

    /// The next moment the room must act on its own: the phase deadline,
    /// a retry of the store, or a finished game's unloading.
    fn next_wake(&self) -> Option<u64> {
        let deadline = match (self.next_deadline(), self.bot_wake) {
            (Some(d), Some(b)) => Some(d.min(b)),
            (d, b) => d.or(b),
        };
        let wake = match (deadline, self.store_trouble) {
            (Some(d), Some(t)) => Some(d.max(t.retry_at_ms)),
            (d, _) => d,
        };
        let unload = self
            .empty_since
            .map(|since| since + self.limits.finished_idle_ms);
        match (wake, unload) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    async fn on_timer(&mut self) {
        if self.bot_wake.is_some_and(|w| w <= now_ms()) {
            // A bot beside people has waited for them long enough.
            self.bots_should_look = true;
        }
        if self.next_deadline().is_some_and(|d| d <= now_ms()) {
            let _ = self.execute(Command::Tick { now_ms: now_ms() }).await;
        }
    }

    fn next_deadline(&self) -> Option<u64> {
        let s = self.game.state();
        (s.status == GameStatus::Running)
            .then_some(s.deadline_ms)
            .flatten()
    }

    async fn handle(&mut self, msg: RoomMsg) {
        match msg {
            RoomMsg::AttachHost { conn, id, token } => {
                info!(game = %self.code, "game created");
                conn.send(&ServerMsg::GameCreated {
                    id,
                    code: self.code.clone(),
                    host_token: token,
                });
                self.attach_from(conn, MemberKey::Host, None, None, None, false)
                    .await;
            }
            RoomMsg::Join {
                conn,
                id,
                name,
                faction,
                reply,
            } => {
                let ok = self.join(conn, id, name, faction).await;
                let _ = reply.send(ok);
            }
            RoomMsg::Spectate {
                conn,
                id,
                last_seq,
                reply,
            } => {
                info!(game = %self.code, "a spectator is watching");
                self.attach_from(conn, MemberKey::Spectator, id, None, last_seq, true)
                    .await;
                let _ = reply.send(true);
            }
            RoomMsg::Resume {
                conn,
                id,
                secret,
                last_seq,
                reply,
            } => {
                let ok = self.resume(conn, id, &secret, last_seq).await;
                let _ = reply.send(ok);
            }
            RoomMsg::Request {
                conn_id,
                id,
                request,
            } => self.request(conn_id, id, request).await,
            RoomMsg::Detach { conn_id } => self.detach(conn_id).await,
            RoomMsg::Close { reason } => self.closing = Some((reason, GoodbyeCode::GameDeleted)),
            RoomMsg::Release { reason } => {
                info!(game = %self.code, "game handed over to another server process");
                self.closing = Some((reason, GoodbyeCode::ShuttingDown));
            }
            RoomMsg::HttpDownload {
                secret,
                format,
                faction,
                reply,
            } => {
                let answer = if secrets_equal(&secret, &self.host_secret) {
                    self.download(MemberKey::Host, None, format, faction)
                } else {
                    Err(Refusal::new(
                        ErrorCode::InvalidToken,
                        "The debrief needs the host's token.",
                    ))
                };
                let _ = reply.send(answer);
            }
        }
    }

    async fn join(
        &mut self,
        conn: ConnLink,
        id: Option<RequestId>,
        name: String,
        faction: Option<Faction>,
    ) -> bool {
        if let Err(r) =
            engine::request::check_room_for_one_more(&self.game, &self.limits.requests())
        {
            conn.send(&ServerMsg::error(id, r.code, r.message));
            return false;
        }
        let joined = match self.game.handle(&Command::Join { name, faction }) {
            Ok(events) => {
                let player = events
                    .iter()
                    .find_map(|e| match &e.event {
                        GameEvent::PlayerJoined { player } => Some(player.clone()),
                        _ => None,
                    })
                    .expect("a join emits player_joined");
                let secret = new_secret();
                self.commit(events, vec![(player.id, secret.clone())], Vec::new())
                    .await
                    .map(|()| (player, secret))
            }
            Err(refusal) => Err(refusal),
        };
        match joined {
            Ok((player, secret)) => {
                info!(game = %self.code, player = %player.name, faction = player.faction.id(), "player joined");
                let token = format!("{}.{secret}", self.code);
                self.player_secrets.insert(player.id, secret);
                let key = MemberKey::Player(player.id);
                self.attach_from(conn, key, id, Some(token), None, true)
                    .await;
                true
            }
            Err(refusal) => {
                conn.send(&ServerMsg::error(id, refusal.code, refusal.message));
                false
            }
        }
    }

    async fn resume(
        &mut self,
        conn: ConnLink,
        id: Option<RequestId>,
        secret: &str,
        last_seq: Option<u64>,
    ) -> bool {
        let key = if secrets_equal(secret, &self.host_secret) {
            Some(MemberKey::Host)
        } else {
            self.player_secrets
                .iter()
                .find(|(_, s)| secrets_equal(secret, s))
                .map(|(p, _)| MemberKey::Player(*p))
        };
        let Some(key) = key else {
            let removed = self
                .removed_secrets
                .values()
                .any(|s| secrets_equal(secret, s));
            conn.send(&if removed {
                ServerMsg::error(
                    id,
                    ErrorCode::Removed,
                    "The host removed you from this game: this seat is closed.",
                )
            } else {
                ServerMsg::error(
                    id,
                    ErrorCode::InvalidToken,
                    "That token is not valid for this game.",
                )
            });
            return false;
        };
        // One connection per member: a new one replaces the old.
        let stale: Vec<u64> = self
            .members
            .iter()
            .filter(|m| m.key == key)
            .map(|m| m.conn.id)
            .collect();
        for conn_id in stale {
            if let Some(i) = self.members.iter().position(|m| m.conn.id == conn_id) {
                let m = self.members.remove(i);
                m.conn.close(
                    "This seat was taken by a newer connection (another window or device). \
                     This one stops here.",
                    GoodbyeCode::Replaced,
                );
            }
        }
        let token = match key {
            MemberKey::Host => format!("{}.{}", self.code, self.host_secret),
            _ => format!("{}.{secret}", self.code),
        };
        info!(game = %self.code, who = %self.describe(key), "reconnected");
        self.attach_from(conn, key, id, Some(token), last_seq, true)
            .await;
        true
    }

    /// Attach a connection as `key`: `joined` (if `send_joined`), then the
    /// events after `last_seq` (a resume, a spectator watching again) or
    /// else a snapshot, then live events.
    #[allow(clippy::too_many_arguments)]
    async fn attach_from(
        &mut self,
        conn: ConnLink,
        key: MemberKey,
        id: Option<RequestId>,
        token: Option<String>,
        last_seq: Option<u64>,
        send_joined: bool,
    ) {
        // Shown as connected first, so the snapshot (or the replay) already
        // says so.
        if let MemberKey::Player(p) = key {
            let _ = self
                .execute(Command::SetConnected {
                    player: p,
                    connected: true,
                    now_ms: now_ms(),
                })
                .await;
        }
        let viewer = self.viewer(key);
        let stream_len = self.streams.get(&key).copied().unwrap_or(0);
        if let Some(token) = &token {
            let _ = conn.seat_token.set(token.clone());
        }
        if send_joined {
            conn.send(&ServerMsg::Joined {
                id: id.clone(),
                code: self.code.clone(),
                viewer,
                token,
            });
        }
        // Every missed event is replayed from the log, however many, as
        // one queue item (the writer sends them one by one).
        match last_seq.filter(|s| *s <= stream_len) {
            Some(from) => {
                let missed: Vec<Frame> = self
                    .stream_of(key)
                    .skip(from as usize)
                    .enumerate()
                    .map(|(i, e)| {
                        encode(&ServerMsg::Event {
                            seq: from + i as u64 + 1,
                            event: self.present(key, &e.event),
                        })
                        .into()
                    })
                    .collect();
                conn.send_batch(missed);
            }
            None => {
                conn.send(&ServerMsg::Snapshot {
                    id: None,
                    seq: stream_len,
                    view: Box::new(self.snapshot(viewer, &conn)),
                });
            }
        }
        self.members.push(Member { key, conn });
    }

    /// The events of `key`'s stream, in order: the log judged by the one
    /// audience rule ([`Audiences`]) exactly as live delivery judged it.
    fn stream_of(&self, key: MemberKey) -> impl Iterator<Item = &Emitted> {
        let mut audiences = Audiences::default();
        self.log
            .iter()
            .filter(move |e| audiences.observe(e).includes(key, e))
    }

    fn is_redacted_for(&self, key: MemberKey, event: &GameEvent) -> bool {
        key != MemberKey::Host
            && matches!(event, GameEvent::Chat { id, .. } if self.game.state().redacted.contains(id))
    }

    /// An event as `key` receives it: a redacted chat message reaches
    /// everyone but the host without its text.
    fn present(&self, key: MemberKey, event: &GameEvent) -> GameEvent {
        match event {
            GameEvent::Chat {
                id, scope, from, ..
            } if self.is_redacted_for(key, event) => GameEvent::Chat {
                id: *id,
                scope: *scope,
                from: *from,
                text: REDACTED.into(),
            },
            other => other.clone(),
        }
    }

    /// The view a snapshot to `conn` carries: with the catalog unless the
    /// client asks for it apart (`catalog_on_request`).
    fn snapshot(&self, viewer: Viewer, conn: &ConnLink) -> GameView {
        if conn.catalog_on_request() {
            self.game.view(viewer)
        } else {
            self.game.snapshot(viewer)
        }
    }

    /// Who `key` is now, for snapshots: the same rule as for events.
    fn viewer(&self, key: MemberKey) -> Viewer {
        self.audiences.viewer(key).unwrap_or(Viewer::Spectator)
    }

    fn describe(&self, key: MemberKey) -> String {
        match key {
            MemberKey::Host => "the host".into(),
            MemberKey::Spectator => "a spectator".into(),
            MemberKey::Player(id) => self
                .game
                .state()
                .player(id)
                .map_or_else(|| id.to_string(), |p| p.name.clone()),
        }
    }

    async fn detach(&mut self, conn_id: u64) {
        let Some(i) = self.members.iter().position(|m| m.conn.id == conn_id) else {
            return;
        };
        let m = self.members.remove(i);
        info!(game = %self.code, who = %self.describe(m.key), "left");
        if let MemberKey::Player(p) = m.key {
            if !self.members.iter().any(|x| x.key == m.key) {
                let _ = self
                    .execute(Command::SetConnected {
                        player: p,
                        connected: false,
                        now_ms: now_ms(),
                    })
                    .await;
            }
        }
    }

    /// Run a command: decide, store, apply, publish. Refusals are returned
    /// to the caller to answer.
    async fn execute(&mut self, command: Command) -> Result<(), Refusal> {
        let events = self.game.handle(&command)?;
        self.commit(events, Vec::new(), Vec::new()).await
    }

    /// Store a command's events (and the answer to its request), then apply
    /// and publish them. Nobody sees an event before it is stored. While
    /// the store fails, the room refuses changes (nothing is acknowledged
    /// that is not stored), backs off before its clock retries, and tells
    /// the host once.
    async fn commit(
        &mut self,
        events: Vec<Emitted>,
        secrets: Vec<(PlayerId, String)>,
        answers: Vec<StoredAnswer>,
    ) -> Result<(), Refusal> {
        for e in &events {
            self.game.apply(&e.event);
        }
        self.settle(events, secrets, answers).await
    }

    /// Events already applied to the game (and the answers they give):
    /// stored before anyone sees them, then published (see
    /// [`Room::applied`]); if the store refuses them, the game goes back
    /// to what its log says.
    async fn settle(
        &mut self,
        events: Vec<Emitted>,
        secrets: Vec<(PlayerId, String)>,
        answers: Vec<StoredAnswer>,
    ) -> Result<(), Refusal> {
        match self.save(&events, secrets, answers).await {
            Ok(()) => {
                self.applied(events);
                Ok(())
            }
            Err(r) => {
                if !events.is_empty() {
                    self.game = self.game.rewound(self.log.iter().map(|e| &e.event));
                }
                Err(r)
            }
        }
    }

    /// Store events (and answers) before anyone sees them; refused while
    /// the store fails (see [`Room::commit`]).
    async fn save(
        &mut self,
        events: &[Emitted],
        secrets: Vec<(PlayerId, String)>,
        answers: Vec<StoredAnswer>,
    ) -> Result<(), Refusal> {
        if !events.is_empty() || !answers.is_empty() {
            let ended = events
                .iter()
                .any(|e| matches!(e.event, GameEvent::GameEnded { .. }));
            let now = now_ms();
            let batch = Batch {
                first_index: self.log.len() as u64,
                events: events.to_vec(),
                secrets,
                answers,
                ended_ms: ended.then_some(now),
                at_ms: now,
            };
            if let Err(e) = self.store.commit(&self.code, batch).await {
                if let StoreError::Fenced(why) = &e {
                    // Another server process took this game over while
                    // this one stalled: nothing was written; the members
                    // reconnect and reach the new owner.
                    warn!(game = %self.code, "this server no longer runs the game ({why}): moving its players");
                    self.closing = Some((
                        "This game moved to another server: reconnecting.".into(),
                        GoodbyeCode::ShuttingDown,
                    ));
                    return Err(Refusal::new(
                        ErrorCode::ShuttingDown,
                        "This game moved to another server; nothing changed. Reconnect and try again.",
                    ));
                }
                self.store_failed(&e.to_string());
                return Err(Refusal::new(
                    ErrorCode::Internal,
                    "The server could not save this; nothing changed. Try again in a moment.",
                ));
            }
            self.store_recovered();
        }
        Ok(())
    }

    /// Stored events, applied to the game: publish them and do what they
    /// call for (a removed player's connection closed, a moved player's
    /// fresh snapshot, a new bot seated).
    fn applied(&mut self, events: Vec<Emitted>) {
        let follow_up: Vec<GameEvent> = events
            .iter()
            .filter(|e| {
                matches!(
                    e.event,
                    GameEvent::PlayerKicked { .. } | GameEvent::PlayerMoved { .. }
                )
            })
            .map(|e| e.event.clone())
            .collect();
        let new_bots: Vec<PlayerId> = events
            .iter()
            .filter_map(|e| match &e.event {
                GameEvent::PlayerJoined { player } if player.bot => Some(player.id),
                _ => None,
            })
            .collect();
        if events
            .iter()
            .any(|e| matches!(e.event, GameEvent::GameEnded { .. }))
        {
            self.ended.store(true, Ordering::Relaxed);
        }
        self.bots_should_look = true;
        self.publish(events);
        for id in new_bots {
            info!(game = %self.code, player = %id, "a bot took a seat");
            self.seat_bot(id);
        }
        for event in follow_up {
            match event {
                GameEvent::PlayerKicked { player, .. } => {
                    // Their token stops working, for good; their connection
                    // is closed.
                    if let Some(secret) = self.player_secrets.remove(&player) {
                        self.removed_secrets.insert(player, secret);
                    }
                    let key = MemberKey::Player(player);
                    for m in self.members.iter().filter(|m| m.key == key) {
                        m.conn
                            .close("The host removed you from the game.", GoodbyeCode::Kicked);
                    }
                    self.members.retain(|m| m.key != key);
                    info!(game = %self.code, player = %player, "player removed by the host");
                }
                GameEvent::PlayerMoved { player, .. } => {
                    // What they may see has changed: a fresh snapshot.
                    let key = MemberKey::Player(player);
                    let viewer = self.viewer(key);
                    let seq = self.streams.get(&key).copied().unwrap_or(0);
                    for m in self.members.iter().filter(|m| m.key == key) {
                        m.conn.send(&ServerMsg::Snapshot {
                            id: None,
                            seq,
                            view: Box::new(self.snapshot(viewer, &m.conn)),
                        });
                    }
                }
                _ => {}
            }
        }
    }

    /// The store refused a commit: back off (2 s, doubling to a minute)
    /// and tell the host once, in words.
    fn store_failed(&mut self, error: &str) {
        let now = now_ms();
        let backoff_ms = self
            .store_trouble
            .map_or(2_000, |t| (t.backoff_ms * 2).min(60_000));
        if self.store_trouble.is_none() {
            error!(game = %self.code, "could not save the game: {error}; retrying in {} s", backoff_ms / 1000);
            let note = ServerMsg::error(
                None,
                ErrorCode::Internal,
                "The server cannot save the game right now (is its disk full?). \
                 Nothing that was acknowledged is lost; the game waits and tries again.",
            );
            for m in self.members.iter().filter(|m| m.key == MemberKey::Host) {
                m.conn.send(&note);
            }
        }
        self.store_trouble = Some(StoreTrouble {
            retry_at_ms: now + backoff_ms,
            backoff_ms,
        });
    }

    fn store_recovered(&mut self) {
        if self.store_trouble.take().is_some() {
            info!(game = %self.code, "saving works again");
            let note = ServerMsg::error(
                None,
                ErrorCode::Internal,
                "Saving works again: the game goes on.",
            );
            for m in self.members.iter().filter(|m| m.key == MemberKey::Host) {
                m.conn.send(&note);
            }
        }
    }

    /// Give a seated bot its brain (again, after a restart).
    fn seat_bot(&mut self, id: PlayerId) {
        let seed = self.game.state().seed;
        let temperament = if id.0.is_multiple_of(2) {
            bots::Temperament::Bold
        } else {
            bots::Temperament::Cautious
        };
        let costs = bots::sim::costs_of(self.game.scenario());
        self.bots
            .insert(id, bots::Bot::new(id, temperament, seed).with_costs(costs));
    }

    /// Let every bot look at its own view and act, until none has more to
    /// do. Bots go through the same rules (and the same store) as people,
    /// and never act while the game is paused or not running.
    async fn drive_bots(&mut self) {
        if !self.bots_should_look || self.bots.is_empty() {
            return;
        }
        for _ in 0..50 {
            self.bots_should_look = false;
            let s = self.game.state();
            if s.status != GameStatus::Running
                || s.paused_remaining_ms.is_some()
                || self.store_trouble.is_some()
            {
                break;
            }
            let mut acted = false;
            let ids: Vec<PlayerId> = self.bots.keys().copied().collect();
            for id in ids {
                let Some(faction) = self.game.state().player(id).map(|p| p.faction) else {
                    self.bots.remove(&id);
                    continue;
                };
                let view = self.game.view(Viewer::Player { id, faction });
                let Some(bot) = self.bots.get_mut(&id) else {
                    continue;
                };
                for request in bot.decide(&view, now_ms()) {
                    // The same mapping and checks as a person's request.
                    if let Ok(Some(cmd)) = self.command_for(MemberKey::Player(id), &request) {
                        acted = true;
                        let _ = self.execute(cmd).await;
                    }
                }
            }
            if !acted {
                break;
            }
        }
        self.bots_should_look = false;
        let s = self.game.state();
        self.bot_wake = if s.status != GameStatus::Running
            || s.paused_remaining_ms.is_some()
            || self.store_trouble.is_some()
        {
            None
        } else {
            self.bots
                .iter()
                .filter_map(|(id, bot)| {
                    let faction = s.player(*id)?.faction;
                    bot.next_wake(&self.game.view(Viewer::Player { id: *id, faction }))
                })
                .min()
        };
    }

    /// Every member key of the game: host, spectators, each player.
    fn all_keys(&self) -> Vec<MemberKey> {
        [MemberKey::Host, MemberKey::Spectator]
            .into_iter()
            .chain(
                self.game
                    .state()
                    .players
                    .iter()
                    .map(|p| MemberKey::Player(p.id)),
            )
            .collect()
    }

    /// Append applied events to the log and send each to every member
    /// whose stream includes it.
    fn publish(&mut self, events: Vec<Emitted>) {
        for e in events {
            self.log_lifecycle(&e.event);
            // The one audience rule: each member as of this event.
            self.audiences.observe(&e);
            // Advance every stream the event belongs to, connected or not:
            // the host's, the spectators', every player's and any member's
            // leaving with this event (kicked: it still gets it). A member
            // new to the game starts from the events it may see in the
            // log so far.
            let state = self.game.state();
            let mut leaving = Vec::new();
            for m in &self.members {
                if let MemberKey::Player(p) = m.key {
                    if state.player(p).is_none() && !leaving.contains(&m.key) {
                        leaving.push(m.key);
                    }
                }
            }
            let keys = [MemberKey::Host, MemberKey::Spectator]
                .into_iter()
                .chain(state.players.iter().map(|p| MemberKey::Player(p.id)))
                .chain(leaving);
            let mut new_keys = Vec::new();
            for key in keys {
                let included = self.audiences.includes(key, &e);
                match self.streams.get_mut(&key) {
                    Some(n) => *n += u64::from(included),
                    None => new_keys.push((key, included)),
                }
            }
            for (key, included) in new_keys {
                let n = self.stream_of(key).count() as u64;
                self.streams.insert(key, n + u64::from(included));
            }
            // Serialize the event once; each recipient's frame only adds
            // its own seq, spliced in by its writer. (A redacted chat has
            // a second, textless body.)
            let mut bodies: [Option<Arc<str>>; 2] = [None, None];
            let mut slow = Vec::new();
            for m in &self.members {
                if !self.audiences.includes(m.key, &e) {
                    continue;
                }
                let body = if self.is_redacted_for(m.key, &e.event) {
                    bodies[1].get_or_insert_with(|| {
                        encode_event(&self.present(m.key, &e.event)).get().into()
                    })
                } else {
                    bodies[0].get_or_insert_with(|| encode_event(&e.event).get().into())
                };
                if !m.conn.add_event(self.streams[&m.key], body) {
                    slow.push(m.conn.id);
                }
            }
            self.log.push(e);
            for conn_id in slow {
                self.drop_slow(conn_id);
            }
        }
        if !self.holding {
            self.flush();
        }
    }

    /// Write what was added for each member: several events (and the
    /// answers after them) go out in one system call.
    fn flush(&self) {
        for m in &self.members {
            m.conn.out.flush();
        }
    }

    /// A connection whose queue refused a message: full (it cannot keep
    /// up: it is cut at once, and can resume) or closed (it is already
    /// gone; nothing to warn about). Its player is shown as away by the run
    /// loop, outside the publication in progress.
    fn drop_slow(&mut self, conn_id: u64) {
        let Some(i) = self.members.iter().position(|m| m.conn.id == conn_id) else {
            return;
        };
        let m = self.members.remove(i);
        if !m.conn.out.is_closed() {
            warn!(game = %self.code, who = %self.describe(m.key), "connection too slow to keep up: dropped (it can resume)");
            m.conn.out.close_too_slow();
        }
        m.conn.kick.notify_one();
        if let MemberKey::Player(p) = m.key {
            self.cut.push(p);
        }
    }

    /// Show the players whose connections were cut as away (unless they
    /// came back meanwhile).
    async fn settle_cut(&mut self) {
        for p in std::mem::take(&mut self.cut) {
            if !self.members.iter().any(|m| m.key == MemberKey::Player(p)) {
                let _ = self
                    .execute(Command::SetConnected {
                        player: p,
                        connected: false,
                        now_ms: now_ms(),
                    })
                    .await;
            }
        }
    }

    fn log_lifecycle(&self, event: &GameEvent) {
        match event {
            GameEvent::GameStarted { .. } => info!(game = %self.code, "game started"),
            GameEvent::PhaseStarted {
                round,
                month,
                phase,
                ..
            } => info!(game = %self.code, round, month = %month, phase = %phase, "phase started"),
            GameEvent::GameEnded { outcome } => {
                let winners: Vec<&str> = outcome.winners.iter().map(|f| f.id()).collect();
                info!(game = %self.code, ending = outcome.ending.title(), winners = ?winners, "game ended");
            }
            _ => {}
        }
    }

    async fn request(&mut self, conn_id: u64, id: Option<RequestId>, request: ClientRequest) {
        let Some(m) = self.members.iter().find(|m| m.conn.id == conn_id) else {
            return;
        };
        let key = m.key;
        let conn = m.conn.clone();
        // A download can be larger than one WebSocket message may be: it
        // goes in parts. It changes nothing, so it is not remembered.
        if let ClientRequest::Download { format, faction } = &request {
            let answer = match self.download(key, id.clone(), *format, *faction) {
                Ok(ServerMsg::Download {
                    id,
                    format,
                    filename,
                    content,
                    ..
                }) => ServerMsg::download_parts(id, format, filename, &content),
                Ok(other) => vec![other],
                Err(r) => vec![ServerMsg::error(id, r.code, r.message)],
            };
            let frames = answer.iter().map(|m| encode(m).into()).collect();
            if !conn.send_batch(frames) {
                self.drop_slow(conn_id);
            }
            return;
        }
        // The catalog is the same for the whole game: framed around its
        // one serialization.
        if let ClientRequest::GetCatalog = &request {
            let frame = encode_catalog_frame(id.as_ref(), &self.game.scenario().catalog_json);
            if !conn.send_text(frame.into()) {
                self.drop_slow(conn_id);
            }
            return;
        }
        self.moves(vec![(conn_id, id, request)]).await;
    }

    /// A player's move and the moves already waiting behind it in the
    /// mailbox (a voting phase opens: forty players vote within
    /// milliseconds), handled as one burst: each is decided against the
    /// state its predecessors left, and all their events and answers are
    /// stored in one commit before anyone sees any of them; if the store
    /// refuses, the game is as before the burst and every move is refused.
    /// One commit instead of one per move: the chat waiting behind a burst
    /// no longer waits for a store round trip per vote. The message that
    /// ended the burst, if any, is returned to be handled next.
    async fn burst(
        &mut self,
        first: (u64, Option<RequestId>, ClientRequest),
        rx: &mut mpsc::Receiver<RoomMsg>,
    ) -> Option<RoomMsg> {
        let mut keys = vec![self.key_of(first.0)];
        let mut moves = vec![first];
        while moves.len() < BURST_MAX {
            match rx.try_recv() {
                Ok(RoomMsg::Request {
                    conn_id,
                    id,
                    request,
                }) if joins_a_burst(&request) => {
                    // A resend of a move in this burst (the same member
                    // and id, from any of its connections) waits for its
                    // answer: it ends the burst.
                    let key = self.key_of(conn_id);
                    if id.is_some()
                        && key.is_some()
                        && moves
                            .iter()
                            .zip(&keys)
                            .any(|((_, i, _), k)| *k == key && *i == id)
                    {
                        self.moves(moves).await;
                        return Some(RoomMsg::Request {
                            conn_id,
                            id,
                            request,
                        });
                    }
                    keys.push(key);
                    moves.push((conn_id, id, request));
                }
                Ok(other) => {
                    self.moves(moves).await;
                    return Some(other);
                }
                Err(_) => break,
            }
        }
        self.moves(moves).await;
        None
    }

    /// Requests decided in order, each against the state its predecessors
    /// left (their events applied as they are decided); all their events
    /// and answers are stored in one commit before anyone sees any of
    /// them, then published and answered. If the store refuses, the game
    /// goes back to its log and every accepted move is refused. A resend
    /// of a request already answered (same id, same content) gets the same
    /// answer and is not applied again.
    async fn moves(&mut self, moves: Vec<(u64, Option<RequestId>, ClientRequest)>) {
        let mut events = Vec::new();
        let mut stored = Vec::new();
        let mut answers: Vec<MoveAnswer> = Vec::new();
        for (conn_id, id, request) in moves {
            let Some(m) = self.members.iter().find(|m| m.conn.id == conn_id) else {
                continue;
            };
            let (key, conn) = (m.key, m.conn.clone());
            let fp = is_command(&request).then(|| fingerprint(&request));
            if let (Some(id), Some(fp)) = (&id, fp) {
                if let Some((seen, frame)) = self.answers.get(&(key, id.clone())) {
                    if *seen == fp {
                        answers.push((conn, key, None, None, Answer::Final(frame.clone())));
                        continue;
                    }
                }
            }
            let refused = |r: Refusal| -> Answer {
                Answer::Final(encode(&ServerMsg::error(id.clone(), r.code, r.message)).into())
            };
            let answer = match self.command_for(key, &request) {
                Ok(Some(cmd)) => match self.game.handle(&cmd) {
                    Ok(new) => {
                        for e in &new {
                            self.game.apply(&e.event);
                        }
                        events.extend(new);
                        let ack: Frame = encode(&ServerMsg::Ack { id: id.clone() }).into();
                        if let Some(request) = id.clone() {
                            stored.push(StoredAnswer {
                                member: key,
                                request,
                                fingerprint: fp.unwrap_or(0),
                                frame: ack.to_string(),
                            });
                        }
                        Answer::Pending(ack)
                    }
                    Err(r) => refused(r),
                },
                Ok(None) => match self.local_answer(key, &conn, id.clone(), &request).await {
                    Ok(msg) => Answer::Final(encode(&msg).into()),
                    Err(r) => refused(r),
                },
                Err(r) => refused(r),
            };
            answers.push((conn, key, id, fp, answer));
        }
        // The events are published, then the answers added after them,
        // then all of it written: one write per member for the burst.
        self.holding = true;
        let saved = self.settle(events, Vec::new(), stored).await;
        self.holding = false;
        for (conn, key, id, fp, answer) in answers {
            let frame = match (answer, &saved) {
                (Answer::Pending(ack), Ok(())) => ack,
                (Answer::Pending(_), Err(r)) => {
                    encode(&ServerMsg::error(id.clone(), r.code, r.message.clone())).into()
                }
                (Answer::Final(frame), _) => frame,
            };
            if let (Some(id), Some(fp)) = (id, fp) {
                self.remember(key, id, fp, frame.clone());
            }
            if !conn.add_text(frame) {
                self.drop_slow(conn.id);
            }
        }
        // (A connection the room let go of meanwhile is closing: its
        // writer task writes what it was added.)
        self.flush();
    }

    /// Who an attached connection is.
    fn key_of(&self, conn_id: u64) -> Option<MemberKey> {
        self.members
            .iter()
            .find(|m| m.conn.id == conn_id)
            .map(|m| m.key)
    }

    /// Keep an answer for resends: the latest [`ANSWERS_PER_MEMBER`] of
    /// each member, the oldest forgotten first (a client resends only
    /// what it has not had an answer to yet, a handful at most).
    fn remember(&mut self, key: MemberKey, id: RequestId, fingerprint: u64, frame: Frame) {
        let order = self.answer_order.entry(key).or_default();
        if self
            .answers
            .insert((key, id.clone()), (fingerprint, frame))
            .is_some()
        {
            order.retain(|x| *x != id);
        }
        order.push_back(id);
        while order.len() > ANSWERS_PER_MEMBER {
            if let Some(old) = order.pop_front() {
                self.answers.remove(&(key, old));
            }
        }
    }

    /// Answers that change nothing.
    async fn local_answer(
        &mut self,
        key: MemberKey,
        conn: &ConnLink,
        id: Option<RequestId>,
        request: &ClientRequest,
    ) -> Result<ServerMsg, Refusal> {
        Ok(match request {
            ClientRequest::Ping => ServerMsg::Pong { id },
            ClientRequest::DeleteGame => {
                if key != MemberKey::Host {
                    return Err(Refusal::new(
                        ErrorCode::Forbidden,
                        "Only the host can delete the game.",
                    ));
                }
                if let Err(e) = self.store.delete_game(&self.code).await {
                    error!(game = %self.code, "could not delete the game: {e}");
                    return Err(Refusal::new(
                        ErrorCode::Internal,
                        "The game could not be deleted; try again.",
                    ));
                }
                info!(game = %self.code, "game deleted by the host");
                self.closing = Some((
                    "The host deleted this game.".into(),
                    GoodbyeCode::GameDeleted,
                ));
                ServerMsg::Ack { id }
            }
            ClientRequest::Download { format, faction } => {
                self.download(key, id, *format, *faction)?
            }
            _ => ServerMsg::Snapshot {
                id,
                seq: self.streams.get(&key).copied().unwrap_or(0),
                view: Box::new(self.snapshot(self.viewer(key), conn)),
            },
        })
    }

    /// The debrief record: the host's full one, or one faction's view of
    /// it. Only the host may download.
    fn download(
        &self,
        key: MemberKey,
        id: Option<RequestId>,
        format: DownloadFormat,
        faction: Option<Faction>,
    ) -> Result<ServerMsg, Refusal> {
        if key != MemberKey::Host {
            return Err(Refusal::new(
                ErrorCode::Forbidden,
                "Only the host can download the debrief record.",
            ));
        }
        // A faction's view: what any of its players could see (its channel
        // and plans, the public record), not individual players' private
        // messages or ballots. Player 0 never exists.
        let viewer = match faction {
            None => Viewer::Host,
            Some(faction) => Viewer::Player {
                id: PlayerId(0),
                faction,
            },
        };
        let key_for_view = match faction {
            None => MemberKey::Host,
            Some(_) => MemberKey::Spectator,
        };
        let events: Vec<LoggedEvent> = self
            .log
            .iter()
            .filter(|e| e.audience.includes(&viewer))
            .map(|e| LoggedEvent {
                audience: e.audience,
                event: self.present(key_for_view, &e.event),
            })
            .collect();
        let log = GameLog {
            code: self.code.clone(),
            settings: self.game.state().settings.clone(),
            seed: (viewer == Viewer::Host).then_some(self.game.state().seed),
            viewer,
            events,
        };
        let side = faction.map_or("host", Faction::id);
        // The report leaves out what the host redacted (the log keeps it
        // for the host).
        let redacted = &self.game.state().redacted;
        let shown: Vec<Emitted> = log
            .events
            .iter()
            .filter(|e| !matches!(&e.event, GameEvent::Chat { id, .. } if redacted.contains(id)))
            .map(|e| Emitted {
                audience: e.audience,
                event: e.event.clone(),
            })
            .collect();
        let scenario = self.game.scenario();
        let fresh = Game::new(
            Arc::new(scenario.clone()),
            self.game.state().settings.clone(),
            0,
            String::new(),
        );
        let input = crate::debrief::ReportInput {
            code: &self.code,
            scenario,
            start: &fresh.state().public,
            start_hidden: fresh.state().hidden,
            log: &shown,
            viewer,
            now_ms: now_ms(),
        };
        let (content, ext) = match format {
            DownloadFormat::Log => (
                serde_json::to_string_pretty(&log).expect("protocol types serialize"),
                "json",
            ),
            DownloadFormat::Markdown => (crate::debrief::markdown(&input), "md"),
            DownloadFormat::Html => (crate::debrief::html(&input), "html"),
        };
        Ok(ServerMsg::Download {
            id,
            format,
            filename: format!("dualpower-{}-{side}.{ext}", self.code),
            content,
            part: None,
            parts: None,
        })
    }

    /// Turn a member's request into an engine command: the one mapping
    /// (with every check) that people and bots share.
    fn command_for(
        &self,
        key: MemberKey,
        request: &ClientRequest,
    ) -> Result<Option<Command>, Refusal> {
        engine::request::command_for(
            &self.game,
            key.into(),
            request,
            &self.limits.requests(),
            now_ms(),
        )
    }
}

impl From<MemberKey> for RuleMember {
    fn from(key: MemberKey) -> RuleMember {
        match key {
            MemberKey::Host => RuleMember::Host,
            MemberKey::Spectator => RuleMember::Spectator,
            MemberKey::Player(p) => RuleMember::Player(p),
        }
    }
}

/// A stable fingerprint of a request's content (FNV-1a of its JSON).
fn fingerprint(request: &ClientRequest) -> u64 {
    encode(request)
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        })
}

/// The least time a phase gets after a restart (when its deadline passed
/// while the server was down, or it had only seconds left).
pub const RESTORE_GRACE_MS: u64 = 30_000;

/// What players see instead of a chat message the host hid.
const REDACTED: &str = "[removed by the host]";

/// Requests that change the game (and so are answered once per id).
fn is_command(request: &ClientRequest) -> bool {
    !matches!(
        request,
        ClientRequest::Ping
            | ClientRequest::GetState
            | ClientRequest::GetCatalog
            | ClientRequest::Download { .. }
    )
}

/// A player's move that may join a burst: it changes motions, ballots,
/// plans or the chat, never who is in the game, the phase or the end.
fn joins_a_burst(request: &ClientRequest) -> bool {
    matches!(
        request,
        ClientRequest::Chat { .. }
            | ClientRequest::TableMotion { .. }
            | ClientRequest::WithdrawMotion { .. }
            | ClientRequest::Vote { .. }
            | ClientRequest::PlanAction { .. }
            | ClientRequest::UnplanAction { .. }
    )
}

/// A move's answer: `Pending` until its commit succeeds (an `ack`),
/// `Final` as it is (a refusal, a local answer, a resend's first answer).
enum Answer {
    Pending(Frame),
    Final(Frame),
}

/// Who asked a move (connection, member, request id, fingerprint of a
/// command) and its answer.
type MoveAnswer = (ConnLink, MemberKey, Option<RequestId>, Option<u64>, Answer);

/// At most this many moves in one burst.
const BURST_MAX: usize = 64;

/// Answers remembered per member for resends.
pub const ANSWERS_PER_MEMBER: usize = 128;

async fn sleep_until(deadline_ms: Option<u64>) {
    let wait = deadline_ms.unwrap_or(u64::MAX).saturating_sub(now_ms());
    tokio::time::sleep(Duration::from_millis(wait.min(86_400_000))).await;
}
