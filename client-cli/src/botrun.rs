//! `dualpower bots`: bots that join any server's game as players, over
//! WebSockets like everyone else, and play until the game ends. Useful to
//! fill seats from another machine, to test a class set-up, or as load.

use crate::link::{Link, LinkEvent};
use bots::{Bot, Temperament};
use protocol::*;

pub struct BotsOptions {
    pub server: String,
    pub code: String,
    pub count: usize,
    pub faction: Option<Faction>,
    pub bold: Option<bool>,
    pub seed: u64,
    pub name: String,
}

/// Run the bots until every one has seen the end of the game (or failed).
pub async fn run(opts: BotsOptions) -> i32 {
    let mut tasks = Vec::new();
    for i in 0..opts.count {
        let name = if opts.count == 1 {
            opts.name.clone()
        } else {
            format!("{} {}", opts.name, i + 1)
        };
        let temperament = match opts.bold {
            Some(true) => Temperament::Bold,
            Some(false) => Temperament::Cautious,
            None if i % 2 == 0 => Temperament::Bold,
            None => Temperament::Cautious,
        };
        tasks.push(tokio::spawn(one(
            opts.server.clone(),
            opts.code.clone(),
            name,
            opts.faction,
            temperament,
            opts.seed.wrapping_add(i as u64),
        )));
    }
    let mut failed = 0;
    for t in tasks {
        if !matches!(t.await, Ok(true)) {
            failed += 1;
        }
    }
    if failed > 0 {
        eprintln!(
            "{failed} of {} bots stopped before the end of the game",
            opts.count
        );
        1
    } else {
        0
    }
}

async fn one(
    server: String,
    code: String,
    name: String,
    faction: Option<Faction>,
    temperament: Temperament,
    seed: u64,
) -> bool {
    let mut link = Link::start(
        server,
        format!("dualpower-bot/{}", env!("CARGO_PKG_VERSION")),
    );
    match link.events.recv().await {
        Some(LinkEvent::Connected { .. }) => {}
        Some(LinkEvent::Fatal { reason }) | Some(LinkEvent::Lost { reason }) => {
            eprintln!("{name}: {reason}");
            return false;
        }
        _ => return false,
    }
    let join = link.send(ClientRequest::JoinGame {
        code,
        name: name.clone(),
        faction,
    });
    let mut view: Option<GameView> = None;
    let mut bot: Option<Bot> = None;
    while let Some(ev) = link.events.recv().await {
        match ev {
            LinkEvent::Msg(ServerMsg::Joined {
                viewer: Viewer::Player { id, faction },
                ..
            }) => {
                println!("{name} joined the {} ({temperament:?})", faction.name());
                bot = Some(Bot::new(id, temperament, seed));
            }
            LinkEvent::Msg(ServerMsg::Error { id, message, .. }) if id.as_ref() == Some(&join) => {
                eprintln!("{name}: {message}");
                return false;
            }
            LinkEvent::Msg(ServerMsg::Snapshot { view: v, .. }) => view = Some(*v),
            LinkEvent::Msg(ServerMsg::Event { event, .. }) => {
                if let Some(v) = &mut view {
                    v.apply(&event);
                }
                if let GameEvent::GameEnded { outcome } = &event {
                    println!("{name}: the game is over: {}", outcome.ending.title());
                    return true;
                }
                if let GameEvent::PlayerMoved { player, .. } = &event {
                    if view.as_ref().and_then(GameView::me) == Some(*player) {
                        link.send(ClientRequest::GetState);
                    }
                }
            }
            LinkEvent::Fatal { reason } => {
                eprintln!("{name}: {reason}");
                return false;
            }
            _ => {}
        }
        if let (Some(v), Some(b)) = (&view, &mut bot) {
            if v.status == GameStatus::Ended {
                return true;
            }
            for request in b.decide(v, now_ms()) {
                link.send(request);
            }
        }
    }
    false
}

/// The wall clock, ms since the Unix epoch (the clock of the deadlines).
fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}
