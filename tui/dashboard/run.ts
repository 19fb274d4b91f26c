// chat-tui dashboard: an admin's live view of the cluster, polling admin:metrics once a second.
import { loadConfig, serverKey } from "../config.js";
import { openConnection, type Connection } from "../net/connection.js";
import type { TlsOptions } from "../net/tls.js";
import { createScreen } from "../ui/view.js";
import { ingest, initialDash, withStatus, type DashState } from "./state.js";
import { createDashboardView } from "./view.js";

const TICK_MS = 1000;

export async function runDashboard(opts: { server: string; configPath: string; tls: TlsOptions }): Promise<void> {
  const saved = (await loadConfig(opts.configPath)).sessions[serverKey(opts.server)];
  if (!saved) {
    process.stderr.write(`chat-tui dashboard: no saved session for ${opts.server}. Log in with chat-tui first (as an admin); the dashboard uses that session.\n`);
    process.exit(2);
  }
  const screen = createScreen();
  const view = createDashboardView(screen);
  let state: DashState = initialDash(opts.server);
  let conn: Connection | null = null;
  let timer: NodeJS.Timeout | undefined;
  const set = (next: DashState) => {
    state = next;
    view.render(state);
  };
  const quit = (code = 0, message?: string) => {
    clearInterval(timer);
    conn?.close();
    screen.destroy();
    if (message) process.stderr.write(`${message}\n`);
    process.exit(code);
  };
  screen.key(["q", "C-c", "escape"], () => quit(0));
  set(state);

  const poll = async () => {
    if (!conn?.connected) return;
    const r = await conn.request("admin:metrics", {}, 5000);
    if (r.ok) set(ingest(state, r.data, Date.now()));
    else if (r.error.code === "FORBIDDEN") quit(2, `chat-tui dashboard: ${saved.nick} is not an admin; the dashboard is for admins.`);
    else set(withStatus(state, state.status, r.error.message));
  };
  conn = await openConnection(opts.server, saved.token, {
    ready: () => {
      clearInterval(timer);
      void poll();
      timer = setInterval(() => void poll(), TICK_MS);
    },
    status: (status, _attempt, error) => set(withStatus(state, status, error)),
    authFailed: (message) => quit(2, `chat-tui dashboard: ${message} Log in again with chat-tui.`),
    sessionEnded: (e) => quit(2, `chat-tui dashboard: the session ended (${e.code.toLowerCase()}${e.reason ? `: ${e.reason}` : ""}).`),
    shutdown: (s) => set(withStatus(state, state.status, `server shutting down in ${s.inSeconds} s: ${s.reason}`)),
    message() {}, presence() {}, chatUpdated() {}, notice() {}, syncRequired() {},
  }, opts.tls);
}
