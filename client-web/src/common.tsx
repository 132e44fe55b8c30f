// Pieces every screen uses: names and explanations from the server's
// catalog, the clock, the tracks, the groups, motions and their roll calls.
// Words a student reads come from the server (the catalog, the scenario's
// sentences); when a server sends no catalog, ids are shown readably.

import { useEffect, useState } from "preact/hooks";
import type { ComponentChildren } from "preact";
import type { Session, View } from "./session";
import type {
  Action,
  ActionEntry,
  Explained,
  Faction,
  Motion,
  MotionEntry,
  MotionView,
  Phase,
  Tally,
} from "./protocol.gen";
import { FACTIONS, GROUPS } from "./protocol.gen";
import type { Answer, Request } from "./link";

/** Re-render when the session changes. */
export function useSession(s: Session | null): void {
  const [, tick] = useState(0);
  useEffect(() => (s ? s.subscribe(() => tick((n) => n + 1)) : undefined), [s]);
}

/** The current time, ticking. */
export function useNow(ms = 250): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = window.setInterval(() => setNow(Date.now()), ms);
    return () => window.clearInterval(t);
  }, [ms]);
  return now;
}

/** The server's clock minus this device's (school laptops' clocks drift),
 * from the Date header of /health; 0 when they agree within a second. */
let skewMs = 0;
export async function measureSkew(): Promise<void> {
  try {
    const t0 = Date.now();
    const r = await fetch("/health", { cache: "no-store" });
    const t1 = Date.now();
    const date = r.headers.get("date");
    if (!date) return;
    const server = Date.parse(date) + 500;
    const local = (t0 + t1) / 2;
    skewMs = Math.abs(server - local) > 1500 ? server - local : 0;
  } catch {
    /* keep 0 */
  }
}

/** A request and its refusal, for one control or form. */
export function useAct(
  session: Session | null,
  /** A refusal is cleared when this changes (e.g. the phase). */
  resetOn?: unknown,
): {
  run: (req: Request) => Promise<Answer | null>;
  error: string | null;
  busy: boolean;
  clear: () => void;
} {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => setError(null), [resetOn]);
  const run = async (req: Request) => {
    if (!session) return null;
    setBusy(true);
    setError(null);
    const a = await session.request(req);
    setBusy(false);
    if (!a.ok) setError(a.message);
    return a;
  };
  return { run, error, busy, clear: () => setError(null) };
}

export function Refusal({ error }: { error: string | null }) {
  return (
    <p class="refusal" role="alert" aria-live="assertive">
      {error ?? ""}
    </p>
  );
}

export function humanize(id: string): string {
  const s = id.replace(/_/g, " ");
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** A scenario sentence as a student reads it: the motions and actions it
 * names by id ("once civil_liberties passes", typed in the terminal client)
 * by their names instead ("once “Civil liberties” passes"). Only ids with
 * an underscore: a one-word id ("relief", "offensive") is also a word. */
export function prose(v: View | null, text: string): string {
  const names = new Map<string, string>();
  for (const e of [...(v?.catalog?.motions ?? []), ...(v?.catalog?.actions ?? [])]) {
    if (e.id.includes("_")) names.set(e.id, e.name);
  }
  if (!names.size) return text;
  return text.replace(/\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b/g, (id) => {
    const name = names.get(id);
    return name ? `“${name}”` : id;
  });
}

const FACTION_FALLBACK: Record<Faction, string> = {
  liberals: "Duma liberals",
  soviet: "Soviet delegates",
  bolsheviks: "Bolsheviks",
};

function explained(list: Explained[] | undefined, id: string): Explained | undefined {
  return list?.find((e) => e.id === id);
}

export function factionName(v: View | null, f: Faction): string {
  return explained(v?.catalog?.factions, f)?.name ?? FACTION_FALLBACK[f] ?? humanize(f);
}
export function groupInfo(v: View | null, g: string): Explained | undefined {
  return explained(v?.catalog?.groups, g);
}
export function groupName(v: View | null, g: string): string {
  return groupInfo(v, g)?.name ?? humanize(g);
}
export function trackInfo(v: View | null, t: string): Explained | undefined {
  return explained(v?.catalog?.tracks, t);
}
export function trackName(v: View | null, t: string): string {
  return trackInfo(v, t)?.name ?? humanize(t);
}
export function ideaInfo(v: View | null, id: string): Explained | undefined {
  return explained(v?.catalog?.ideas, id);
}
export function ideaName(v: View | null, id: string): string {
  return ideaInfo(v, id)?.name ?? humanize(id);
}
export function motionEntry(v: View | null, id: string): MotionEntry | undefined {
  return v?.catalog?.motions.find((m) => m.id === id);
}
export function motionName(v: View | null, m: Motion): string {
  const name = motionEntry(v, m.id)?.name ?? humanize(m.id);
  return m.id === "schedule_elections" && "round" in m ? `${name} (round ${m.round})` : name;
}
export function actionEntry(v: View | null, id: string): ActionEntry | undefined {
  return v?.catalog?.actions.find((a) => a.id === id);
}
export function actionName(v: View | null, a: Action): string {
  const name = actionEntry(v, a.id)?.name ?? humanize(a.id);
  return a.id === "agitate" && "group" in a ? `${name}: ${groupName(v, a.group)}` : name;
}
/** The players who may vote on a motion of `institution`, as the view shows
 * them: decrees are voted by the cabinet, resolutions by the players of the
 * factions with Soviet seats. */
export function voters(v: View, institution: string): number[] {
  return institution === "government"
    ? v.cabinet
    : v.players.filter((p) => v.state.soviet_seats[p.faction] > 0).map((p) => p.id);
}
export function playerName(v: View | null, id: number | null | undefined): string {
  if (id == null) return "the host";
  return v?.players.find((p) => p.id === id)?.name ?? `player ${id}`;
}
export function phaseName(p: Phase | null | undefined): string {
  return p ? humanize(p) : "Lobby";
}

/** A name with its explanation a tap away (no hover needed on a phone). */
export function Explain({ v, label, info }: { v: View | null; label: ComponentChildren; info?: Explained }) {
  if (!info) return <span>{label}</span>;
  return (
    <details class="explain">
      <summary>{label}</summary>
      <p>{prose(v, info.does)}</p>
      {info.history ? <p class="history">{info.history}</p> : null}
    </details>
  );
}

export function FactionTag({ v, f }: { v: View | null; f: Faction }) {
  return <span class={`tag f-${f}`}>{factionName(v, f)}</span>;
}

function mmss(ms: number): string {
  const s = Math.max(0, Math.ceil(ms / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

export function Countdown({ v }: { v: View }) {
  const now = useNow();
  if (v.status === "lobby") return <span class="clock">waiting to start</span>;
  if (v.status === "ended") return <span class="clock">game over</span>;
  if (v.paused_remaining_ms != null) {
    return <span class="clock paused">paused · {mmss(v.paused_remaining_ms)}</span>;
  }
  if (v.deadline_ms == null) return <span class="clock">–</span>;
  const left = v.deadline_ms - (now + skewMs);
  return (
    <span class={`clock${left < 15000 ? " urgent" : ""}`} aria-label={`time left ${mmss(left)}`}>
      {mmss(left)}
    </span>
  );
}

export function PhaseLine({ v }: { v: View }) {
  return (
    <div class="phaseline">
      <span class="month">
        {v.status === "lobby" ? "Lobby" : `${v.month} · round ${v.round} of ${v.rounds}`}
      </span>
      <span class="phase">{v.status === "running" ? phaseName(v.phase) : v.status === "ended" ? "Ended" : ""}</span>
      <Countdown v={v} />
    </div>
  );
}

export function EventCard({ v }: { v: View }) {
  if (!v.event) return null;
  const info = explained(v.catalog?.events, v.event.id);
  return (
    <section class="card event" aria-label="This month's event">
      <h2>{v.event.title}</h2>
      <p>{prose(v, v.event.text)}</p>
      {info?.history ? <p class="history">{info.history}</p> : null}
    </section>
  );
}

const TRACKS = ["gov_legitimacy", "soviet_legitimacy", "war_weariness", "bread", "order"] as const;
const FORCES = ["reaction", "red_guards", "loyal_troops"] as const;

export function Tracks({ v }: { v: View }) {
  const t = v.state.tracks as unknown as Record<string, number>;
  const forces = v.state.forces as unknown as Record<string, { band: string; exact?: number | null }>;
  return (
    <section class="card" id="tracks" aria-label="Tracks">
      <h2>Tracks</h2>
      <ul class="bars">
        {TRACKS.map((k) => (
          <li key={k}>
            <Explain v={v} label={trackName(v, k)} info={trackInfo(v, k)} />
            <Meter value={t[k] ?? 0} label={trackName(v, k)} cls={`t-${k}`} />
          </li>
        ))}
      </ul>
      <h3>Hidden forces</h3>
      <ul class="forces">
        {FORCES.map((k) => (
          <li key={k}>
            <Explain v={v} label={trackName(v, k)} info={trackInfo(v, k)} />{" "}
            <span class={`band b-${forces[k]?.band}`}>{forces[k]?.band}</span>
            {exactOf(v, k) != null ? <span class="exact"> (exactly {exactOf(v, k)})</span> : null}
          </li>
        ))}
      </ul>
    </section>
  );
}

/** A hidden track's exact value, when this viewer (the host) may see it. */
function exactOf(v: View, k: (typeof FORCES)[number]): number | null {
  return v.state.forces[k]?.exact ?? v.hidden?.[k] ?? null;
}

export function Meter({ value, label, cls }: { value: number; label: string; cls?: string }) {
  return (
    <div class={`meter ${cls ?? ""}`} role="meter" aria-label={label} aria-valuenow={value} aria-valuemin={0} aria-valuemax={100}>
      <div class="fill" style={{ width: `${Math.max(0, Math.min(100, value))}%` }} />
      <span class="num">{value}</span>
    </div>
  );
}

export function Groups({ v }: { v: View }) {
  return (
    <section class="card" aria-label="Groups">
      <h2>Support and unrest</h2>
      <ul class="groups">
        {GROUPS.map((g) => {
          const s = v.state.groups[g];
          if (!s) return null;
          return (
            <li key={g}>
              <Explain v={v} label={groupName(v, g)} info={groupInfo(v, g)} />
              <div class="stack" role="img" aria-label={`${groupName(v, g)} support: ${FACTIONS.map((f) => `${factionName(v, f)} ${s.support[f]}%`).join(", ")}`}>
                {FACTIONS.map((f) => (
                  <div key={f} class={`seg f-${f}`} style={{ width: `${s.support[f]}%` }}>
                    {s.support[f] >= 12 ? `${s.support[f]}%` : ""}
                  </div>
                ))}
              </div>
              <div class="unrest">unrest {s.unrest}</div>
            </li>
          );
        })}
      </ul>
      <p class="legend">
        {FACTIONS.map((f) => (
          <FactionTag key={f} v={v} f={f} />
        ))}
      </p>
    </section>
  );
}

export function Institutions({ v }: { v: View }) {
  const seats = v.state.soviet_seats;
  return (
    <section class="card" aria-label="Institutions">
      <h2>Soviet seats</h2>
      <div class="stack" role="img" aria-label={`Soviet seats: ${FACTIONS.map((f) => `${factionName(v, f)} ${seats[f]}`).join(", ")}`}>
        {FACTIONS.map((f) =>
          seats[f] > 0 ? (
            <div key={f} class={`seg f-${f}`} style={{ width: `${seats[f]}%` }}>
              {seats[f] >= 30 ? `${factionName(v, f)} ${seats[f]}` : seats[f]}
            </div>
          ) : null,
        )}
      </div>
      <h2>Cabinet</h2>
      <p>
        {v.cabinet.length ? v.cabinet.map((id) => playerName(v, id)).join(", ") : "nobody yet"}
        {v.state.coalition ? " (a coalition with the Soviet)" : ""}
      </p>
      <h2>In force</h2>
      {v.state.flags.length ? (
        <ul class="inforce">
          {v.state.flags.map((f) => (
            <li key={f} class="flag">
              <Explain v={v} label={ideaName(v, f)} info={ideaInfo(v, f)} />
            </li>
          ))}
        </ul>
      ) : (
        <p>no policy yet</p>
      )}
      <h2>Passed so far</h2>
      {v.state.passed.length ? (
        <ul class="inforce passed">
          {timesPassed(v).map(({ motion, name, times }) => (
            <li key={name}>
              <Explain v={v} label={times > 1 ? `${name} ×${times}` : name} info={motionEntry(v, motion.id)} />
            </li>
          ))}
        </ul>
      ) : (
        <p>nothing yet</p>
      )}
    </section>
  );
}

/** The motions passed so far, each once (in the order they first passed)
 * with how many times it passed: a resolution may pass again in a later
 * month. */
export function timesPassed(v: View): { motion: Motion; name: string; times: number }[] {
  const out: { motion: Motion; name: string; times: number }[] = [];
  for (const motion of v.state.passed) {
    const name = motionName(v, motion);
    const seen = out.find((p) => p.name === name);
    if (seen) seen.times += 1;
    else out.push({ motion, name, times: 1 });
  }
  return out;
}

export function RollCall({ v, tally }: { v: View; tally: Tally }) {
  return (
    <div class="rollcall">
      <p class={tally.passed ? "passed" : "failed"}>
        <strong>{tally.passed ? "Passed" : "Failed"}</strong>: {fmt(tally.yes)} yes, {fmt(tally.no)} no, {fmt(tally.abstain)} abstaining
        {tally.note ? ` (${tally.note})` : ""}
      </p>
      {tally.roll_call.length ? (
        <ul class="votes">
          {tally.roll_call.map((r) => (
            <li key={r.player} class={`v-${r.vote}`}>
              {playerName(v, r.player)} <span class={`tag f-${r.faction}`}>{factionName(v, r.faction)}</span>: {r.vote}
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}

function fmt(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(1);
}

/** A motion on the table: name, institution, proposer, what it does in one
 * sentence; its roll call once the vote closed; `children` for buttons. */
export function MotionCard({ v, m, children }: { v: View; m: MotionView; children?: ComponentChildren }) {
  const entry = motionEntry(v, m.motion.id);
  return (
    <li class={`card motion s-${m.status}`} aria-label={motionName(v, m.motion)}>
      <h3>
        {motionName(v, m.motion)} <span class="inst">{m.institution === "government" ? "decree" : "Soviet resolution"}</span>
      </h3>
      <p class="by">
        m{m.id}, tabled by {playerName(v, m.proposer)} · {m.status}
      </p>
      {entry ? <p class="does">{prose(v, entry.does)}</p> : null}
      {entry?.history ? (
        <details class="in1917">
          <summary>In 1917</summary>
          <p class="history">{entry.history}</p>
        </details>
      ) : null}
      {m.tally ? <RollCall v={v} tally={m.tally} /> : null}
      {children}
    </li>
  );
}

export function Outcome({ v }: { v: View }) {
  const o = v.outcome;
  if (!o) return null;
  const score = ideaInfo(v, "score");
  return (
    <section class="card outcome" aria-label="The ending">
      <h2>The end: {humanize(o.ending)}</h2>
      <p>{o.summary}</p>
      <table>
        <caption>Scores</caption>
        <thead>
          <tr>
            <th scope="col">Faction</th>
            <th scope="col">Score</th>
            <th scope="col">Result</th>
          </tr>
        </thead>
        <tbody>
          {o.scores.map((s) => (
            <tr key={s.faction}>
              <td>
                <FactionTag v={v} f={s.faction} />
              </td>
              <td>
                {s.score}
                {s.assembly_seats != null ? ` (${s.assembly_seats} Assembly seats)` : ""}
              </td>
              <td>{s.won ? "won" : "lost"}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {score ? <Explain v={v} label="What the score means" info={score} /> : null}
    </section>
  );
}

/** Whether what happened is what the class reads now, first on the screen:
 * at the resolution and at the end. */
export function storyFirst(v: View): boolean {
  return v.phase === "resolution" || v.status === "ended";
}

export function Stories({ s, v, open }: { s: Session; v: View; open?: number }) {
  const stories = [...s.stories].filter((st) => st.summary.length || st.results.length).reverse();
  if (!stories.length && !v.last_summary.length) return null;
  return (
    <section class="card" aria-label="What happened">
      <h2>What happened</h2>
      {stories.length === 0 ? (
        <ul class="summary">
          {v.last_summary.map((l, i) => (
            <li key={i}>{l}</li>
          ))}
        </ul>
      ) : null}
      {stories.map((st, i) => (
        <details key={st.round} open={i < (open ?? 1)}>
          <summary>
            Round {st.round}
            {st.month ? `, ${st.month}` : ""}
          </summary>
          {st.results.map((r) => {
            const m = st.motions.find((m) => m.id === r.motion);
            return (
              <div key={r.motion} class="result">
                <h4>{m ? motionName(v, m.motion) : `m${r.motion}`}</h4>
                <RollCall v={v} tally={r.tally} />
              </div>
            );
          })}
          <ul class="summary">
            {st.summary.map((l, j) => (
              <li key={j}>{l}</li>
            ))}
          </ul>
        </details>
      ))}
    </section>
  );
}

export function ConnectionBanner({ s }: { s: Session }) {
  const st = s.status;
  if (st.kind === "open") return null;
  if (st.kind === "connecting") {
    return (
      <p class="banner" role="status">
        {st.attempt === 0 ? "Connecting…" : "Connection lost: reconnecting…"}
      </p>
    );
  }
  if (st.code === "refused") return null;
  return (
    <p class="banner stopped" role="alert">
      {st.code === "replaced" ? "This seat is now open in another tab or window: this page has stopped." : st.reason}
    </p>
  );
}
