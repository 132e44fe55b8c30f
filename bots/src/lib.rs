//! Bots for every faction, and self-play for balancing the scenario.
//!
//! - [`brain`]: one bot, deciding from its own player's view only.
//! - [`sim`]: whole games of bots in-process (the balance tool's engine).

pub mod balance;
pub mod brain;
pub mod sim;

pub use brain::{Bot, Costs, Strategy, Temperament};
