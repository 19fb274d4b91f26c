// The Node floor: a minimal `ws` server that relays each text message to the other clients of
// its room (?room=N), storing nothing. Run as a child process; prints "listening <port>".
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import WebSocket, { WebSocketServer } from "ws";

const rooms = new Map<string, Set<WebSocket>>();
const http = createServer();
const wss = new WebSocketServer({ server: http, perMessageDeflate: false });
wss.on("connection", (ws, req) => {
  const room = new URL(req.url ?? "/", "http://x").searchParams.get("room") ?? "0";
  let members = rooms.get(room);
  if (!members) rooms.set(room, (members = new Set()));
  members.add(ws);
  ws.on("message", (data: Buffer, isBinary) => {
    // One frame built once, written to every member (what socket.io's broadcast does too).
    for (const peer of members) if (peer !== ws && peer.readyState === WebSocket.OPEN) peer.send(data, { binary: isBinary });
  });
  ws.on("close", () => members.delete(ws));
});
http.listen(Number(process.argv[2] ?? 0), "127.0.0.1", () => {
  process.stdout.write(`listening ${(http.address() as AddressInfo).port}\n`);
});
process.on("disconnect", () => process.exit(0));
