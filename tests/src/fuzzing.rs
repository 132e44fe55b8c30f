//! What the fuzz targets check, as plain functions: `fuzz/` calls them with
//! libFuzzer's inputs, and `tests/tests/fuzz_corpus.rs` runs the committed
//! corpus through them on every `cargo test` (stable toolchain, no
//! libFuzzer needed). See `docs/FUZZING.md`.

use engine::{Command, Game, Scenario, Speaker};
use protocol::*;
use std::sync::{Arc, OnceLock};

/// Any bytes as a client message: decoding never panics, and whatever
/// decodes re-encodes to JSON that decodes to the same message.
pub fn client_message(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(msg) = serde_json::from_str::<ClientMsg>(text) else {
        return;
    };
    let again = serde_json::to_string(&msg).expect("a decoded message encodes");
    let back: ClientMsg = serde_json::from_str(&again).expect("an encoded message decodes");
    assert_eq!(back, msg, "round trip changed {text:?}");
}

/// Reads parameters off the fuzzer's bytes; zeros when they run out.
struct Bytes<'a>(&'a [u8]);

impl Bytes<'_> {
    fn u8(&mut self) -> u8 {
        match self.0.split_first() {
            Some((b, rest)) => {
                self.0 = rest;
                *b
            }
            None => 0,
        }
    }
    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[usize::from(self.u8()) % items.len()]
    }
    fn u32(&mut self) -> u32 {
        u32::from_le_bytes([self.u8(), self.u8(), self.u8(), self.u8()])
    }
    fn text(&mut self) -> String {
        let n = usize::from(self.u8() % 40);
        let raw: Vec<u8> = (0..n).map(|_| self.u8()).collect();
        String::from_utf8_lossy(&raw).into_owned()
    }
    fn reason(&mut self) -> Option<String> {
        self.u8().is_multiple_of(2).then(|| self.text())
    }
    fn done(&self) -> bool {
        self.0.is_empty()
    }
}

fn scenario() -> Arc<Scenario> {
    static S: OnceLock<Arc<Scenario>> = OnceLock::new();
    S.get_or_init(|| Arc::new(Scenario::default_scenario()))
        .clone()
}

fn command(b: &mut Bytes, now: &mut u64) -> Command {
    // Time only moves forward, by up to ~4 minutes a step.
    *now += u64::from(b.u8()) * 1000;
    let now_ms = *now;
    let player = PlayerId(u32::from(b.u8() % 8));
    let group = b.pick(&Group::ALL);
    let motion = match b.pick(&Motion::CATALOG) {
        Motion::ScheduleElections { .. } => Motion::ScheduleElections { round: b.u8() % 12 },
        m => m,
    };
    let action = match b.pick(&Action::CATALOG) {
        Action::Agitate { .. } => Action::Agitate { group },
        a => a,
    };
    let faction = b.pick(&Faction::ALL);
    match b.u8() % 24 {
        0 | 1 => Command::Join {
            name: b.text(),
            faction: b.u8().is_multiple_of(2).then_some(faction),
        },
        2 => Command::SetConnected {
            player,
            connected: b.u8().is_multiple_of(2),
            now_ms,
        },
        3 => Command::Start { now_ms },
        4 | 5 => Command::Tick { now_ms },
        6 => Command::Advance { now_ms },
        7 => Command::Chat {
            from: if b.u8().is_multiple_of(4) {
                Speaker::Host
            } else {
                Speaker::Player(player)
            },
            channel: match b.u8() % 3 {
                0 => Channel::Floor,
                1 => Channel::Faction,
                _ => Channel::Private {
                    to: PlayerId(u32::from(b.u8() % 8)),
                },
            },
            text: b.text(),
        },
        8 | 9 => Command::Table { player, motion },
        10 => Command::Withdraw {
            player,
            motion: MotionId(u32::from(b.u8() % 16)),
        },
        11 | 12 => Command::Vote {
            player,
            motion: MotionId(u32::from(b.u8() % 16)),
            vote: b.pick(&[Vote::Yes, Vote::No, Vote::Abstain]),
        },
        13 | 14 => Command::Plan { player, action },
        15 => Command::Unplan {
            player,
            action: ActionId(u32::from(b.u8() % 16)),
        },
        16 => Command::Pause {
            now_ms,
            reason: b.reason(),
            min_remaining_ms: 0,
            restart: false,
        },
        17 => Command::ResumeClock { now_ms },
        18 => Command::Extend {
            now_ms,
            secs: b.u32() % 7200,
            reason: b.reason(),
        },
        19 => Command::EndPhase {
            now_ms,
            reason: b.reason(),
        },
        20 => Command::Move {
            player,
            faction,
            reason: b.reason(),
        },
        21 => Command::SetReady {
            player,
            ready: b.u8().is_multiple_of(2),
            now_ms,
        },
        22 => Command::InjectEvent {
            event: b
                .pick(&["july_days", "kornilov", "tsar_abdicates", "nonsense", ""])
                .to_string(),
        },
        _ => Command::Redact {
            chat: u64::from(b.u8() % 16),
            reason: b.reason(),
        },
    }
}

/// Any bytes as a sequence of engine commands: nothing panics; a refused
/// command leaves the state exactly as it was; the support of every group
/// sums to 100; and replaying the events from the seed gives the same state.
pub fn engine_commands(data: &[u8]) {
    let mut b = Bytes(data);
    let seed = u64::from(b.u8());
    let settings = GameSettings {
        scenario: "petrograd-1917".into(),
        timers: PhaseTimers {
            briefing: 30,
            negotiation: 60,
            proposals: 60,
            voting: 60,
            resolution: 10,
        },
        faction_choice: if b.u8() % 2 == 0 {
            FactionChoice::Choose
        } else {
            FactionChoice::Auto
        },
        characters: b.u8() % 2 == 0,
    };
    let mut game = Game::new(scenario(), settings.clone(), seed, "FUZZ2".into());
    let mut log = Vec::new();
    let mut now = 1_700_000_000_000u64;
    let mut steps = 0;
    while !b.done() && steps < 400 {
        steps += 1;
        let cmd = command(&mut b, &mut now);
        let before = game.state().hash();
        match game.execute(cmd.clone()) {
            Ok(events) => log.extend(events.into_iter().map(|e| e.event)),
            Err(refusal) => {
                assert_eq!(
                    game.state().hash(),
                    before,
                    "refused {cmd:?} ({refusal:?}) changed the state"
                );
            }
        }
        for (g, s) in &game.state().public.groups {
            let sum: u32 = s.support.iter().map(|(_, v)| u32::from(*v)).sum();
            assert_eq!(sum, 100, "{g:?} support sums to {sum} after {cmd:?}");
        }
    }
    let replayed = Game::replay(scenario(), settings, seed, "FUZZ2".into(), log.iter());
    assert_eq!(
        replayed.state().hash(),
        game.state().hash(),
        "replay differs"
    );
}
