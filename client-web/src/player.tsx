// The join page and the player's screen.

import { useEffect, useRef, useState } from "preact/hooks";
import { Session, loadSaved, forget, type ChatLine, type View } from "./session";
import { wsUrl } from "./link";
import { me, myFaction } from "./fold";
import type { Action, Faction, Group, Motion, MotionView, Vote } from "./protocol.gen";
import { ACTIONS, FACTIONS, GROUPS, MOTIONS } from "./protocol.gen";
import {
  ConnectionBanner,
  EventCard,
  Explain,
  FactionTag,
  Groups,
  Institutions,
  MotionCard,
  Outcome,
  PhaseLine,
  prose,
  Refusal,
  voters,
  Stories,
  storyFirst,
  Tracks,
  actionEntry,
  actionName,
  factionName,
  groupName,
  humanize,
  ideaInfo,
  motionEntry,
  playerName,
  useAct,
  useSession,
} from "./common";

/** What the join page learns about a code before joining: whether the host
 * lets players choose, and who is in. A short spectator connection. */
async function peek(code: string): Promise<View | { error: string }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(wsUrl());
    const done = (r: View | { error: string }) => {
      ws.close();
      resolve(r);
    };
    const timer = window.setTimeout(() => done({ error: "" }), 4000);
    ws.onopen = () => ws.send(JSON.stringify({ type: "hello", protocol_version: 1, client: "dualpower-web/0.1", catalog_on_request: true }));
    ws.onmessage = (e) => {
      const m = JSON.parse(String(e.data));
      if (m.type === "welcome") ws.send(JSON.stringify({ id: 1, type: "spectate", code }));
      else if (m.type === "error") {
        window.clearTimeout(timer);
        done({ error: m.message });
      } else if (m.type === "snapshot") {
        window.clearTimeout(timer);
        done(m.view as View);
      }
    };
    ws.onerror = () => {
      window.clearTimeout(timer);
      done({ error: "" });
    };
  });
}

const CODE_RE = /^[A-Za-z0-9]{4,8}$/;

export function JoinPage({ initialCode }: { initialCode: string }) {
  const [code, setCode] = useState(initialCode.toUpperCase());
  const [name, setName] = useState("");
  const [faction, setFaction] = useState<Faction | "">("");
  const [peeked, setPeeked] = useState<View | null>(null);
  const [session, setSession] = useState<Session | null>(null);
  const [busy, setBusy] = useState(false);
  useSession(session);

  const saved = CODE_RE.test(code) ? loadSaved("player", code) : null;

  // A seat this browser already holds in this game: take it back.
  useEffect(() => {
    if (initialCode && loadSaved("player", initialCode)?.token && !session) {
      setSession(new Session("player", initialCode, null));
    }
  }, []);

  useEffect(() => {
    setPeeked(null);
    if (!CODE_RE.test(code)) return;
    // Only to learn whether players choose their faction: a code still
    // being typed is not an error (the Join button gets the server's word).
    let live = true;
    const t = window.setTimeout(() => {
      void peek(code.toUpperCase()).then((r) => {
        if (live && !("error" in r)) setPeeked(r);
      });
    }, 300);
    return () => {
      live = false;
      window.clearTimeout(t);
    };
  }, [code]);

  if (session && session.refusal === null && (session.view || session.status.kind !== "stopped")) {
    if (session.view) return <PlayerScreen s={session} />;
    return (
      <main class="join">
        <p role="status">Joining {session.code}…</p>
        <ConnectionBanner s={session} />
      </main>
    );
  }
  const refusal = session?.refusal?.message ?? null;

  const submit = (e: Event) => {
    e.preventDefault();
    if (busy) return;
    const c = code.trim().toUpperCase();
    setBusy(true);
    const s = new Session("player", c, {
      type: "join_game",
      code: c,
      name: name.trim(),
      faction: faction || null,
    });
    const off = s.subscribe(() => {
      if (s.refusal || s.view) {
        off();
        setBusy(false);
        if (s.view) history.replaceState(null, "", `/join/${s.code}`);
      }
    });
    setSession(s);
  };

  const choose = peeked ? peeked.settings.faction_choice === "choose" : true;
  return (
    <main class="join">
      <h1>Dual Power</h1>
      <p class="sub">Petrograd, 1917</p>
      {saved?.token && saved.view ? (
        <div class="card">
          <p>
            This browser already has a seat in {code.toUpperCase()}
            {saved.view.viewer.role === "player" ? ` as ${playerName(saved.view, saved.view.viewer.id)}` : ""}.
          </p>
          <button type="button" class="primary" onClick={() => setSession(new Session("player", code, null))}>
            Continue
          </button>{" "}
          <button
            type="button"
            onClick={() => {
              forget("player", code);
              setSession(null);
              setName("");
            }}
          >
            Join as someone else
          </button>
        </div>
      ) : null}
      <form onSubmit={submit} class="card">
        <label for="code">Join code</label>
        <input
          id="code"
          name="code"
          autocomplete="off"
          autocapitalize="characters"
          spellcheck={false}
          required
          maxLength={8}
          value={code}
          onInput={(e) => setCode((e.target as HTMLInputElement).value.toUpperCase().trim())}
        />
        <label for="name">Your name</label>
        <input
          id="name"
          name="name"
          autocomplete="nickname"
          required
          maxLength={24}
          value={name}
          onInput={(e) => setName((e.target as HTMLInputElement).value)}
        />
        {choose ? (
          <fieldset>
            <legend>Faction</legend>
            <label class="radio">
              <input type="radio" name="faction" value="" checked={faction === ""} onChange={() => setFaction("")} /> Let the game
              choose
            </label>
            {FACTIONS.map((f) => (
              <label class="radio" key={f}>
                <input type="radio" name="faction" value={f} checked={faction === f} onChange={() => setFaction(f)} />{" "}
                <span class={`tag f-${f}`}>{factionName(peeked, f)}</span>
                {peeked ? <span class="count"> ({peeked.players.filter((p) => p.faction === f).length} in)</span> : null}
              </label>
            ))}
          </fieldset>
        ) : (
          <p class="note">The teacher puts each player in a faction.</p>
        )}
        <Refusal error={refusal} />
        <button type="submit" class="primary big" disabled={busy}>
          Join
        </button>
      </form>
    </main>
  );
}

export function PlayerScreen({ s }: { s: Session }) {
  useSession(s);
  const v = s.view!;
  const mine = myFaction(v)!;
  const secrets = v.factions.find((f) => f.faction === mine);
  const ready = (v.ready ?? []).includes(me(v) ?? -1);
  const act = useAct(s);
  // What happened on top when it is what a student reads, not under the
  // briefing, the event, the motions and the plan.
  const story = storyFirst(v);
  useEffect(() => {
    document.title = `Dual Power · ${v.code}`;
  }, [v.code]);
  return (
    <div class="player">
      <header class="top">
        <PhaseLine v={v} />
        <div class="mine">
          <FactionTag v={v} f={mine} /> <span>{playerName(v, me(v))}</span>{" "}
          <span class="ip" aria-label="influence points">
            {secrets?.ip ?? 0} IP
          </span>{" "}
          {v.status === "running" ? (
            <button
              type="button"
              class={ready ? "ready on" : "ready"}
              aria-pressed={ready}
              onClick={() => act.run({ type: "set_ready", ready: !ready })}
            >
              {ready ? "Ready ✓" : "Ready"}
            </button>
          ) : null}
        </div>
        <Refusal error={act.error} />
        <ConnectionBanner s={s} />
        <nav class="jump" aria-label="Sections">
          <a href="#motions">Motions</a>
          <a href="#plan">Plan</a>
          <a href="#chat">Chat{s.unread("floor") + s.unread("faction") + s.unread("private") ? " •" : ""}</a>
          <a href="#tracks">Tracks</a>
          <a href="#faction">My faction</a>
        </nav>
      </header>
      <main class="grid">
        <div class="col">
          <Outcome v={v} />
          {story ? <Stories s={s} v={v} /> : null}
          <Briefing v={v} />
          <EventCard v={v} />
          <Motions s={s} v={v} />
          <Plan s={s} v={v} />
          {story ? null : <Stories s={s} v={v} />}
        </div>
        <div class="col">
          <Chat s={s} v={v} />
          <Tracks v={v} />
          <Groups v={v} />
          <Institutions v={v} />
          <Players v={v} />
        </div>
      </main>
    </div>
  );
}

function Briefing({ v }: { v: View }) {
  const f = myFaction(v)!;
  const b = v.briefings?.find((b) => b.faction === f);
  const info = v.catalog?.factions.find((e) => e.id === f);
  return (
    <section class="card briefing" id="faction" aria-label="Your faction">
      <h2>
        You are with the <FactionTag v={v} f={f} />
      </h2>
      {info ? <p>{prose(v, info.does)}</p> : null}
      {b ? (
        <>
          <h3>What you want</h3>
          <p>{prose(v, b.wants)}</p>
          <h3>How you win</h3>
          <p>{prose(v, b.wins)}</p>
          <details>
            <summary>What to watch, first moves</summary>
            <p>{prose(v, b.watch)}</p>
            <ul>
              {b.first_moves.map((m, i) => (
                <li key={i}>{prose(v, m)}</li>
              ))}
            </ul>
          </details>
        </>
      ) : null}
      {v.character ? (
        <div class="character">
          <h3>Your character: {v.character.name}</h3>
          <p>{v.character.brief}</p>
          <p>
            <strong>Secret objective:</strong> {prose(v, v.character.objective)}
          </p>
        </div>
      ) : null}
    </section>
  );
}

/** Whether this player may vote on a motion, as the view shows it. The
 * server decides; this only hides buttons that would be refused. */
function mayVote(v: View, institution: string): boolean {
  const id = me(v);
  return id != null && voters(v, institution).includes(id);
}

/** Why this player has no vote on a motion being voted: who votes instead,
 * and what the player can do about it. */
function whyNoVote(v: View, institution: string): string {
  if (institution === "government") {
    const members = v.cabinet.map((id) => playerName(v, id));
    return members.length
      ? `Only the cabinet votes on decrees (${members.join(", ")}), and you are not in it: talk to its members to sway the vote.`
      : "Only the cabinet votes on decrees, and it has no member now.";
  }
  return "Only factions with seats in the Soviet vote on resolutions, and yours has none now: win workers and soldiers, who elect the Soviet's deputies.";
}

/** How the viewer's faction-mates voted on an open motion: a faction
 * caucuses, so its players see one another's ballots before the close (the
 * other factions only see the roll call). */
function Caucus({ v, m }: { v: View; m: MotionView }) {
  const mates = (m.ballots ?? []).filter((b) => b.player !== me(v));
  if (m.status !== "tabled" || mates.length === 0) return null;
  const said = (vote: Vote) => (vote === "abstain" ? "abstained" : `voted ${vote}`);
  return (
    <p class="caucus">
      Your faction: {mates.map((b) => `${playerName(v, b.player)} ${said(b.vote)}`).join(", ")}
    </p>
  );
}

function Motions({ s, v }: { s: Session; v: View }) {
  const act = useAct(s, `${v.round}.${v.phase}`);
  const motions = v.motions.filter((m) => m.status !== "withdrawn");
  const voting = v.status === "running" && v.phase === "voting";
  return (
    <section class="card" id="motions" aria-label="Motions">
      <h2>Motions this round</h2>
      {motions.length === 0 ? <p>No motion tabled yet.</p> : null}
      <ul class="motions">
        {motions.map((m) => (
          <MotionCard key={m.id} v={v} m={m}>
            {voting && m.status === "tabled" && mayVote(v, m.institution) ? (
              <div class="votebtns" role="group" aria-label={`Your vote on ${m.id}`}>
                {(["yes", "no", "abstain"] as Vote[]).map((vote) => (
                  <button
                    type="button"
                    key={vote}
                    class={`vote v-${vote}${m.my_vote === vote ? " chosen" : ""}`}
                    aria-pressed={m.my_vote === vote}
                    onClick={() => act.run({ type: "vote", motion: m.id, vote })}
                  >
                    {humanize(vote)}
                  </button>
                ))}
              </div>
            ) : voting && m.status === "tabled" && !m.my_vote ? (
              <p class="note">{whyNoVote(v, m.institution)}</p>
            ) : m.my_vote ? (
              <p>Your vote: {m.my_vote}</p>
            ) : null}
            <Caucus v={v} m={m} />
            {m.status === "tabled" && m.proposer === me(v) && v.phase === "proposals" ? (
              <button type="button" onClick={() => act.run({ type: "withdraw_motion", motion: m.id })}>
                Withdraw
              </button>
            ) : null}
          </MotionCard>
        ))}
      </ul>
      <Refusal error={act.error} />
      {v.status === "running" && v.phase === "proposals" ? (
        <TableMotion s={s} v={v} />
      ) : v.status === "running" ? (
        <p class="note">Motions are tabled during the proposals phase, and voted in the voting phase.</p>
      ) : null}
    </section>
  );
}

function TableMotion({ s, v }: { s: Session; v: View }) {
  const [choice, setChoice] = useState("");
  const [round, setRound] = useState(String(Math.min(v.rounds, v.round + 2)));
  const act = useAct(s, `${v.round}.${v.phase}`);
  const catalog = v.catalog?.motions;
  const options = MOTIONS.map((m) => ({ ...m, entry: catalog?.find((e) => e.id === m.id) }));
  const groups: [string, typeof options][] = catalog
    ? [
        ["Government decrees", options.filter((o) => o.entry?.institution === "government")],
        ["Soviet resolutions", options.filter((o) => o.entry?.institution === "soviet")],
      ]
    : [["Motions", options]];
  const picked = options.find((o) => o.id === choice);
  const submit = async (e: Event) => {
    e.preventDefault();
    if (!picked) return;
    const motion = (picked.params.includes("round") ? { id: picked.id, round: Number(round) } : { id: picked.id }) as Motion;
    const a = await act.run({ type: "table_motion", motion });
    if (a?.ok) setChoice("");
  };
  return (
    <form class="table-motion" onSubmit={submit}>
      <h3>Table a motion</h3>
      <label for="motion-choice">Motion</label>
      <select id="motion-choice" value={choice} onChange={(e) => setChoice((e.target as HTMLSelectElement).value)}>
        <option value="">Choose a motion…</option>
        {groups.map(([label, list]) => (
          <optgroup key={label} label={label}>
            {list.map((o) => (
              <option key={o.id} value={o.id}>
                {o.entry?.name ?? humanize(o.id)}
              </option>
            ))}
          </optgroup>
        ))}
      </select>
      {picked ? <p class="does">{prose(v, motionEntry(v, picked.id)?.does ?? "")}</p> : null}
      {picked?.params.includes("round") ? (
        <>
          <label for="motion-round">Election in round</label>
          <input id="motion-round" type="number" min={1} max={v.rounds} value={round} onInput={(e) => setRound((e.target as HTMLInputElement).value)} />
        </>
      ) : null}
      <button type="submit" disabled={!picked || act.busy}>
        Table
      </button>
      <Refusal error={act.error} />
    </form>
  );
}

function Plan({ s, v }: { s: Session; v: View }) {
  const f = myFaction(v)!;
  const secrets = v.factions.find((x) => x.faction === f);
  const [choice, setChoice] = useState("");
  const [group, setGroup] = useState<Group>("workers");
  const act = useAct(s, `${v.round}.${v.phase}`);
  if (v.status !== "running") return null;
  const available = ACTIONS.filter((a) => {
    const e = actionEntry(v, a.id);
    return !e || !e.factions?.length || e.factions.includes(f);
  });
  const picked = available.find((a) => a.id === choice);
  const submit = async (e: Event) => {
    e.preventDefault();
    if (!picked) return;
    const action = (picked.params.includes("group") ? { id: picked.id, group } : { id: picked.id }) as Action;
    const a = await act.run({ type: "plan_action", action });
    if (a?.ok) setChoice("");
  };
  return (
    <section class="card" id="plan" aria-label="Action plan">
      <h2>Your faction's plan</h2>
      <p>
        <strong>{secrets?.ip ?? 0}</strong> influence points left.{" "}
        {v.phase === "voting" ? "Plan actions now; they happen at the resolution." : "Actions are planned during the voting phase."}
      </p>
      {secrets?.plan.length ? (
        <ul class="plan">
          {secrets.plan.map((p) => (
            <li key={p.id}>
              <span>
                {actionName(v, p.action)} · {p.cost} IP · by {playerName(v, p.by)}
                {actionEntry(v, p.action.id) ? <span class="does small">{prose(v, actionEntry(v, p.action.id)!.does)}</span> : null}
              </span>{" "}
              <button type="button" aria-label={`Remove ${actionName(v, p.action)}`} onClick={() => act.run({ type: "unplan_action", action: p.id })}>
                Remove
              </button>
            </li>
          ))}
        </ul>
      ) : (
        <p>Nothing planned yet.</p>
      )}
      {v.phase !== "voting" ? null : (
      <form onSubmit={submit} class="add-action">
        <label for="action-choice">Action</label>
        <select id="action-choice" value={choice} onChange={(e) => setChoice((e.target as HTMLSelectElement).value)}>
          <option value="">Choose an action…</option>
          {available.map((a) => {
            const e = actionEntry(v, a.id);
            return (
              <option key={a.id} value={a.id}>
                {e ? `${e.name} (${e.cost} IP)` : humanize(a.id)}
              </option>
            );
          })}
        </select>
        {picked ? <p class="does">{prose(v, actionEntry(v, picked.id)?.does ?? "")}</p> : null}
        {picked?.params.includes("group") ? (
          <>
            <label for="action-group">Among</label>
            <select id="action-group" value={group} onChange={(e) => setGroup((e.target as HTMLSelectElement).value as Group)}>
              {GROUPS.map((g) => (
                <option key={g} value={g}>
                  {groupName(v, g)}
                </option>
              ))}
            </select>
          </>
        ) : null}
        <button type="submit" disabled={!picked || act.busy}>
          Add to plan
        </button>
      </form>
      )}
      <Refusal error={act.error} />
    </section>
  );
}

type Tab = "floor" | "faction" | "private";
const tabOf = (line: ChatLine): Tab => Session.tabOf(line);

export function Chat({ s, v }: { s: Session; v: View }) {
  const [tab, setTab] = useState<Tab>("floor");
  const [to, setTo] = useState<number | "">("");
  const [text, setText] = useState("");
  const act = useAct(s);
  const list = useRef<HTMLUListElement>(null);
  const myId = me(v);
  const others = v.players.filter((p) => p.id !== myId);
  const partner = (l: ChatLine) => (l.scope.kind === "private" ? (l.from === myId ? l.scope.to : l.from) : null);
  const lines = s.chat.filter((l) => tabOf(l) === tab && (tab !== "private" || to === "" || partner(l) === to));
  useEffect(() => {
    list.current?.scrollTo(0, list.current.scrollHeight);
    s.markSeen(tab);
  }, [lines.length, tab]);
  const send = async (e: Event) => {
    e.preventDefault();
    if (!text.trim()) return;
    const channel = tab === "private" ? { kind: "private" as const, to: Number(to) } : { kind: tab };
    if (tab === "private" && to === "") {
      act.clear();
      return;
    }
    const a = await act.run({ type: "chat", channel, text });
    if (a?.ok) setText("");
  };
  const tabs: [Tab, string][] = [
    ["floor", "Public floor"],
    ["faction", `${factionName(v, myFaction(v)!)} only`],
    ["private", "Private"],
  ];
  return (
    <section class="card chat" id="chat" aria-label="Chat">
      <h2>Chat</h2>
      <div role="tablist" aria-label="Chat channel" class="tabs">
        {tabs.map(([t, label]) => (
          <button type="button" role="tab" key={t} aria-selected={tab === t} class={tab === t ? "on" : ""} onClick={() => setTab(t)}>
            {label}
            {tab !== t && s.unread(t) ? <span class="unread"> {s.unread(t)} new</span> : null}
          </button>
        ))}
      </div>
      {tab === "private" ? (
        <>
          <label for="chat-to">Talk privately with</label>
          <select id="chat-to" value={String(to)} onChange={(e) => setTo((e.target as HTMLSelectElement).value === "" ? "" : Number((e.target as HTMLSelectElement).value))}>
            <option value="">Choose a player…</option>
            {others.map((p) => (
              <option key={p.id} value={p.id}>
                {p.name} ({factionName(v, p.faction)})
              </option>
            ))}
          </select>
        </>
      ) : null}
      <ul class="lines" ref={list} aria-live="polite" aria-label={`${tabs.find((t) => t[0] === tab)![1]} messages`}>
        {lines.map((l, i) => (
          <li key={i} class={l.notice ? "notice" : l.scope.kind === "announcement" ? "announce" : ""}>
            {l.notice ? null : <strong>{l.scope.kind === "announcement" ? "Host" : playerName(v, l.from)}</strong>}
            {l.scope.kind === "private" && !l.notice ? <span class="to"> → {playerName(v, l.scope.to)}</span> : null}
            {l.notice ? "" : ": "}
            {l.text}
          </li>
        ))}
      </ul>
      <form onSubmit={send} class="say">
        <label for="chat-text" class="visually-hidden">
          Message
        </label>
        <input
          id="chat-text"
          autocomplete="off"
          maxLength={500}
          placeholder={tab === "private" && to === "" ? "Choose a player first" : "Write a message"}
          value={text}
          onInput={(e) => setText((e.target as HTMLInputElement).value)}
        />
        <button type="submit" disabled={act.busy || (tab === "private" && to === "")}>
          Send
        </button>
      </form>
      <Refusal error={act.error} />
    </section>
  );
}

function Players({ v }: { v: View }) {
  const phases = ideaInfo(v, "phases");
  return (
    <section class="card" aria-label="Players">
      <h2>Players</h2>
      <ul class="players">
        {v.players.map((p) => (
          <li key={p.id} class={p.connected ? "" : "away"}>
            {p.name} <FactionTag v={v} f={p.faction} />
            {p.character ? <span class="char"> as {p.character}</span> : null}
            {p.bot ? " (bot)" : ""}
            {p.connected ? "" : " (away)"}
            {(v.ready ?? []).includes(p.id) ? " ✓ ready" : ""}
          </li>
        ))}
      </ul>
      {phases ? <Explain v={v} label="How a round works" info={phases} /> : null}
    </section>
  );
}
