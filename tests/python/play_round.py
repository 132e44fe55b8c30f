#!/usr/bin/env python3
"""A Dual Power client in Python, written from PROTOCOL.md only.

It creates a game as the host, joins one player per faction, starts the
game and plays one whole round: chat on every channel, a motion per
institution, votes, an action, the host moving the phases on. It checks
the protocol's promises on the way (answers echo the request id, every
connection's seq has no gaps, a faction's channel reaches only that
faction, ballots stay secret until the vote closes) and exits 0 on
success, 1 with a message otherwise.

Usage: python3 play_round.py ws://127.0.0.1:8080/ws
Needs: pip install websockets
"""

import asyncio
import json
import sys

import websockets


class ProtocolError(Exception):
    pass


class Client:
    """One connection: requests with ids, events with a seq check."""

    def __init__(self, name):
        self.name = name
        self.ws = None
        self.next_id = 1
        self.events = []  # (seq, event) in order
        self.last_seq = None
        self.view = None
        self.token = None
        self.viewer = None

    async def connect(self, url):
        self.ws = await websockets.connect(url)
        welcome = await self.request({"type": "hello", "protocol_version": 1, "client": "python-test/1"})
        if welcome["type"] != "welcome" or welcome["protocol_version"] != 1:
            raise ProtocolError(f"{self.name}: bad welcome {welcome}")

    def _record(self, msg):
        if msg["type"] == "snapshot":
            self.view = msg["view"]
            self.last_seq = msg["seq"]
        elif msg["type"] == "event":
            seq = msg["seq"]
            if self.last_seq is not None and seq != self.last_seq + 1:
                raise ProtocolError(f"{self.name}: seq jumped from {self.last_seq} to {seq}")
            self.last_seq = seq
            self.events.append((seq, msg["event"]))
        elif msg["type"] == "joined":
            self.viewer = msg["viewer"]
            self.token = msg.get("token") or self.token
        elif msg["type"] == "game_created":
            self.token = msg["host_token"]

    async def receive(self, timeout=10):
        raw = await asyncio.wait_for(self.ws.recv(), timeout)
        if not isinstance(raw, str):
            raise ProtocolError(f"{self.name}: a binary frame")
        msg = json.loads(raw)
        self._record(msg)
        return msg

    async def request(self, body):
        """Send a request with a fresh id; return the answer to it."""
        rid = self.next_id
        self.next_id += 1
        await self.ws.send(json.dumps({"id": rid, **body}))
        while True:
            msg = await self.receive()
            if msg.get("id") == rid:
                return msg

    async def ok(self, body):
        answer = await self.request(body)
        if answer["type"] == "error":
            raise ProtocolError(f"{self.name}: {body['type']} refused: {answer['code']}: {answer['message']}")
        return answer

    async def refused(self, body, code):
        answer = await self.request(body)
        if answer["type"] != "error" or answer["code"] != code:
            raise ProtocolError(f"{self.name}: {body['type']} should be refused with {code}, got {answer}")

    async def drain(self):
        """Everything sent so far: a ping's pong comes after it."""
        await self.ok({"type": "ping"})

    def kinds(self):
        return [e["kind"] for _, e in self.events]

    def phase(self):
        started = [e for _, e in self.events if e["kind"] == "phase_started"]
        return (started[-1]["round"], started[-1]["phase"]) if started else None


async def main(url):
    host = Client("host")
    await host.connect(url)
    created = await host.ok({
        "type": "create_game",
        "timers": {"briefing": 600, "negotiation": 600, "proposals": 600, "voting": 600, "resolution": 2},
        "seed": 1917,
    })
    code = created["code"]
    assert len(code) == 5 and not set(code) & set("0O1I"), code
    await host.receive()  # the host's snapshot

    players = {}
    for name, faction in [("Kerensky", "liberals"), ("Chernov", "soviet"), ("Kamenev", "bolsheviks")]:
        c = Client(name)
        await c.connect(url)
        joined = await c.ok({"type": "join_game", "code": code, "name": name, "faction": faction})
        assert joined["viewer"] == {"role": "player", "id": joined["viewer"]["id"], "faction": faction}, joined
        assert joined["token"].startswith(code + "."), "a token names its game"
        snap = await c.receive()
        assert snap["type"] == "snapshot" and snap["view"]["status"] == "lobby", snap["type"]
        players[faction] = c
    lib, sov, bol = players["liberals"], players["soviet"], players["bolsheviks"]
    pid = {f: c.viewer["id"] for f, c in players.items()}

    # A second name clash and acting out of turn are refused.
    dup = Client("dup")
    await dup.connect(url)
    await dup.refused({"type": "join_game", "code": code, "name": "kerensky "}, "name_taken")
    await lib.refused({"type": "start_game"}, "forbidden")
    await lib.refused({"type": "table_motion", "motion": {"id": "land_reform"}}, "not_started")

    await host.ok({"type": "start_game"})
    await host.drain()
    assert host.phase() == (1, "briefing"), host.phase()
    await host.ok({"type": "advance_phase"})  # negotiation

    await lib.ok({"type": "chat", "channel": {"kind": "floor"}, "text": "The Assembly will decide."})
    await bol.ok({"type": "chat", "channel": {"kind": "faction"}, "text": "bolshevik eyes only"})
    await sov.ok({"type": "chat", "channel": {"kind": "private", "to": pid["bolsheviks"]}, "text": "between us"})

    await host.ok({"type": "advance_phase"})  # proposals
    await lib.ok({"type": "table_motion", "motion": {"id": "civil_liberties"}})
    await sov.ok({"type": "table_motion", "motion": {"id": "order_no_1"}})
    await bol.refused({"type": "table_motion", "motion": {"id": "civil_liberties"}}, "not_eligible")
    await host.ok({"type": "advance_phase"})  # voting
    await host.drain()
    motions = {e["motion"]["motion"]["id"]: e["motion"]["id"] for _, e in host.events if e["kind"] == "motion_tabled"}
    assert set(motions) == {"civil_liberties", "order_no_1"}, motions

    await lib.ok({"type": "vote", "motion": motions["civil_liberties"], "vote": "yes"})
    await sov.ok({"type": "vote", "motion": motions["order_no_1"], "vote": "yes"})
    await bol.ok({"type": "vote", "motion": motions["order_no_1"], "vote": "no"})
    await bol.ok({"type": "plan_action", "action": {"id": "agitate", "group": "workers"}})
    await host.ok({"type": "advance_phase"})  # resolution (2 s), then round 2

    for c in [host, lib, sov, bol]:
        for _ in range(50):
            if c.phase() == (2, "briefing"):
                break
            await c.receive()
        if c.phase() != (2, "briefing"):
            raise ProtocolError(f"{c.name}: round 2 never began")

    # What each saw.
    def chats(c):
        return [e["text"] for _, e in c.events if e["kind"] == "chat"]

    assert "The Assembly will decide." in chats(sov) and "The Assembly will decide." in chats(bol)
    assert "bolshevik eyes only" in chats(bol) and "bolshevik eyes only" in chats(host)
    assert "bolshevik eyes only" not in chats(lib) + chats(sov), "a faction channel leaked"
    assert "between us" in chats(bol) and "between us" not in chats(lib), "a private message leaked"
    for c in [lib, sov]:
        others = [e for _, e in c.events if e["kind"] == "vote_cast" and e["player"] != c.viewer["id"]]
        assert not others, f"{c.name} saw another player's open ballot"
        assert "action_planned" not in c.kinds(), f"{c.name} saw the Bolsheviks' plan"
    closed = [e for _, e in lib.events if e["kind"] == "votes_closed"]
    assert closed, "votes_closed reached the players"
    results = {r["motion"]: r["tally"] for r in closed[0]["results"]}
    roll = {(x["player"], x["vote"]) for x in results[motions["order_no_1"]]["roll_call"]}
    assert (pid["bolsheviks"], "no") in roll and (pid["soviet"], "yes") in roll, roll
    assert results[motions["civil_liberties"]]["passed"], results
    resolved = [e for _, e in lib.events if e["kind"] == "resolved"]
    assert resolved and resolved[0]["summary"], "a resolution summary"
    revealed = {a["faction"]: a["actions"] for a in resolved[0]["actions"]}
    assert {"id": "agitate", "group": "workers"} in revealed.get("bolsheviks", []), revealed

    # A fresh snapshot agrees with what the events said.
    state = await lib.ok({"type": "get_state"})
    view = state["view"]
    assert view["round"] == 2 and view["phase"] == "briefing", (view["round"], view["phase"])
    assert "civil_liberties" in [m["id"] for m in view["state"]["passed"]]
    assert [f["faction"] for f in view["factions"]] == ["liberals"], "only one's own faction's secrets"
    assert "hidden" not in view

    # Resumption: a new connection with the token and the last seq gets
    # exactly the missed events (none), then live ones.
    again = Client("Kerensky again")
    await again.connect(url)
    joined = await again.ok({"type": "resume", "token": lib.token, "last_seq": lib.last_seq})
    assert joined["viewer"]["id"] == pid["liberals"]
    again.last_seq = lib.last_seq
    await host.ok({"type": "chat", "channel": {"kind": "floor"}, "text": "Round two."})
    for _ in range(10):
        msg = await again.receive()
        if msg["type"] == "event" and msg["event"]["kind"] == "chat":
            assert msg["event"]["text"] == "Round two." and msg["event"]["scope"]["kind"] == "announcement"
            break
    else:
        raise ProtocolError("the resumed connection missed the live chat")

    for c in [host, lib, sov, bol, dup, again]:
        await c.ws.close()
    print(f"ok: game {code}, one round played, {len(host.events)} events seen by the host")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print(__doc__)
        sys.exit(2)
    try:
        asyncio.run(main(sys.argv[1]))
    except (ProtocolError, AssertionError, asyncio.TimeoutError) as e:
        print(f"FAILED: {type(e).__name__}: {e}", file=sys.stderr)
        sys.exit(1)
