// The browser client's view: login, the chat list, the history, the composer, the people list,
// the switcher, search results and the status line, all rendered from the client core's state.
import { Component } from "preact";
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import {
  activeView, dmUnreadKey, hiddenChats, historyEntries, SLASH_COMMANDS, sortedUsers, tabs, completionsAt, type ChatClient, type ChatState, type HistoryEntry, type Transfer,
} from "../client/index.js";
import { formatBytes, type MessageDto } from "../server/protocol/index.js";
import { createCommands } from "./commands.js";
import { clean, hhmm, nickClass, segments } from "./text.js";
import { VirtualList } from "./virtual-list.js";

export type Web = { client: ChatClient; pick(file: File): string };

type Overlay = null | "switcher" | "help" | "search" | "mentions";
type Intent = { kind: "reply" | "edit"; message: MessageDto } | null;

/** The phone layout's breakpoint (app.css: @media (max-width: 760px)). */
const PHONE = "(max-width: 760px)";

/** Whether the media query matches now; follows it as the window is resized or turned. */
function useMedia(query: string): boolean {
  const [matches, setMatches] = useState(() => window.matchMedia(query).matches);
  useEffect(() => {
    const mq = window.matchMedia(query);
    const on = () => setMatches(mq.matches);
    on();
    mq.addEventListener("change", on);
    return () => mq.removeEventListener("change", on);
  }, [query]);
  return matches;
}

/** Whether two values are the same, or objects (or arrays) whose own fields are the same. */
function shallowEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) if (!Object.is((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false;
  return true;
}

/** Arrays of the same length whose items are shallow-equal (tab and people rows are new objects on each call). */
function sameRows<T>(a: readonly T[], b: readonly T[]): boolean {
  return a.length === b.length && a.every((x, i) => shallowEqual(x, b[i]));
}

/**
 * The part of the client's state a component shows: the component renders again only when that
 * part changes (by `eq`, shallow by default), not on every change of the store. A new message in
 * the active chat then re-renders the history, not the sidebar, the people or the composer.
 */
function useSelect<T>(client: ChatClient, select: (s: ChatState) => T, eq: (a: T, b: T) => boolean = shallowEqual): T {
  const [, bump] = useState(0);
  const fns = useRef({ select, eq });
  fns.current = { select, eq };
  const last = useRef<{ value: T } | null>(null);
  // Computed on each render too: the selector may read props that changed.
  const now = select(client.getState());
  if (!last.current || !eq(last.current.value, now)) last.current = { value: now };
  useEffect(() => {
    const check = (s: ChatState) => {
      const next = fns.current.select(s);
      if (last.current && fns.current.eq(last.current.value, next)) return;
      last.current = { value: next };
      bump((x) => x + 1);
    };
    const off = client.subscribe(check);
    // A change between the render and this effect is not missed.
    check(client.getState());
    return off;
  }, [client]);
  return last.current.value;
}

/** The whole state, for the dialogs (they are open rarely and show most of it). */
const useChatState = (client: ChatClient): ChatState => useSelect(client, (s) => s, Object.is);

export function App({ web }: { web: Web }) {
  const { client } = web;
  const screen = useSelect(client, (s) => s.screen);
  const [loginError, setLoginError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(
    () =>
      client.subscribe((_s, a) => {
        if (a.type === "login.busy") setBusy(true);
        if (a.type === "login.failed" || a.type === "logged.out") {
          setBusy(false);
          setLoginError(a.error ?? null);
        }
        if (a.type === "session.ready") setBusy(false);
      }),
    [client],
  );
  if (screen === "login") return <Login client={client} error={loginError} busy={busy} />;
  return <Chat web={web} />;
}

function Login({ client, error, busy }: { client: ChatClient; error: string | null; busy: boolean }) {
  const [nick, setNick] = useState("");
  const [password, setPassword] = useState("");
  const submit = (mode: "login" | "register") => (e: Event) => {
    e.preventDefault();
    void client.login(mode, nick.trim(), password);
  };
  return (
    <main class="login">
      <form class="login-box" onSubmit={submit("login")}>
        <h1>socket-messenger</h1>
        <p class="muted">{location.host}</p>
        <label>
          Nickname
          <input name="nick" autocomplete="username" required autofocus value={nick} onInput={(e) => setNick(e.currentTarget.value)} />
        </label>
        <label>
          Password
          <input name="password" type="password" autocomplete="current-password" required value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
        </label>
        {error && (
          <p class="error" role="alert">
            {clean(error)}
          </p>
        )}
        <div class="buttons">
          <button type="submit" disabled={busy}>
            Log in
          </button>
          <button type="button" class="secondary" disabled={busy} onClick={submit("register")}>
            Register
          </button>
        </div>
      </form>
    </main>
  );
}

/**
 * The chat screen's frame and its UI state (dialogs, panels, reply or edit, selection). It
 * selects only which chat is open; each part below selects its own slice of the state.
 */
function Chat({ web }: { web: Web }) {
  const { client } = web;
  const [overlay, setOverlay] = useState<Overlay>(null);
  const [panel, setPanel] = useState<null | "chats" | "people">(null);
  const [intent, setIntent] = useState<Intent>(null);
  const [selected, setSelected] = useState<MessageDto | null>(null);
  const [dragging, setDragging] = useState(false);
  const fileInput = useRef<HTMLInputElement>(null);
  const composer = useRef<HTMLTextAreaElement>(null);
  const activeId = useSelect(client, (s) => activeView(s)?.chat.id ?? null);

  const commands = useMemo(
    () =>
      createCommands(client, {
        help: () => setOverlay("help"),
        pickFile: () => fileInput.current?.click(),
        showResults: (k) => setOverlay(k),
        confirm: (q) => window.confirm(q),
        selected: () => selectedRef.current,
        startReply: (m) => setIntent({ kind: "reply", message: m }),
        startEdit: (m) => setIntent({ kind: "edit", message: m }),
      }),
    [client],
  );
  const selectedRef = useRef<MessageDto | null>(null);
  selectedRef.current = selected;
  const intentRef = useRef<Intent>(null);
  intentRef.current = intent;

  // Callbacks that keep their identity across renders, so the parts given them can skip a render.
  const on = useMemo(
    () => ({
      activate: (chatId: number) => {
        client.dispatch({ type: "tab.activate", chatId });
        client.ensureLoaded();
        setPanel(null);
        setSelected(null);
        composer.current?.focus();
      },
      reply: (m: MessageDto) => setIntent({ kind: "reply", message: m }),
      edit: (m: MessageDto) => setIntent({ kind: "edit", message: m }),
      cancelIntent: () => setIntent(null),
      attach: () => fileInput.current?.click(),
      submit: async (text: string) => {
        const it = intentRef.current;
        setIntent(null);
        if (it?.kind === "edit") return void (await client.edit(it.message.id, text));
        await commands.run(text, it?.kind === "reply" ? it.message.id : undefined);
      },
      query: (nick: string) => void commands.run(`/query ${nick}`).then(() => setPanel(null)),
      cancelTransfer: () => client.cancelTransfer(),
    }),
    [client, commands],
  );

  const sendFiles = (files: FileList | File[] | null) => {
    const av = activeView(client.getState());
    if (!files || !av) return;
    for (const f of Array.from(files)) void client.sendFile(av.chat.id, web.pick(f));
  };

  // The keys chat-tui users know: Alt+1..9, Alt+A, Ctrl+K; Escape closes what is open.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.altKey && !e.ctrlKey && /^Digit[1-9]$/.test(e.code)) {
        e.preventDefault();
        client.dispatch({ type: "tab.goto", index: Number(e.code.slice(5)) - 1 });
        client.ensureLoaded();
      } else if (e.altKey && !e.ctrlKey && e.code === "KeyA") {
        e.preventDefault();
        client.dispatch({ type: "tab.nextUnread" });
        client.ensureLoaded();
      } else if ((e.ctrlKey || e.metaKey) && !e.altKey && e.key.toLowerCase() === "k") {
        e.preventDefault();
        setOverlay((o) => (o === "switcher" ? null : "switcher"));
      } else if (e.key === "Escape") {
        setOverlay(null);
        setIntent(null);
        setSelected(null);
        setPanel(null);
        composer.current?.focus();
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [client]);

  return (
    <div
      class={`app${panel ? ` show-${panel}` : ""}${dragging ? " dragging" : ""}`}
      onDragOver={(e) => {
        if (e.dataTransfer?.types.includes("Files")) {
          e.preventDefault();
          setDragging(true);
        }
      }}
      onDragLeave={(e) => {
        if (e.target === e.currentTarget) setDragging(false);
      }}
      onDrop={(e) => {
        e.preventDefault();
        setDragging(false);
        sendFiles(e.dataTransfer?.files ?? null);
      }}
    >
      <header class="topbar">
        <button class="only-phone" aria-label="Chats" aria-expanded={panel === "chats"} onClick={() => setPanel(panel === "chats" ? null : "chats")}>
          ☰
        </button>
        <Title client={client} />
        <Status client={client} />
        <button class="only-phone" aria-label="People" aria-expanded={panel === "people"} onClick={() => setPanel(panel === "people" ? null : "people")}>
          👥
        </button>
      </header>
      <nav class="sidebar" aria-label="Chats">
        <ChatList client={client} onPick={on.activate} />
        <Me client={client} />
      </nav>
      <main class="main">
        <Shutdown client={client} />
        {activeId !== null ? (
          <History client={client} selected={selected} onSelect={setSelected} onReply={on.reply} onEdit={on.edit} />
        ) : (
          <p class="empty">No chat is open: /join a room or pick someone in the people list.</p>
        )}
        <Transfers client={client} onCancel={on.cancelTransfer} />
        <Composer client={client} inputRef={composer} intent={intent} onCancelIntent={on.cancelIntent} onSubmit={on.submit} onAttach={on.attach} />
        <input ref={fileInput} type="file" multiple hidden aria-label="Send a file" onChange={(e) => {
          sendFiles(e.currentTarget.files);
          e.currentTarget.value = "";
        }} />
      </main>
      <aside class="people" aria-label="People">
        <People client={client} onPick={on.query} />
      </aside>
      {overlay === "switcher" && <Switcher client={client} onPick={(id) => (setOverlay(null), on.activate(id))} onClose={() => setOverlay(null)} />}
      {overlay === "help" && <Help onClose={() => setOverlay(null)} />}
      {(overlay === "search" || overlay === "mentions") && (
        <Results client={client} kind={overlay} onClose={() => setOverlay(null)} onPick={(chatId, id) => {
          setOverlay(null);
          void client.jumpTo(chatId, id);
        }} />
      )}
    </div>
  );
}

function Title({ client }: { client: ChatClient }) {
  const title = useSelect(client, (s) => {
    const v = activeView(s);
    return v ? (v.chat.kind === "room" ? `#${v.chat.name}` : `@${v.chat.name}`) : "socket-messenger";
  });
  return <h2 class="title">{title}</h2>;
}

function Status({ client }: { client: ChatClient }) {
  const c = useSelect(client, (s) => ({ st: s.conn.status, rtt: s.conn.rttMs, attempt: s.conn.attempt, error: s.conn.error, unsent: s.pending.length }));
  const st = c.st;
  const text = st === "online" ? (c.rtt !== null ? `online · ${c.rtt} ms` : "online") : st === "reconnecting" ? `reconnecting${c.attempt ? ` (try ${c.attempt})` : ""}…` : st;
  return (
    <span class={`status ${st}`} role="status" title={c.error ? clean(c.error) : undefined}>
      {text}
      {c.unsent > 0 && ` · ${c.unsent} unsent`}
    </span>
  );
}

function Me({ client }: { client: ChatClient }) {
  const me = useSelect(client, (s) => s.me, Object.is);
  return (
    <div class="me">
      <span class={nickClass(me?.nick ?? "")}>{me?.nick ?? ""}</span>
      <span class="muted">{me?.role !== "user" ? ` (${me?.role ?? ""})` : ""}</span>
      <button class="link" onClick={() => void client.logout()}>
        Log out
      </button>
    </div>
  );
}

type Tabs = { tabs: ReturnType<typeof tabs>; hidden: number };

function ChatList({ client, onPick }: { client: ChatClient; onPick(id: number): void }) {
  // A tab row changes with its label, unread count, mention or activity: a message in the open
  // chat (whose unread count stays 0) renders nothing here.
  const { tabs: t, hidden } = useSelect<Tabs>(client, (s) => ({ tabs: tabs(s), hidden: hiddenChats(s).length }), (a, b) => a.hidden === b.hidden && sameRows(a.tabs, b.tabs));
  const rooms = t.filter((x) => x.kind === "room");
  const dms = t.filter((x) => x.kind === "dm");
  const item = (x: (typeof t)[number]) => (
    <li key={x.chatId}>
      <button class={`chat${x.active ? " active" : ""}${x.mention ? " mention" : ""}`} aria-current={x.active ? "page" : undefined} onClick={() => onPick(x.chatId)} title={x.index < 9 ? `Alt+${x.index + 1}` : undefined}>
        <span class="label">{clean(x.label)}</span>
        {x.mention && <span class="mark" aria-label="mentioned you">@</span>}
        {x.unread > 0 && <span class="badge" aria-label={`${x.unread} unread`}>{x.unread}</span>}
      </button>
    </li>
  );
  return (
    <>
      <h3>Rooms</h3>
      <ul class="chats">{rooms.map(item)}</ul>
      <h3>Direct messages</h3>
      <ul class="chats">{dms.length ? dms.map(item) : <li class="muted small">none yet</li>}</ul>
      {hidden > 0 && <p class="muted small">{hidden} closed room(s): Ctrl+K</p>}
    </>
  );
}

function People({ client, onPick }: { client: ChatClient; onPick(nick: string): void }) {
  // Sorted again only when the users, who I am or a direct message's unread count change.
  const dep = useSelect(client, (s) => ({ users: s.users, me: s.me?.id, dm: dmUnreadKey(s) }));
  const users = useMemo(() => sortedUsers(client.getState()), [dep]);
  const online = users.filter((u) => u.online).length;
  return (
    <>
      <h3>People · {online} online</h3>
      <ul class="users">
        {users.map((u) => (
          <li key={u.id}>
            <button class={`user${u.online ? " online" : ""}`} disabled={u.me} onClick={() => onPick(u.nick)} aria-label={`${u.nick}, ${u.online ? "online" : "offline"}${u.me ? " (you)" : ", open a direct message"}`}>
              <span class="dot" aria-hidden="true" />
              <span class={nickClass(u.nick)}>{clean(u.nick)}</span>
              {u.role !== "user" && <span class="muted small"> {u.role}</span>}
              {u.dmUnread > 0 && <span class="badge">{u.dmUnread}</span>}
            </button>
          </li>
        ))}
      </ul>
    </>
  );
}

const keyOf = (e: HistoryEntry) => (e.kind === "message" ? `m${e.message.id}` : e.kind === "marker" ? "marker" : e.kind === "pending" ? `p${e.pending.clientId}` : `l${e.line.key}`);

/** The "new messages" line stays above the first unread message, which is the window's first row when all of it is unread. */
const notMarker = (e: HistoryEntry) => e.kind !== "marker";

function History(p: { client: ChatClient; selected: MessageDto | null; onSelect(m: MessageDto | null): void; onReply(m: MessageDto): void; onEdit(m: MessageDto): void }) {
  const { client } = p;
  // The entries depend on the chat's view, the outbox and who I am only: a clock tick, a
  // presence change or another chat's message does not render the history.
  const { v, pending, me, jumpTo } = useSelect(client, (s) => ({ v: activeView(s), pending: s.pending, me: s.me, jumpTo: s.jump }));
  const entries = useMemo(() => (v ? historyEntries(client.getState(), v.chat.id) : []), [v, pending, me]);
  const jump = v && jumpTo?.chatId === v.chat.id ? `m${jumpTo.messageId}` : null;
  const atStart = !!v && !(v.hasOlder || v.loadingOlder);
  const items: HistoryEntry[] = useMemo(
    () => (v && atStart ? [{ kind: "local", line: { key: "start", level: "info", text: `This is the beginning of ${v.chat.kind === "room" ? `#${v.chat.name}` : `your conversation with ${v.chat.name}`}.`, at: 0, afterId: 0 } }, ...entries] : entries),
    [entries, atStart, v?.chat.kind, v?.chat.name],
  );
  if (!v) return null;
  return (
    <VirtualList
      items={items}
      keyOf={keyOf}
      anchorable={notMarker}
      listKey={v.chat.id}
      label={`Messages in ${v.chat.name}`}
      following={v.following}
      reveal={jump}
      onFollowing={(f) => client.dispatch({ type: "view.following", chatId: v.chat.id, following: f })}
      onNearTop={() => {
        if (v.hasOlder && !v.loadingOlder) void client.loadOlder(v.chat.id);
      }}
      onBottom={() => {
        if (v.hasNewer && !v.loadingOlder) void client.loadLatest(v.chat.id);
      }}
      row={(e, key) => <MemoRow key={key} rowKey={key} e={e} me={me?.nick ?? null} myId={me?.id ?? null} moderator={me?.role !== "user"} client={client} selected={p.selected?.id} onSelect={p.onSelect} onReply={p.onReply} onEdit={p.onEdit} jump={jump} />}
    />
  );
}

function Text({ text, me }: { text: string; me: string | null }) {
  return (
    <>
      {segments(text, me).map((seg, i) =>
        seg.href ? (
          <a key={i} href={seg.href} target="_blank" rel="noopener noreferrer nofollow">
            {seg.text}
          </a>
        ) : seg.mention ? (
          <mark key={i}>{seg.text}</mark>
        ) : (
          seg.text
        ),
      )}
    </>
  );
}

type RowProps = {
  /** The list's key for the row (its element's data-row). */
  rowKey: string;
  e: HistoryEntry; me: string | null; myId: number | null; moderator: boolean; client: ChatClient; selected: number | undefined; jump: string | null;
  onSelect(m: MessageDto | null): void; onReply(m: MessageDto): void; onEdit(m: MessageDto): void;
};

/** Whether two entries show the same thing (historyEntries makes new entry objects on each change, around the same messages). */
function sameEntry(a: HistoryEntry, b: HistoryEntry): boolean {
  if (a.kind === "message" && b.kind === "message") return a.message === b.message && a.own === b.own && a.mention === b.mention;
  if (a.kind === "pending" && b.kind === "pending") return a.pending === b.pending;
  if (a.kind === "local" && b.kind === "local") return a.line === b.line;
  return a.kind === b.kind;
}

/**
 * A row renders again only when what it shows changed: a new message re-renders itself, not
 * every row on screen. The callbacks are left out of the comparison: they are state setters
 * and client calls whose meaning does not change between renders.
 */
class MemoRow extends Component<RowProps> {
  override shouldComponentUpdate(next: RowProps): boolean {
    const a = this.props;
    const id = next.e.kind === "message" ? next.e.message.id : undefined;
    const key = id === undefined ? null : `m${id}`;
    return !(
      sameEntry(a.e, next.e) && a.me === next.me && a.myId === next.myId && a.moderator === next.moderator && a.client === next.client &&
      (a.selected === id) === (next.selected === id) && (a.jump === key) === (next.jump === key)
    );
  }
  override render() {
    return (
      <div data-row={this.props.rowKey} class="row">
        <Row {...this.props} />
      </div>
    );
  }
}

function Row(p: RowProps) {
  const { e } = p;
  if (e.kind === "marker") return <div class="marker" role="separator">new messages</div>;
  if (e.kind === "local") return <div class={`local ${e.line.level}`}>{clean(e.line.text)}</div>;
  if (e.kind === "pending") {
    const pd = e.pending;
    return (
      <div class={`msg pending ${pd.state}`}>
        <span class="time">{pd.state === "failed" ? "failed" : pd.state === "queued" ? "queued" : "sending"}</span>
        <span class="nick own">{p.me}</span>
        <span class="text">{clean(pd.text)}</span>
        {pd.error && <span class="error small"> {clean(pd.error)}</span>}
      </div>
    );
  }
  const m = e.message;
  if (m.kind === "join" || m.kind === "leave") {
    return (
      <div class="event">
        <span class="time">{hhmm(m.createdAt)}</span> {clean(m.sender)} {m.kind === "join" ? "joined" : "left"}
      </div>
    );
  }
  const cls = `msg${e.own ? " own" : ""}${e.mention ? " mentioned" : ""}${p.selected === m.id ? " selected" : ""}${p.jump === `m${m.id}` ? " jumped" : ""}`;
  return (
    <div class={cls} data-id={m.id}>
      {m.replyTo && (
        <div class="quote">
          ↳ {clean(m.replyTo.sender)}: {m.replyTo.deleted ? "(deleted)" : clean(m.replyTo.excerpt)}
        </div>
      )}
      <span class="time" title={m.createdAt}>{hhmm(m.createdAt)}</span>
      <span class={`nick ${nickClass(m.sender)}`}>{clean(m.sender)}</span>
      {m.deleted ? (
        <span class="text deleted">(deleted by {clean(m.deleted.by)})</span>
      ) : m.kind === "file" && m.file ? (
        <span class="text file">
          shared <strong>{clean(m.file.name)}</strong> ({size(m.file.size)}, #{m.file.id}){" "}
          <button class="small" onClick={() => void p.client.download(m.file!.id, undefined, m.chatId)}>
            Download
          </button>
        </span>
      ) : (
        <span class="text">
          <Text text={m.text} me={p.me} />
        </span>
      )}
      {m.editedAt && !m.deleted && <span class="muted small"> (edited)</span>}
      {!m.deleted && (
        <span class="actions">
          <button class="small" aria-label="Reply" onClick={() => p.onReply(m)}>↩</button>
          <button class="small" aria-label="React with thumbs up" onClick={() => void p.client.toggleReaction(m.id, "👍")}>+👍</button>
          {m.senderId === p.myId && m.kind === "text" && <button class="small" aria-label="Edit" onClick={() => p.onEdit(m)}>✎</button>}
          {(m.senderId === p.myId || p.moderator) && (
            <button class="small" aria-label="Delete" onClick={() => window.confirm("Delete this message?") && void p.client.remove(m.id)}>🗑</button>
          )}
        </span>
      )}
      {m.reactions && m.reactions.length > 0 && (
        <div class="reactions">
          {m.reactions.map((r) => (
            <button key={r.emoji} class="reaction" title={r.nicks.map(clean).join(", ")} onClick={() => void p.client.toggleReaction(m.id, r.emoji)}>
              {clean(r.emoji)} {r.count}
            </button>
          ))}
        </div>
      )}
    </div>
  );
}

/** "184 KiB" kept on one line (a narrow screen would break it between the number and the unit). */
const size = (n: number) => formatBytes(n).replace(" ", "\u00a0");

function Transfers({ client, onCancel }: { client: ChatClient; onCancel(): void }) {
  const transfers: Transfer[] = useSelect(client, (s) => s.transfers, Object.is);
  if (!transfers.length) return null;
  return (
    <div class="transfers">
      {transfers.map((t) => (
        <div key={t.id} class={`transfer ${t.state}`}>
          <span>
            {t.direction === "up" ? "↑" : "↓"} {clean(t.name)} · {t.state === "waiting" ? "waiting for the connection" : t.state}
            {t.total > 0 && ` · ${size(t.bytes)} of ${size(t.total)}`}
          </span>
          <progress max={t.total || 1} value={t.bytes} aria-label={`${t.name} progress`} />
          {(t.state === "active" || t.state === "waiting" || t.state === "hashing") && (
            <button class="small" onClick={onCancel}>
              Cancel
            </button>
          )}
        </div>
      ))}
    </div>
  );
}

function Shutdown({ client }: { client: ChatClient }) {
  // The countdown in whole seconds: a clock tick renders this only when the number changes.
  const sd = useSelect(client, (s) => (s.shutdown ? { reason: s.shutdown.reason, left: Math.max(0, Math.ceil((s.shutdown.at - s.now) / 1000)) } : null));
  if (!sd) return null;
  const { left } = sd;
  return (
    <div class="shutdown" role="alert">
      The server shuts down {left > 0 ? `in ${left} s` : "now"}: {clean(sd.reason)}. This page reconnects when it is back.
    </div>
  );
}

function Composer(p: {
  client: ChatClient; inputRef: { current: HTMLTextAreaElement | null }; intent: Intent; onCancelIntent(): void; onSubmit(text: string): Promise<void>; onAttach(): void;
}) {
  const [text, setText] = useState("");
  const narrow = useMedia(PHONE);
  const tiny = useMedia("(max-width: 359px)");
  useEffect(() => {
    if (p.intent?.kind === "edit") setText(p.intent.message.text);
    if (p.intent) p.inputRef.current?.focus();
  }, [p.intent]);
  const onKeyDown = (e: KeyboardEvent) => {
    const el = e.currentTarget as HTMLTextAreaElement;
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      const t = text;
      if (!t.trim()) return;
      setText("");
      void p.onSubmit(t);
    } else if (e.key === "Tab" && !e.shiftKey && text) {
      // The nicks are read when Tab is pressed: the composer does not render on presence changes.
      const c = completionsAt(text, el.selectionStart, Object.values(p.client.getState().users).map((u) => u.nick));
      const first = c?.candidates[0];
      if (c && first) {
        e.preventDefault();
        const next = text.slice(0, c.start) + first + text.slice(el.selectionStart);
        setText(next);
        const at = c.start + first.length;
        requestAnimationFrame(() => el.setSelectionRange(at, at));
      }
    }
  };
  return (
    <form class="composer" onSubmit={(e) => e.preventDefault()}>
      {p.intent && (
        <div class="intent">
          {p.intent.kind === "reply" ? `Replying to ${clean(p.intent.message.sender)}: ${clean(p.intent.message.text).slice(0, 80)}` : "Editing your message"}
          <button type="button" class="link" onClick={p.onCancelIntent}>
            cancel (Esc)
          </button>
        </div>
      )}
      <button type="button" class="attach" aria-label="Send a file" title="Send a file (or drop it here)" onClick={p.onAttach}>
        📎
      </button>
      <textarea
        ref={p.inputRef}
        rows={Math.min(6, text.split("\n").length)}
        value={text}
        autofocus
        aria-label="Message (Enter sends, Shift+Enter starts a new line, / for commands)"
        placeholder={tiny ? "Message · /help" : narrow ? "Message · Enter sends · /help" : "Message · Enter sends · Shift+Enter new line · /help"}
        onInput={(e) => setText(e.currentTarget.value)}
        onKeyDown={onKeyDown}
      />
    </form>
  );
}

function Dialog(p: { title: string; onClose(): void; children: preact.ComponentChildren }) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    ref.current?.querySelector<HTMLElement>("input,button")?.focus();
  }, []);
  return (
    <div class="backdrop" onClick={(e) => e.target === e.currentTarget && p.onClose()}>
      <div class="dialog" role="dialog" aria-modal="true" aria-label={p.title} ref={ref}>
        <h3>{p.title}</h3>
        {p.children}
      </div>
    </div>
  );
}

function Switcher({ client, onPick, onClose }: { client: ChatClient; onPick(id: number): void; onClose(): void }) {
  const s = useChatState(client);
  const [q, setQ] = useState("");
  const [sel, setSel] = useState(0);
  const all = [...tabs(s).map((t) => ({ id: t.chatId, label: t.label, unread: t.unread })), ...hiddenChats(s).map((v) => ({ id: v.chat.id, label: `#${v.chat.name} (closed)`, unread: v.chat.unread }))];
  const found = all.filter((x) => x.label.toLowerCase().includes(q.toLowerCase()));
  return (
    <Dialog title="Switch to a chat (Ctrl+K)" onClose={onClose}>
      <input
        aria-label="Chat name"
        value={q}
        onInput={(e) => {
          setQ(e.currentTarget.value);
          setSel(0);
        }}
        onKeyDown={(e) => {
          if (e.key === "ArrowDown") setSel((x) => Math.min(found.length - 1, x + 1));
          else if (e.key === "ArrowUp") setSel((x) => Math.max(0, x - 1));
          else if (e.key === "Enter" && found[sel]) onPick(found[sel].id);
          else return;
          e.preventDefault();
        }}
      />
      <ul class="picks" role="listbox">
        {found.map((x, i) => (
          <li key={x.id} role="option" aria-selected={i === sel} class={i === sel ? "sel" : ""} onClick={() => onPick(x.id)}>
            {clean(x.label)} {x.unread > 0 && <span class="badge">{x.unread}</span>}
          </li>
        ))}
      </ul>
    </Dialog>
  );
}

function Help({ onClose }: { onClose(): void }) {
  return (
    <Dialog title="Commands and keys" onClose={onClose}>
      <p class="small">Enter sends, Shift+Enter starts a new line, Tab completes nicks and commands. Alt+1..9 switch chats, Alt+A goes to the next unread, Ctrl+K opens the switcher, Esc closes this. Drop a file anywhere to send it.</p>
      <ul class="help">
        {SLASH_COMMANDS.map((c) => (
          <li key={c.name}>
            <code>{c.usage}</code> {c.help}
          </li>
        ))}
      </ul>
      <button onClick={onClose}>Close</button>
    </Dialog>
  );
}

function Results({ client, kind, onClose, onPick }: { client: ChatClient; kind: "search" | "mentions"; onClose(): void; onPick(chatId: number, id: number): void }) {
  const s = useChatState(client);
  const items = kind === "search" ? (s.search?.hits ?? []).map((h) => ({ m: h.message, where: h.chatName })) : (s.mentions?.items ?? []).map((x) => ({ m: x.message, where: x.chatName }));
  const loading = kind === "search" ? s.search?.loading : s.mentions?.loading;
  const error = kind === "search" ? s.search?.error : s.mentions?.error;
  return (
    <Dialog title={kind === "search" ? `Search: ${clean(s.search?.query ?? "")}` : "Mentions of you"} onClose={onClose}>
      {loading && <p class="muted">Searching…</p>}
      {error && <p class="error">{clean(error)}</p>}
      {!loading && !items.length && !error && <p class="muted">Nothing found.</p>}
      <ul class="picks">
        {items.map(({ m, where }) => (
          <li key={m.id}>
            <button class="hit" onClick={() => onPick(m.chatId, m.id)}>
              <span class="muted">{clean(where)} · {hhmm(m.createdAt)}</span> <span class={nickClass(m.sender)}>{clean(m.sender)}</span>: {clean(m.text).slice(0, 200)}
            </button>
          </li>
        ))}
      </ul>
      <button onClick={onClose}>Close</button>
    </Dialog>
  );
}
