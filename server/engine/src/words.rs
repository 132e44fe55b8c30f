//! The game in words: the catalog and the briefings, built from the
//! scenario file's texts with the file's own numbers filled in.
//!
//! A text may hold placeholders in braces, filled when the file is loaded:
//!
//! - `{cost}`, `{weight}`: a key of the item's own table;
//! - `{rules.assembly.seats}`: a dotted path from the top of the file (tried
//!   when the item's table has no such key); `{requires.0.value}` indexes a
//!   list;
//! - `{effects}`, `{rules.offensive.failure}`: a list of effects, written
//!   out in words ("Government legitimacy +8, a free press in force");
//! - `{path|abs}`: a number without its sign.
//!
//! So a teacher who edits a number sees the new number in every text that
//! mentions it, and a placeholder that names nothing refuses the file with
//! the field and the placeholder.

use crate::scenario::{Effect, EffectSpec, Scenario, ScenarioError, TextDef};
use protocol::{
    ActionEntry, Briefing, Catalog, Explained, Faction, Flag, Group, Motion, MotionEntry, Track,
};
use toml::{Table, Value};

/// The tracks a scenario explains, in the order clients show them.
pub const TRACK_IDS: [&str; 9] = [
    "gov_legitimacy",
    "soviet_legitimacy",
    "war_weariness",
    "bread",
    "order",
    "soviet_seats",
    "reaction",
    "red_guards",
    "loyal_troops",
];

/// The ideas every scenario must explain (it may explain more).
pub const REQUIRED_IDEAS: [&str; 3] = ["influence", "phases", "voting"];

/// Build the catalog and the briefings; refuse a missing text or a
/// placeholder that names nothing.
pub(crate) fn explain(
    sc: &Scenario,
    raw: &Table,
) -> Result<(Catalog, Vec<Briefing>), ScenarioError> {
    let root = Value::Table(raw.clone());
    let w = Words { root: &root };
    let mut catalog = Catalog::default();

    for f in Faction::ALL {
        let path = format!("factions.{}", f.id());
        let Some(def) = sc.factions.get(&f) else {
            return Err(missing(&path, "faction"));
        };
        let text = TextDef {
            name: def.name.clone(),
            does: def.does.clone(),
            history: def.history.clone(),
        };
        catalog
            .factions
            .push(w.explained(&path, f.id(), &text, "faction")?);
    }
    for g in Group::ALL {
        let path = format!("groups.{}", g.id());
        let def = sc.group(g);
        let text = TextDef {
            name: def.name.clone(),
            does: def.does.clone(),
            history: def.history.clone(),
        };
        catalog
            .groups
            .push(w.explained(&path, g.id(), &text, "group")?);
    }
    for id in sc.tracks.keys() {
        if !TRACK_IDS.contains(&id.as_str()) {
            return Err(ScenarioError::new(
                format!("tracks.{id}"),
                format!("is not a track; the tracks are {}", TRACK_IDS.join(", ")),
            ));
        }
    }
    for id in TRACK_IDS {
        let path = format!("tracks.{id}");
        let text = sc.tracks.get(id).ok_or_else(|| missing(&path, "track"))?;
        catalog.tracks.push(w.explained(&path, id, text, "track")?);
    }
    for m in Motion::CATALOG {
        let path = format!("motions.{}", m.id());
        let def = sc.motion(m);
        let text = TextDef {
            name: def.name.clone(),
            does: def.does.clone(),
            history: def.history.clone(),
        };
        let e = w.explained(&path, m.id(), &text, "motion")?;
        catalog.motions.push(MotionEntry {
            id: e.id,
            name: e.name,
            does: e.does,
            history: e.history,
            institution: m
                .institution()
                .expect("catalog motions have an institution"),
            once: def.once,
        });
    }
    let a = &sc.actions;
    let actions = [
        (
            "agitate",
            a.agitate.cost,
            None,
            TextDef {
                name: a.agitate.name.clone(),
                does: a.agitate.does.clone(),
                history: a.agitate.history.clone(),
            },
        ),
        (
            "press_campaign",
            a.press_campaign.cost,
            a.press_campaign.factions.clone(),
            text_of(&a.press_campaign),
        ),
        (
            "organize",
            a.organize.cost,
            a.organize.factions.clone(),
            text_of(&a.organize),
        ),
        (
            "relief",
            a.relief.cost,
            a.relief.factions.clone(),
            text_of(&a.relief),
        ),
        (
            "suppress",
            a.suppress.cost,
            a.suppress.factions.clone(),
            text_of(&a.suppress),
        ),
        (
            "seize_power",
            a.seize_power.cost,
            a.seize_power.factions.clone(),
            text_of(&a.seize_power),
        ),
    ];
    for (id, cost, factions, text) in actions {
        let path = format!("actions.{id}");
        let e = w.explained(&path, id, &text, "action")?;
        catalog.actions.push(ActionEntry {
            id: e.id,
            name: e.name,
            does: e.does,
            history: e.history,
            cost,
            factions: factions.unwrap_or_default(),
        });
    }
    for (i, ev) in sc.events.iter().enumerate() {
        let path = format!("events.{i}");
        let text = TextDef {
            name: ev.title.clone(),
            does: ev.does.clone(),
            history: ev.history.clone(),
        };
        catalog
            .events
            .push(w.explained(&path, &ev.id, &text, "event")?);
    }
    // Each policy a game may have in force (`PublicState::flags`) is an
    // idea of its own id: the clients list those in force.
    for id in REQUIRED_IDEAS
        .into_iter()
        .chain(protocol::Flag::ALL.map(|f| f.id()))
    {
        if !sc.ideas.contains_key(id) {
            return Err(missing(&format!("ideas.{id}"), "idea"));
        }
    }
    let mut ideas: Vec<&String> = sc.ideas.keys().collect();
    ideas.sort_by_key(|id| {
        (
            REQUIRED_IDEAS
                .iter()
                .position(|r| r == id)
                .unwrap_or(REQUIRED_IDEAS.len()),
            id.to_string(),
        )
    });
    for id in ideas {
        let path = format!("ideas.{id}");
        catalog
            .ideas
            .push(w.explained(&path, id, &sc.ideas[id], "idea")?);
    }

    catalog.characters = sc
        .characters
        .iter()
        .map(|c| protocol::CharacterEntry {
            name: c.name.clone(),
            faction: c.faction,
        })
        .collect();

    let mut briefings = Vec::new();
    for f in Faction::ALL {
        let path = format!("factions.{}", f.id());
        let def = &sc.factions[&f];
        let field = |name: &str, text: &str| -> Result<String, ScenarioError> {
            let at = format!("{path}.{name}");
            if text.trim().is_empty() {
                return Err(ScenarioError::new(
                    at,
                    "is missing: every faction needs a briefing (wants, wins, watch, first_moves)",
                ));
            }
            w.fill(&at, &path, text)
        };
        let wants = field("wants", &def.wants)?;
        let wins = field("wins", &def.wins)?;
        let watch = field("watch", &def.watch)?;
        if def.first_moves.is_empty() {
            return Err(ScenarioError::new(
                format!("{path}.first_moves"),
                "is missing: name at least one first move worth considering",
            ));
        }
        let first_moves = def
            .first_moves
            .iter()
            .enumerate()
            .map(|(i, m)| field(&format!("first_moves.{i}"), m))
            .collect::<Result<Vec<_>, _>>()?;
        briefings.push(Briefing {
            faction: f,
            wants,
            wins,
            watch,
            first_moves,
        });
    }

    let mut names = std::collections::BTreeSet::new();
    for (i, c) in sc.characters.iter().enumerate() {
        for (field, text) in [
            ("name", &c.name),
            ("brief", &c.brief),
            ("objective", &c.objective),
            ("fate", &c.fate),
        ] {
            if text.trim().is_empty() {
                return Err(ScenarioError::new(
                    format!("characters.{i}.{field}"),
                    "is missing: every character needs a name, a brief, a secret objective and their real fate",
                ));
            }
        }
        if !names.insert(c.name.to_lowercase()) {
            return Err(ScenarioError::new(
                format!("characters.{i}.name"),
                format!("{} appears twice", c.name),
            ));
        }
    }
    Ok((catalog, briefings))
}

fn text_of(d: &crate::scenario::ActionDef) -> TextDef {
    TextDef {
        name: d.name.clone(),
        does: d.does.clone(),
        history: d.history.clone(),
    }
}

fn missing(path: &str, what: &str) -> ScenarioError {
    ScenarioError::new(
        path,
        format!("is missing: every {what} needs a name, a `does` (what it does in this game) and a `history` (what it was in 1917)"),
    )
}

struct Words<'a> {
    root: &'a Value,
}

impl Words<'_> {
    fn explained(
        &self,
        path: &str,
        id: &str,
        text: &TextDef,
        what: &str,
    ) -> Result<Explained, ScenarioError> {
        for (field, value) in [
            ("name", &text.name),
            ("does", &text.does),
            ("history", &text.history),
        ] {
            if value.trim().is_empty() {
                return Err(missing(&format!("{path}.{field}"), what));
            }
        }
        Ok(Explained {
            id: id.to_string(),
            name: text.name.trim().to_string(),
            does: self.fill(&format!("{path}.does"), path, text.does.trim())?,
            history: text.history.trim().to_string(),
        })
    }

    /// Fill the placeholders of `text` (the field at `at`), looking keys up
    /// in the table at `local` first, then from the top of the file.
    fn fill(&self, at: &str, local: &str, text: &str) -> Result<String, ScenarioError> {
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open]);
            let after = &rest[open + 1..];
            let Some(close) = after.find('}') else {
                return Err(ScenarioError::new(at, "has a `{` without its `}`"));
            };
            let spec = after[..close].trim();
            let (key, abs) = match spec.strip_suffix("|abs") {
                Some(k) => (k.trim(), true),
                None => (spec, false),
            };
            let value = lookup(self.root, &format!("{local}.{key}"))
                .or_else(|| lookup(self.root, key))
                .ok_or_else(|| {
                    ScenarioError::new(
                        at,
                        format!("the placeholder {{{spec}}} names nothing in the file"),
                    )
                })?;
            out.push_str(&words_of(value, abs).map_err(|reason| {
                ScenarioError::new(at, format!("the placeholder {{{spec}}} {reason}"))
            })?);
            rest = &after[close + 1..];
        }
        out.push_str(rest);
        Ok(out)
    }
}

/// The value at a dotted path (`a.b.0.c`).
fn lookup<'v>(root: &'v Value, path: &str) -> Option<&'v Value> {
    let mut v = root;
    for seg in path.split('.') {
        v = match v {
            Value::Table(t) => t.get(seg)?,
            Value::Array(a) => a.get(seg.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(v)
}

/// A value in words: a number, a text, a list of effects.
fn words_of(v: &Value, abs: bool) -> Result<String, String> {
    match v {
        Value::Integer(i) => Ok(if abs { i.abs() } else { *i }.to_string()),
        Value::Float(f) => Ok(if abs { f.abs() } else { *f }.to_string()),
        Value::String(s) => Ok(s.clone()),
        Value::Boolean(b) => Ok(if *b { "yes" } else { "no" }.to_string()),
        Value::Array(items) if items.iter().all(|i| i.get("op").is_some()) && !items.is_empty() => {
            let effects: Vec<EffectSpec> = v.clone().try_into().map_err(|e: toml::de::Error| {
                format!("is not a list of effects: {}", e.message())
            })?;
            Ok(effects_in_words(&effects))
        }
        Value::Array(items) if items.is_empty() => Ok("nothing".into()),
        Value::Array(items) => items
            .iter()
            .map(|i| words_of(i, abs))
            .collect::<Result<Vec<_>, _>>()
            .map(|v| v.join(", ")),
        _ => Err("is a table: name one of its numbers".into()),
    }
}

/// A list of effects in words, e.g. "Soviet legitimacy +8, loyal troops
/// −10, 5 points of the soldiers' support to the Soviet delegates".
pub fn effects_in_words(effects: &[EffectSpec]) -> String {
    let parts: Vec<String> = effects
        .iter()
        .map(|e| {
            let mut s = effect_in_words(&e.effect);
            if let Some(flag) = e.when {
                s.push_str(&format!(" (while {} is in force)", flag_words(flag)));
            }
            s
        })
        .collect();
    if parts.is_empty() {
        "nothing".into()
    } else {
        parts.join(", ")
    }
}

fn signed(by: i32) -> String {
    if by < 0 {
        format!("\u{2212}{}", -by)
    } else {
        format!("+{by}")
    }
}

fn effect_in_words(e: &Effect) -> String {
    match e {
        Effect::Add { track, by } => format!("{} {}", track_words(*track), signed(*by)),
        Effect::Set { track, to } => format!("{} set to {to}", track_words(*track)),
        Effect::Halve { track } => format!("{} halved", track_words(*track)),
        Effect::Unrest { groups, by } => {
            let names: Vec<&str> = groups.iter().map(|g| group_possessive(*g)).collect();
            format!("{} unrest {}", join_and(&names), signed(*by))
        }
        Effect::Shift {
            group,
            to,
            by,
            first,
        } => {
            let mut s = format!(
                "{by} points of {} support to {}",
                group_possessive(*group),
                faction_words(*to)
            );
            if let Some(f) = first {
                s.push_str(&format!(" (from {} first)", faction_words(*f)));
            }
            s
        }
        Effect::Take { group, from, by } => format!(
            "{by} points of {} support taken from {}",
            group_possessive(*group),
            faction_words(*from)
        ),
        Effect::Move {
            group,
            from,
            to,
            by,
        } => format!(
            "{by} points of {} support from {} to {}",
            group_possessive(*group),
            faction_words(*from),
            faction_words(*to)
        ),
        Effect::ShiftToSoviets { group, by } => format!(
            "{by} points of {} support from the liberals to the Soviet delegates and the Bolsheviks (split by Soviet seats)",
            group_possessive(*group)
        ),
        Effect::Flag { flag } => format!("{} in force", flag_words(*flag)),
        Effect::ClearFlag { flag } => format!("{} lifted", flag_words(*flag)),
        Effect::Ip { faction, by } => format!("{} +{by} influence", faction_words(*faction)),
    }
}

fn join_and(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => one.to_string(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// A track as the texts name it.
pub fn track_words(t: Track) -> &'static str {
    match t {
        Track::GovLegitimacy => "Government legitimacy",
        Track::SovietLegitimacy => "Soviet legitimacy",
        Track::WarWeariness => "war weariness",
        Track::Bread => "bread",
        Track::Reaction => "reaction",
        Track::RedGuards => "Red Guards",
        Track::LoyalTroops => "loyal troops",
    }
}

fn faction_words(f: Faction) -> &'static str {
    match f {
        Faction::Liberals => "the liberals",
        Faction::Soviet => "the Soviet delegates",
        Faction::Bolsheviks => "the Bolsheviks",
    }
}

fn group_possessive(g: Group) -> &'static str {
    match g {
        Group::Workers => "the workers'",
        Group::Soldiers => "the soldiers'",
        Group::Peasants => "the peasants'",
        Group::Middle => "the middle classes'",
    }
}

fn flag_words(f: Flag) -> &'static str {
    match f {
        Flag::FreePress => "a free press",
        Flag::AtWar => "war until victory",
        Flag::ElectionsScheduled => "a date for the elections",
        Flag::Mrc => "the Military Revolutionary Committee",
    }
}
