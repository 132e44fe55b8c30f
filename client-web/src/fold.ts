// Keeping a GameView current from the events that follow it: a port of
// `GameView::apply` in protocol/src/fold.rs (the same cases, the same order),
// as PROTOCOL.md invites third-party clients to do. No rules of the game
// live here: only where each event's data goes in the view.

import type { Faction, GameEvent, GameView, MotionView } from "./protocol.gen";

export function me(view: GameView): number | null {
  return view.viewer.role === "player" ? view.viewer.id : null;
}

export function myFaction(view: GameView): Faction | null {
  return view.viewer.role === "player" ? view.viewer.faction : null;
}

function motion(view: GameView, id: number): MotionView | undefined {
  return view.motions.find((m) => m.id === id);
}

/** The cabinet, as `recompute_cabinet` in fold.rs: liberal players, and
 * Soviet delegates while a coalition holds. */
function recomputeCabinet(view: GameView): void {
  const coalition = view.state.coalition;
  view.cabinet = view.players
    .filter((p) => p.faction === "liberals" || (p.faction === "soviet" && coalition))
    .map((p) => p.id);
}

/** Fold one event into the view (mutates it). Returns true when the view can
 * no longer be trusted and a fresh `get_state` is needed (the viewer was
 * moved to another faction, whose secrets the view lacks). */
export function apply(view: GameView, event: GameEvent): boolean {
  switch (event.kind) {
    case "player_joined":
      view.players = view.players.filter((p) => p.id !== event.player.id);
      view.players.push(event.player);
      recomputeCabinet(view);
      break;
    case "player_connection": {
      const p = view.players.find((p) => p.id === event.player);
      if (p) p.connected = event.connected;
      break;
    }
    case "character_assigned":
      if (me(view) === event.player) view.character = event.brief;
      break;
    case "briefing":
      if (me(view) === event.player) {
        view.briefings = [event.briefing];
        if (event.character) view.character = event.character;
      }
      break;
    case "player_character": {
      const p = view.players.find((p) => p.id === event.player);
      if (p) p.character = event.character;
      break;
    }
    case "game_started":
      view.status = "running";
      view.rounds = event.rounds;
      break;
    case "phase_started":
      if (event.round !== view.round) {
        view.event = null;
        view.motions = [];
      }
      view.round = event.round;
      view.month = event.month;
      view.phase = event.phase;
      view.deadline_ms = event.deadline_ms;
      view.paused_remaining_ms = null;
      view.ready = [];
      break;
    case "event_revealed":
      view.event = event.card;
      break;
    case "state_changed":
      view.state = event.state;
      recomputeCabinet(view);
      break;
    case "hidden_changed":
      view.hidden = event.hidden;
      break;
    case "income_received": {
      const f = view.factions.find((f) => f.faction === event.faction);
      if (f) f.ip = event.ip;
      break;
    }
    case "chat":
    case "phase_ended_early":
    case "player_muted":
    case "chat_redacted":
      break;
    case "motion_tabled":
      view.motions = view.motions.filter((m) => m.id !== event.motion.id);
      view.motions.push(event.motion);
      break;
    case "motion_withdrawn": {
      const m = motion(view, event.motion);
      if (m) {
        m.status = "withdrawn";
        m.ballots = [];
      }
      break;
    }
    case "vote_cast": {
      const m = motion(view, event.motion);
      const faction = view.players.find((p) => p.id === event.player)?.faction;
      if (m) {
        if (me(view) === event.player) m.my_vote = event.vote;
        // The host keeps every ballot, a player their faction's.
        const shown =
          view.viewer.role === "host" || (view.viewer.role === "player" && view.viewer.faction === faction);
        if (shown) {
          const ballots = m.ballots ?? [];
          const b = ballots.find((b) => b.player === event.player);
          if (b) b.vote = event.vote;
          else if (faction) {
            ballots.push({ player: event.player, faction, vote: event.vote });
            ballots.sort((a, b) => a.player - b.player);
          }
          m.ballots = ballots;
        }
      }
      break;
    }
    case "action_planned": {
      const f = view.factions.find((f) => f.faction === event.faction);
      if (f) {
        f.plan.push(event.planned);
        f.ip = event.ip;
      }
      break;
    }
    case "action_unplanned": {
      const f = view.factions.find((f) => f.faction === event.faction);
      if (f) {
        f.plan = f.plan.filter((a) => a.id !== event.action);
        f.ip = event.ip;
      }
      break;
    }
    case "votes_closed":
      for (const r of event.results) {
        const m = motion(view, r.motion);
        if (m) {
          m.status = r.tally.passed ? "passed" : "failed";
          m.tally = r.tally;
          m.ballots = [];
        }
      }
      break;
    case "resolved":
      view.last_summary = event.summary;
      for (const f of view.factions) f.plan = [];
      break;
    case "game_ended":
      view.status = "ended";
      view.deadline_ms = null;
      view.paused_remaining_ms = null;
      view.outcome = event.outcome;
      break;
    case "paused":
      view.paused_remaining_ms = event.remaining_ms;
      view.deadline_ms = null;
      break;
    case "resumed":
    case "deadline_changed":
      view.paused_remaining_ms = null;
      view.deadline_ms = event.deadline_ms;
      break;
    case "timers_changed":
      view.settings.timers = event.timers;
      break;
    case "player_kicked":
      view.players = view.players.filter((p) => p.id !== event.player);
      view.ready = (view.ready ?? []).filter((p) => p !== event.player);
      for (const m of view.motions) m.ballots = (m.ballots ?? []).filter((b) => b.player !== event.player);
      recomputeCabinet(view);
      break;
    case "player_moved": {
      const p = view.players.find((p) => p.id === event.player);
      if (p) {
        p.faction = event.faction;
        // A bot takes a name of its new faction's figures.
        if (event.name != null) p.name = event.name;
      }
      for (const m of view.motions) m.ballots = (m.ballots ?? []).filter((b) => b.player !== event.player);
      let stale = false;
      if (view.viewer.role === "player" && view.viewer.id === event.player) {
        view.viewer = { ...view.viewer, faction: event.faction };
        view.factions = view.factions.filter((f) => f.faction === event.faction);
        for (const m of view.motions) {
          m.my_vote = null;
          m.ballots = [];
        }
        stale = true;
      }
      recomputeCabinet(view);
      return stale;
    }
    case "ready_changed": {
      const ready = (view.ready ?? []).filter((p) => p !== event.player);
      if (event.ready) {
        ready.push(event.player);
        ready.sort((a, b) => a - b);
      }
      view.ready = ready;
      break;
    }
    case "ready_rule_changed":
      view.ready_ends_phase = event.enabled;
      break;
    default:
      // A kind this client does not know (added within v1): ignore it.
      break;
  }
  return false;
}
