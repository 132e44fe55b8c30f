// The projector display (/projector/CODE): a spectator's view, full screen,
// large type. Before the start: the join address, its QR code, the code and
// the players arriving. During play: month, phase, clock, the event, the
// tracks as live charts, the motions and roll calls, the story, the ending.
// A spectator sees only the public view; it reconnects by itself.

import { useEffect, useState } from "preact/hooks";
import { encode } from "uqr";
import { Session, type View } from "./session";
import { FACTIONS } from "./protocol.gen";
import {
  ConnectionBanner,
  EventCard,
  FactionTag,
  Groups,
  ideaInfo,
  ideaName,
  MotionCard,
  Outcome,
  PhaseLine,
  prose,
  storyFirst,
  trackName,
  useNow,
  useSession,
} from "./common";

export function Projector({ code }: { code: string }) {
  const [s] = useState(() => new Session("spectator", code, { type: "spectate", code: code.toUpperCase() }));
  useSession(s);
  useEffect(() => {
    document.title = `Dual Power · ${code.toUpperCase()} · projector`;
    document.body.classList.add("projector-body");
  }, [code]);
  const v = s.view;
  const full = () => {
    void document.documentElement.requestFullscreen?.().catch(() => undefined);
  };
  if (!v) {
    return (
      <main class="projector">
        <h1>Dual Power</h1>
        {s.refusal ? <p role="alert">{s.refusal.message}</p> : <p role="status">Connecting to {code.toUpperCase()}…</p>}
        <ConnectionBanner s={s} />
      </main>
    );
  }
  return (
    <main class="projector">
      <button type="button" class="fullscreen" onClick={full}>
        Full screen
      </button>
      <ConnectionBanner s={s} />
      {v.status === "lobby" ? <Lobby v={v} /> : <Play s={s} v={v} />}
    </main>
  );
}

export function joinAddress(code: string): string {
  return `${location.origin}/join/${code}`;
}

function Qr({ text }: { text: string }) {
  const { data, size } = encode(text, { ecc: "M", border: 2 });
  let d = "";
  data.forEach((row, y) =>
    row.forEach((on, x) => {
      if (on) d += `M${x} ${y}h1v1h-1z`;
    }),
  );
  return (
    <svg class="qr" viewBox={`0 0 ${size} ${size}`} role="img" aria-label={`QR code of ${text}`} shape-rendering="crispEdges">
      <rect width={size} height={size} fill="#fff" />
      <path d={d} fill="#000" />
    </svg>
  );
}

function Lobby({ v }: { v: View }) {
  const address = joinAddress(v.code);
  const loopback = ["localhost", "127.0.0.1", "[::1]"].includes(location.hostname);
  return (
    <div class="lobby">
      <div class="lobby-left">
        <h1>Join the game</h1>
        <p class="address">
          Open <strong>{location.host}</strong> and type the code:
        </p>
        <p class="bigcode" aria-label={`Join code ${v.code.split("").join(" ")}`}>
          {v.code}
        </p>
        <p class="address small">or go straight to {address}</p>
        {loopback ? (
          <p class="warn" role="alert">
            This page was opened at {location.hostname}, which students cannot reach: open it at the address the server printed
            (e.g. http://192.168.1.20:8080).
          </p>
        ) : null}
      </div>
      <div class="lobby-right">
        <Qr text={address} />
      </div>
      <section class="arrivals" aria-label="Players">
        <h2>{v.players.length === 1 ? "1 player" : `${v.players.length} players`} in</h2>
        <ul>
          {v.players.map((p) => (
            <li key={p.id}>
              {p.name} {v.settings.faction_choice === "choose" ? <FactionTag v={v} f={p.faction} /> : null}
            </li>
          ))}
        </ul>
      </section>
    </div>
  );
}

const LINES: [string, string][] = [
  ["gov_legitimacy", "#7fb0ff"],
  ["soviet_legitimacy", "#ff7b7b"],
  ["war_weariness", "#d2a8ff"],
  ["bread", "#f2c14e"],
  ["order", "#5fd39a"],
];

/** The public tracks over the rounds, as lines, with today's value. */
function TrackChart({ s, v }: { s: Session; v: View }) {
  const points = [...s.history];
  const now = v.state.tracks as unknown as Record<string, number>;
  if (!points.length || points[points.length - 1]!.round !== v.round) {
    points.push({ round: v.round, month: v.month, tracks: { ...now } });
  }
  const W = 600;
  const H = 260;
  const maxRound = Math.max(v.rounds, 1);
  const x = (r: number) => 40 + (r / maxRound) * (W - 60);
  const y = (val: number) => 10 + (1 - val / 100) * (H - 40);
  return (
    <section class="card chart" aria-label="Tracks over time">
      <h2>The tracks</h2>
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={LINES.map(([k]) => `${trackName(v, k)} ${now[k]}`).join(", ")}>
        {[0, 25, 50, 75, 100].map((g) => (
          <g key={g}>
            <line x1={40} x2={W - 20} y1={y(g)} y2={y(g)} class="grid" />
            <text x={30} y={y(g) + 5} class="axis" text-anchor="end">
              {g}
            </text>
          </g>
        ))}
        {LINES.map(([k, color]) => (
          <polyline
            key={k}
            fill="none"
            stroke={color}
            stroke-width={4}
            points={points.map((p) => `${x(p.round)},${y(p.tracks[k] ?? 0)}`).join(" ")}
          />
        ))}
        {Array.from({ length: maxRound + 1 }, (_, r) => (
          <text key={r} x={x(r)} y={H - 8} class="axis" text-anchor="middle">
            {r}
          </text>
        ))}
      </svg>
      <ul class="chart-legend">
        {LINES.map(([k, color]) => (
          <li key={k}>
            <span class="swatch" style={{ background: color }} /> {trackName(v, k)} <strong>{now[k]}</strong>
          </li>
        ))}
      </ul>
      <p class="forces">
        {(["reaction", "red_guards", "loyal_troops"] as const).map((k) => (
          <span key={k}>
            {trackName(v, k)}: <span class={`band b-${v.state.forces[k].band}`}>{v.state.forces[k].band}</span>{" "}
          </span>
        ))}
      </p>
    </section>
  );
}

/** The host's latest announcement (never the students' chat). */
function Announcement({ s }: { s: Session }) {
  const now = useNow(5000);
  const last = [...s.chat].reverse().find((l) => l.scope.kind === "announcement" && !l.notice && l.from == null);
  // Shown for three minutes, then the screen is the game's again.
  if (!last || now - last.at > 3 * 60_000) return null;
  return (
    <p class="announcement" role="status">
      <strong>From the teacher:</strong> {last.text}
    </p>
  );
}

function Play({ s, v }: { s: Session; v: View }) {
  const motions = v.motions.filter((m) => m.status !== "withdrawn");
  const story = [...s.stories].reverse().find((st) => st.summary.length);
  const showStory = v.phase === "resolution" || v.phase === "briefing" || v.status === "ended";
  // First on the screen without scrolling when it is what the class reads;
  // at the briefing the month's event comes first and last month's story
  // after it.
  const first = storyFirst(v);
  const storyCard =
    showStory && (story || v.last_summary.length) ? (
      <section class="card story" aria-label="What happened">
        <h2>What happened{story ? ` in ${story.month || `round ${story.round}`}` : ""}</h2>
        <ul class="summary">
          {(story?.summary ?? v.last_summary).map((l, i) => (
            <li key={i}>{l}</li>
          ))}
        </ul>
      </section>
    ) : null;
  return (
    <div class="play">
      <header class="proj-head">
        <PhaseLine v={v} />
        <span class="code-small">Code {v.code}</span>
      </header>
      <Announcement s={s} />
      {v.status === "ended" ? <Outcome v={v} /> : null}
      <div class="proj-grid">
        <div class="col">
          {first ? storyCard : null}
          <EventCard v={v} />
          {motions.length ? (
            <section class="card" aria-label="Motions">
              <h2>Motions</h2>
              <ul class="motions">
                {motions.map((m) => (
                  <MotionCard key={m.id} v={v} m={m} />
                ))}
              </ul>
            </section>
          ) : null}
          {first ? null : storyCard}
        </div>
        <div class="col">
          <TrackChart s={s} v={v} />
          <Groups v={v} />
          <section class="card" aria-label="Soviet seats">
            <h2>Soviet seats</h2>
            <div class="stack">
              {FACTIONS.map((f) =>
                v.state.soviet_seats[f] > 0 ? (
                  <div key={f} class={`seg f-${f}`} style={{ width: `${v.state.soviet_seats[f]}%` }}>
                    {v.state.soviet_seats[f]}
                  </div>
                ) : null,
              )}
            </div>
          </section>
          <InForce v={v} />
        </div>
      </div>
    </div>
  );
}

/** The policies in force, each with what it does (the class reads the
 * wall to know why the numbers move). */
function InForce({ v }: { v: View }) {
  if (!v.state.flags.length) return null;
  return (
    <section class="card" aria-label="In force">
      <h2>In force</h2>
      <ul class="inforce policies">
        {v.state.flags.map((f) => {
          const does = ideaInfo(v, f)?.does;
          return (
            <li key={f}>
              <strong>{ideaName(v, f)}</strong>
              {does ? `: ${prose(v, does)}` : ""}
            </li>
          );
        })}
      </ul>
    </section>
  );
}
