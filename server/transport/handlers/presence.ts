// Presence events: the user list and a round-trip probe for the client's latency display.
import { Empty } from "../../protocol/index.js";
import type { ChatService } from "../../services/chat.js";
import { handle } from "../handle.js";

export const presenceHandlers = (chat: ChatService, nodeId: string) => ({
  "users:list": handle<"users:list">(Empty, async () => ({ users: await chat.listUsers() })),
  // The node that answered: which server of a cluster this socket is on (operations, tests).
  "ping:rtt": handle<"ping:rtt">(Empty, async () => ({ serverTime: new Date().toISOString(), node: nodeId })),
});
