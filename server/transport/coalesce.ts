// Write coalescing: every frame engine.io hands a WebSocket's TCP socket within one event-loop
// turn goes out in one writev. Without it each delivery is one syscall per socket (ws corks
// per frame and engine.io flushes one frame per write), which is a third of the fan-out
// profile when a group commit answers several messages into a big room at once. The socket is
// corked at engine.io's first flush of the turn and uncorked on setImmediate, so a frame waits
// at most until the end of the turn; order per socket is the order written, as before.
import type { Socket as NetSocket } from "node:net";

/** The part of engine.io's Server this needs: its "flush" event (emitted before every transport write). */
type Engine = { on(event: "flush", fn: (conn: EngineConn) => void): unknown };
type EngineConn = { transport?: { name?: string; socket?: { _socket?: NetSocket } } };

export type Coalescer = {
  /** Sockets corked in this turn. */
  corked(): number;
  /** Corks `raw` until the end of this turn (once per turn; a destroyed socket is left alone). */
  cork(raw: NetSocket): void;
};

export function coalesceWrites(engine: Engine): Coalescer {
  const corked = new Set<NetSocket>();
  let scheduled = false;
  const uncorkAll = () => {
    scheduled = false;
    // A socket corked again while this runs (a write callback flushing more) waits for the next turn.
    const batch = [...corked];
    corked.clear();
    for (const s of batch) s.uncork();
  };
  const cork = (raw: NetSocket) => {
    if (raw.destroyed || corked.has(raw)) return;
    raw.cork();
    corked.add(raw);
    if (!scheduled) {
      scheduled = true;
      setImmediate(uncorkAll);
    }
  };
  engine.on("flush", (conn) => {
    const t = conn.transport;
    if (t?.name !== "websocket") return;
    const raw = t.socket?._socket;
    if (raw) cork(raw);
  });
  // The broadcast fast path (fastpath.ts) writes frames below engine.io and corks through this too.
  return { corked: () => corked.size, cork };
}
