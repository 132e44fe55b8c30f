//! The game explained in words: what each faction, group, track, motion,
//! action and monthly event does in this game, and what it was in 1917.
//!
//! The texts come from the scenario file (so a teacher's own scenario, with
//! its own numbers, explains itself). The [`Catalog`] is the same for a
//! whole game and large (about 30 KB), so it travels once, in the `catalog`
//! answer to `get_catalog`, not in every snapshot; a viewer's briefings
//! travel in the [`GameView`](crate::GameView). Clients that ignore them
//! keep working.

use crate::vocab::{Faction, Institution};
use serde::{Deserialize, Serialize};

/// One thing of the game, explained.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Explained {
    /// Its id on the wire, e.g. `land_reform`, `workers`, `bread`,
    /// `bolsheviks`; for ideas: `influence`, `phases`, `voting`.
    pub id: String,
    /// Its name for people, e.g. "Land reform".
    pub name: String,
    /// What it does in this game, in one or two plain sentences with this
    /// scenario's numbers.
    pub does: String,
    /// What it was in 1917, in two or three sentences.
    pub history: String,
}

/// A motion of the catalog, explained.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct MotionEntry {
    pub id: String,
    pub name: String,
    pub does: String,
    pub history: String,
    /// Where it is tabled and voted: the cabinet (decrees) or the Soviet
    /// (resolutions).
    pub institution: Institution,
    /// It can pass only once a game.
    #[serde(default, skip_serializing_if = "is_false")]
    pub once: bool,
}

/// An action of the catalog, explained.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ActionEntry {
    pub id: String,
    pub name: String,
    pub does: String,
    pub history: String,
    /// What it costs in influence points.
    pub cost: u32,
    /// The factions that may plan it (every faction when empty).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub factions: Vec<Faction>,
}

/// Everything in the game, explained; the same for every viewer.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Catalog {
    pub factions: Vec<Explained>,
    pub groups: Vec<Explained>,
    /// Every track: both legitimacies, war weariness, bread, order, the
    /// hidden forces.
    pub tracks: Vec<Explained>,
    pub motions: Vec<MotionEntry>,
    pub actions: Vec<ActionEntry>,
    /// The monthly events.
    pub events: Vec<Explained>,
    /// The ideas a player needs: `influence`, `phases`, `voting`, …
    pub ideas: Vec<Explained>,
    /// The historical characters the host may deal or assign
    /// (`assign_character`), by faction; their briefs stay secret.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub characters: Vec<CharacterEntry>,
}

/// A historical character of the scenario, as everyone may see it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct CharacterEntry {
    pub name: String,
    pub faction: Faction,
}

/// A faction's briefing: what it wants and how to play it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Briefing {
    pub faction: Faction,
    /// What the faction wants, in a sentence or two.
    pub wants: String,
    /// How it wins this game (the ending conditions in words).
    pub wins: String,
    /// What to watch for: dangers and opportunities.
    pub watch: String,
    /// First moves worth considering.
    pub first_moves: Vec<String>,
}

fn is_false(b: &bool) -> bool {
    !*b
}
