// Wires the pieces: network events -> store actions; keys -> commands; store -> view.
import { randomUUID } from "node:crypto";
import { mkdir } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { Widgets } from "blessed";
import { formatBytes, type ChatDto, type ErrorBody, type Result } from "../server/protocol/index.js";
import { loadConfig, saveConfig, serverKey } from "./config.js";
import { resolveKey, type Mode } from "./keys/keymap.js";
import { completionsAt, parseInput, type Parsed } from "./keys/slash.js";
import { authenticate, logout as httpLogout } from "./net/auth.js";
import { CLIENT_ERRORS, openConnection, TRANSIENT_ERRORS, type Connection } from "./net/connection.js";
import type { TlsOptions } from "./net/tls.js";
import { downloadFile, TransferError, uploadFile, type Progress, type Requester, type TransferHooks } from "./net/transfer.js";
import type { Action } from "./state/actions.js";
import { initialState } from "./state/reducer.js";
import { activeView, pendingRead, runningTransfers, selectedFileMessage, sortedUsers, stepFileSelection, switcherCandidates } from "./state/selectors.js";
import { createStore, type Store } from "./state/store.js";
import { HISTORY_PAGE, type State, type Transfer } from "./state/types.js";
import { anchorAt, moveAnchor, topIndex } from "./ui/text.js";
import { createScreen, createView, type View } from "./ui/view.js";

export type AppOptions = {
  server: string;
  user?: string | undefined;
  configPath: string;
  tls?: TlsOptions;
  /** Where /download saves by default (created when missing). */
  downloadDir?: string;
  /** --unicode / --ascii (otherwise the locale decides). */
  charset?: "unicode" | "ascii" | undefined;
};

/** $CHAT_DOWNLOAD_DIR, $XDG_DOWNLOAD_DIR, or ~/Downloads. */
export function defaultDownloadDir(env = process.env): string {
  return env["CHAT_DOWNLOAD_DIR"] || env["XDG_DOWNLOAD_DIR"] || path.join(os.homedir(), "Downloads");
}

/** "~/x" -> home-relative; anything else relative to the working directory. */
const expandPath = (p: string) => path.resolve(p === "~" ? os.homedir() : p.startsWith("~/") ? path.join(os.homedir(), p.slice(2)) : p);
/** How long a finished transfer stays on screen. */
const TRANSFER_LINGER_MS = 5000;

const CATCH_UP_PAGES = 5;
/**
 * Catch-up re-reads this many ids below the last one seen: ids are taken before commit, so a
 * message can become visible after a higher id was already delivered. Duplicates merge by id.
 */
const CATCH_UP_OVERLAP = 200;

export async function runApp(opts: AppOptions): Promise<void> {
  const store = createStore(initialState(opts.server, opts.user ?? ""));
  const screen = createScreen({ charset: opts.charset });
  const view = createView(screen, store);
  const app = createController(store, view, opts);
  screen.on("keypress", (ch: string | undefined, key: Widgets.Events.IKeyEventArg | undefined) => app.key(ch, key));
  view.onPaste((text) => app.paste(text));
  for (const sig of ["SIGTERM", "SIGHUP"] as const) process.once(sig, () => app.quit());
  await app.start();
}

export function createController(store: Store, view: View, opts: AppOptions) {
  const dispatch = (a: Action) => store.dispatch(a);
  const state = () => store.getState();
  let conn: Connection | null = null;
  let token: string | null = null;
  let rttTimer: NodeJS.Timeout | undefined;
  let clockTimer: NodeJS.Timeout | undefined;
  const tls = opts.tls ?? { rejectUnauthorized: true };
  const readTimers = new Map<number, NodeJS.Timeout>();
  const lastReadSent = new Map<number, number>();
  /** Newest message id per chat when the connection was lost: where catch-up starts. */
  let seenAtDisconnect: Map<number, number> | null = null;
  let flushing = false;

  const notice = (text: string, level: "info" | "error" = "info", chatId?: number | null) => dispatch({ type: "notice", level, text, chatId, at: Date.now() });
  const failed = (e: ErrorBody) => notice(e.message, "error");

  async function request<T>(r: Promise<Result<T>>): Promise<T | null> {
    const res = await r;
    if (res.ok) return res.data;
    failed(res.error);
    return null;
  }

  // ---- session -------------------------------------------------------------------------

  async function start() {
    const config = await loadConfig(opts.configPath);
    const saved = config.sessions[serverKey(opts.server)];
    if (saved && (!opts.user || saved.nick.toLowerCase() === opts.user.toLowerCase())) {
      dispatch({ type: "session.resuming", nick: saved.nick });
      await connect(saved.token);
    }
  }

  async function submitLogin(mode: "login" | "register") {
    const { nick, password, busy } = state().login;
    if (busy) return;
    if (!nick.trim()) return dispatch({ type: "login.failed", error: "Type your nick first." });
    if (!password) return dispatch({ type: "login.field", field: "password" }), dispatch({ type: "login.failed", error: "Type your password." });
    dispatch({ type: "login.busy" });
    const r = await authenticate(opts.server, mode, nick.trim(), password, tls);
    if (!r.ok) return dispatch({ type: "login.failed", error: r.message });
    const config = await loadConfig(opts.configPath);
    config.sessions[serverKey(opts.server)] = { nick: r.auth.user.nick, token: r.auth.token };
    await saveConfig(opts.configPath, config).catch((e: Error) => notice(`Could not save the session: ${e.message}`, "error"));
    await connect(r.auth.token);
  }

  async function forgetSession() {
    const config = await loadConfig(opts.configPath);
    delete config.sessions[serverKey(opts.server)];
    await saveConfig(opts.configPath, config).catch(() => undefined);
  }

  async function connect(t: string) {
    token = t;
    conn?.close();
    conn = null;
    dispatch({ type: "login.busy" });
    conn = await openConnection(opts.server, t, {
      ready: (session) => {
        dispatch({ type: "session.ready", session });
        void afterReady();
      },
      message: (m) => dispatch({ type: "message.received", message: m }),
      presence: (update) => dispatch({ type: "presence", update }),
      chatUpdated: (update) => {
        dispatch({ type: "chat.updated", update });
        if (update.reason === "opened" || update.reason === "joined") ensureLoaded();
      },
      notice: (n) => notice(n.text, n.level === "info" ? "info" : "error", n.chatId ?? null),
      status: (status, attempt, error) => {
        if (status !== "online" && state().conn.status === "online" && !seenAtDisconnect) {
          seenAtDisconnect = new Map(state().order.map((id) => [id, state().chats[id]?.messages.at(-1)?.id ?? 0]));
        }
        dispatch({ type: "conn.status", status, attempt, error });
      },
      authFailed: (message) => {
        void forgetSession();
        stopTimers();
        conn = null;
        dispatch({ type: "logged.out", error: `${message}` });
      },
      sessionEnded: (e) => {
        void forgetSession();
        stopTimers();
        conn = null;
        const by = e.by ? ` by ${e.by}` : "";
        const why = e.reason ? `: ${e.reason}` : "";
        const text =
          e.code === "KICKED" ? `You were kicked${by}${why}. Log in again to come back.`
          : e.code === "BANNED" ? `You were banned${by}${e.until ? ` until ${e.until.replace("T", " ").slice(0, 16)} UTC` : ""}${why}.`
          : e.code === "EXPIRED" ? "Your session expired. Log in again."
          : e.code === "REVOKED" ? "This session was ended on the server. Log in again."
          : "This session was logged out.";
        dispatch({ type: "logged.out", error: text });
      },
      syncRequired: (afterId) => void catchUp(afterId),
      shutdown: (s) => {
        const at = Date.parse(s.at);
        dispatch({ type: "shutdown.announced", at, reason: s.reason });
        notice(`The server is shutting down ${s.inSeconds > 0 ? `in ${s.inSeconds} s` : "now"}: ${s.reason}. The client reconnects when it is back.`, "error");
        clearInterval(clockTimer);
        const tick = () => {
          dispatch({ type: "clock.tick", now: Date.now() });
          if (Date.now() > at + 1000) clearInterval(clockTimer);
        };
        tick();
        clockTimer = setInterval(tick, 1000);
        clockTimer.unref();
      },
    }, tls);
  }

  async function afterReady() {
    const c = conn;
    if (!c) return;
    const users = await c.request("users:list", {});
    if (users.ok) dispatch({ type: "users.loaded", users: users.data.users });
    // Catch up before sending what was typed offline: the missed messages came first.
    await catchUp();
    await flushOutbox();
    ensureLoaded();
    startRtt();
  }

  function startRtt() {
    clearInterval(rttTimer);
    const ping = async () => {
      if (!conn?.connected) return;
      const t0 = performance.now();
      const r = await conn.request("ping:rtt", {}, 5000);
      if (r.ok) dispatch({ type: "conn.rtt", ms: Math.round(performance.now() - t0) });
    };
    void ping();
    rttTimer = setInterval(ping, 5000);
    rttTimer.unref();
  }

  function stopTimers() {
    for (const control of transferControl.values()) control.abort();
    clearInterval(rttTimer);
    clearInterval(clockTimer);
    for (const timer of readTimers.values()) clearTimeout(timer);
    readTimers.clear();
  }

  // ---- history ---------------------------------------------------------------------------

  function ensureLoaded() {
    const v = activeView(state());
    if (v && !v.loaded && !v.loadingOlder) void loadLatest(v.chat.id);
  }

  async function fetchPage(chatId: number, cursor: { before?: number; after?: number }, direction: "older" | "newer" | "latest") {
    if (!conn) return;
    dispatch({ type: "history.loading", chatId });
    const r = await conn.request("history:fetch", { chatId, limit: HISTORY_PAGE, ...cursor });
    if (r.ok) dispatch({ type: "history.loaded", page: r.data, direction });
    else {
      dispatch({ type: "history.failed", chatId });
      if ((r.error.code as string) !== CLIENT_ERRORS.offline) failed(r.error);
    }
    return r;
  }

  const loadLatest = (chatId: number) => fetchPage(chatId, {}, "latest");

  async function loadOlder(chatId: number) {
    const v = state().chats[chatId];
    if (!v || v.loadingOlder || !v.hasOlder) return;
    const oldest = v.messages[0]?.id;
    await fetchPage(chatId, oldest ? { before: oldest } : {}, oldest ? "older" : "latest");
  }

  /** After a reconnect: what was missed, in order, from each loaded chat's newest message on. */
  async function catchUp(floor?: number) {
    const seen = seenAtDisconnect;
    seenAtDisconnect = null;
    for (const id of state().order) {
      const v = state().chats[id];
      if (!v?.loaded || v.hasNewer) continue;
      // From what was seen before the connection dropped (messages that arrived live since the
      // reconnect may be newer than the gap), or from the server's floor, with some overlap.
      const lastSeen = seen?.get(id) ?? v.messages.at(-1)?.id ?? 0;
      let after = Math.max(0, Math.min(lastSeen, floor ?? Infinity) - CATCH_UP_OVERLAP);
      let pages = 0;
      for (;;) {
        const r = await conn?.request("history:fetch", { chatId: id, after, limit: 200 });
        if (!r?.ok) break;
        dispatch({ type: "history.loaded", page: r.data, direction: "newer" });
        after = r.data.messages.at(-1)?.id ?? after;
        if (!r.data.hasMore) break;
        // Too much was missed to page through: jump to the newest page instead.
        if (++pages >= CATCH_UP_PAGES) {
          await loadLatest(id);
          break;
        }
      }
    }
  }

  function scrollBy(delta: number) {
    const v = activeView(state());
    if (!v) return;
    const { lines, height } = view.historyLayout();
    const r = moveAnchor(lines, v.scroll, delta, height);
    dispatch({ type: "scroll.set", chatId: v.chat.id, anchor: r.anchor });
    if (r.atTop && v.hasOlder) void loadOlder(v.chat.id);
    if (r.atBottom && v.hasNewer) void loadLatest(v.chat.id);
  }

  // Read markers are sent a moment after the messages are on screen, one timer per chat so
  // that switching tabs quickly still marks what was seen.
  function scheduleRead(s: State) {
    const want = pendingRead(s);
    if (!want || !conn?.connected || (lastReadSent.get(want.chatId) ?? 0) >= want.messageId) return;
    clearTimeout(readTimers.get(want.chatId));
    readTimers.set(want.chatId, setTimeout(async () => {
      readTimers.delete(want.chatId);
      lastReadSent.set(want.chatId, want.messageId);
      dispatch({ type: "read.local", chatId: want.chatId, messageId: want.messageId });
      await conn?.request("chat:read", want);
    }, 250));
  }
  store.subscribe((s) => scheduleRead(s));

  // ---- sending -----------------------------------------------------------------------------

  function sendText(chatId: number, text: string) {
    const clientId = randomUUID();
    dispatch({ type: "send.queued", clientId, chatId, text, online: !!conn?.connected, at: Date.now() });
    void flushOutbox();
  }

  /** Sends queued messages one at a time, oldest first, so they are stored in typing order. */
  async function flushOutbox() {
    if (flushing) return;
    flushing = true;
    try {
      for (;;) {
        const next = state().pending.find((p) => p.state !== "failed");
        if (!next || !conn?.connected) break;
        dispatch({ type: "send.sending", clientId: next.clientId });
        const r = await conn.request("message:send", { chatId: next.chatId, text: next.text, clientId: next.clientId });
        if (r.ok) dispatch({ type: "send.acked", clientId: next.clientId, message: r.data });
        else if (TRANSIENT_ERRORS.has(r.error.code)) {
          // Resent after reconnecting (or shortly); the server keeps one copy per clientId.
          dispatch({ type: "send.retry", clientId: next.clientId });
          if (conn?.connected) setTimeout(() => void flushOutbox(), 2000).unref();
          break;
        } else dispatch({ type: "send.failed", clientId: next.clientId, error: r.error.message, at: Date.now() });
      }
    } finally {
      flushing = false;
    }
  }

  // ---- files ---------------------------------------------------------------------------------

  const transferControl = new Map<string, AbortController>();
  /** Transfers still settling (after a cancel, a download removes its temporary file). */
  const transferRuns = new Set<Promise<void>>();
  const requester: Requester = ((event: string, payload: unknown, timeoutMs?: number) =>
    conn
      ? (conn.request as (e: string, p: unknown, t?: number) => Promise<Result<unknown>>)(event, payload, timeoutMs)
      : Promise.resolve({ ok: false, error: { code: CLIENT_ERRORS.offline, message: "Not connected to the server." } })) as Requester;

  const updateTransfer = (id: string, patch: Partial<Omit<Transfer, "id" | "direction">>) => dispatch({ type: "transfer.update", id, patch });

  /** Progress (at most ten updates a second), offline waits and cancellation for one transfer. */
  function transferHooks(id: string, signal: AbortSignal): TransferHooks {
    let last = 0;
    return {
      signal,
      progress: (p: Progress) => {
        const now = performance.now();
        if (now - last < 100 && p.bytes < p.total) return;
        last = now;
        updateTransfer(id, { bytes: p.bytes, total: p.total, rateBps: p.rateBps, state: "active" });
      },
      waitOnline: () =>
        new Promise<void>((resolve) => {
          if (conn?.connected) return resolve();
          updateTransfer(id, { state: "waiting" });
          const done = () => {
            unsubscribe();
            signal.removeEventListener("abort", done);
            updateTransfer(id, { state: "active" });
            resolve();
          };
          const unsubscribe = store.subscribe((s) => {
            if (s.conn.status === "online" && conn?.connected) done();
          });
          signal.addEventListener("abort", done);
        }),
    };
  }

  /** Runs a transfer with its progress line; the line goes away a moment after it ends. */
  function runTransfer(transfer: Transfer, chatId: number | null, work: (hooks: TransferHooks) => Promise<string>): Promise<void> {
    const run = transferRun(transfer, chatId, work).finally(() => transferRuns.delete(run));
    transferRuns.add(run);
    return run;
  }

  async function transferRun(transfer: Transfer, chatId: number | null, work: (hooks: TransferHooks) => Promise<string>) {
    const control = new AbortController();
    transferControl.set(transfer.id, control);
    dispatch({ type: "transfer.started", transfer });
    try {
      const done = await work(transferHooks(transfer.id, control.signal));
      updateTransfer(transfer.id, { state: "done" });
      notice(done, "info", chatId);
    } catch (e) {
      const cancelled = e instanceof TransferError && e.code === "CANCELLED";
      updateTransfer(transfer.id, { state: cancelled ? "cancelled" : "failed" });
      const what = `${transfer.direction === "up" ? "Upload" : "Download"} of ${state().transfers.find((t) => t.id === transfer.id)?.name ?? transfer.name}`;
      notice(cancelled ? `${what} cancelled.` : `${what} failed: ${(e as Error).message}`, cancelled ? "info" : "error", chatId);
    } finally {
      transferControl.delete(transfer.id);
      setTimeout(() => dispatch({ type: "transfer.remove", id: transfer.id }), TRANSFER_LINGER_MS).unref();
    }
  }

  function sendFile(chatId: number, raw: string) {
    const file = expandPath(raw);
    const id = randomUUID();
    const transfer: Transfer = { id, direction: "up", name: path.basename(file), bytes: 0, total: 0, rateBps: 0, state: "hashing" };
    return runTransfer(transfer, chatId, async (hooks) => {
      const done = await uploadFile(
        requester,
        { chatId, file, clientId: id, started: (s) => updateTransfer(id, { name: s.name, total: s.size, state: "active" }) },
        hooks,
      );
      updateTransfer(id, { bytes: done.file.size, total: done.file.size });
      return `Sent ${done.file.name} (${formatBytes(done.file.size)}) as file #${done.file.id}.`;
    });
  }

  async function download(fileId: number, dest: string | undefined, chatId: number | null) {
    const target = dest ? expandPath(dest) : (opts.downloadDir ?? defaultDownloadDir());
    // A directory given with a trailing slash, or the default one, is created when missing.
    if (!dest || /[/\\]$/.test(dest)) await mkdir(target, { recursive: true }).catch(() => undefined);
    const id = randomUUID();
    const transfer: Transfer = { id, direction: "down", name: `file #${fileId}`, bytes: 0, total: 0, rateBps: 0, state: "active" };
    return runTransfer(transfer, chatId, async (hooks) => {
      const got = await downloadFile(requester, { fileId, dest: target, started: (f) => updateTransfer(id, { name: f.name, total: f.size }) }, hooks);
      return `Saved ${got.file.name} (${formatBytes(got.file.size)}, SHA-256 checked) to ${got.path}`;
    });
  }

  function cancelTransfer() {
    const newest = runningTransfers(state()).at(-1);
    if (!newest) return notice("No upload or download is in progress.", "error");
    transferControl.get(newest.id)?.abort();
  }

  async function listFiles(chatId: number) {
    const r = await request(requester("file:list", { chatId, limit: 20 }));
    if (!r) return;
    if (!r.files.length) return notice("No files were shared here yet: /send <path> sends one.", "info", chatId);
    notice(`Files here${r.hasMore ? " (the newest 20)" : ""}; /download <id> saves one:`, "info", chatId);
    for (const f of r.files) {
      notice(`  #${f.id}  ${f.name}  ${formatBytes(f.size)}  from ${f.sender}, ${f.createdAt.replace("T", " ").slice(0, 16)} UTC`, "info", chatId);
    }
  }

  /** Selects a file line and scrolls it into view. */
  function selectFile(step: number | null) {
    const s = state();
    const v = activeView(s);
    if (!v) return;
    const m = step === null ? stepFileSelection({ ...s, selectedFile: null }, 0) : stepFileSelection(s, step);
    if (!m) return notice("No file is shown in this chat; PgUp loads older history, /files lists them all.", "error");
    dispatch({ type: "focus.set", focus: "history" });
    dispatch({ type: "file.select", chatId: v.chat.id, messageId: m.id });
    // After the next layout: keep the selected line in view.
    setImmediate(() => {
      const { lines, height } = view.historyLayout();
      const at = lines.findIndex((l) => l.messageId === m.id);
      const cur = activeView(state());
      if (at < 0 || !cur) return;
      const top = topIndex(lines, cur.scroll, height);
      if (at >= top && at < top + height - 1) return;
      const newTop = Math.max(0, Math.min(at - Math.floor(height / 2), lines.length - height));
      dispatch({ type: "scroll.set", chatId: cur.chat.id, anchor: newTop >= lines.length - height ? null : anchorAt(lines, newTop) });
    });
  }

  function downloadSelected() {
    const m = selectedFileMessage(state());
    if (!m?.file) return notice("Select a file first: Ctrl+O, then f/F to move.", "error");
    void download(m.file.id, undefined, m.chatId);
  }

  // ---- commands ----------------------------------------------------------------------------

  async function openChat(p: Promise<Result<ChatDto>>): Promise<ChatDto | null> {
    const chat = await request(p);
    if (chat) {
      dispatch({ type: "chat.opened", chat, activate: true });
      ensureLoaded();
    }
    return chat;
  }

  async function runSlash(parsed: Parsed) {
    const s = state();
    const v = activeView(s);
    const c = conn;
    if (parsed.kind === "error") return notice(parsed.message, "error");
    if (parsed.kind === "help") return dispatch({ type: "overlay.help" });
    if (parsed.kind === "quit") return quit();
    if (parsed.kind === "logout") return doLogout();
    if (parsed.kind === "text") {
      if (!v) return notice("No chat is open: /join a room or /query someone first.", "error");
      return sendText(v.chat.id, parsed.text);
    }
    if (parsed.kind === "cancel") return cancelTransfer();
    if (parsed.kind === "download") return download(parsed.fileId, parsed.dest, v?.chat.id ?? null);
    if (parsed.kind === "send") {
      if (!v) return notice("No chat is open: /join a room or /query someone first, then /send.", "error");
      return sendFile(v.chat.id, parsed.path);
    }
    if (!c) return notice("Not connected.", "error");
    switch (parsed.kind) {
      case "files":
        if (!v) return notice("No chat is open.", "error");
        return listFiles(v.chat.id);
      case "rmfile": {
        const r = await request(c.request("file:delete", { fileId: parsed.fileId }));
        if (r) notice(`Deleted ${r.name} (file #${r.fileId}); its line in the history stays.`, "info", v?.chat.id ?? null);
        return;
      }
      case "msg": {
        const chat = await openChat(c.request("dm:open", { nick: parsed.nick }));
        if (chat) sendText(chat.id, parsed.text);
        return;
      }
      case "query":
        return void (await openChat(c.request("dm:open", { nick: parsed.nick })));
      case "join":
        return void (await openChat(c.request("room:join", { name: parsed.room })));
      case "create":
        return void (await openChat(c.request("room:create", { name: parsed.room, private: parsed.private })));
      case "leave":
        if (!v || v.chat.kind !== "room") return notice("/leave works in a room; use /close for a direct message.", "error");
        return void (await request(c.request("room:leave", { chatId: v.chat.id })));
      case "close":
        if (!v) return;
        return void (await request(c.request("chat:close", { chatId: v.chat.id })));
      case "invite": {
        if (!v || v.chat.kind !== "room") return notice("/invite works in a room.", "error");
        const r = await request(c.request("room:invite", { chatId: v.chat.id, nick: parsed.nick }));
        if (r) notice(`${r.nick} was added to #${v.chat.name}.`);
        return;
      }
      case "rooms": {
        const r = await request(c.request("rooms:list", {}));
        if (!r) return;
        dispatch({ type: "rooms.loaded", rooms: r.rooms });
        if (!r.rooms.length) return notice("There are no rooms yet: /create <room> makes one.");
        return notice(`Rooms: ${r.rooms.map((x) => `#${x.name} (${x.members}${x.joined ? ", joined" : ""})`).join(", ")}`);
      }
      case "kick": {
        const r = await request(c.request("admin:kick", { nick: parsed.nick, ...(parsed.reason ? { reason: parsed.reason } : {}) }));
        if (r) notice(`${r.nick} was kicked.`);
        return;
      }
      case "ban":
      case "mute": {
        const payload = { nick: parsed.nick, ...(parsed.durationSec ? { durationSec: parsed.durationSec } : {}), ...(parsed.reason ? { reason: parsed.reason } : {}) };
        const r = await request(c.request(parsed.kind === "ban" ? "admin:ban" : "admin:mute", payload));
        if (r) notice(`${r.nick} is ${parsed.kind === "ban" ? "banned" : "muted"} ${r.until ? `until ${r.until.replace("T", " ").slice(0, 16)} UTC` : "until lifted"}.`);
        return;
      }
      case "unban":
      case "unmute": {
        const r = await request(c.request(parsed.kind === "unban" ? "admin:unban" : "admin:unmute", { nick: parsed.nick }));
        if (r) notice(`${r.nick} is ${parsed.kind === "unban" ? "unbanned" : "unmuted"}.`);
        return;
      }
      case "shutdown": {
        await request(c.request("admin:shutdown", { ...(parsed.inSeconds !== undefined ? { inSeconds: parsed.inSeconds } : {}), ...(parsed.reason ? { reason: parsed.reason } : {}) }));
        return;
      }
      case "users": {
        const r = await request(c.request("users:list", {}));
        if (!r) return;
        dispatch({ type: "users.loaded", users: r.users });
        const on = r.users.filter((u) => u.online).map((u) => u.nick);
        const off = r.users.filter((u) => !u.online).map((u) => u.nick);
        notice(`Online (${on.length}): ${on.join(", ") || "nobody"}`);
        if (off.length) notice(`Offline (${off.length}): ${off.join(", ")}`);
        return;
      }
    }
  }

  async function doLogout() {
    if (token) await httpLogout(opts.server, token, tls);
    await forgetSession();
    stopTimers();
    conn?.close();
    conn = null;
    token = null;
    dispatch({ type: "logged.out", error: "Logged out. The saved session was removed." });
  }

  function submitComposer() {
    const text = state().composer.text;
    if (!text.trim()) return;
    dispatch({ type: "composer.submit" });
    void runSlash(parseInput(text));
  }

  function complete() {
    const s = state();
    if (s.composer.completion) return dispatch({ type: "composer.completeNext" });
    const nicks = sortedUsers(s).filter((u) => !u.me).map((u) => u.nick);
    const req = completionsAt(s.composer.text, s.composer.cursor, nicks);
    // Nothing to complete: Tab moves on only from an empty line, so typing never goes astray.
    if (!req) return s.composer.text ? undefined : dispatch({ type: "focus.cycle", delta: 1 });
    dispatch({ type: "composer.complete", ...req });
  }

  async function chooseSwitcher() {
    const s = state();
    if (s.overlay?.kind !== "switcher") return;
    const c = switcherCandidates(s)[s.overlay.selected];
    dispatch({ type: "overlay.close" });
    if (!c) return;
    if (c.kind === "chat") {
      dispatch({ type: "tab.activate", chatId: c.chatId });
      ensureLoaded();
    } else if (c.kind === "user" && conn) await openChat(conn.request("dm:open", { nick: c.nick }));
    else if (c.kind === "room" && conn) await openChat(conn.request("room:join", { name: c.name }));
  }

  async function openSwitcher() {
    dispatch({ type: "overlay.switcher" });
    const r = await conn?.request("rooms:list", {});
    if (r?.ok) dispatch({ type: "rooms.loaded", rooms: r.data.rooms });
  }

  async function openSelectedUser() {
    const s = state();
    const u = sortedUsers(s)[s.userCursor];
    if (!u || !conn) return;
    if (u.me) return notice("That is you.", "error");
    const chat = await openChat(conn.request("dm:open", { nick: u.nick }));
    if (chat) dispatch({ type: "focus.set", focus: "input" });
  }

  async function quit() {
    // Cancelled transfers clean up (a download's temporary file), for at most a second.
    stopTimers();
    await Promise.race([Promise.allSettled([...transferRuns]), new Promise((r) => setTimeout(r, 1000))]);
    conn?.close();
    view.destroy();
    process.exit(0);
  }

  function pageSize() {
    return Math.max(1, view.historyLayout().height - 2);
  }

  const commands: Record<string, () => void | Promise<void>> = {
    "app.quit": quit,
    "app.confirmQuit": () => view.ask("Quit chat-tui? Enter: quit · Esc: stay", () => void quit()),
    "composer.escape": () => (state().composer.completion ? dispatch({ type: "composer.move", to: "end" }) : commands["app.confirmQuit"]!()),
    "overlay.help": () => dispatch({ type: "overlay.help" }),
    "overlay.close": () => dispatch({ type: "overlay.close" }),
    "help.up": () => dispatch({ type: "help.scroll", delta: -1 }),
    "help.down": () => dispatch({ type: "help.scroll", delta: 1 }),
    "help.pageUp": () => dispatch({ type: "help.scroll", delta: -10 }),
    "help.pageDown": () => dispatch({ type: "help.scroll", delta: 10 }),
    "tab.next": () => (dispatch({ type: "tab.step", delta: 1 }), ensureLoaded()),
    "tab.prev": () => (dispatch({ type: "tab.step", delta: -1 }), ensureLoaded()),
    "tab.nextUnread": () => (dispatch({ type: "tab.nextUnread" }), ensureLoaded()),
    "tab.close": () => runSlash({ kind: "close" }),
    "switcher.open": openSwitcher,
    "switcher.choose": chooseSwitcher,
    "switcher.up": () => dispatch({ type: "switcher.move", delta: -1 }),
    "switcher.down": () => dispatch({ type: "switcher.move", delta: 1 }),
    "switcher.backspace": () => {
      const o = state().overlay;
      if (o?.kind === "switcher") dispatch({ type: "switcher.query", query: [...o.query].slice(0, -1).join("") });
    },
    "focus.next": () => dispatch({ type: "focus.cycle", delta: 1 }),
    "focus.prev": () => dispatch({ type: "focus.cycle", delta: -1 }),
    "focus.input": () => dispatch({ type: "focus.set", focus: "input" }),
    "history.pageUp": () => scrollBy(-pageSize()),
    "history.pageDown": () => scrollBy(pageSize()),
    "history.lineUp": () => scrollBy(-1),
    "history.lineDown": () => scrollBy(1),
    "history.top": () => scrollBy(-1e9),
    "history.bottom": () => {
      const v = activeView(state());
      if (!v) return;
      dispatch({ type: "scroll.set", chatId: v.chat.id, anchor: null });
      if (v.hasNewer) void loadLatest(v.chat.id);
    },
    "users.up": () => dispatch({ type: "users.move", delta: -1 }),
    "users.down": () => dispatch({ type: "users.move", delta: 1 }),
    "users.openDm": openSelectedUser,
    "screen.redraw": () => view.redraw(),
    "files.select": () => selectFile(null),
    "files.older": () => selectFile(-1),
    "files.newer": () => selectFile(1),
    "files.download": downloadSelected,
    "transfer.cancel": cancelTransfer,
    "history.escape": () => {
      dispatch({ type: "file.select", chatId: state().active ?? 0, messageId: null });
      dispatch({ type: "focus.set", focus: "input" });
    },
    "composer.submit": submitComposer,
    "composer.complete": complete,
    "composer.backspace": () => dispatch({ type: "composer.backspace" }),
    "composer.delete": () => dispatch({ type: "composer.delete" }),
    "composer.left": () => dispatch({ type: "composer.move", to: "left" }),
    "composer.right": () => dispatch({ type: "composer.move", to: "right" }),
    "composer.home": () => (state().composer.text ? dispatch({ type: "composer.move", to: "home" }) : commands["history.top"]!()),
    "composer.end": () => (state().composer.text ? dispatch({ type: "composer.move", to: "end" }) : commands["history.bottom"]!()),
    "composer.wordLeft": () => dispatch({ type: "composer.move", to: "wordLeft" }),
    "composer.wordRight": () => dispatch({ type: "composer.move", to: "wordRight" }),
    "composer.killBefore": () => dispatch({ type: "composer.killBefore" }),
    "composer.killWordBefore": () => dispatch({ type: "composer.killWordBefore" }),
    "composer.recallPrev": () => dispatch({ type: "composer.recall", delta: -1 }),
    "composer.recallNext": () => dispatch({ type: "composer.recall", delta: 1 }),
    "login.submit": () => submitLogin("login"),
    "login.register": () => submitLogin("register"),
    "login.nextField": () => dispatch({ type: "login.field", field: state().login.field === "nick" ? "password" : "nick" }),
    "login.backspace": () => {
      const l = state().login;
      dispatch({ type: "login.edit", field: l.field, value: [...l[l.field]].slice(0, -1).join("") });
    },
    "login.clearField": () => dispatch({ type: "login.edit", field: state().login.field, value: "" }),
  };
  for (let i = 1; i <= 9; i++) commands[`tab.goto.${i}`] = () => (dispatch({ type: "tab.goto", index: i - 1 }), ensureLoaded());

  function mode(s: State): Mode {
    if (s.screen === "login") return "login";
    if (s.overlay) return s.overlay.kind;
    return s.focus;
  }

  function insertText(s: State, text: string) {
    const m = mode(s);
    if (m === "login") dispatch({ type: "login.edit", field: s.login.field, value: s.login[s.login.field] + text });
    else if (m === "switcher" && s.overlay?.kind === "switcher") dispatch({ type: "switcher.query", query: s.overlay.query + text });
    else if (m === "help") return;
    else {
      // Typing while the user list or history has focus goes to the input line.
      if (m !== "input") dispatch({ type: "focus.set", focus: "input" });
      dispatch({ type: "composer.insert", text });
    }
  }

  function key(ch: string | undefined, k: Widgets.Events.IKeyEventArg | undefined) {
    const s = state();
    const full = k?.full ?? ch ?? "";
    if (view.answer(full)) return; // an open question (quit? send a paste?) takes every key
    const command = resolveKey(mode(s), full);
    if (command) {
      const run = commands[command];
      if (run) void Promise.resolve(run()).catch((e: Error) => notice(`Internal error: ${e.message}`, "error"));
      return;
    }
    // Printable input: a character with no Ctrl/Alt, including pasted text and wide characters.
    if (ch && !k?.ctrl && !k?.meta && !/[\u0000-\u001f\u007f]/.test(ch)) insertText(s, ch);
  }

  /** A bracketed paste: one line is typed; several become one message, after asking. */
  function paste(text: string) {
    const s = state();
    const v = activeView(s);
    const body = text.replace(/\n+$/, "");
    const count = body.split("\n").length;
    if (count < 2 || mode(s) === "login" || mode(s) === "switcher" || !v) return insertText(s, body.replace(/\n/g, " "));
    view.ask(`Send ${count} lines as one message? Enter: send · Esc: cancel`, () => {
      const c = state().composer;
      dispatch({ type: "composer.set", text: "" });
      sendText(v.chat.id, c.text.slice(0, c.cursor) + body + c.text.slice(c.cursor));
    });
  }

  return { start, key, paste, quit, commands, dispatch };
}
