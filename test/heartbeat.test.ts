// chat-server's heartbeat end to end (the timer wheel of server/transport/heartbeat.ts, at a 1 s
// ping and 3 s timeout: socket.io-client itself gives up after interval + timeout without a ping,
// which a busy machine's pause must not reach): a logged-in client whose engine stops answering pings is dropped for a
// ping timeout and goes offline for the others; one that answers stays connected.
import test from "ava";
import type { PresenceUpdate } from "../server/protocol/index.js";
import { heartbeatOf } from "../server/transport/io.js";
import { newUser, startTestServer, type TestServer } from "./helpers/harness.js";

let server: TestServer;
test.before(async () => {
  server = await startTestServer("pglite", { pingIntervalMs: 1000, pingTimeoutMs: 3000 });
});
test.after.always(() => server.stop());

test("a client that stops answering pings is dropped for a ping timeout and goes offline; one that answers stays", async (t) => {
  const wheel = heartbeatOf(server.io)!;
  t.is(wheel.off, null, "chat-server runs the heartbeat wheel");
  const live = await newUser(server, "live");
  const dead = await newUser(server, "dead");
  t.true(wheel.size() >= 2);
  const serverSide = server.io.of("/").sockets.get(dead.socket.id!)!;
  const reason = new Promise<string>((resolve) => serverSide.once("disconnect", resolve));
  // engine.io-client answers every ping from _onPacket with _sendPacket("pong"): this one stops.
  const engine = dead.socket.io.engine as unknown as { _sendPacket(type: string, ...rest: unknown[]): void };
  const send = engine._sendPacket.bind(engine);
  engine._sendPacket = (type, ...rest) => void (type === "pong" ? undefined : send(type, ...rest));
  t.is(await reason, "ping timeout");
  await live.next("presence:update", (p: PresenceUpdate) => p.user.id === dead.user.id && !p.online, 20_000);
  // The live one answers past another whole interval + timeout.
  let pings = 0;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("no three pings within 20 s")), 20_000);
    live.socket.io.engine.on("ping", () => {
      if (++pings === 3) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  t.true(live.socket.connected);
  t.true(wheel.stats().timeouts >= 1);
  live.close();
});
