// The host console (/host). The host token lives in localStorage only: it is
// never rendered, so the console can be shown on a projector.

import { useEffect, useState } from "preact/hooks";
import { Session, lastHosted, forgetLastHosted, type View } from "./session";
import type { DownloadFormat, Faction, MotionView, PhaseTimers } from "./protocol.gen";
import { FACTIONS, PHASES } from "./protocol.gen";
import {
  ConnectionBanner,
  EventCard,
  FactionTag,
  Groups,
  Institutions,
  MotionCard,
  Outcome,
  PhaseLine,
  Refusal,
  Stories,
  Tracks,
  actionName,
  factionName,
  humanize,
  playerName,
  useAct,
  useSession,
  voters,
} from "./common";

export function HostPage() {
  const [session, setSession] = useState<Session | null>(() => {
    const code = lastHosted();
    return code ? new Session("host", code, null) : null;
  });
  useSession(session);
  if (session && session.view && session.refusal === null) {
    return <Console s={session} onLeave={() => setSession(null)} />;
  }
  if (session && !session.refusal && session.status.kind !== "stopped") {
    return (
      <main class="join">
        <p role="status">Connecting to your game…</p>
        <ConnectionBanner s={session} />
      </main>
    );
  }
  return <CreateForm refusal={session?.refusal?.message ?? null} onCreate={(s) => setSession(s)} />;
}

function CreateForm({ refusal, onCreate }: { refusal: string | null; onCreate: (s: Session) => void }) {
  const [preset, setPreset] = useState<"standard" | "short">("standard");
  const [choice, setChoice] = useState<"auto" | "choose">("choose");
  const [characters, setCharacters] = useState(true);
  const submit = (e: Event) => {
    e.preventDefault();
    const s = new Session("host", "", {
      type: "create_game",
      preset,
      faction_choice: choice,
      characters,
    });
    onCreate(s);
  };
  return (
    <main class="join host-create">
      <h1>Dual Power: host a game</h1>
      <form class="card" onSubmit={submit}>
        <fieldset>
          <legend>Length</legend>
          <label class="radio">
            <input type="radio" name="preset" checked={preset === "standard"} onChange={() => setPreset("standard")} /> Standard
            (about 90 minutes)
          </label>
          <label class="radio">
            <input type="radio" name="preset" checked={preset === "short"} onChange={() => setPreset("short")} /> Short (about 45
            minutes)
          </label>
        </fieldset>
        <fieldset>
          <legend>Factions</legend>
          <label class="radio">
            <input type="radio" name="choice" checked={choice === "choose"} onChange={() => setChoice("choose")} /> Students choose
            their faction
          </label>
          <label class="radio">
            <input type="radio" name="choice" checked={choice === "auto"} onChange={() => setChoice("auto")} /> Balance the factions
            automatically
          </label>
        </fieldset>
        <label class="check">
          <input type="checkbox" checked={characters} onChange={() => setCharacters(!characters)} /> Historical characters with
          secret objectives
        </label>
        <Refusal error={refusal} />
        <button type="submit" class="primary big">
          Create game
        </button>
      </form>
    </main>
  );
}

function Console({ s, onLeave }: { s: Session; onLeave: () => void }) {
  useSession(s);
  const v = s.view!;
  const act = useAct(s);
  const [tab, setTab] = useState<"game" | "players" | "chat" | "settings">("game");
  const running = v.status === "running";
  const paused = v.paused_remaining_ms != null;
  return (
    <div class="host">
      <header class="top">
        <PhaseLine v={v} />
        <div class="mine">
          <span>
            Join code <strong class="code">{v.code}</strong>
          </span>{" "}
          <a class="button" href={`/projector/${v.code}`} target="_blank" rel="noopener">
            Open the projector display
          </a>
        </div>
        <div class="controls" role="group" aria-label="Game controls">
          {v.status === "lobby" ? (
            <button type="button" class="primary" onClick={() => act.run({ type: "start_game" })}>
              Start the game
            </button>
          ) : null}
          {running && !paused ? (
            <button type="button" onClick={() => act.run({ type: "pause" })}>
              Pause
            </button>
          ) : null}
          {running && paused ? (
            <button type="button" class="primary" onClick={() => act.run({ type: "resume_game" })}>
              Resume
            </button>
          ) : null}
          {running ? (
            <>
              <button type="button" onClick={() => act.run({ type: "extend", seconds: 60 })}>
                +1 minute
              </button>
              <button type="button" onClick={() => act.run({ type: "end_phase" })}>
                End this phase
              </button>
            </>
          ) : null}
        </div>
        <Refusal error={act.error} />
        <ConnectionBanner s={s} />
      </header>
      <div role="tablist" aria-label="Console sections" class="tabs wide">
        {(["game", "players", "chat", "settings"] as const).map((t) => (
          <button type="button" role="tab" key={t} aria-selected={tab === t} class={tab === t ? "on" : ""} onClick={() => setTab(t)}>
            {{ game: "Game", players: `Players (${v.players.length})`, chat: "Chat", settings: "Settings and debrief" }[t]}
          </button>
        ))}
      </div>
      <main class="grid">
        {tab === "game" ? <GameTab s={s} v={v} onDebrief={() => setTab("settings")} /> : null}
        {tab === "players" ? <PlayersTab s={s} v={v} /> : null}
        {tab === "chat" ? <ChatTab s={s} v={v} /> : null}
        {tab === "settings" ? <SettingsTab s={s} v={v} onLeave={onLeave} /> : null}
      </main>
    </div>
  );
}

/** Who may vote on an open motion and has not yet: the teacher can nudge
 * them before the clock runs out. */
function NotVoted({ v, m }: { v: View; m: MotionView }) {
  if (v.status !== "running" || v.phase !== "voting" || m.status !== "tabled") return null;
  const voted = new Set((m.ballots ?? []).map((b) => b.player));
  const missing = voters(v, m.institution).filter((id) => !voted.has(id));
  if (!missing.length) return <p class="ballots">Everyone who may vote has voted.</p>;
  return <p class="ballots">Not voted yet: {missing.map((id) => playerName(v, id)).join(", ")}</p>;
}

function GameTab({ s, v, onDebrief }: { s: Session; v: View; onDebrief: () => void }) {
  return (
    <>
      <div class="col">
        <Outcome v={v} />
        {v.status === "ended" ? (
          <section class="card" aria-label="Next: the debrief">
            <h2>Next: the debrief</h2>
            <p>
              The report sets your class's 1917 beside the real one, month by month, with charts, each student's part and
              questions for the discussion: for the whole class, or one faction's view.
            </p>
            <button type="button" onClick={onDebrief}>
              Get the debrief
            </button>
          </section>
        ) : null}
        <EventCard v={v} />
        <section class="card" aria-label="Motions">
          <h2>Motions this round</h2>
          {v.motions.length === 0 ? <p>No motion tabled yet.</p> : null}
          <ul class="motions">
            {v.motions.map((m) => (
              <MotionCard key={m.id} v={v} m={m}>
                {m.ballots?.length ? (
                  <p class="ballots">
                    Live ballots: {m.ballots.map((b) => `${playerName(v, b.player)} ${b.vote}`).join(", ")}
                  </p>
                ) : null}
                <NotVoted v={v} m={m} />
              </MotionCard>
            ))}
          </ul>
        </section>
        <section class="card" aria-label="Factions">
          <h2>Factions</h2>
          <ul class="plan">
            {v.factions.map((f) => (
              <li key={f.faction}>
                <FactionTag v={v} f={f.faction} /> {f.ip} IP
                {f.plan.length ? `: ${f.plan.map((p) => actionName(v, p.action)).join(", ")}` : ""}
              </li>
            ))}
          </ul>
        </section>
        <Stories s={s} v={v} />
      </div>
      <div class="col">
        <Tracks v={v} />
        <Groups v={v} />
        <Institutions v={v} />
      </div>
    </>
  );
}

function PlayersTab({ s, v }: { s: Session; v: View }) {
  const act = useAct(s);
  const [botFaction, setBotFaction] = useState<Faction | "">("");
  return (
    <div class="col full">
      <section class="card" aria-label="Players">
        <h2>Who is in</h2>
        {v.players.length === 0 ? <p>Nobody yet. Students open the join address shown on the projector.</p> : null}
        <table class="players-table">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Faction</th>
              <th scope="col">Connected</th>
              <th scope="col">Manage</th>
            </tr>
          </thead>
          <tbody>
            {v.players.map((p) => (
              <tr key={p.id}>
                <td>
                  {p.name}
                  {p.character ? <span class="char"> ({p.character})</span> : null}
                  {p.bot ? " · bot" : ""}
                  {(v.ready ?? []).includes(p.id) ? " · ready" : ""}
                </td>
                <td>
                  <FactionTag v={v} f={p.faction} />
                </td>
                <td>{p.connected ? "yes" : "away"}</td>
                <td class="manage">
                  <label class="visually-hidden" for={`move-${p.id}`}>
                    Move {p.name} to
                  </label>
                  <select
                    id={`move-${p.id}`}
                    value=""
                    onChange={(e) => {
                      const f = (e.target as HTMLSelectElement).value as Faction;
                      if (f) void act.run({ type: "move_player", player: p.id, faction: f });
                    }}
                  >
                    <option value="">Move to…</option>
                    {FACTIONS.filter((f) => f !== p.faction).map((f) => (
                      <option key={f} value={f}>
                        {factionName(v, f)}
                      </option>
                    ))}
                  </select>{" "}
                  {v.settings.characters && v.catalog?.characters?.length ? (
                    <>
                      <label class="visually-hidden" for={`char-${p.id}`}>
                        Character for {p.name}
                      </label>
                      <select
                        id={`char-${p.id}`}
                        value=""
                        onChange={(e) => {
                          const c = (e.target as HTMLSelectElement).value;
                          if (c) void act.run({ type: "assign_character", player: p.id, character: c });
                        }}
                      >
                        <option value="">Character…</option>
                        {v.catalog.characters
                          .filter((c) => c.faction === p.faction && !v.players.some((q) => q.character === c.name))
                          .map((c) => (
                            <option key={c.name} value={c.name}>
                              {c.name}
                            </option>
                          ))}
                      </select>{" "}
                    </>
                  ) : null}
                  <button type="button" aria-label={`Mute ${p.name} for 2 minutes`} onClick={() => act.run({ type: "mute", player: p.id, seconds: 120 })}>
                    Mute 2 min
                  </button>{" "}
                  <button type="button" aria-label={`Remove ${p.name}`} onClick={() => act.run({ type: "kick", player: p.id })}>
                    Remove
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        <Refusal error={act.error} />
      </section>
      <section class="card" aria-label="Bots">
        <h2>Fill a seat with a bot</h2>
        <label for="bot-faction">Faction</label>
        <select id="bot-faction" value={botFaction} onChange={(e) => setBotFaction((e.target as HTMLSelectElement).value as Faction | "")}>
          <option value="">The smallest faction</option>
          {FACTIONS.map((f) => (
            <option key={f} value={f}>
              {factionName(v, f)}
            </option>
          ))}
        </select>{" "}
        <button type="button" onClick={() => act.run({ type: "add_bot", faction: botFaction || null })}>
          Add a bot
        </button>
      </section>
    </div>
  );
}

function ChatTab({ s, v }: { s: Session; v: View }) {
  const act = useAct(s);
  const [text, setText] = useState("");
  const send = async (e: Event) => {
    e.preventDefault();
    const a = await act.run({ type: "chat", channel: { kind: "floor" }, text });
    if (a?.ok) setText("");
  };
  return (
    <div class="col full">
      <section class="card chat" aria-label="All chat">
        <h2>All chat (you see every channel)</h2>
        <ul class="lines tall">
          {s.chat.map((l, i) => (
            <li key={i} class={l.notice ? "notice" : ""}>
              <span class="scope">
                {l.scope.kind === "faction"
                  ? `[${factionName(v, l.scope.faction)}]`
                  : l.scope.kind === "private"
                    ? `[private → ${playerName(v, l.scope.to)}]`
                    : l.scope.kind === "announcement"
                      ? "[announcement]"
                      : "[floor]"}
              </span>{" "}
              {l.notice ? null : <strong>{l.scope.kind === "announcement" ? "You" : playerName(v, l.from)}: </strong>}
              {l.text}{" "}
              {l.hidden ? <em class="scope">(hidden from the class)</em> : null}
              {l.id != null && !l.notice && !l.hidden && l.scope.kind !== "announcement" ? (
                <button type="button" class="small" aria-label={`Hide message ${l.id} from everyone`} onClick={() => act.run({ type: "redact", chat: l.id! })}>
                  Hide
                </button>
              ) : null}
            </li>
          ))}
        </ul>
        <form onSubmit={send} class="say">
          <label for="announce">Announcement to the class</label>
          <input id="announce" value={text} maxLength={500} onInput={(e) => setText((e.target as HTMLInputElement).value)} />
          <button type="submit">Announce</button>
        </form>
        <Refusal error={act.error} />
      </section>
    </div>
  );
}

function SettingsTab({ s, v, onLeave }: { s: Session; v: View; onLeave: () => void }) {
  const act = useAct(s);
  const [timers, setTimers] = useState<PhaseTimers>({ ...v.settings.timers });
  // The form follows the game's timers when they change (from here or not).
  const current = JSON.stringify(v.settings.timers);
  useEffect(() => setTimers({ ...v.settings.timers }), [current]);
  const [event, setEvent] = useState("");
  const [dlFaction, setDlFaction] = useState<Faction | "">("");
  const download = async (format: DownloadFormat) => {
    const a = await act.run({ type: "download", format, faction: dlFaction || null });
    if (a?.ok && a.msg.type === "download") {
      const mime = format === "html" ? "text/html" : format === "markdown" ? "text/markdown" : "application/json";
      const url = URL.createObjectURL(new Blob([a.msg.content], { type: mime }));
      const link = document.createElement("a");
      link.href = url;
      link.download = a.msg.filename;
      document.body.appendChild(link);
      link.click();
      link.remove();
      window.setTimeout(() => URL.revokeObjectURL(url), 10000);
    }
  };
  const events = v.catalog?.events ?? [];
  // Once the game is over, timers and events change nothing (the server
  // refuses them): the debrief comes first.
  const over = v.status === "ended";
  return (
    <div class="col full">
      {over ? null : (
        <section class="card" aria-label="Timers">
          <h2>Timers (seconds, from the next phase)</h2>
          <form
            class="timers"
            onSubmit={(e) => {
              e.preventDefault();
              void act.run({ type: "set_timers", timers });
            }}
          >
            {PHASES.map((p) => (
              <label key={p}>
                {humanize(p)}{" "}
                <input
                  type="number"
                  min={1}
                  value={timers[p]}
                  onInput={(e) => setTimers({ ...timers, [p]: Number((e.target as HTMLInputElement).value) })}
                />
              </label>
            ))}
            <button type="submit">Set timers</button>{" "}
            <button type="button" onClick={() => act.run({ type: "set_timers", preset: "standard" })}>
              Standard
            </button>{" "}
            <button type="button" onClick={() => act.run({ type: "set_timers", preset: "short" })}>
              Short
            </button>
          </form>
          <label class="check">
            <input
              type="checkbox"
              checked={v.ready_ends_phase !== false}
              onChange={() => act.run({ type: "set_ready_rule", enabled: v.ready_ends_phase === false })}
            />{" "}
            End a phase early when every player is ready
          </label>
        </section>
      )}
      {over ? null : (
        <section class="card" aria-label="Inject an event">
          <h2>Play an event now</h2>
          <form
            onSubmit={(e) => {
              e.preventDefault();
              if (event) void act.run({ type: "inject_event", event });
            }}
          >
            <label for="inject">Event</label>
            {events.length ? (
              <select id="inject" value={event} onChange={(e) => setEvent((e.target as HTMLSelectElement).value)}>
                <option value="">Choose an event…</option>
                {events.map((ev) => (
                  <option key={ev.id} value={ev.id}>
                    {ev.name}
                  </option>
                ))}
              </select>
            ) : (
              <input id="inject" value={event} placeholder="e.g. july_days" onInput={(e) => setEvent((e.target as HTMLInputElement).value.trim())} />
            )}{" "}
            <button type="submit">Play it</button>
          </form>
        </section>
      )}
      <section class="card" aria-label="Debrief">
        <h2>Debrief</h2>
        <label for="dl-faction">Whose view</label>
        <select id="dl-faction" value={dlFaction} onChange={(e) => setDlFaction((e.target as HTMLSelectElement).value as Faction | "")}>
          <option value="">Everything (the host's record)</option>
          {FACTIONS.map((f) => (
            <option key={f} value={f}>
              {factionName(v, f)}
            </option>
          ))}
        </select>
        <div class="controls">
          <button type="button" onClick={() => download("html")}>
            Download report (HTML)
          </button>
          <button type="button" onClick={() => download("markdown")}>
            Download report (Markdown)
          </button>
          <button type="button" onClick={() => download("log")}>
            Download the log
          </button>
        </div>
      </section>
      <section class="card" aria-label="End">
        <h2>End</h2>
        {v.status !== "ended" ? (
          <button
            type="button"
            class="danger"
            onClick={() => {
              if (window.confirm("End the game now for everyone?")) void act.run({ type: "end_game" });
            }}
          >
            End the game
          </button>
        ) : null}{" "}
        <button
          type="button"
          onClick={() => {
            s.close();
            forgetLastHosted();
            onLeave();
          }}
        >
          Host another game
        </button>
      </section>
      <Refusal error={act.error} />
    </div>
  );
}
