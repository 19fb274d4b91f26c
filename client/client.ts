// The headless chat client: session and resume, the connection, catch-up after a reconnect,
// the outbox, read markers, history paging and file transfers, all on a chat store. Front ends
// (chat-tui, an SSH gateway, a browser) drive it and render its state. No module state: any
// number of clients live in one process.
import { formatBytes, normalizeEmoji, type ChatDto, type EventPayload, type MessageDto, type RequestFn, type Result } from "../server/protocol/index.js";
import { cancellable } from "./cancel.js";
import { CLIENT_ERRORS, offlineError, TRANSIENT_ERRORS, type Connection } from "./connection.js";
import { systemClock, type CancelSignal, type ClientPorts, type TimerHandle } from "./ports.js";
import type { ChatAction } from "./state/actions.js";
import { chatReducer, initialChatState } from "./state/reducer.js";
import { activeView, pendingRead, runningTransfers } from "./state/selectors.js";
import { createStore, type Store } from "./state/store.js";
import { HISTORY_PAGE, type ChatState, type Transfer } from "./state/types.js";
import { CANCELLED, downloadFile, TransferError, uploadFile, type Progress, type TransferHooks } from "./transfer.js";

export type ChatStore = Store<ChatState, ChatAction>;

const CATCH_UP_PAGES = 5;
/**
 * Catch-up re-reads this many ids below the last one seen: ids are taken before commit, so a
 * message can become visible after a higher id was already delivered. Duplicates merge by id.
 */
const CATCH_UP_OVERLAP = 200;
/** How long a finished transfer stays in the state (a front end shows it as done). */
const TRANSFER_LINGER_MS = 5000;
/** Read markers are sent this long after the messages are in view. */
const READ_DELAY_MS = 250;
/** Tries of one edit, delete or reaction through transient failures (same clientId each time). */
const MUTATION_ATTEMPTS = 5;
const SEARCH_PAGE = 30;
const MENTIONS_PAGE = 50;

export type ClientOptions = { server: string; ports: ClientPorts };

export type ChatClient = ReturnType<typeof createClient>;

export function createClient(opts: ClientOptions) {
  const { ports } = opts;
  const clock = ports.clock ?? systemClock();
  const store: ChatStore = createStore(initialChatState(opts.server), chatReducer);
  const dispatch = (a: ChatAction) => store.dispatch(a);
  const state = () => store.getState();
  let conn: Connection | null = null;
  let token: string | null = null;
  let rttTimer: TimerHandle;
  let clockTimer: TimerHandle;
  let stopped = false;
  const readTimers = new Map<number, TimerHandle>();
  const lastReadSent = new Map<number, number>();
  /** Newest message id per chat when the connection was lost: where catch-up starts. */
  let seenAtDisconnect: Map<number, number> | null = null;
  let flushing = false;

  const notice = (text: string, level: "info" | "error" = "info", chatId?: number | null) => dispatch({ type: "notice", level, text, chatId, at: clock.now() });

  /** A request on the current connection; OFFLINE when there is none. */
  const request: RequestFn = ((event: string, payload: unknown, timeoutMs?: number) =>
    conn ? (conn.request as (e: string, p: unknown, t?: number) => Promise<Result<unknown>>)(event, payload, timeoutMs) : Promise.resolve({ ok: false, error: offlineError() })) as RequestFn;

  // ---- session -------------------------------------------------------------------------

  /** Resumes the saved session for this server (when it belongs to `user`, if one is given). */
  async function start(user?: string) {
    const saved = await ports.sessions.load(opts.server).catch(() => null);
    if (saved && (!user || saved.nick.toLowerCase() === user.toLowerCase())) {
      dispatch({ type: "session.resuming", nick: saved.nick });
      await connect(saved.token);
    }
  }

  async function login(mode: "login" | "register", nick: string, password: string) {
    dispatch({ type: "login.busy" });
    const r = await ports.auth.authenticate(mode, nick, password);
    if (!r.ok) return dispatch({ type: "login.failed", error: r.message });
    await ports.sessions.save(opts.server, { nick: r.auth.user.nick, token: r.auth.token }).catch((e: Error) => notice(`Could not save the session: ${e.message}`, "error"));
    await connect(r.auth.token);
  }

  const forgetSession = () => ports.sessions.remove(opts.server).catch(() => undefined);

  async function connect(t: string) {
    token = t;
    conn?.close();
    conn = null;
    dispatch({ type: "login.busy" });
    const opened = await ports.connect(t, {
      ready: (session) => {
        dispatch({ type: "session.ready", session });
        void afterReady();
      },
      message: (m) => dispatch({ type: "message.received", message: m }),
      updated: (u) => dispatch({ type: "message.updated", message: u.message }),
      presence: (update) => dispatch({ type: "presence", update }),
      presenceBatch: (batch) => dispatch({ type: "presence.batch", batch }),
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
        clock.clearInterval(clockTimer);
        const tick = () => {
          dispatch({ type: "clock.tick", now: clock.now() });
          if (clock.now() > at + 1000) clock.clearInterval(clockTimer);
        };
        tick();
        clockTimer = clock.setInterval(tick, 1000);
      },
    });
    // Stopped (or logged out) while the connection was being opened: do not keep it.
    if (stopped || token !== t) opened.close();
    else conn = opened;
  }

  async function afterReady() {
    const c = conn;
    if (!c) return;
    // A large server (protocol 2, more online than its first page) is not asked for every
    // account: the list holds the pages of online users fetched so far (loadMoreOnline).
    if (state().online.next === null) {
      const users = await c.request("users:list", {});
      if (users.ok) dispatch({ type: "users.loaded", users: users.data.users });
    }
    // Catch up before sending what was typed offline: the missed messages came first.
    await catchUp();
    await flushOutbox();
    ensureLoaded();
    startRtt();
  }

  function startRtt() {
    clock.clearInterval(rttTimer);
    const ping = async () => {
      if (!conn?.connected) return;
      const t0 = clock.now();
      const r = await conn.request("ping:rtt", {}, 5000);
      if (r.ok) dispatch({ type: "conn.rtt", ms: Math.round(clock.now() - t0) });
    };
    void ping();
    rttTimer = clock.setInterval(ping, 5000);
  }

  function stopTimers() {
    for (const control of transferControl.values()) control.cancel();
    clock.clearInterval(rttTimer);
    clock.clearInterval(clockTimer);
    for (const timer of readTimers.values()) clock.clearTimeout(timer);
    readTimers.clear();
  }

  async function logout() {
    if (token) await ports.auth.logout(token);
    await forgetSession();
    stopTimers();
    conn?.close();
    conn = null;
    token = null;
    dispatch({ type: "logged.out", error: "Logged out. The saved session was removed." });
  }

  // ---- history ---------------------------------------------------------------------------

  /** Loads the newest page of the active chat when it has none yet. */
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
      if ((r.error.code as string) !== CLIENT_ERRORS.offline) notice(r.error.message, "error");
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

  // Read markers are sent a moment after the messages are in view, one timer per chat so that
  // switching chats quickly still marks what was seen.
  function scheduleRead(s: ChatState) {
    const want = pendingRead(s);
    if (!want || !conn?.connected || (lastReadSent.get(want.chatId) ?? 0) >= want.messageId) return;
    clock.clearTimeout(readTimers.get(want.chatId));
    readTimers.set(want.chatId, clock.setTimeout(async () => {
      readTimers.delete(want.chatId);
      lastReadSent.set(want.chatId, want.messageId);
      dispatch({ type: "read.local", chatId: want.chatId, messageId: want.messageId });
      await conn?.request("chat:read", want);
    }, READ_DELAY_MS));
  }
  store.subscribe((s) => scheduleRead(s));

  // ---- sending -----------------------------------------------------------------------------

  /** Queues a message; it is sent now when online, else after the reconnect (once: clientId). */
  function send(chatId: number, text: string, replyTo?: number) {
    const clientId = ports.newId();
    dispatch({ type: "send.queued", clientId, chatId, text, online: !!conn?.connected, at: clock.now(), ...(replyTo ? { replyTo } : {}) });
    void flushOutbox();
    return clientId;
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
        const r = await conn.request("message:send", { chatId: next.chatId, text: next.text, clientId: next.clientId, ...(next.replyTo ? { replyTo: next.replyTo } : {}) });
        if (r.ok) dispatch({ type: "send.acked", clientId: next.clientId, message: r.data });
        else if (TRANSIENT_ERRORS.has(r.error.code)) {
          // Resent after reconnecting (or shortly); the server keeps one copy per clientId.
          dispatch({ type: "send.retry", clientId: next.clientId });
          if (conn?.connected) clock.setTimeout(() => void flushOutbox(), 2000);
          break;
        } else dispatch({ type: "send.failed", clientId: next.clientId, error: r.error.message, at: clock.now() });
      }
    } finally {
      flushing = false;
    }
  }

  // ---- edits, deletes, reactions ----------------------------------------------------------

  /**
   * Runs a mutation of a message with one clientId for all its attempts: a transient failure
   * (offline, timeout, busy) is tried again after the reconnect or a moment, and the server
   * applies it once. The acknowledged message replaces the old one at once (the broadcast
   * message:updated carries the same and merges by id).
   */
  async function mutate<E extends "message:edit" | "message:delete" | "message:react">(event: E, payload: EventPayload<E>, chatId: number | null): Promise<boolean> {
    for (let attempt = 0; ; attempt++) {
      const r = await request(event, payload);
      if (r.ok) {
        dispatch({ type: "message.updated", message: r.data as MessageDto });
        return true;
      }
      if (!TRANSIENT_ERRORS.has(r.error.code) || attempt >= MUTATION_ATTEMPTS - 1 || stopped) {
        notice(r.error.message, "error", chatId);
        return false;
      }
      await waitRetry();
    }
  }

  /** Resolves when the connection is back (or after a short pause when it is up). */
  function waitRetry(): Promise<void> {
    return new Promise((resolve) => {
      if (conn?.connected) {
        clock.setTimeout(resolve, 2000);
        return;
      }
      const unsubscribe = store.subscribe((s) => {
        if (s.conn.status === "online" && conn?.connected) {
          unsubscribe();
          resolve();
        }
      });
    });
  }

  const chatOf = (messageId: number) => Object.values(state().chats).find((v) => v.messages.some((m) => m.id === messageId))?.chat.id ?? null;

  /** Replaces the text of one's own message. */
  const edit = (messageId: number, text: string) => mutate("message:edit", { messageId, text, clientId: ports.newId() }, chatOf(messageId));
  /** Deletes a message (one's own, or any as a moderator): a tombstone stays. */
  const remove = (messageId: number) => mutate("message:delete", { messageId, clientId: ports.newId() }, chatOf(messageId));
  /** Adds (on) or takes back a reaction: an emoji or a :shortname: the server knows. */
  const react = (messageId: number, emoji: string, on = true) => mutate("message:react", { messageId, emoji, on, clientId: ports.newId() }, chatOf(messageId));

  /** Toggles the user's reaction: takes it back when they already reacted with that emoji. */
  function toggleReaction(messageId: number, emoji: string) {
    const m = state().chats[chatOf(messageId) ?? -1]?.messages.find((x) => x.id === messageId);
    // ":+1:" and "👍" are the same reaction (the server stores the emoji).
    const e = normalizeEmoji(emoji) ?? emoji;
    const mine = m?.reactions?.some((r) => r.emoji === e && r.nicks.some((n) => n.toLowerCase() === state().me?.nick.toLowerCase()));
    return react(messageId, emoji, !mine);
  }

  // ---- search, mentions, jumps ---------------------------------------------------------------

  /** Searches every chat of the user; `more` fetches the next page of the same query. */
  async function search(query: string, more = false) {
    const s = state().search;
    const append = more && s?.query === query && s.hasMore;
    const before = append ? s.hits.at(-1)?.message.id : undefined;
    dispatch({ type: "search.started", query, append });
    const r = await request("message:search", { query, limit: SEARCH_PAGE, ...(before ? { before } : {}) });
    if (r.ok) dispatch({ type: "search.loaded", query, page: r.data, append });
    else dispatch({ type: "search.failed", query, error: r.error.message });
  }

  /** Lists the messages that mentioned the user. */
  async function loadMentions() {
    dispatch({ type: "mentions.started" });
    const r = await request("mentions:list", { limit: MENTIONS_PAGE });
    if (r.ok) dispatch({ type: "mentions.loaded", page: r.data });
    else dispatch({ type: "mentions.failed", error: r.error.message });
  }

  /** Opens a chat at a message with the messages around it (a search hit, a mention, a quote). */
  async function jumpTo(chatId: number, messageId: number) {
    if (!state().chats[chatId]) {
      notice("That chat is not open any more.", "error");
      return false;
    }
    dispatch({ type: "jump.set", chatId, messageId });
    const v = state().chats[chatId];
    const idx = v?.messages.findIndex((m) => m.id === messageId) ?? -1;
    // Already in the window with some context on both sides: no fetch needed.
    if (v && idx > 10 && idx < v.messages.length - 10) return true;
    dispatch({ type: "history.loading", chatId });
    const r = await request("history:fetch", { chatId, around: messageId, limit: HISTORY_PAGE });
    if (r.ok) dispatch({ type: "history.loaded", page: r.data, direction: "around" });
    else {
      dispatch({ type: "history.failed", chatId });
      notice(r.error.message, "error", chatId);
    }
    return r.ok;
  }

  /** Runs a request that opens a chat (dm:open, room:join, room:create) and shows it. */
  async function openChat(p: Promise<Result<ChatDto>>): Promise<ChatDto | null> {
    const r = await p;
    if (!r.ok) {
      notice(r.error.message, "error");
      return null;
    }
    dispatch({ type: "chat.opened", chat: r.data, activate: true });
    ensureLoaded();
    return r.data;
  }

  // ---- files ---------------------------------------------------------------------------------

  const transferControl = new Map<string, { cancel(): void }>();
  /** Transfers still settling (after a cancel, a download removes its temporary file). */
  const transferRuns = new Set<Promise<void>>();

  const updateTransfer = (id: string, patch: Partial<Omit<Transfer, "id" | "direction">>) => dispatch({ type: "transfer.update", id, patch });

  /** Progress (at most ten updates a second), offline waits and cancellation for one transfer. */
  function transferHooks(id: string, signal: CancelSignal): TransferHooks {
    let last = -Infinity;
    return {
      signal,
      clock,
      progress: (p: Progress) => {
        const now = clock.now();
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

  /** Runs a transfer with its progress entry; the entry goes away a moment after it ends. */
  function runTransfer(transfer: Transfer, chatId: number | null, work: (hooks: TransferHooks) => Promise<string>): Promise<void> {
    const run = transferRun(transfer, chatId, work).finally(() => transferRuns.delete(run));
    transferRuns.add(run);
    return run;
  }

  async function transferRun(transfer: Transfer, chatId: number | null, work: (hooks: TransferHooks) => Promise<string>) {
    const control = cancellable();
    transferControl.set(transfer.id, control);
    dispatch({ type: "transfer.started", transfer });
    try {
      const done = await work(transferHooks(transfer.id, control.signal));
      updateTransfer(transfer.id, { state: "done" });
      notice(done, "info", chatId);
    } catch (e) {
      const cancelled = e instanceof TransferError && e.code === CANCELLED;
      updateTransfer(transfer.id, { state: cancelled ? "cancelled" : "failed" });
      const what = `${transfer.direction === "up" ? "Upload" : "Download"} of ${state().transfers.find((t) => t.id === transfer.id)?.name ?? transfer.name}`;
      notice(cancelled ? `${what} cancelled.` : `${what} failed: ${(e as Error).message}`, cancelled ? "info" : "error", chatId);
    } finally {
      transferControl.delete(transfer.id);
      clock.setTimeout(() => dispatch({ type: "transfer.remove", id: transfer.id }), TRANSFER_LINGER_MS);
    }
  }

  function needFiles() {
    if (!ports.files) throw new TransferError("LOCAL_FILE", "This client cannot read or write files.");
    return ports.files;
  }

  /** Uploads the file at `path` (as the file port resolves it) into a chat. */
  function sendFile(chatId: number, path: string) {
    const id = ports.newId();
    const transfer: Transfer = { id, direction: "up", name: path.split(/[/\\]/).pop() || path, bytes: 0, total: 0, rateBps: 0, state: "hashing" };
    return runTransfer(transfer, chatId, async (hooks) => {
      const source = await needFiles().openSource(path);
      updateTransfer(id, { name: source.name });
      const done = await uploadFile(request, { chatId, source, clientId: id, started: (s) => updateTransfer(id, { name: s.name, total: s.size, state: "active" }) }, hooks);
      updateTransfer(id, { bytes: done.file.size, total: done.file.size });
      return `Sent ${done.file.name} (${formatBytes(done.file.size)}) as file #${done.file.id}.`;
    });
  }

  /** Downloads a file to `dest` (or the file port's default place). */
  function download(fileId: number, dest: string | undefined, chatId: number | null) {
    const id = ports.newId();
    const transfer: Transfer = { id, direction: "down", name: `file #${fileId}`, bytes: 0, total: 0, rateBps: 0, state: "active" };
    return runTransfer(transfer, chatId, async (hooks) => {
      const files = needFiles();
      const got = await downloadFile(
        request,
        { fileId, openSink: (f) => files.openSink(dest, f.name, f.id), hasher: files.sha256(), started: (f) => updateTransfer(id, { name: f.name, total: f.size }) },
        hooks,
      );
      return `Saved ${got.file.name} (${formatBytes(got.file.size)}, SHA-256 checked) to ${got.path}`;
    });
  }

  /** Cancels the newest running transfer; false when none runs. */
  function cancelTransfer(): boolean {
    const newest = runningTransfers(state()).at(-1);
    if (!newest) return false;
    transferControl.get(newest.id)?.cancel();
    return true;
  }

  /** Ends everything: timers, transfers (cancelled ones clean up for at most a second), the connection. */
  async function stop() {
    stopped = true;
    stopTimers();
    await Promise.race([Promise.allSettled([...transferRuns]), new Promise((r) => clock.setTimeout(() => r(null), 1000))]);
    conn?.close();
    conn = null;
  }

  return {
    getState: state,
    subscribe: store.subscribe,
    /** Local changes: which chat is in front, whether its end is in view, notices. */
    dispatch,
    get connected() {
      return !!conn?.connected;
    },
    request,
    start,
    login,
    logout,
    notice,
    send,
    edit,
    remove,
    react,
    toggleReaction,
    search,
    loadMentions,
    jumpTo,
    openChat,
    ensureLoaded,
    loadLatest,
    loadOlder,
    sendFile,
    download,
    cancelTransfer,
    stop,
  };
}
