// Slash commands shared by every front end (chat-tui, the browser): the table (names, aliases, usage), the parser and Tab completion.

export type Parsed =
  | { kind: "text"; text: string }
  | { kind: "msg"; nick: string; text: string }
  | { kind: "query"; nick: string }
  | { kind: "join"; room: string }
  | { kind: "create"; room: string; private: boolean }
  | { kind: "leave" }
  | { kind: "close" }
  | { kind: "invite"; nick: string }
  | { kind: "rooms" }
  | { kind: "users" }
  | { kind: "help" }
  | { kind: "quit" }
  | { kind: "logout" }
  | { kind: "kick"; nick: string; reason: string }
  | { kind: "ban" | "mute"; nick: string; durationSec: number | undefined; reason: string }
  | { kind: "unban" | "unmute"; nick: string }
  | { kind: "shutdown"; inSeconds: number | undefined; reason: string }
  | { kind: "send"; path: string }
  | { kind: "download"; fileId: number; dest: string | undefined }
  | { kind: "files" }
  | { kind: "rmfile"; fileId: number }
  | { kind: "cancel" }
  | { kind: "key.list" }
  | { kind: "key.add"; publicKey: string }
  | { kind: "key.rm"; fingerprint: string }
  | { kind: "reply"; text: string }
  | { kind: "edit"; text: string }
  | { kind: "delete" }
  | { kind: "react"; emoji: string }
  | { kind: "search"; query: string }
  | { kind: "mentions" }
  | { kind: "error"; message: string };

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };
/** "90s", "10m", "2h", "7d", "1w" (or plain seconds) -> seconds; null when it is not a duration. */
export function parseDuration(text: string | undefined): number | null {
  const m = /^(\d{1,7})([smhdw]?)$/i.exec(text ?? "");
  if (!m) return null;
  const n = Number(m[1]) * (UNITS[(m[2] || "s").toLowerCase()] ?? 1);
  return n > 0 ? n : null;
}

/** "<nick> [duration] [reason...]" for /ban and /mute. */
function sanction(kind: "ban" | "mute") {
  return (a: string[], rest: string): Parsed | null => {
    if (!a[0]) return null;
    const duration = parseDuration(a[1]);
    const reason = (duration !== null ? rest.replace(/^\S+\s*/, "") : rest).trim();
    return { kind, nick: a[0], durationSec: duration ?? undefined, reason };
  };
}

type Spec = { name: string; aliases: string[]; usage: string; help: string; parse: (args: string[], rest: string) => Parsed | null };

const usage = (s: Spec): Parsed => ({ kind: "error", message: `Usage: ${s.usage} (${s.help})` });

/** A path argument: the rest of the line, spaces kept, surrounding quotes dropped. */
function pathArg(text: string): string {
  const t = text.trim();
  const m = /^(["'])(.*)\1$/s.exec(t);
  return m ? (m[2] ?? "") : t;
}

export const SLASH_COMMANDS: Spec[] = [
  { name: "msg", aliases: ["m"], usage: "/msg <nick> <text>", help: "send a direct message", parse: (a, rest) => (a[0] && rest ? { kind: "msg", nick: a[0], text: rest } : null) },
  { name: "query", aliases: ["dm"], usage: "/query <nick>", help: "open a direct message", parse: (a) => (a.length === 1 && a[0] ? { kind: "query", nick: a[0] } : null) },
  { name: "join", aliases: ["j"], usage: "/join <room>", help: "join a public room", parse: (a) => (a.length === 1 && a[0] ? { kind: "join", room: a[0] } : null) },
  {
    name: "create", aliases: ["mkroom"], usage: "/create <room> [--private]", help: "create a room",
    parse: (a) => {
      const flags = a.filter((x) => x.startsWith("--"));
      const names = a.filter((x) => !x.startsWith("--"));
      if (names.length !== 1 || !names[0] || flags.some((f) => f !== "--private")) return null;
      return { kind: "create", room: names[0], private: flags.includes("--private") };
    },
  },
  { name: "leave", aliases: ["part"], usage: "/leave", help: "leave the active room", parse: (a) => (a.length === 0 ? { kind: "leave" } : null) },
  { name: "close", aliases: ["wc"], usage: "/close", help: "close the active tab", parse: (a) => (a.length === 0 ? { kind: "close" } : null) },
  { name: "invite", aliases: [], usage: "/invite <nick>", help: "add someone to the active room", parse: (a) => (a.length === 1 && a[0] ? { kind: "invite", nick: a[0] } : null) },
  { name: "rooms", aliases: ["list"], usage: "/rooms", help: "list the rooms you can join", parse: (a) => (a.length === 0 ? { kind: "rooms" } : null) },
  { name: "users", aliases: ["who", "names"], usage: "/users", help: "list everyone, online first", parse: (a) => (a.length === 0 ? { kind: "users" } : null) },
  { name: "send", aliases: ["upload"], usage: "/send <path>", help: "send a file to the active chat", parse: (_a, rest) => (pathArg(rest) ? { kind: "send", path: pathArg(rest) } : null) },
  {
    name: "download", aliases: ["get"], usage: "/download <id> [dest]", help: "save a file (default: your download directory; never overwrites)",
    parse: (a, rest) => {
      const m = /^#?(\d{1,10})$/.exec(a[0] ?? "");
      if (!m) return null;
      const dest = pathArg(rest.replace(/^\S+\s*/, ""));
      return { kind: "download", fileId: Number(m[1]), dest: dest || undefined };
    },
  },
  {
    name: "rmfile", aliases: [], usage: "/rmfile <id>", help: "delete a file you shared (moderators: any file in the chat)",
    parse: (a) => {
      const m = /^#?(\d{1,10})$/.exec(a[0] ?? "");
      return m && a.length === 1 ? { kind: "rmfile", fileId: Number(m[1]) } : null;
    },
  },
  { name: "files", aliases: [], usage: "/files", help: "list the files shared in the active chat", parse: (a) => (a.length === 0 ? { kind: "files" } : null) },
  { name: "cancel", aliases: [], usage: "/cancel", help: "cancel the newest upload or download (also Ctrl+X)", parse: (a) => (a.length === 0 ? { kind: "cancel" } : null) },
  {
    name: "key", aliases: ["keys"], usage: "/key list | /key add <ssh public key line> | /key rm <SHA256:fingerprint>", help: "the SSH keys that log you in through chat-sshd",
    parse: (a, rest) => {
      const sub = (a[0] ?? "list").toLowerCase();
      const arg = rest.replace(/^\S+\s*/, "").trim();
      if (sub === "list" || sub === "ls") return a.length <= 1 ? { kind: "key.list" } : null;
      if (sub === "add") return arg ? { kind: "key.add", publicKey: arg } : null;
      if (sub === "rm" || sub === "remove" || sub === "del") return a.length === 2 && a[1] ? { kind: "key.rm", fingerprint: a[1] } : null;
      return null;
    },
  },
  { name: "reply", aliases: ["re"], usage: "/reply [text]", help: "reply to the selected message (Up selects; no text: type it next)", parse: (_a, rest) => ({ kind: "reply", text: rest }) },
  { name: "edit", aliases: [], usage: "/edit [text]", help: "edit the selected message, or your last one (no text: edit it in the input)", parse: (_a, rest) => ({ kind: "edit", text: rest }) },
  { name: "delete", aliases: ["del"], usage: "/delete", help: "delete the selected message, or your last one (asks first)", parse: (a) => (a.length === 0 ? { kind: "delete" } : null) },
  { name: "react", aliases: [], usage: "/react <emoji or :name:>", help: "react to the selected message, or the newest one (again: take it back)", parse: (a) => (a.length === 1 && a[0] ? { kind: "react", emoji: a[0] } : null) },
  { name: "search", aliases: ["s", "find"], usage: "/search <words>", help: "search every chat you are in (from:nick, in:#room, \"a phrase\"; also Ctrl+F)", parse: (_a, rest) => (rest.trim() ? { kind: "search", query: rest.trim() } : null) },
  { name: "mentions", aliases: [], usage: "/mentions", help: "the messages that mentioned you", parse: (a) => (a.length === 0 ? { kind: "mentions" } : null) },
  { name: "help", aliases: ["h", "?"], usage: "/help", help: "commands and keys", parse: () => ({ kind: "help" }) },
  { name: "quit", aliases: ["exit", "q"], usage: "/quit", help: "quit", parse: (a) => (a.length === 0 ? { kind: "quit" } : null) },
  { name: "logout", aliases: [], usage: "/logout", help: "log out and forget the saved session", parse: (a) => (a.length === 0 ? { kind: "logout" } : null) },
  { name: "kick", aliases: [], usage: "/kick <nick> [reason]", help: "moderators: end someone's sessions", parse: (a, rest) => (a[0] ? { kind: "kick", nick: a[0], reason: rest.trim() } : null) },
  { name: "ban", aliases: [], usage: "/ban <nick> [duration] [reason]", help: "moderators: ban (duration like 30m, 2h, 7d; none: until lifted)", parse: sanction("ban") },
  { name: "unban", aliases: [], usage: "/unban <nick>", help: "moderators: lift a ban", parse: (a) => (a.length === 1 && a[0] ? { kind: "unban", nick: a[0] } : null) },
  { name: "mute", aliases: [], usage: "/mute <nick> [duration] [reason]", help: "moderators: stop someone sending", parse: sanction("mute") },
  { name: "unmute", aliases: [], usage: "/unmute <nick>", help: "moderators: lift a mute", parse: (a) => (a.length === 1 && a[0] ? { kind: "unmute", nick: a[0] } : null) },
  {
    name: "shutdown", aliases: [], usage: "/shutdown [seconds] [reason]", help: "admins: warn everyone, then stop the server",
    parse: (a, rawRest) => {
      const seconds = parseDuration(a[0]);
      const reason = (seconds !== null ? rawRest.replace(/^\S+\s*/, "") : rawRest).trim();
      return { kind: "shutdown", inSeconds: seconds ?? undefined, reason };
    },
  },
];

const BY_NAME = new Map<string, Spec>();
for (const s of SLASH_COMMANDS) for (const n of [s.name, ...s.aliases]) BY_NAME.set(n, s);

/** Parses what the user typed: a message, or a /command with its arguments. */
export function parseInput(line: string): Parsed {
  // "//text" sends "/text" as a message.
  if (line.startsWith("//")) return { kind: "text", text: line.slice(1) };
  if (!line.startsWith("/")) return { kind: "text", text: line };
  const m = /^\/(\S*)\s*(.*)$/s.exec(line);
  const name = (m?.[1] ?? "").toLowerCase();
  const rawArgs = (m?.[2] ?? "").trim();
  const spec = BY_NAME.get(name);
  if (!spec) return { kind: "error", message: `Unknown command /${name.slice(0, 30)}. Type /help for the list; start with // to send a line beginning with /.` };
  const args = rawArgs ? rawArgs.split(/\s+/) : [];
  // The text of /msg (and a reason) is everything after the first argument, spaces kept;
  // /shutdown gets all of its arguments.
  const rest = ["shutdown", "send", "download", "key", "reply", "edit", "search"].includes(spec.name) ? rawArgs : rawArgs.replace(/^\S+\s*/, "");
  return spec.parse(args, rest) ?? usage(spec);
}

export type CompletionRequest = { start: number; prefix: string; candidates: string[] };

/** Candidates for the word before the cursor: /commands at the start, nicks elsewhere. */
export function completionsAt(text: string, cursor: number, nicks: string[]): CompletionRequest | null {
  const before = text.slice(0, cursor);
  const start = before.search(/\S*$/);
  const prefix = before.slice(start);
  if (!prefix) return null;
  if (start === 0 && prefix.startsWith("/")) {
    const p = prefix.slice(1).toLowerCase();
    const names = SLASH_COMMANDS.map((s) => s.name).filter((n) => n.startsWith(p));
    return names.length ? { start, prefix, candidates: names.map((n) => `/${n} `) } : null;
  }
  const at = prefix.startsWith("@") ? "@" : "";
  const p = prefix.slice(at.length).toLowerCase();
  const matches = nicks.filter((n) => n.toLowerCase().startsWith(p)).sort((a, b) => a.localeCompare(b));
  if (!matches.length) return null;
  // A nick at the start of a message addresses that person, IRC style.
  const suffix = start === 0 && !at ? ": " : " ";
  return { start, prefix, candidates: matches.map((n) => `${at}${n}${suffix}`) };
}
