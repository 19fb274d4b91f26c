// SSH exec requests: `ssh -p 2022 host -- send '#general' 'build finished'` posts one message
// with the account of the key and exits 0 (or non-zero with a sentence on stderr).
import { randomUUID } from "node:crypto";
import type { ServerChannel } from "ssh2";
import { openConnection, type Connection } from "../tui/net/connection.js";

/** Splits a command line as a shell would for plain words and '...' or "..." quotes. */
export function splitCommand(command: string): string[] {
  const words: string[] = [];
  const re = /'([^']*)'|"((?:[^"\\]|\\.)*)"|(\S+)/g;
  let cur: string | null = null;
  let last = 0;
  for (let m = re.exec(command); m; m = re.exec(command)) {
    const part = m[1] ?? (m[2] !== undefined ? m[2].replace(/\\(.)/g, "$1") : m[3]!);
    const joined = m.index === last && cur !== null;
    if (joined) cur += part;
    else {
      if (cur !== null) words.push(cur);
      cur = part;
    }
    last = m.index + m[0].length;
  }
  if (cur !== null) words.push(cur);
  return words;
}

const USAGE = "Usage: ssh -p PORT HOST -- send '#room' 'text'   (or send @nick 'text' for a direct message)";

export async function runExec(opts: { channel: ServerChannel; command: string; server: string; session: { nick: string; token: string } | null }): Promise<void> {
  const { channel } = opts;
  const finish = (code: number, err?: string) => {
    if (err) channel.stderr.write(err + "\n");
    channel.exit(code);
    channel.end();
  };
  const [verb, target, ...rest] = splitCommand(opts.command);
  if (verb !== "send" || !target || rest.length === 0) return finish(2, USAGE);
  if (!opts.session) return finish(1, "Commands need an SSH key bound to your account: connect once without a command, log in, and bind the key (or /key add it).");
  const text = rest.join(" ");
  let conn: Connection | null = null;
  try {
    conn = await new Promise<Connection>((resolve, reject) => {
      let c: Connection | null = null;
      const noop = () => {};
      const ready = () => (c ? resolve(c) : setImmediate(ready));
      void openConnection(opts.server, opts.session!.token, {
        ready: () => ready(),
        message: noop, presence: noop, chatUpdated: noop, notice: noop, shutdown: noop, syncRequired: noop,
        status: (s, _a, error) => s === "offline" && reject(new Error(error ?? "the connection closed")),
        authFailed: (m) => reject(new Error(m)),
        sessionEnded: (e) => reject(new Error(e.reason)),
      }).then((x) => (c = x), reject);
      setTimeout(() => reject(new Error(`chat-server at ${opts.server} did not answer in 15 s`)), 15_000).unref();
    });
    const chat = target.startsWith("@") ? await conn.request("dm:open", { nick: target.slice(1) }) : await conn.request("room:join", { name: target.replace(/^#/, "") });
    if (!chat.ok) return finish(1, chat.error.message);
    const sent = await conn.request("message:send", { chatId: chat.data.id, text, clientId: randomUUID() });
    if (!sent.ok) return finish(1, sent.error.message);
    finish(0);
  } catch (e) {
    finish(1, `Could not send: ${(e as Error).message}`);
  } finally {
    conn?.close();
  }
}
