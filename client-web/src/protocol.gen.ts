/* Generated from protocol/schema/protocol-v1.schema.json by scripts/gen-types.mjs. Do not edit: run `npm run types`. */

/**
 * Every message: a client's request (ClientMsg), the server's (ServerMsg), GET /health (Health), the debrief log (GameLog). See PROTOCOL.md.
 */
export type ProtocolV1 = (ClientMsg | ServerMsg | Health | GameLog)
/**
 * A message from a client: an optional `id` and the request.
 * 
 * Decoding is strict about tags: `type` (and the `kind`/`id` tags of a
 * nested channel, motion or action) must be one of the documented
 * strings; serde would otherwise also take a number as a variant's index
 * (`{"type":1}` as `create_game`). A text `id` has at most
 * [`MAX_REQUEST_ID_CHARS`] characters.
 */
export type ClientMsg = ({
id?: (RequestId | null)
} & ClientMsg1)
/**
 * A client-chosen request id, echoed in the answer.
 */
export type RequestId = (number | string)
export type ClientMsg1 = ({
/**
 * The client asks for the catalog (the game in words, ~30 KB)
 * once with `get_catalog`: snapshots to this connection leave it
 * out. Absent or false: every snapshot carries it, as before.
 */
catalog_on_request?: boolean
/**
 * The client's name and version, for the server's logs.
 */
client?: (string | null)
protocol_version: number
type: "hello"
} | {
characters?: boolean
/**
 * How players get their faction.
 */
faction_choice?: ("choose" | "auto")
/**
 * Timer presets.
 */
preset?: ("standard" | "short")
/**
 * Scenario id; the default scenario when absent.
 */
scenario?: (string | null)
/**
 * The random seed; a random one when absent.
 */
seed?: (number | null)
/**
 * Exact seconds per phase; overrides `preset`.
 */
timers?: (PhaseTimers | null)
type: "create_game"
} | {
code: string
/**
 * The wished faction (ignored when the host auto-balances).
 */
faction?: (Faction | null)
name: string
type: "join_game"
} | {
code: string
last_seq?: (number | null)
type: "spectate"
} | {
last_seq?: (number | null)
token: string
type: "resume"
} | {
type: "start_game"
} | {
type: "advance_phase"
} | {
channel: Channel
text: string
type: "chat"
} | {
motion: Motion
type: "table_motion"
} | {
motion: MotionId
type: "withdraw_motion"
} | {
motion: MotionId
type: "vote"
vote: Vote
} | {
action: Action
type: "plan_action"
} | {
action: ActionId
type: "unplan_action"
} | {
type: "get_state"
} | {
type: "get_catalog"
} | {
ready: boolean
type: "set_ready"
} | {
preset?: (TimerPreset | null)
timers?: (PhaseTimers | null)
type: "set_timers"
} | {
reason?: (string | null)
type: "pause"
} | {
type: "resume_game"
} | {
reason?: (string | null)
seconds: number
type: "extend"
} | {
reason?: (string | null)
type: "end_phase"
} | {
player: PlayerId
reason?: (string | null)
type: "kick"
} | {
faction: Faction
player: PlayerId
reason?: (string | null)
type: "move_player"
} | {
reason?: (string | null)
type: "end_game"
} | {
event: string
type: "inject_event"
} | {
player: PlayerId
reason?: (string | null)
seconds: number
type: "mute"
} | {
chat: number
reason?: (string | null)
type: "redact"
} | {
enabled: boolean
type: "set_ready_rule"
} | {
faction?: (Faction | null)
type: "add_bot"
} | {
character: string
player: PlayerId
type: "assign_character"
} | {
faction?: (Faction | null)
format: DownloadFormat
type: "download"
} | {
type: "delete_game"
} | {
type: "ping"
})
/**
 * The three factions (roles). A faction is a team of one or more players.
 */
export type Faction = ("liberals" | "soviet" | "bolsheviks")
/**
 * A chat channel.
 */
export type Channel = ({
kind: "floor"
} | {
kind: "faction"
} | {
kind: "private"
to: PlayerId
})
/**
 * A player's id within one game: small, stable, public.
 */
export type PlayerId = number
/**
 * A motion from the catalogs: a Government decree or a Soviet resolution,
 * with its parameters. On the wire: `{"id": "civil_liberties"}`,
 * `{"id": "schedule_elections", "round": 6}`.
 */
export type Motion = ({
id: "civil_liberties"
} | {
id: "amnesty"
} | {
id: "continue_war"
} | {
id: "offensive"
} | {
id: "peace_without_annexations"
} | {
id: "schedule_elections"
/**
 * The round in which the Assembly is elected (before it begins).
 */
round: number
} | {
id: "postpone_elections"
} | {
id: "land_reform"
} | {
id: "grain_monopoly"
} | {
id: "death_penalty_at_front"
} | {
id: "arrest_bolsheviks"
} | {
id: "appoint_hardline_commander"
} | {
id: "call_on_soviet"
} | {
id: "offer_coalition"
} | {
id: "order_no_1"
} | {
id: "conditional_support"
} | {
id: "peace_appeal"
} | {
id: "join_coalition"
} | {
id: "leave_coalition"
} | {
id: "workers_control"
} | {
id: "arm_workers"
} | {
id: "form_mrc"
} | {
id: "condemn_bolsheviks"
} | {
id: "all_power_to_soviets"
} | {
id: "unknown"
})
/**
 * A motion's id within one game (unique across rounds).
 */
export type MotionId = number
/**
 * A ballot.
 */
export type Vote = ("yes" | "no" | "abstain")
/**
 * A faction action with its parameters. On the wire:
 * `{"id": "agitate", "group": "workers"}`, `{"id": "relief"}`.
 */
export type Action = ({
group: Group
id: "agitate"
} | {
id: "press_campaign"
} | {
id: "organize"
} | {
id: "relief"
} | {
id: "suppress"
} | {
id: "seize_power"
} | {
id: "unknown"
})
/**
 * The four social groups.
 */
export type Group = ("workers" | "soldiers" | "peasants" | "middle")
/**
 * A planned action's id within one game.
 */
export type ActionId = number
/**
 * Timer presets.
 */
export type TimerPreset = ("standard" | "short")
/**
 * Formats of the debrief record.
 */
export type DownloadFormat = ("log" | "markdown" | "html")
/**
 * Every message the server sends.
 */
export type ServerMsg = ({
id?: (RequestId | null)
protocol_version: number
server_version: string
type: "welcome"
} | {
/**
 * The join code to read aloud (no 0, O, 1 or I).
 */
code: string
host_token: string
id?: (RequestId | null)
type: "game_created"
} | {
code: string
id?: (RequestId | null)
/**
 * The secret token to `resume` with (players and host).
 */
token?: (string | null)
type: "joined"
viewer: Viewer
} | {
id?: (RequestId | null)
seq: number
type: "snapshot"
view: GameView
} | {
event: GameEvent
seq: number
type: "event"
} | {
id?: (RequestId | null)
type: "ack"
} | {
id?: (RequestId | null)
type: "pong"
} | {
code: ErrorCode
id?: (RequestId | null)
message: string
type: "error"
} | {
code?: (GoodbyeCode | null)
reason: string
type: "goodbye"
} | {
catalog: Catalog
id?: (RequestId | null)
type: "catalog"
} | {
content: string
/**
 * A file name to save it under.
 */
filename: string
format: DownloadFormat
id?: (RequestId | null)
/**
 * This message's place in a record sent in parts (1-based).
 */
part?: (number | null)
/**
 * How many parts the record has.
 */
parts?: (number | null)
type: "download"
})
/**
 * Who is looking. Decides what a view and the event stream contain.
 */
export type Viewer = ({
role: "host"
} | {
faction: Faction
id: PlayerId
role: "player"
} | {
role: "spectator"
})
/**
 * Which body a motion goes to.
 */
export type Institution = ("government" | "soviet")
/**
 * Where a motion stands.
 */
export type MotionStatus = ("tabled" | "withdrawn" | "passed" | "failed")
/**
 * How a game ended.
 */
export type Ending = (("military_dictatorship" | "collapse" | "october_insurrection" | "all_power_to_soviets" | "constituent_assembly") | "ended_by_host")
/**
 * The phases of a round, in order.
 */
export type Phase = ("briefing" | "negotiation" | "proposals" | "voting" | "resolution")
/**
 * Policies and facts in force.
 */
export type Flag = ("free_press" | "at_war" | "elections_scheduled" | "mrc")
/**
 * A band in which hidden tracks are shown to players.
 */
export type Band = ("low" | "rising" | "high" | "overwhelming")
/**
 * Where a game is in its life.
 */
export type GameStatus = (("running" | "ended") | "lobby")
/**
 * Everything that can happen in a game. On the wire the variant is the
 * `kind` field: `{"kind": "chat", ...}`.
 */
export type GameEvent = ({
kind: "player_joined"
player: PlayerInfo
} | {
/**
 * When (ms since the Unix epoch); the debrief counts each
 * player's time connected from it. Absent in older logs.
 */
at_ms?: (number | null)
connected: boolean
kind: "player_connection"
player: PlayerId
} | {
brief: CharacterBrief
kind: "character_assigned"
player: PlayerId
} | {
kind: "game_started"
rounds: number
} | {
briefing: Briefing
character?: (CharacterBrief | null)
kind: "briefing"
player: PlayerId
} | {
character: string
kind: "player_character"
player: PlayerId
} | {
/**
 * When the phase began (ms since the Unix epoch); the debrief's
 * timeline reads it. Absent in older logs.
 */
at_ms?: (number | null)
deadline_ms: number
kind: "phase_started"
month: string
phase: Phase
round: number
} | {
card: EventCard
/**
 * Readable lines on what the event changed.
 */
effects: string[]
kind: "event_revealed"
} | {
kind: "state_changed"
state: PublicState
} | {
hidden: HiddenTracks
kind: "hidden_changed"
} | {
amount: number
faction: Faction
ip: number
kind: "income_received"
} | {
/**
 * `None` for the host's announcements.
 */
from?: (PlayerId | null)
/**
 * The message's number in the game (the host uses it to redact).
 */
id?: number
kind: "chat"
scope: ChatScope
text: string
} | {
kind: "motion_tabled"
motion: MotionView
} | {
kind: "motion_withdrawn"
motion: MotionId
} | {
kind: "vote_cast"
motion: MotionId
player: PlayerId
vote: Vote
} | {
faction: Faction
ip: number
kind: "action_planned"
planned: PlannedAction
} | {
action: ActionId
by: PlayerId
faction: Faction
ip: number
kind: "action_unplanned"
} | {
kind: "votes_closed"
results: VoteResult[]
} | {
actions: RevealedActions[]
kind: "resolved"
round: number
summary: string[]
} | {
kind: "game_ended"
outcome: Outcome
} | {
kind: "paused"
reason?: (string | null)
remaining_ms: number
/**
 * The server paused the game because it restarted (not the
 * host); the debrief marks it on the timeline.
 */
restart?: boolean
} | {
deadline_ms: number
kind: "resumed"
} | {
deadline_ms: number
kind: "deadline_changed"
reason?: (string | null)
} | {
/**
 * Every connected player said `ready` (the rules ended it, not
 * the host).
 */
everyone_ready?: boolean
kind: "phase_ended_early"
reason?: (string | null)
} | {
kind: "timers_changed"
timers: PhaseTimers
} | {
kind: "player_kicked"
player: PlayerId
reason?: (string | null)
} | {
faction: Faction
kind: "player_moved"
/**
 * The player's new name: a bot moved to another faction takes one
 * of its new faction's figures. Absent when the name stays (a
 * person keeps theirs), and in logs of older servers.
 */
name?: (string | null)
player: PlayerId
reason?: (string | null)
} | {
kind: "player_muted"
player: PlayerId
reason?: (string | null)
until_ms: number
} | {
chat: number
kind: "chat_redacted"
reason?: (string | null)
} | {
kind: "ready_changed"
player: PlayerId
ready: boolean
} | {
enabled: boolean
kind: "ready_rule_changed"
})
/**
 * Where a chat message was said.
 */
export type ChatScope = ({
kind: "floor"
} | {
faction: Faction
kind: "faction"
} | {
kind: "private"
to: PlayerId
} | {
kind: "announcement"
})
/**
 * Why a request was refused. On the wire: `"code": "wrong_phase"`.
 */
export type ErrorCode = ("bad_request" | "version_mismatch" | "hello_required" | "rate_limited" | "too_long" | "full" | "shutting_down" | "internal" | "unknown_game" | "invalid_token" | "removed" | "invalid_name" | "name_taken" | "already_joined" | "not_joined" | "invalid_settings" | "forbidden" | "not_started" | "already_started" | "game_over" | "wrong_phase" | "not_eligible" | "insufficient_ip" | "precondition_failed" | "unknown_motion" | "unknown_action" | "no_such_motion" | "motion_closed" | "motion_limit" | "duplicate_motion" | "not_proposer" | "no_such_action" | "no_such_player" | "empty_message" | "no_such_character")
/**
 * Why the server closed a connection, and what a client should do.
 */
export type GoodbyeCode = ("replaced" | "kicked" | "game_deleted" | "shutting_down" | "too_slow" | "rate_limited" | "protocol_error" | "idle")
/**
 * Who may see an event. The host sees every event.
 */
export type Audience = ({
to: "everyone"
} | {
faction: Faction
to: "faction"
} | {
player: PlayerId
to: "player"
} | {
a: PlayerId
b: PlayerId
to: "pair"
} | {
to: "host"
})

/**
 * Seconds per phase.
 */
export interface PhaseTimers {
briefing: number
negotiation: number
proposals: number
resolution: number
voting: number
}
/**
 * A snapshot of a game as one viewer may see it.
 */
export interface GameView {
/**
 * The briefings the viewer may read: a player's own faction's, all
 * three for the host.
 */
briefings?: Briefing[]
/**
 * The cabinet: players who vote on and table decrees.
 */
cabinet: PlayerId[]
/**
 * The game explained: every faction, group, track, motion, action and
 * event in plain words, with its history. The same for every viewer
 * and the whole game (about 30 KB): sent in snapshots only to clients
 * that did not say `catalog_on_request` in `hello` (those ask once
 * with `get_catalog`).
 */
catalog?: (Catalog | null)
/**
 * The viewer's character brief, if any.
 */
character?: (CharacterBrief | null)
code: string
/**
 * When the phase ends, in milliseconds since the Unix epoch.
 */
deadline_ms?: (number | null)
/**
 * This round's event card.
 */
event?: (EventCard | null)
/**
 * The secrets of the factions the viewer may see: a player's own, or
 * all three for the host.
 */
factions: FactionSecrets[]
/**
 * Exact hidden tracks (host only).
 */
hidden?: (HiddenTracks | null)
/**
 * The last resolution's summary, for latecomers.
 */
last_summary: string[]
/**
 * The month's name, e.g. "March".
 */
month: string
/**
 * This round's motions (the viewer's ballot or the host's live view).
 */
motions: MotionView[]
outcome?: (Outcome | null)
/**
 * While paused: the time left in the phase (the deadline is absent).
 */
paused_remaining_ms?: (number | null)
phase?: (Phase | null)
players: PlayerInfo[]
/**
 * Players ready to move on this phase.
 */
ready?: PlayerId[]
/**
 * Whether the phase ends early once every connected player is ready.
 */
ready_ends_phase?: boolean
/**
 * 1..=rounds; 0 in the lobby.
 */
round: number
rounds: number
settings: GameSettings
state: PublicState
status: GameStatus
viewer: Viewer
}
/**
 * A faction's briefing: what it wants and how to play it.
 */
export interface Briefing {
faction: Faction
/**
 * First moves worth considering.
 */
first_moves: string[]
/**
 * What the faction wants, in a sentence or two.
 */
wants: string
/**
 * What to watch for: dangers and opportunities.
 */
watch: string
/**
 * How it wins this game (the ending conditions in words).
 */
wins: string
}
/**
 * Everything in the game, explained; the same for every viewer.
 */
export interface Catalog {
actions: ActionEntry[]
/**
 * The historical characters the host may deal or assign
 * (`assign_character`), by faction; their briefs stay secret.
 */
characters?: CharacterEntry[]
/**
 * The monthly events.
 */
events: Explained[]
factions: Explained[]
groups: Explained[]
/**
 * The ideas a player needs: `influence`, `phases`, `voting`, …
 */
ideas: Explained[]
motions: MotionEntry[]
/**
 * Every track: both legitimacies, war weariness, bread, order, the
 * hidden forces.
 */
tracks: Explained[]
}
/**
 * An action of the catalog, explained.
 */
export interface ActionEntry {
/**
 * What it costs in influence points.
 */
cost: number
does: string
/**
 * The factions that may plan it (every faction when empty).
 */
factions?: Faction[]
history: string
id: string
name: string
}
/**
 * A historical character of the scenario, as everyone may see it.
 */
export interface CharacterEntry {
faction: Faction
name: string
}
/**
 * One thing of the game, explained.
 */
export interface Explained {
/**
 * What it does in this game, in one or two plain sentences with this
 * scenario's numbers.
 */
does: string
/**
 * What it was in 1917, in two or three sentences.
 */
history: string
/**
 * Its id on the wire, e.g. `land_reform`, `workers`, `bread`,
 * `bolsheviks`; for ideas: `influence`, `phases`, `voting`.
 */
id: string
/**
 * Its name for people, e.g. "Land reform".
 */
name: string
}
/**
 * A motion of the catalog, explained.
 */
export interface MotionEntry {
does: string
history: string
id: string
/**
 * Where it is tabled and voted: the cabinet (decrees) or the Soviet
 * (resolutions).
 */
institution: ("government" | "soviet")
name: string
/**
 * It can pass only once a game.
 */
once?: boolean
}
/**
 * A character's brief and secret objective (its player and the host only).
 */
export interface CharacterBrief {
brief: string
name: string
objective: string
}
/**
 * The month's event card.
 */
export interface EventCard {
/**
 * The generals attempt a coup this round.
 */
coup_attempt?: boolean
id: string
round: number
/**
 * July Days: the street has risen; the Bolsheviks must lead it
 * (plan `seize_power`, free this round) or disown it.
 */
street_rises?: boolean
text: string
title: string
}
/**
 * A faction's secrets: its own players and the host see these.
 */
export interface FactionSecrets {
faction: Faction
/**
 * Influence points left to spend.
 */
ip: number
/**
 * This round's action plan (IP already deducted).
 */
plan: PlannedAction[]
}
/**
 * An action in a faction's plan.
 */
export interface PlannedAction {
action: Action
/**
 * A player's id within one game: small, stable, public.
 */
by: number
cost: number
id: ActionId
}
/**
 * The exact hidden tracks (host only).
 */
export interface HiddenTracks {
loyal_troops: number
reaction: number
red_guards: number
}
/**
 * A motion on the table this round.
 */
export interface MotionView {
/**
 * Live ballots while the vote is open, sorted by player: every one for
 * the host, the viewer's own faction's (theirs included) for a player,
 * none for a spectator.
 */
ballots?: RollCallEntry[]
id: MotionId
institution: Institution
motion: Motion
/**
 * The viewer's own ballot while the vote is open (players only).
 */
my_vote?: (Vote | null)
proposer: PlayerId
round: number
status: MotionStatus
/**
 * The result, once the vote is closed.
 */
tally?: (Tally | null)
}
/**
 * One player's vote, public after the close.
 */
export interface RollCallEntry {
faction: Faction
player: PlayerId
vote: Vote
}
/**
 * A closed vote.
 */
export interface Tally {
abstain: number
no: number
/**
 * Why a motion that won the vote still failed, if it did.
 */
note?: (string | null)
passed: boolean
roll_call: RollCallEntry[]
/**
 * Cabinet: votes. Soviet: seats (may be fractional when a faction's
 * players split).
 */
yes: number
}
/**
 * How the game ended.
 */
export interface Outcome {
/**
 * When the game ended (ms since the Unix epoch); the debrief counts
 * time connected up to it. Absent in older logs.
 */
at_ms?: (number | null)
ending: Ending
round: number
scores: FactionScore[]
/**
 * One paragraph for the class.
 */
summary: string
winners: Faction[]
}
/**
 * A faction's result at the end.
 */
export interface FactionScore {
/**
 * Constituent Assembly seats, when the Assembly was elected.
 */
assembly_seats?: (number | null)
faction: Faction
/**
 * Election-weighted support plus the institution's legitimacy
 * (Bolsheviks: their Soviet seats).
 */
score: number
won: boolean
}
/**
 * A player as everyone sees them.
 */
export interface PlayerInfo {
/**
 * A bot the host added to fill a seat (the server plays it).
 */
bot?: boolean
/**
 * The historical figure they play, if the game uses characters.
 */
character?: (string | null)
/**
 * Whether a connection is attached right now.
 */
connected: boolean
faction: Faction
id: PlayerId
name: string
}
/**
 * The game's settings as the host chose them.
 */
export interface GameSettings {
/**
 * Whether players get historical characters.
 */
characters: boolean
/**
 * Whether players pick a faction or are balanced automatically.
 */
faction_choice: ("choose" | "auto")
/**
 * The scenario's id, e.g. `petrograd-1917`.
 */
scenario: string
timers: PhaseTimers1
}
/**
 * Seconds per phase.
 */
export interface PhaseTimers1 {
briefing: number
negotiation: number
proposals: number
resolution: number
voting: number
}
/**
 * Everything about the state that every viewer may see.
 */
export interface PublicState {
/**
 * Whether Soviet delegates sit in the cabinet.
 */
coalition: boolean
/**
 * The round until which an offer of coalition stands, if one does.
 */
coalition_offer_until?: (number | null)
/**
 * The round in which the Constituent Assembly is elected (before it
 * begins); `rounds + 1` means after the last round.
 */
election_round: number
/**
 * Policies in force.
 */
flags: Flag[]
forces: Forces
groups: {
middle?: GroupState
peasants?: GroupState
soldiers?: GroupState
workers?: GroupState
}
/**
 * Every motion that has passed, in order.
 */
passed: Motion[]
soviet_seats: PerFaction1
tracks: PublicTracks
}
/**
 * Bands only (exact numbers are in the host's [`GameView::hidden`]).
 */
export interface Forces {
loyal_troops: Force
reaction: Force
red_guards: Force
}
/**
 * A hidden track as everyone sees it: its band. (`exact` is never sent in
 * protocol v1: the public state is the same for every viewer, and the
 * host's exact values are in [`GameView::hidden`].)
 */
export interface Force {
band: Band
/**
 * Never sent in protocol v1 (kept for compatibility).
 */
exact?: (number | null)
}
/**
 * One social group as everyone sees it.
 */
export interface GroupState {
support: PerFaction
/**
 * 0..=100.
 */
unrest: number
}
/**
 * Support split over the factions; always sums to 100.
 */
export interface PerFaction {
bolsheviks: number
liberals: number
soviet: number
}
/**
 * Soviet seats: `soviet` + `bolsheviks` = 100; liberals always 0.
 */
export interface PerFaction1 {
bolsheviks: number
liberals: number
soviet: number
}
/**
 * The public tracks.
 */
export interface PublicTracks {
bread: number
gov_legitimacy: number
/**
 * Derived: 100 minus mean unrest.
 */
order: number
soviet_legitimacy: number
war_weariness: number
}
/**
 * One motion's result.
 */
export interface VoteResult {
motion: MotionId
tally: Tally
}
/**
 * A faction's actions as revealed at resolution.
 */
export interface RevealedActions {
actions: Action[]
faction: Faction
}
/**
 * The answer to `GET /health` (plain HTTP, not WebSocket).
 */
export interface Health {
/**
 * Open WebSocket connections.
 */
connections: number
/**
 * Games in play (not finished).
 */
games: number
/**
 * Games held in memory, finished ones included (a finished game
 * leaves memory a minute after its last member; its record stays).
 */
games_in_memory?: (number | null)
protocol_version: number
server_version: string
/**
 * `"ok"` while the server accepts games.
 */
status: string
}
/**
 * A game's event log as downloaded for the debrief (`download` with
 * format `log`). The host's copy is complete: folding `events` into a new
 * game of `settings` and `seed` rebuilds the final state exactly. A
 * faction's copy holds only what that side could see.
 */
export interface GameLog {
code: string
events: LoggedEvent[]
/**
 * The seed (the host's copy only).
 */
seed?: (number | null)
settings: GameSettings
/**
 * Whose view this is.
 */
viewer: ({
role: "host"
} | {
faction: Faction
id: PlayerId
role: "player"
} | {
role: "spectator"
})
}
/**
 * One entry of a game's log.
 */
export interface LoggedEvent {
audience: Audience
event: GameEvent
}

// Vocabulary as values, from the same schema.
export const FACTIONS: readonly Faction[] = ["liberals","soviet","bolsheviks"];
export const GROUPS: readonly Group[] = ["workers","soldiers","peasants","middle"];
export const PHASES: readonly Phase[] = ["briefing","negotiation","proposals","voting","resolution"];
export const MOTIONS: readonly { id: Motion["id"]; params: string[] }[] = [{"id":"civil_liberties","params":[]},{"id":"amnesty","params":[]},{"id":"continue_war","params":[]},{"id":"offensive","params":[]},{"id":"peace_without_annexations","params":[]},{"id":"schedule_elections","params":["round"]},{"id":"postpone_elections","params":[]},{"id":"land_reform","params":[]},{"id":"grain_monopoly","params":[]},{"id":"death_penalty_at_front","params":[]},{"id":"arrest_bolsheviks","params":[]},{"id":"appoint_hardline_commander","params":[]},{"id":"call_on_soviet","params":[]},{"id":"offer_coalition","params":[]},{"id":"order_no_1","params":[]},{"id":"conditional_support","params":[]},{"id":"peace_appeal","params":[]},{"id":"join_coalition","params":[]},{"id":"leave_coalition","params":[]},{"id":"workers_control","params":[]},{"id":"arm_workers","params":[]},{"id":"form_mrc","params":[]},{"id":"condemn_bolsheviks","params":[]},{"id":"all_power_to_soviets","params":[]}];
export const ACTIONS: readonly { id: Action["id"]; params: string[] }[] = [{"id":"agitate","params":["group"]},{"id":"press_campaign","params":[]},{"id":"organize","params":[]},{"id":"relief","params":[]},{"id":"suppress","params":[]},{"id":"seize_power","params":[]}];
