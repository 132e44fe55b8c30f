// A class plays Dual Power in real browsers (Debian's headless Chromium,
// driven by playwright-core): the host creates a game in the console, the
// projector shows the code and its QR code, three students join in separate
// browser contexts (one a 360×740 phone), play a whole round, one reloads
// mid-phase and gets the seat and the missed chat back, a second tab takes a
// seat from the first, the server restarts and everyone comes back, and the
// game runs to its end with bots. The projector never shows a secret.
//
// Run by tests/tests/e2e_browser.rs:
//   node tests/e2e.mjs --server-bin PATH --db PATH --port N --out DIR
// Elements are found as a screen reader would: by label, role and name.

import { chromium } from "playwright-core";
import { spawn } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import assert from "node:assert/strict";

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith("--") ? [...acc, [a.slice(2), all[i + 1]]] : acc), []),
);
const BIN = args["server-bin"];
const DB = args.db;
const PORT = Number(args.port);
const OUT = args.out;
const CHROMIUM = args.chromium ?? "/usr/bin/chromium";
const BASE = `http://127.0.0.1:${PORT}`;
mkdirSync(OUT, { recursive: true });

const T = 30_000; // generous: CI shares two cores with the rest of the suite
// Motion names come from the server's catalog (or the id, readably).
const CIVIL = /^Civil liberties/i;
const ORDER1 = /^Order No\.? 1/i;
const step = (s) => console.log(`[e2e] ${s}`);

// ---- the server, which this script stops and restarts -------------------
let server = null;
async function startServer() {
  server = spawn(BIN, ["--bind", `127.0.0.1:${PORT}`, "--db", DB, "--rate-per-sec", "1000", "--rate-burst", "1000", "--address-rate-per-sec", "1000", "--address-rate-burst", "1000"], {
    stdio: ["ignore", "pipe", process.env.DUALPOWER_TEST_LOGS ? "inherit" : "ignore"],
  });
  const rl = createInterface({ input: server.stdout });
  await new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error("the server did not start")), 20_000);
    rl.once("line", (l) => {
      clearTimeout(t);
      assert.match(l, /^listening on /);
      resolve();
    });
    server.once("exit", (c) => reject(new Error(`the server exited with ${c}`)));
  });
}
async function stopServer() {
  const s = server;
  server = null;
  const exited = new Promise((r) => s.once("exit", r));
  s.kill("SIGTERM");
  await exited;
}

// A hung browser must not hang the test suite: give up after 8 minutes.
setTimeout(() => {
  console.error("[e2e] gave up after 8 minutes");
  server?.kill("SIGKILL");
  process.exit(1);
}, 8 * 60_000).unref();

// ---- checks every screen gets --------------------------------------------
async function shot(page, name) {
  // From the top: a page captured while scrolled draws its sticky header
  // where the screen was, halfway down the picture, over what is there.
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: join(OUT, `${name}.png`), fullPage: true });
  // Nothing wider than the screen (a phone must not scroll sideways).
  const [scroll, width] = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
  assert.ok(scroll <= width, `${name}: the page is ${scroll} px wide on a ${width} px screen`);
}

/** Every control has an accessible name; text has AA contrast. */
async function checkA11y(page, screen) {
  const problems = await page.evaluate(() => {
    const out = [];
    const named = (el) => {
      if (el.getAttribute("aria-label")) return true;
      if (el.labels && el.labels.length && [...el.labels].some((l) => l.textContent.trim())) return true;
      if (el.tagName === "BUTTON" || el.tagName === "A") return el.textContent.trim().length > 0;
      return false;
    };
    for (const el of document.querySelectorAll("button, input, select, textarea, a[href]")) {
      if (el.type === "hidden" || el.offsetParent === null) continue;
      if (!named(el)) out.push(`unnamed ${el.tagName.toLowerCase()} ${el.outerHTML.slice(0, 80)}`);
    }
    const rgb = (s) => {
      const m = s.match(/rgba?\(([^)]+)\)/);
      if (!m) return null;
      const [r, g, b, a = 1] = m[1].split(/[ ,/]+/).filter(Boolean).map(Number);
      return { r, g, b, a };
    };
    const lum = ({ r, g, b }) => {
      const f = (c) => ((c /= 255) <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
      return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
    };
    const background = (el) => {
      for (let e = el; e; e = e.parentElement) {
        const c = rgb(getComputedStyle(e).backgroundColor);
        if (c && c.a > 0.5) return c;
      }
      return { r: 255, g: 255, b: 255, a: 1 };
    };
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    const seen = new Set();
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const el = n.parentElement;
      if (!el || seen.has(el) || !n.textContent.trim() || el.offsetParent === null) continue;
      if (el.closest("svg, .visually-hidden, [disabled], button:disabled")) continue;
      seen.add(el);
      const st = getComputedStyle(el);
      const fg = rgb(st.color);
      if (!fg) continue;
      const bg = background(el);
      const [l1, l2] = [lum(fg), lum(bg)].sort((a, b) => b - a);
      const ratio = (l1 + 0.05) / (l2 + 0.05);
      const size = parseFloat(st.fontSize);
      const large = size >= 24 || (size >= 18.66 && Number(st.fontWeight) >= 700);
      if (ratio < (large ? 3 : 4.5)) out.push(`contrast ${ratio.toFixed(2)} "${n.textContent.trim().slice(0, 30)}"`);
    }
    return out;
  });
  assert.deepEqual(problems, [], `${screen}: accessibility problems:\n${problems.join("\n")}`);
}

// ---- the class --------------------------------------------------------------
const browser = await chromium.launch({
  executablePath: CHROMIUM,
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
});

try {
  // The accessibility check itself catches what it should.
  {
    const page = await browser.newPage();
    await page.setContent('<p style="color:#999;background:#fff">faint</p><button></button><input>');
    const failed = await checkA11y(page, "self-test").then(
      () => null,
      (e) => e.message,
    );
    assert.ok(failed && /contrast/.test(failed) && /unnamed button/.test(failed) && /unnamed input/.test(failed), `the check missed problems: ${failed}`);
    await page.close();
  }
  await startServer();

  // The host creates a game in the console.
  step("host creates a game");
  const hostCtx = await browser.newContext({ viewport: { width: 1280, height: 860 }, acceptDownloads: true });
  const host = await hostCtx.newPage();
  const cspErrors = [];
  const watch = (page, who) => {
    page.on("console", (m) => {
      if (m.type() === "error") cspErrors.push(`${who}: ${m.text()}`);
    });
    page.on("pageerror", (e) => cspErrors.push(`${who}: ${e.message}`));
  };
  watch(host, "host");
  await host.goto(`${BASE}/host`);
  await host.getByLabel(/Short/).check();
  await host.getByLabel("Students choose their faction").check();
  await host.getByLabel(/Historical characters/).check();
  await checkA11y(host, "host: create");
  await shot(host, "01-host-create");
  await host.getByRole("button", { name: "Create game" }).click();
  await host.getByText("Join code").waitFor({ timeout: T });
  const code = (await host.locator("strong.code").textContent()).trim();
  assert.match(code, /^[A-Z2-9]{4,8}$/);
  const hostToken = await host.evaluate((c) => JSON.parse(localStorage.getItem(`dualpower.host.${c}`)).token, code);
  assert.ok(hostToken.startsWith(`${code}.`), "the host token is kept in the browser");
  const secretPart = hostToken.split(".")[1];

  // The projector shows the code, the join address and its QR code.
  step(`projector for ${code}`);
  const projCtx = await browser.newContext({ viewport: { width: 1920, height: 1080 } });
  const proj = await projCtx.newPage();
  watch(proj, "projector");
  // Every frame the projector receives is kept (nothing secret may be
  // among them), and its network can drop: while `projDown`, its sockets
  // close and reconnecting fails.
  const projFrames = [];
  const projSockets = [];
  let projDown = false;
  await proj.routeWebSocket(/\/ws$/, (ws) => {
    if (projDown) {
      ws.close();
      return;
    }
    const server = ws.connectToServer();
    server.onMessage((m) => {
      projFrames.push(String(m));
      ws.send(m);
    });
    ws.onMessage((m) => server.send(m));
    ws.onClose(() => server.close());
    server.onClose(() => ws.close());
    projSockets.push(ws);
  });
  await proj.goto(`${BASE}/projector/${code}`);
  await proj.getByText(code, { exact: true }).waitFor({ timeout: T });
  const qr = proj.getByRole("img", { name: `QR code of ${BASE}/join/${code}` });
  await qr.waitFor();
  assert.ok((await qr.boundingBox()).width > 300, "the QR code is large");
  await checkA11y(proj, "projector: lobby");

  // Three students join in their own browsers; one on a phone.
  const students = [];
  async function joinAs(name, faction, opts, how) {
    const ctx = await browser.newContext(opts);
    const page = await ctx.newPage();
    watch(page, name);
    const t0 = Date.now();
    if (how === "link") {
      await page.goto(`${BASE}/join/${code}`);
      await page.getByRole("button", { name: "Join" }).waitFor();
      // From the start of navigation to the form rendered and live, as the
      // page measured it (the test's own polling is not the page's time).
      const ms = Math.round(
        await page.evaluate(() => performance.getEntriesByName("dualpower:interactive")[0]?.startTime ?? Infinity),
      );
      step(`${name}: join page interactive after ${ms} ms (${Date.now() - t0} ms as the test saw it)`);
      assert.ok(ms < 1000, `the join page is interactive in under 1 s (took ${ms} ms)`);
      assert.equal(await page.getByLabel("Join code").inputValue(), code, "/join/CODE fills the code in");
      await page.getByLabel("Your name").fill(name);
    } else {
      // By keyboard only, from the bare address.
      await page.goto(`${BASE}/`);
      await page.getByLabel("Join code").focus();
      await page.keyboard.type(code);
      await page.keyboard.press("Tab");
      await page.keyboard.type(name);
    }
    await page.getByRole("radio", { name: new RegExp(faction) }).check();
    if (students.length === 0) {
      await checkA11y(page, "join page");
      await shot(page, "02-join");
    }
    if (how === "keyboard") {
      await page.getByRole("button", { name: "Join" }).focus();
      await page.keyboard.press("Enter");
    } else {
      await page.getByRole("button", { name: "Join" }).click();
    }
    await page.getByRole("heading", { name: /You are with the/ }).waitFor({ timeout: T });
    const s = { name, ctx, page };
    students.push(s);
    return s;
  }

  // Refusals show the server's sentence: an unknown code, a taken name.
  {
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    await page.goto(`${BASE}/join/ZZZZZ`);
    await page.getByLabel("Your name").fill("Nobody");
    await page.getByRole("button", { name: "Join" }).click();
    await page.getByRole("alert").filter({ hasText: /code/i }).waitFor({ timeout: T });
    step(`unknown code: "${await page.getByRole("alert").first().textContent()}"`);
    await ctx.close();
  }

  const ana = await joinAs("Ana", "Duma liberals", { viewport: { width: 1280, height: 900 } }, "link");
  const boris = await joinAs("Boris", "Soviet delegates", { viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true }, "link");
  const vera = await joinAs("Vera", "Bolsheviks", { viewport: { width: 1024, height: 768 } }, "keyboard");
  {
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    await page.goto(`${BASE}/join/${code}`);
    await page.getByLabel("Your name").fill("Ana");
    await page.getByRole("button", { name: "Join" }).click();
    const alert = page.getByRole("alert").filter({ hasText: /name/i });
    await alert.waitFor({ timeout: T });
    step(`name taken: "${await alert.textContent()}"`);
    await ctx.close();
  }
  for (const s of students) await proj.getByText(s.name).first().waitFor({ timeout: T });
  await shot(proj, "03-projector-lobby");
  await shot(boris.page, "04-player-lobby-phone");

  // The console: who is in, connected; long timers so the class sets the pace.
  step("host starts");
  await host.getByRole("tab", { name: /Players/ }).click();
  for (const s of students) await host.getByRole("cell", { name: s.name, exact: false }).first().waitFor();
  await checkA11y(host, "host: players");
  await shot(host, "05-host-players");
  await host.getByRole("tab", { name: /Settings/ }).click();
  for (const p of ["Briefing", "Negotiation", "Proposals", "Voting", "Resolution"]) await host.getByLabel(p).fill("600");
  await host.getByRole("button", { name: "Set timers" }).click();
  await host.getByRole("button", { name: "Start the game" }).click();
  await host.getByRole("tab", { name: "Game" }).click();
  await host.getByText("Briefing", { exact: true }).waitFor({ timeout: T });
  for (const s of students) await s.page.getByText("Briefing", { exact: true }).waitFor({ timeout: T });
  // The character brief and the secret objective, for the player only.
  await ana.page.getByText(/Secret objective/).waitFor({ timeout: T });
  const objective = (await ana.page.locator(".character p").last().textContent()).replace("Secret objective:", "").trim();
  // The briefing names motions and actions as the screens do, not by the
  // ids the terminal client types: "with “Seize power” when…".
  {
    const briefing = await vera.page.locator("#faction").textContent();
    assert.match(briefing, /“Seize power”/, briefing);
    assert.match(briefing, /“All power to the Soviets” passes/, briefing);
    const ids = briefing.match(/\b[a-z]+(?:_[a-z0-9]+)+\b/g);
    assert.equal(ids, null, `ids in the briefing: ${ids}`);
  }
  await host.getByRole("button", { name: "End this phase" }).click();
  for (const s of students) await s.page.getByText("Negotiation", { exact: true }).waitFor({ timeout: T });

  // A line on each chat channel.
  step("chat on three channels");
  async function say(s, tab, text, to) {
    await s.page.getByRole("tab", { name: tab }).click();
    if (to) {
      const select = s.page.getByLabel("Talk privately with");
      const value = await select.evaluate((el, name) => [...el.options].find((o) => o.text.startsWith(`${name} (`))?.value, to);
      await select.selectOption(value);
    }
    await s.page.getByRole("textbox", { name: "Message" }).fill(text);
    await s.page.getByRole("button", { name: "Send" }).click();
    await s.page.getByRole("list", { name: /messages/ }).getByText(text).waitFor({ timeout: T });
  }
  await say(ana, "Public floor", "Bread, peace and land!");
  await say(boris, /only/, "Delegates: we hold the soldiers.");
  await say(vera, "Private", "Ana, a word in private.", "Ana");
  await boris.page.getByRole("tab", { name: "Public floor" }).click();
  await boris.page.getByText("Bread, peace and land!").waitFor({ timeout: T });
  // A line on a tab not on screen is flagged as new until it is read.
  await ana.page.getByRole("tab", { name: /Private\s*1 new/ }).waitFor({ timeout: T });
  await ana.page.getByRole("tab", { name: "Private" }).click();
  await ana.page.getByText("Ana, a word in private.").waitFor({ timeout: T });
  assert.equal(await ana.page.getByRole("tab", { name: /new/ }).count(), 0, "read lines are no longer new");
  assert.equal(await ana.page.getByText("Delegates: we hold the soldiers.").count(), 0, "another faction's chat stays hidden");
  await shot(ana.page, "06-player-chat");

  // Boris reloads mid-phase: same seat, and the line he missed.
  step("a reload mid-phase keeps the seat and the missed chat");
  await boris.page.goto("about:blank");
  await host.getByRole("tab", { name: /Players/ }).click();
  await host.getByRole("row", { name: /Boris/ }).getByRole("cell", { name: "away" }).waitFor({ timeout: T });
  await say(ana, "Public floor", "Where did Boris go?");
  await boris.page.goto(`${BASE}/join/${code}`);
  await boris.page.getByRole("heading", { name: /You are with the/ }).waitFor({ timeout: T });
  await boris.page.getByText("Where did Boris go?").waitFor({ timeout: T });
  await boris.page.getByText("Bread, peace and land!").waitFor();
  await host.getByRole("row", { name: /Boris/ }).getByRole("cell", { name: "yes" }).waitFor({ timeout: T });
  assert.equal(
    await host.evaluate(() => document.querySelectorAll("tbody tr").length),
    3,
    "the reload took the same seat, not a new one",
  );
  // The explanations come back too (the catalog is asked for again).
  await boris.page.getByText("The Government's legitimacy").first().waitFor({ timeout: T });
  await shot(boris.page, "07-player-after-reload-phone");

  await host.getByRole("tab", { name: "Game" }).click();
  await host.getByRole("button", { name: "End this phase" }).click();
  for (const s of students) await s.page.getByText("Proposals", { exact: true }).waitFor({ timeout: T });

  // Motions: Ana tables a decree, Boris a resolution; a refusal is shown.
  step("proposals");
  async function table(s, motion) {
    await s.page.getByLabel("Motion", { exact: true }).selectOption(motion);
    await s.page.getByRole("button", { name: "Table" }).click();
  }
  await table(ana, "civil_liberties");
  await ana.page.getByRole("listitem", { name: CIVIL }).waitFor({ timeout: T });
  await table(boris, "order_no_1");
  await boris.page.getByRole("listitem", { name: ORDER1 }).waitFor({ timeout: T });
  await table(vera, "land_reform"); // a decree: Bolsheviks sit in no cabinet
  const refusal = vera.page.getByRole("alert").filter({ hasText: /\w/ });
  await refusal.first().waitFor({ timeout: T });
  step(`refused: "${await refusal.first().textContent()}"`);
  // What each motion does, in one sentence, when the server explains it.
  const hasCatalog = await ana.page.evaluate(
    (c) => !!JSON.parse(localStorage.getItem(`dualpower.player.${c}`)).view.catalog,
    code,
  );
  if (hasCatalog) {
    const does = await ana.page.getByRole("listitem", { name: CIVIL }).locator(".does").textContent();
    assert.ok(does.length > 10, "a motion card says what the motion does");
  } else {
    step("this server sends no catalog yet: motion cards show names only");
  }
  await shot(vera.page, "08-player-proposals");
  await host.getByRole("button", { name: "End this phase" }).click();
  for (const s of students) await s.page.getByText("Voting", { exact: true }).waitFor({ timeout: T });

  // Votes, an action planned (and one removed), then everyone ready.
  step("voting and the plan");
  // The teacher sees who may vote and has not yet.
  await host.getByRole("listitem", { name: CIVIL }).getByText("Not voted yet: Ana").waitFor({ timeout: T });
  await host.getByRole("listitem", { name: ORDER1 }).getByText("Not voted yet: Boris, Vera").waitFor({ timeout: T });
  await ana.page
    .getByRole("listitem", { name: CIVIL })
    .getByRole("button", { name: "Yes" })
    .click();
  await ana.page.getByRole("listitem", { name: CIVIL }).getByRole("button", { name: "Yes", pressed: true }).waitFor({ timeout: T });
  for (const [s, vote] of [
    [boris, "Yes"],
    [vera, "No"],
  ]) {
    const card = s.page.getByRole("listitem", { name: ORDER1 });
    await card.getByRole("button", { name: vote }).click();
    await card.getByRole("button", { name: vote, pressed: true }).waitFor({ timeout: T });
    assert.equal(await s.page.getByRole("listitem", { name: CIVIL }).getByRole("button", { name: "Yes" }).count(), 0, "no vote buttons outside the cabinet");
    // and, in their place, who votes instead.
    await s.page.getByRole("listitem", { name: CIVIL }).getByText("Only the cabinet votes on decrees (Ana), and you are not in it").waitFor({ timeout: T });
  }
  const ipText = async (s) => Number((await s.page.getByLabel("influence points").textContent()).replace(/\D/g, ""));
  const before = await ipText(vera);
  const agitate = async () => {
    await vera.page.getByLabel("Action", { exact: true }).selectOption("agitate");
    await vera.page.getByLabel("Among").selectOption("workers");
    await vera.page.getByRole("button", { name: "Add to plan" }).click();
    await vera.page.getByRole("button", { name: /^Remove / }).first().waitFor({ timeout: T });
  };
  await agitate();
  const after = await ipText(vera);
  assert.ok(after < before, `planning costs influence (${before} → ${after})`);
  await vera.page.getByRole("button", { name: /^Remove / }).first().click();
  await vera.page.getByText("Nothing planned yet.").waitFor({ timeout: T });
  assert.equal(await ipText(vera), before, "removing refunds it");
  await agitate();
  await checkA11y(vera.page, "player: voting");
  await shot(vera.page, "09-player-voting");
  await shot(host, "10-host-voting");
  await host.getByRole("listitem", { name: ORDER1 }).getByText("Everyone who may vote has voted.").waitFor({ timeout: T });
  for (const s of students) await s.page.getByRole("button", { name: "Ready" }).click();
  for (const s of students) await s.page.getByText("Resolution", { exact: true }).waitFor({ timeout: T });

  // After the resolution: the story and the roll calls, everywhere.
  step("the round's story and roll calls");
  for (const s of [...students, { page: proj }]) {
    await s.page.getByText(/Passed|Failed/).first().waitFor({ timeout: T });
  }
  await ana.page.getByRole("heading", { name: "What happened" }).waitFor({ timeout: T });
  {
    // (From the top of the page: where a student arriving at it looks.)
    await ana.page.evaluate(() => window.scrollTo(0, 0));
    const at = await ana.page.getByRole("heading", { name: "What happened" }).boundingBox();
    assert.ok(at && at.y < 900 / 2, `the student's story begins ${at?.y}px down a 900px window`);
  }
  await proj.getByRole("heading", { name: /What happened/ }).waitFor({ timeout: T });
  // On the wall without scrolling: the story comes first at the resolution.
  {
    await proj.evaluate(() => window.scrollTo(0, 0));
    const at = await proj.getByRole("heading", { name: /What happened/ }).boundingBox();
    assert.ok(at && at.y < 1080 / 2, `the projector's story begins ${at?.y}px down a 1080px screen`);
  }
  await checkA11y(proj, "projector: resolution");
  await shot(proj, "11-projector-resolution");
  await shot(ana.page, "12-player-resolution");
  await checkA11y(ana.page, "player: resolution");

  // The host hides a chat line: the others see it removed.
  step("host tools");
  await host.getByRole("tab", { name: "Chat" }).click();
  await host.getByRole("button", { name: /^Hide message/ }).first().click();
  await boris.page.getByRole("tab", { name: "Public floor" }).click();
  await boris.page.getByText("[removed by the host]").first().waitFor({ timeout: T });
  await host.getByText("(hidden from the class)").waitFor({ timeout: T });
  // The projector's wifi drops while the host announces: back, it shows
  // the announcement made while it was away (it watches again from its
  // last seq).
  projDown = true;
  for (const ws of projSockets.splice(0)) ws.close();
  await proj.getByText(/reconnecting/).waitFor({ timeout: T });
  await host.getByLabel("Announcement to the class").fill("Two minutes, comrades.");
  await host.getByRole("button", { name: "Announce" }).click();
  await ana.page.getByText("Two minutes, comrades.").waitFor({ timeout: T });
  projDown = false;
  await proj.getByText(/reconnecting/).waitFor({ state: "detached", timeout: T });
  await proj.getByText("Two minutes, comrades.").waitFor({ timeout: T });
  assert.ok(projFrames.some((f) => f.includes("Two minutes, comrades.")), "the announcement reached the projector on the wire");
  await shot(proj, "13a-projector-back");
  await shot(host, "13-host-chat");

  // Two tabs on one seat: the newer wins, the older says so and stops.
  step("two tabs on one seat");
  const vera2 = await vera.ctx.newPage();
  await vera2.goto(`${BASE}/join/${code}`);
  await vera2.getByRole("heading", { name: /You are with the/ }).waitFor({ timeout: T });
  await vera.page.getByText(/another tab or window/).waitFor({ timeout: T });
  await new Promise((r) => setTimeout(r, 2500));
  assert.equal(await vera2.getByText(/another tab or window/).count(), 0, "the newer tab keeps the seat");
  await shot(vera.page, "14-player-replaced");
  await vera.page.close();
  vera.page = vera2;

  // The server restarts: everyone comes back by themselves; the host resumes.
  step("server restart");
  await host.getByRole("tab", { name: "Game" }).click();
  await stopServer();
  await proj.getByText(/reconnecting/).waitFor({ timeout: T });
  await startServer();
  await host.getByRole("button", { name: "Resume" }).waitFor({ timeout: 30_000 });
  await host.getByRole("button", { name: "Resume" }).click();
  await proj.getByText(/reconnecting/).waitFor({ state: "detached", timeout: 30_000 });
  for (const s of students) await s.page.getByText(/reconnecting/).waitFor({ state: "detached", timeout: 30_000 });

  // Bots fill seats, short timers, and the game runs to its end.
  step("bots to the end");
  await host.getByRole("tab", { name: /Players/ }).click();
  await host.getByLabel("Faction").selectOption({ index: 0 });
  await host.getByRole("button", { name: "Add a bot" }).click();
  await host.getByRole("button", { name: "Add a bot" }).click();
  const rows = host.getByRole("row", { name: /· bot/ });
  await rows.nth(1).waitFor({ timeout: T });
  // Move one bot, remove the other.
  const moveLabel = await rows.first().getByRole("combobox", { name: /^Move / }).evaluate((e) => e.labels[0].textContent);
  step(`moving and removing bots (${moveLabel})`);
  const botName = moveLabel.replace(/^Move /, "").replace(/ to$/, "");
  const from = await rows.first().getByRole("cell").nth(1).textContent();
  await host.getByLabel(moveLabel, { exact: true }).selectOption({ index: 1 });
  // Moved, the bot takes a name of its new faction's figures: the old one
  // is gone from the table, and the same row (players keep their order)
  // shows the new faction under a new bot name.
  await host.getByRole("row", { name: botName }).waitFor({ state: "detached", timeout: T });
  await rows.first().getByRole("cell").nth(1).filter({ hasNotText: from }).waitFor({ timeout: T });
  const renamed = await rows.first().getByRole("cell").first().textContent();
  step(`the moved bot is now ${renamed}`);
  assert.match(renamed, /\(bot\)/);
  assert.ok(!renamed.includes(botName), `${renamed} still carries ${botName}`);
  await proj.getByRole("heading", { name: /Support and unrest/ }).waitFor();
  await host.getByRole("button", { name: /^Remove / }).last().click();
  await host.getByRole("row", { name: /· bot/ }).nth(1).waitFor({ state: "detached", timeout: T });
  await host.getByRole("button", { name: "Add a bot" }).click();
  await rows.nth(1).waitFor({ timeout: T });
  // A latecomer joins mid-game and is removed: the page says so, and a
  // reload cannot take the seat back.
  {
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    await page.goto(`${BASE}/join/${code}`);
    await page.getByLabel("Your name").fill("Dmitri");
    await page.getByRole("button", { name: "Join" }).click();
    await page.getByRole("heading", { name: /You are with the/ }).waitFor({ timeout: T });
    await host.getByRole("button", { name: "Remove Dmitri" }).click();
    await page.getByText(/removed you/i).first().waitFor({ timeout: T });
    await page.reload();
    const refused = page.getByRole("alert").filter({ hasText: /\w/ });
    await refused.first().waitFor({ timeout: T });
    step(`a removed player reloads: "${await refused.first().textContent()}"`);
    assert.equal(await page.getByRole("heading", { name: /You are with the/ }).count(), 0);
    await ctx.close();
  }
  // The host gives Ana another historical character: her screen follows.
  {
    const select = host.getByLabel("Character for Ana", { exact: true });
    const character = await select.evaluate((e) => e.options[1].value);
    await select.selectOption(character);
    await ana.page.getByRole("heading", { name: `Your character: ${character}` }).waitFor({ timeout: T });
    step(`Ana now plays ${character}`);
  }
  await host.getByRole("button", { name: /^Mute Vera/ }).click();
  await ana.page.getByText(/Vera is muted/).first().waitFor({ timeout: T });
  // Pause and resume, a minute more, an event played now.
  await host.getByRole("tab", { name: "Game" }).click();
  await host.getByRole("button", { name: "Pause" }).click();
  await proj.getByText(/paused/).first().waitFor({ timeout: T });
  await ana.page.getByText(/paused/).first().waitFor({ timeout: T });
  await shot(ana.page, "15a-player-paused");
  await host.getByRole("button", { name: "Resume" }).click();
  await proj.getByText(/paused ·/).waitFor({ state: "detached", timeout: T });
  await host.getByRole("button", { name: "+1 minute" }).click();
  await ana.page.getByText("The host changed the time left.").first().waitFor({ timeout: T });
  await host.getByRole("tab", { name: /Settings/ }).click();
  const inject = host.getByLabel("Event", { exact: true });
  if ((await inject.evaluate((e) => e.tagName)) === "SELECT") await inject.selectOption("july_days");
  else await inject.fill("july_days");
  await host.getByRole("button", { name: "Play it" }).click();
  await proj.getByRole("heading", { name: "The July Days" }).waitFor({ timeout: T });
  await host.getByRole("tab", { name: /Settings/ }).click();
  for (const p of ["Briefing", "Negotiation", "Proposals", "Voting", "Resolution"]) await host.getByLabel(p).fill("1");
  await host.getByRole("button", { name: "Set timers" }).click();
  await host.getByRole("tab", { name: "Game" }).click();
  await host.getByRole("button", { name: "End this phase" }).click();
  await host.getByRole("heading", { name: /The end/ }).waitFor({ timeout: 120_000 });
  for (const s of students) await s.page.getByRole("heading", { name: /The end/ }).waitFor({ timeout: T });
  await proj.getByRole("heading", { name: /The end/ }).waitFor({ timeout: T });
  await shot(proj, "15-projector-ending");
  await shot(boris.page, "16-player-ending-phone");
  // The scores are explained where they are shown: not who won, but how
  // strong each faction stood at the end.
  await boris.page.getByText("What the score means").click();
  await boris.page.getByText(/Not how a faction wins/).waitFor({ timeout: T });
  await shot(host, "17-host-ending");
  // What passed is told once per motion, with how many times; the
  // policies in force apart, each explained.
  {
    await host.getByRole("heading", { name: "Passed so far" }).waitFor({ timeout: T });
    const passed = await host.locator("ul.inforce.passed > li summary").allTextContents();
    assert.ok(passed.length > 0, "nothing under 'Passed so far' at the end");
    assert.equal(new Set(passed).size, passed.length, `a motion listed twice: ${passed.join(", ")}`);
    const policies = host.locator("li.flag details");
    const n = await policies.count();
    // (This game passes civil liberties and the war's continuation early.)
    assert.ok(n > 0, "no policy in force at the end");
    for (let i = 0; i < n; i++) {
      await policies.nth(i).locator("summary").click();
      await policies.nth(i).getByText(/in force once “[A-Z]/i).waitFor({ timeout: T });
    }
    // The class sees the same policies on the wall, with what each does.
    const named = (await policies.locator("summary").allTextContents()).sort();
    const onWall = (await proj.locator("ul.inforce.policies > li strong").allTextContents()).sort();
    assert.deepEqual(onWall, named, "the projector's policies in force");
    await proj.locator("ul.inforce.policies > li").first().getByText(/in force once “[A-Z]/i).waitFor({ timeout: T });
    step(`passed so far: ${passed.join(", ")}; ${n} policies in force, each explained, and on the projector`);
  }
  await checkA11y(proj, "projector: ending");
  // The teacher reloads the page at the end: the ending is still there,
  // and so are the explanations (asked for again: no snapshot comes).
  await host.reload();
  await host.getByRole("heading", { name: /The end/ }).waitFor({ timeout: T });
  await host.locator("li.flag details").first().waitFor({ timeout: T });
  step("the host reloads at the end: the ending and its explanations are back");

  // The debrief downloads.
  step("debrief downloads");
  // The game's screen leads the teacher to it; past the end, the settings
  // that change nothing (timers, events) are gone.
  await host.getByRole("tab", { name: "Game" }).click();
  await host.getByRole("button", { name: "Get the debrief" }).click();
  await host.getByRole("heading", { name: "Debrief" }).waitFor({ timeout: T });
  assert.equal(await host.getByRole("heading", { name: /Timers|Play an event/ }).count(), 0, "timers and events offered after the end");
  await checkA11y(host, "host: settings");
  await shot(host, "18-host-settings");
  for (const [button, ext] of [
    ["Download report (HTML)", ".html"],
    ["Download report (Markdown)", ".md"],
    ["Download the log", ".json"],
  ]) {
    const [download] = await Promise.all([host.waitForEvent("download"), host.getByRole("button", { name: button }).click()]);
    assert.ok(download.suggestedFilename().endsWith(ext), download.suggestedFilename());
    const saved = join(OUT, download.suggestedFilename());
    await download.saveAs(saved);
    const text = readFileSync(saved, "utf8");
    step(`${download.suggestedFilename()}: ${text.length} characters`);
    if (ext === ".json") assert.equal(JSON.parse(text).code, code, "the log is the whole game's JSON (joined from its parts)");
    if (ext === ".html") assert.match(text, /<\/html>\s*$/i, "the report is whole");
  }
  await host.getByLabel("Whose view").selectOption({ label: "Bolsheviks" });
  const [one] = await Promise.all([host.waitForEvent("download"), host.getByRole("button", { name: "Download report (HTML)" }).click()]);
  assert.match(one.suggestedFilename(), /bolsheviks/);

  // A record longer than one message comes in parts (PROTOCOL.md,
  // `download`): a console whose connection splits every download in three
  // still saves the whole record.
  step("a download in parts");
  {
    const page = await hostCtx.newPage();
    await page.routeWebSocket(/\/ws$/, (ws) => {
      const server = ws.connectToServer();
      server.onMessage((m) => {
        const msg = JSON.parse(m);
        if (msg.type !== "download") return ws.send(m);
        const n = Math.ceil(msg.content.length / 3);
        for (let i = 0; i < 3; i++) {
          ws.send(JSON.stringify({ ...msg, content: msg.content.slice(i * n, (i + 1) * n), part: i + 1, parts: 3 }));
        }
      });
    });
    await page.goto(`${BASE}/host`);
    await page.getByRole("tab", { name: /Settings/ }).click();
    const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Download the log" }).click()]);
    const saved = join(OUT, `parts-${download.suggestedFilename()}`);
    await download.saveAs(saved);
    assert.equal(JSON.parse(readFileSync(saved, "utf8")).code, code, "the parts join into the whole log");
    await page.close();
  }

  // Host another game, and end that one from the console.
  step("a second game, ended by the host");
  await host.getByRole("button", { name: "Host another game" }).click();
  await host.getByRole("button", { name: "Create game" }).click();
  await host.getByText("Join code").waitFor({ timeout: T });
  const code2 = (await host.locator("strong.code").textContent()).trim();
  assert.notEqual(code2, code);
  await host.getByRole("button", { name: "Start the game" }).click();
  await host.getByRole("tab", { name: /Settings/ }).click();
  host.once("dialog", (d) => d.accept());
  await host.getByRole("button", { name: "End the game" }).click();
  await host.getByRole("tab", { name: "Game" }).click();
  await host.getByRole("heading", { name: /The end/ }).waitFor({ timeout: T });

  // Joining a finished game is refused in the server's words.
  {
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    await page.goto(`${BASE}/join/${code}`);
    await page.getByLabel("Your name").fill("Latecomer");
    await page.getByRole("button", { name: "Join" }).click();
    const alert = page.getByRole("alert").filter({ hasText: /\w/ });
    await alert.first().waitFor({ timeout: T });
    step(`joining after the end: "${await alert.first().textContent()}"`);
    await ctx.close();
  }

  // The view the page folded from events is the server's: a fresh snapshot
  // (resume without last_seq, from Ana's own browser) equals it.
  step("the folded view equals a fresh snapshot");
  await new Promise((r) => setTimeout(r, 500));
  const [folded, fresh] = await ana.page.evaluate(async (c) => {
    const saved = JSON.parse(localStorage.getItem(`dualpower.player.${c}`));
    const fresh = await new Promise((resolve, reject) => {
      const ws = new WebSocket(`ws://${location.host}/ws`);
      ws.onopen = () => ws.send(JSON.stringify({ type: "hello", protocol_version: 1, catalog_on_request: true }));
      ws.onmessage = (e) => {
        const m = JSON.parse(e.data);
        if (m.type === "welcome") ws.send(JSON.stringify({ id: 1, type: "resume", token: saved.token }));
        if (m.type === "snapshot") {
          ws.close();
          resolve(m.view);
        }
        if (m.type === "error") reject(new Error(m.message));
      };
    });
    return [saved.view, fresh];
  }, code);
  const normal = (x) => {
    if (Array.isArray(x)) return x.length ? x.map(normal) : undefined;
    if (x && typeof x === "object") {
      const o = {};
      for (const k of Object.keys(x).sort()) {
        const v = normal(x[k]);
        if (v !== undefined && v !== null && v !== false) o[k] = v;
      }
      return o;
    }
    return x;
  };
  assert.deepEqual(normal(folded), normal(fresh), "the folded view differs from a fresh snapshot");

  // Nothing secret ever reached the projector, on screen or on the wire.
  step("the projector saw no secret");
  const projText = await proj.evaluate(() => document.body.innerText);
  assert.ok(objective.length > 10, "the character's objective was shown to its player");
  for (const secret of ["Delegates: we hold the soldiers.", "Ana, a word in private.", objective, secretPart, "Secret objective", "influence points"]) {
    assert.ok(!projText.includes(secret), `the projector shows ${JSON.stringify(secret)}`);
  }
  for (const frame of projFrames) {
    const m = JSON.parse(frame);
    const e = m.type === "event" ? m.event : null;
    assert.ok(!(e && e.kind === "chat" && e.scope.kind !== "floor" && e.scope.kind !== "announcement"), `a private chat reached the projector: ${frame}`);
    assert.ok(!(e && ["income_received", "action_planned", "character_assigned", "hidden_changed", "vote_cast"].includes(e.kind)), `a secret event reached the projector: ${frame}`);
    assert.ok(!frame.includes(secretPart) && !frame.includes('"exact"') && !frame.includes(objective), `a secret reached the projector: ${frame.slice(0, 200)}`);
    if (m.type === "snapshot") assert.equal(m.view.factions.length, 0, "a spectator sees no faction's secrets");
  }
  // The host token never appears on any screen.
  for (const [who, page] of [["host", host], ["projector", proj], ...students.map((s) => [s.name, s.page])]) {
    assert.ok(!(await page.content()).includes(secretPart), `${who}'s page shows the host token`);
  }
  const csp = cspErrors.filter((e) => /Content Security Policy|Refused to/.test(e));
  assert.deepEqual(csp, [], "no Content-Security-Policy violation");
  step(`done; screenshots in ${OUT}`);
} catch (e) {
  // What each screen showed when it failed.
  let i = 0;
  for (const ctx of browser.contexts()) {
    for (const page of ctx.pages()) {
      await page.screenshot({ path: join(OUT, `failed-${i++}.png`), fullPage: true }).catch(() => undefined);
    }
  }
  throw e;
} finally {
  await browser.close();
  if (server) await stopServer();
}
