// Write coalescing over a real loopback TCP pair: frames flushed in one turn leave in one writev, in order.
import { EventEmitter, once } from "node:events";
import net from "node:net";
import test from "ava";
import { coalesceWrites } from "./coalesce.js";

async function pair(t: { teardown(fn: () => void): void }) {
  const server = net.createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const accepted = once(server, "connection") as Promise<[net.Socket]>;
  const client = net.connect((server.address() as net.AddressInfo).port, "127.0.0.1");
  await once(client, "connect");
  const [peer] = await accepted;
  t.teardown(() => {
    client.destroy();
    peer.destroy();
    server.close();
  });
  return { client, peer };
}

test("frames flushed within one turn are written with one writev after the turn, in order; other transports are left alone", async (t) => {
  const { client, peer } = await pair(t);
  const engine = new EventEmitter();
  const c = coalesceWrites(engine);
  let writes = 0;
  const writev = (client as unknown as { _writev: (...a: unknown[]) => void })._writev.bind(client);
  const write = (client as unknown as { _write: (...a: unknown[]) => void })._write.bind(client);
  Object.assign(client, { _writev: (...a: unknown[]) => (writes++, writev(...a)), _write: (...a: unknown[]) => (writes++, write(...a)) });
  const conn = { transport: { name: "websocket", socket: { _socket: client } } };

  let got = "";
  peer.on("data", (d: Buffer) => (got += d.toString()));
  for (const frame of ["a", "b", "c"]) {
    engine.emit("flush", conn);
    // ws corks per frame too: the nested cork must not flush.
    client.cork();
    client.write(frame);
    client.uncork();
  }
  t.is(c.corked(), 1);
  t.is(client.writableCorked, 1);
  t.is(writes, 0, "nothing is written within the turn");
  await new Promise((r) => setImmediate(r));
  t.is(client.writableCorked, 0);
  t.is(c.corked(), 0);
  t.is(writes, 1, "one write for the three frames");
  while (got.length < 3) await once(peer, "data");
  t.is(got, "abc");

  engine.emit("flush", { transport: { name: "polling" } });
  t.is(c.corked(), 0);
});
