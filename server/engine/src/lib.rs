//! The Dual Power rules core.
//!
//! A pure, deterministic state machine for the game of `GAME.md`:
//!
//! - [`Game::handle`] takes a [`Command`] and, without changing anything,
//!   either refuses it ([`Refusal`], with a stable code and a sentence) or
//!   returns the events it causes.
//! - [`Game::apply`] folds one event into the state. It is the only way the
//!   state changes, so replaying a game's log rebuilds it exactly.
//! - [`Game::execute`] is the two together.
//! - [`Game::view`] is what one viewer may see.
//!
//! Nothing here does I/O, reads a clock or uses a global RNG: the time comes
//! inside commands (`now_ms`), and each resolution draws from a ChaCha RNG
//! seeded by the game's seed and the round, so the same seed and the same
//! commands give the same game.
//!
//! Layout:
//! - [`scenario`]: every number of the rules, loaded from TOML and
//!   validated; the default Petrograd 1917 scenario is built in.
//! - [`state`]: the state and [`Game::apply`].
//! - [`game`]: commands, validation ([`Game::handle`]) and views.
//! - [`request`]: the one mapping from a member's request (person or bot)
//!   to a command, with the role, mute, text and limit checks.
//! - [`words`]: the catalog and briefings (the game in words), built from
//!   the scenario's texts with its numbers filled in.
//! - `rules`: the resolution: motions, actions, drift, by-elections,
//!   endings, and the narrative.

pub mod game;
pub mod request;
pub mod scenario;
pub mod state;
pub mod words;

mod rules;

pub use game::{Command, Emitted, Game, Refusal, Speaker};
pub use scenario::{Scenario, ScenarioError};
pub use state::State;
