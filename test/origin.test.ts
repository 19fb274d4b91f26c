// Which browser Origins may open a socket: none (native clients), the server's own origin
// (same-origin pages; python-socketio sends it), and those given with --allowed-origin. Any
// other is refused with a sentence that says why and what to do.
import test from "ava";
import { io as ioClient } from "socket.io-client";
import WebSocket from "ws";
import { register, startTestServer, type TestServer } from "./helpers/harness.js";

/** Connects with the given headers: "connected" once the session is ready, else "refused". */
function attempt(server: TestServer, token: string, headers: Record<string, string>): Promise<string> {
  return new Promise((resolve) => {
    const s = ioClient(server.url, { transports: ["websocket"], auth: { token }, reconnection: false, forceNew: true, extraHeaders: headers });
    s.once("session:ready", () => (s.disconnect(), resolve("connected")));
    s.once("connect_error", () => (s.disconnect(), resolve("refused")));
  });
}

/** What a WebSocket library sees of a refused upgrade: the HTTP status and body. */
function refusal(server: TestServer, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  const ws = new WebSocket(`${server.url.replace(/^http/, "ws")}/socket.io/?EIO=4&transport=websocket`, { headers });
  return new Promise((resolve, reject) => {
    ws.once("open", () => (ws.close(), reject(new Error("the upgrade was accepted"))));
    ws.once("unexpected-response", (_req, res) => {
      let body = "";
      res.on("data", (d: Buffer) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    ws.once("error", () => undefined);
  });
}

test("a socket whose Origin is the server's own URL connects; another origin, a look-alike port or 'null' does not", async (t) => {
  const server = await startTestServer("pglite");
  t.teardown(() => server.stop());
  const { token } = await register(server.url);
  const { port } = new URL(server.url);
  t.is(await attempt(server, token, { origin: server.url }), "connected", "python-socketio sends the URL it connects to");
  t.is(await attempt(server, token, { origin: `${server.url}/` }), "connected", "the same origin written with a slash");
  t.is(await attempt(server, token, {}), "connected", "no Origin at all (chat-tui)");
  t.is(await attempt(server, token, { origin: `http://127.0.0.1:${Number(port) + 1}` }), "refused", "another port is another origin");
  t.is(await attempt(server, token, { origin: `https://127.0.0.1:${port}` }), "refused", "another scheme is another origin");
  t.is(await attempt(server, token, { origin: "https://evil.example.com" }), "refused");
  t.is(await attempt(server, token, { origin: "null" }), "refused");
});

test("a refused Origin gets HTTP 400 with a sentence naming the origin and --allowed-origin", async (t) => {
  const server = await startTestServer("pglite", { allowedOrigins: ["https://chat.example.org"] });
  t.teardown(() => server.stop());
  const r = await refusal(server, { origin: "https://evil.example.com" });
  t.is(r.status, 400);
  t.regex(r.body, /^Connections from pages at https:\/\/evil\.example\.com are not allowed: the Origin is neither this server's own \(http:\/\/127\.0\.0\.1:\d+\) nor one given with --allowed-origin/);
  t.regex(r.body, /Start chat-server with --allowed-origin <that origin> to allow it\.$/);
  const { token } = await register(server.url);
  t.is(await attempt(server, token, { origin: "https://chat.example.org" }), "connected", "the allow-list still works");
});

test("behind a trusted proxy the forwarded host and scheme make the server's own origin; without --trust-proxy they count for nothing", async (t) => {
  const forwarded = { origin: "https://chat.example.net", "x-forwarded-host": "chat.example.net", "x-forwarded-proto": "https" };
  const trusting = await startTestServer("pglite", { trustProxy: true });
  t.teardown(() => trusting.stop());
  const a = await register(trusting.url);
  t.is(await attempt(trusting, a.token, forwarded), "connected");
  // Only the entries the proxy appended count: a client-written first entry does not.
  t.is(await attempt(trusting, a.token, { ...forwarded, "x-forwarded-host": "chat.example.net, other.example.net" }), "refused");
  const direct = await startTestServer("pglite");
  t.teardown(() => direct.stop());
  const b = await register(direct.url);
  t.is(await attempt(direct, b.token, forwarded), "refused");
});
