// The connection: one WebSocket to /ws on the page's own server, protocol v1.
//
// Says `hello`, then the caller's opening request (join, create, spectate or
// resume). On a drop it reconnects with backoff and opens again (the caller
// supplies what to say, usually `resume` with the token and the last `seq`),
// then resends the requests that had no answer yet with their ids, which the
// server deduplicates. The same split as client-cli/src/link.rs.

import type { ClientMsg1, GoodbyeCode, RequestId, ServerMsg } from "./protocol.gen";

/** A request without its id: the link numbers them. */
export type Request = ClientMsg1;

/** What a request got back: the answer, or the server's refusal. */
export type Answer =
  | { ok: true; msg: ServerMsg }
  | { ok: false; code: string; message: string };

export type LinkStatus =
  | { kind: "connecting"; attempt: number }
  | { kind: "open" }
  /** Closed for good: the seat was taken elsewhere, the player was removed… */
  | { kind: "stopped"; code: GoodbyeCode | "refused" | "closed"; reason: string };

interface Pending {
  id: number;
  req: Request;
  resolve: (a: Answer) => void;
}

export interface LinkHooks {
  /** Every server message that is not the answer to a request (events,
   * snapshots that follow an opening, goodbyes). Answers with an id go to the
   * request's promise, and also here when `alsoAnswers` is set. */
  onMessage(msg: ServerMsg): void;
  onStatus(status: LinkStatus): void;
  /** What to send after `hello` on each (re)connection, or nothing. The
   * answer is given to `onOpened`. */
  opening(): Request | null;
  onOpened(answer: Answer): void;
}

/** Codes after which reconnecting would be wrong: the seat is elsewhere,
 * gone, or the game is. Every other code (`shutting_down`, `idle`,
 * `too_slow`, `rate_limited`, and `protocol_error`, which this client never
 * causes) is followed by a reconnect with backoff: a student's tab should
 * keep trying. */
const FINAL: ReadonlySet<string> = new Set(["replaced", "kicked", "game_deleted"]);

export class Link {
  private ws: WebSocket | null = null;
  // Ids unique across page loads too: the server remembers answers per seat
  // by id, and a reloaded page must not reuse an id of the one before.
  private nextId = Date.now() * 100;
  private pending = new Map<number, Pending>();
  /** Parts of a download received so far, by request id. */
  private parts = new Map<number, string[]>();
  private openingId: number | null = null;
  private attempt = 0;
  private stopped = false;
  private ready = false;
  private retryTimer: number | undefined;

  constructor(
    private readonly url: string,
    private readonly hooks: LinkHooks,
  ) {}

  start(): void {
    this.connect();
  }

  /** Send a request; the promise resolves with its answer, even across a
   * reconnect (the request is resent with the same id). */
  request(req: Request): Promise<Answer> {
    if (this.stopped) {
      return Promise.resolve({ ok: false, code: "closed", message: "Not connected to the game any more." });
    }
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, { id, req, resolve });
      if (this.ready) this.send({ id, ...req });
    });
  }

  /** Stop for good (leaving the page, or a final goodbye). */
  stop(code: GoodbyeCode | "refused" | "closed", reason: string): void {
    if (this.stopped) return;
    this.stopped = true;
    window.clearTimeout(this.retryTimer);
    this.ws?.close();
    this.ws = null;
    for (const p of this.pending.values()) p.resolve({ ok: false, code: "closed", message: reason });
    this.pending.clear();
    this.hooks.onStatus({ kind: "stopped", code, reason });
  }

  /** Close this connection and reconnect (after a refusal worth retrying). */
  drop(): void {
    this.ws?.close();
  }

  private send(msg: object): void {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(msg));
  }

  private connect(): void {
    if (this.stopped) return;
    this.ready = false;
    this.hooks.onStatus({ kind: "connecting", attempt: this.attempt });
    let ws: WebSocket;
    try {
      ws = new WebSocket(this.url);
    } catch {
      this.retry();
      return;
    }
    this.ws = ws;
    ws.onopen = () => {
      ws.send(JSON.stringify({ type: "hello", protocol_version: 1, client: "dualpower-web/0.1", catalog_on_request: true }));
    };
    ws.onmessage = (e) => {
      if (typeof e.data !== "string") return;
      let msg: ServerMsg;
      try {
        msg = JSON.parse(e.data) as ServerMsg;
      } catch {
        return;
      }
      this.receive(msg);
    };
    ws.onclose = () => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.ready = false;
      this.retry();
    };
  }

  private retry(): void {
    if (this.stopped) return;
    this.attempt += 1;
    // 0.5 s, 1 s, 2 s… at most 5 s, with a little jitter so a class that
    // drops together does not come back in the same millisecond.
    const delay = Math.min(5000, 500 * 2 ** Math.min(this.attempt - 1, 4)) + Math.random() * 250;
    this.hooks.onStatus({ kind: "connecting", attempt: this.attempt });
    this.retryTimer = window.setTimeout(() => this.connect(), delay);
  }

  private receive(msg: ServerMsg): void {
    if (msg.type === "welcome") {
      const opening = this.hooks.opening();
      if (opening) {
        const id = this.nextId++;
        this.openingId = id;
        this.send({ id, ...opening });
      } else {
        this.opened();
      }
      return;
    }
    if (msg.type === "goodbye") {
      const code = msg.code ?? null;
      if (code && FINAL.has(code)) {
        this.stop(code, msg.reason);
      } else {
        this.hooks.onMessage(msg);
      }
      return;
    }
    const id = "id" in msg ? (msg.id as RequestId | null | undefined) : undefined;
    if (typeof id === "number" && id === this.openingId) {
      this.openingId = null;
      if (msg.type === "error") {
        this.hooks.onOpened({ ok: false, code: msg.code, message: msg.message });
        return;
      }
      this.hooks.onOpened({ ok: true, msg });
      this.opened();
      return;
    }
    // A long debrief comes in parts with the same id: join them, then answer.
    if (msg.type === "download" && typeof id === "number" && msg.parts && msg.parts > 1) {
      const got = this.parts.get(id) ?? [];
      got[(msg.part ?? 1) - 1] = msg.content;
      this.parts.set(id, got);
      if (got.filter((p) => p !== undefined).length < msg.parts) return;
      this.parts.delete(id);
      msg = { ...msg, content: got.join(""), part: null, parts: null };
    }
    if (typeof id === "number" && this.pending.has(id) && msg.type !== "snapshot") {
      const p = this.pending.get(id)!;
      this.pending.delete(id);
      p.resolve(msg.type === "error" ? { ok: false, code: msg.code, message: msg.message } : { ok: true, msg });
      return;
    }
    if (msg.type === "snapshot" && typeof id === "number" && this.pending.has(id)) {
      const p = this.pending.get(id)!;
      this.pending.delete(id);
      this.hooks.onMessage(msg);
      p.resolve({ ok: true, msg });
      return;
    }
    this.hooks.onMessage(msg);
  }

  /** The connection is attached to its game: resend what had no answer, in
   * the order it was asked. */
  private opened(): void {
    this.ready = true;
    this.attempt = 0;
    this.hooks.onStatus({ kind: "open" });
    const waiting = [...this.pending.values()].sort((a, b) => a.id - b.id);
    for (const p of waiting) this.send({ id: p.id, ...p.req });
  }
}

/** The WebSocket address of the server that served this page. */
export function wsUrl(): string {
  const proto = location.protocol === "https:" ? "wss:" : "ws:";
  return `${proto}//${location.host}/ws`;
}
