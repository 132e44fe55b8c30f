// One seat in one game: the link, the folded view, and what the screens
// show that a snapshot does not hold (chat lines, each round's story). Kept
// in localStorage per join code, so a reload or a closed tab takes the same
// seat back and receives exactly the events it missed (`resume` with the
// token and the last `seq`, PROTOCOL.md "Resuming after a disconnect").

import { factionName } from "./common";
import { apply } from "./fold";
import { Link, wsUrl, type Answer, type LinkStatus, type Request } from "./link";
import type {
  Catalog,
  ChatScope,
  Faction,
  GameEvent,
  GameView,
  ServerMsg,
  VoteResult,
  MotionView,
  Outcome,
} from "./protocol.gen";

export type Role = "player" | "host" | "spectator";

/** The game as this viewer sees it, with the game explained (the catalog,
 * asked for once with `get_catalog`: snapshots do not carry it). */
export type View = GameView & { catalog?: Catalog | null };

export interface ChatLine {
  /** The message's number in the game, when it has one. */
  id?: number;
  scope: ChatScope;
  from?: number | null;
  text: string;
  /** The host hid it from everyone else (the host still reads it). */
  hidden?: boolean;
  /** A notice from the server about the game (paused, phase ended early…). */
  notice?: boolean;
  at: number;
}

/** One round's story, kept after the round is over. */
export interface Story {
  round: number;
  month: string;
  event?: { title: string; text: string; effects: string[] };
  motions: MotionView[];
  results: VoteResult[];
  summary: string[];
}

interface Saved {
  token?: string;
  lastSeq?: number;
  view?: View;
  chat: ChatLine[];
  stories: Story[];
  history: { round: number; month: string; tracks: Record<string, number> }[];
}

const MAX_CHAT = 400;

function key(role: Role, code: string): string {
  return `dualpower.${role}.${code.toUpperCase()}`;
}

export function loadSaved(role: Role, code: string): Saved | null {
  try {
    const raw = localStorage.getItem(key(role, code));
    return raw ? (JSON.parse(raw) as Saved) : null;
  } catch {
    return null;
  }
}

export function forget(role: Role, code: string): void {
  try {
    localStorage.removeItem(key(role, code));
  } catch {
    /* storage may be disabled */
  }
}

/** Forget which game the console opens (its seat stays, under its code). */
export function forgetLastHosted(): void {
  try {
    localStorage.removeItem("dualpower.host.last");
  } catch {
    /* storage may be disabled */
  }
}

/** The last game this browser hosted (its code; the token stays in storage). */
export function lastHosted(): string | null {
  try {
    const code = localStorage.getItem("dualpower.host.last");
    return code && loadSaved("host", code)?.token ? code : null;
  } catch {
    return null;
  }
}

type Opening =
  | { type: "join_game"; code: string; name: string; faction?: Faction | null }
  | { type: "create_game"; [k: string]: unknown }
  | { type: "spectate"; code: string; last_seq?: number };

export class Session {
  view: View | null = null;
  /** The game explained: the same for the whole game, asked for once. */
  catalog: Catalog | null = null;
  private askingCatalog = false;
  seq = 0;
  code: string;
  token?: string;
  chat: ChatLine[] = [];
  stories: Story[] = [];
  /** The public tracks after each resolution (charts). */
  history: Saved["history"] = [];
  status: LinkStatus = { kind: "connecting", attempt: 0 };
  /** How many lines of each chat tab the player has had on screen. */
  private seen: Record<string, number> = { floor: 0, faction: 0, private: 0 };
  /** Why the session ended or could not begin, in the server's words. */
  refusal: { code: string; message: string } | null = null;
  /** The last notice for the screen (goodbye with reconnect, etc.). */
  private listeners = new Set<() => void>();
  private link: Link;
  private saveTimer: number | undefined;
  private first: Opening | null;
  private leaving = false;

  constructor(
    readonly role: Role,
    code: string,
    first: Opening | null,
  ) {
    this.code = code.toUpperCase();
    this.first = first;
    if (role !== "spectator" || !first) {
      const saved = code ? loadSaved(role, code) : null;
      if (saved) {
        this.token = saved.token;
        this.seq = saved.lastSeq ?? 0;
        this.view = saved.view ?? null;
        this.chat = saved.chat ?? [];
        for (const l of this.chat) this.seen[Session.tabOf(l)] = (this.seen[Session.tabOf(l)] ?? 0) + 1;
        this.stories = saved.stories ?? [];
        this.history = saved.history ?? [];
      }
    }
    if (role === "spectator") {
      const saved = loadSaved("spectator", code);
      this.history = saved?.history ?? [];
      this.stories = saved?.stories ?? [];
      this.chat = saved?.chat ?? [];
    }
    this.link = new Link(wsUrl(), {
      onMessage: (m) => this.receive(m),
      onStatus: (s) => {
        this.status = s;
        this.changed();
      },
      opening: () => this.opening(),
      onOpened: (a) => this.opened(a),
    });
    window.addEventListener("pagehide", () => this.save());
    this.link.start();
  }

  /** The chat tab a line belongs to: floor (with announcements), faction, private. */
  static tabOf(line: ChatLine): "floor" | "faction" | "private" {
    if (line.scope.kind === "faction") return "faction";
    if (line.scope.kind === "private") return "private";
    return "floor";
  }

  /** Lines of a chat tab not yet seen. */
  unread(tab: string): number {
    const n = this.chat.filter((l) => Session.tabOf(l) === tab).length;
    return Math.max(0, n - (this.seen[tab] ?? n));
  }

  /** The player has a chat tab on screen: its lines are seen. */
  markSeen(tab: string): void {
    const n = this.chat.filter((l) => Session.tabOf(l) === tab).length;
    if (this.seen[tab] !== n) {
      this.seen[tab] = n;
      this.changed();
    }
  }

  subscribe(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  request(req: Request): Promise<Answer> {
    return this.link.request(req);
  }

  /** Leave this seat on this page (its token stays saved under its code). */
  close(): void {
    this.leaving = true;
    this.link.stop("closed", "You left the game.");
  }

  private changed(): void {
    for (const fn of this.listeners) fn();
    window.clearTimeout(this.saveTimer);
    this.saveTimer = window.setTimeout(() => this.save(), 150);
  }

  /** Token, last seq, view and logs are written together, so a reload
   * resumes from a seq that matches the view it restores. */
  private save(): void {
    if (!this.code) return;
    if (this.role !== "spectator" && !this.token) return;
    const saved: Saved =
      this.role === "spectator"
        ? { chat: this.chat.filter((l) => l.scope.kind === "announcement" && !l.notice).slice(-5), stories: this.stories, history: this.history }
        : {
            token: this.token,
            lastSeq: this.seq,
            // Without the catalog (large, and asked for again on reload).
            view: this.view ? { ...this.view, catalog: undefined } : undefined,
            chat: this.chat.slice(-MAX_CHAT),
            stories: this.stories,
            history: this.history,
          };
    try {
      localStorage.setItem(key(this.role, this.code), JSON.stringify(saved));
      if (this.role === "host" && !this.leaving) localStorage.setItem("dualpower.host.last", this.code);
    } catch {
      /* storage full or disabled: the seat still works until the tab closes */
    }
  }

  private opening(): Request | null {
    if (this.token) {
      return this.view ? { type: "resume", token: this.token, last_seq: this.seq } : { type: "resume", token: this.token };
    }
    // A projector watching again goes on from its last seq: the lines
    // said while it was away are replayed, not lost under a snapshot.
    if (this.first?.type === "spectate" && this.view) {
      return { type: "spectate", code: this.first.code, last_seq: this.seq };
    }
    if (this.first) return this.first as Request;
    return null;
  }

  private opened(answer: Answer): void {
    if (!answer.ok) {
      const retryable = ["shutting_down", "full", "rate_limited", "internal"].includes(answer.code);
      if (retryable && (this.token || this.role === "spectator")) {
        this.link.drop();
        return;
      }
      this.refusal = { code: answer.code, message: answer.message };
      if (this.token && ["invalid_token", "unknown_game", "removed"].includes(answer.code)) {
        forget(this.role, this.code);
        this.token = undefined;
      }
      this.link.stop("refused", answer.message);
      this.changed();
      return;
    }
    const msg = answer.msg;
    this.refusal = null;
    // Attached: the catalog, if this page has none yet. Here rather than at
    // a snapshot: a reload restores the view without it and may resume
    // with no snapshot (the events since its seq are replayed).
    if (!this.catalog) this.askCatalog();
    if (msg.type === "game_created") {
      this.code = msg.code;
      this.token = msg.host_token;
      this.first = null;
      this.save();
    } else if (msg.type === "joined") {
      this.code = msg.code;
      if (msg.token) {
        this.token = msg.token;
        this.first = null;
      }
      this.save();
    }
    this.changed();
  }

  private receive(msg: ServerMsg): void {
    switch (msg.type) {
      case "snapshot":
        this.view = { ...msg.view, catalog: this.catalog };
        this.seq = msg.seq;
        this.noteRound();
        break;
      case "event": {
        if (!this.view) return;
        if (msg.seq <= this.seq) return; // already folded (a resend)
        if (msg.seq !== this.seq + 1) {
          // A gap: this view is not the server's any more; ask for a fresh one.
          void this.link.request({ type: "get_state" });
        }
        this.seq = msg.seq;
        // A bot moved to another faction takes a new name: keep the one it
        // had, to say who was moved.
        const event = msg.event;
        const was = event.kind === "player_moved" ? this.view.players.find((p) => p.id === event.player)?.name : undefined;
        const stale = apply(this.view, event);
        this.record(event, was);
        if (stale) void this.link.request({ type: "get_state" });
        break;
      }
      case "goodbye":
        this.notice(msg.reason);
        break;
      default:
        break;
    }
    this.changed();
  }

  /** Ask for the catalog (once at a time; on every attach while there is
   * none, so again after a reconnect if the answer was lost). */
  private askCatalog(): void {
    if (this.askingCatalog) return;
    this.askingCatalog = true;
    void this.link.request({ type: "get_catalog" }).then((a) => {
      this.askingCatalog = false;
      if (a.ok && a.msg.type === "catalog") {
        this.catalog = a.msg.catalog;
        if (this.view) this.view.catalog = a.msg.catalog;
        this.changed();
      }
    });
  }

  private notice(text: string): void {
    this.chat.push({ scope: { kind: "announcement" }, text, notice: true, at: Date.now() });
  }

  private story(round: number): Story {
    let s = this.stories.find((s) => s.round === round);
    if (!s) {
      s = { round, month: this.view?.month ?? "", motions: [], results: [], summary: [] };
      this.stories.push(s);
      this.stories.sort((a, b) => a.round - b.round);
    }
    return s;
  }

  private noteRound(): void {
    const v = this.view;
    if (!v || v.round === 0) return;
    if (this.history.length === 0) {
      this.history.push({ round: v.round - 1, month: v.month, tracks: { ...v.state.tracks } });
    }
  }

  /** What the screens show that the view does not keep. `was`: for a move,
   * the player's name before it (a bot moved takes a new one). */
  private record(e: GameEvent, was?: string): void {
    const v = this.view!;
    switch (e.kind) {
      case "chat": {
        this.chat.push({ id: e.id, scope: e.scope, from: e.from, text: e.text, at: Date.now() });
        if (this.chat.length > MAX_CHAT) this.chat.splice(0, this.chat.length - MAX_CHAT);
        break;
      }
      case "chat_redacted": {
        const line = this.chat.find((c) => c.id === e.chat && !c.notice);
        if (line && v.viewer.role !== "host") line.text = "[removed by the host]";
        else if (line) line.hidden = true;
        break;
      }
      case "game_started":
        this.history = [{ round: 0, month: "", tracks: { ...v.state.tracks } }];
        break;
      case "event_revealed":
        this.story(e.card.round).event = { title: e.card.title, text: e.card.text, effects: e.effects };
        this.story(e.card.round).month = v.month;
        break;
      case "votes_closed": {
        const s = this.story(v.round);
        s.results = e.results;
        s.motions = v.motions.map((m) => ({ ...m }));
        break;
      }
      case "resolved":
        this.story(e.round).summary = e.summary;
        this.story(e.round).month = v.month;
        this.history = this.history.filter((h) => h.round !== e.round);
        this.history.push({ round: e.round, month: v.month, tracks: { ...v.state.tracks } });
        break;
      case "state_changed":
        if (v.phase === "resolution") {
          this.history = this.history.filter((h) => h.round !== v.round);
          this.history.push({ round: v.round, month: v.month, tracks: { ...v.state.tracks } });
        }
        break;
      case "paused":
        this.notice(e.reason ? `The host paused the game: ${e.reason}` : "The host paused the game.");
        break;
      case "resumed":
        this.notice("The game goes on.");
        break;
      case "deadline_changed":
        this.notice(e.reason ? `The host changed the time: ${e.reason}` : "The host changed the time left.");
        break;
      case "phase_ended_early":
        if (e.reason) this.notice(e.reason);
        break;
      case "player_kicked": {
        if (v.viewer.role === "player" && v.viewer.id === e.player) {
          this.notice("The host removed you from the game.");
        }
        break;
      }
      case "player_muted": {
        const p = v.players.find((p) => p.id === e.player);
        if (p && e.until_ms > 0) this.notice(`${p.name} is muted${e.reason ? `: ${e.reason}` : "."}`);
        break;
      }
      case "player_moved": {
        const p = v.players.find((p) => p.id === e.player);
        if (!p) break;
        const renamed = was !== undefined && was !== p.name ? ` as ${p.name}` : "";
        this.notice(`${was ?? p.name} now plays with the ${factionName(v, e.faction)}${renamed}${e.reason ? ` (${e.reason})` : ""}.`);
        break;
      }
      default:
        break;
    }
  }
}

export type { Outcome };
