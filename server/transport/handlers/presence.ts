// Presence events: the user list and a round-trip probe for the client's latency display.
import { Empty, ListPresence } from "../../protocol/index.js";
import type { ChatService } from "../../services/chat.js";
import type { PresenceService } from "../../services/presence.js";
import { handle } from "../handle.js";

/** Users per presence:list page unless the client asks for fewer or more (at most 500). */
export const PRESENCE_PAGE = 100;

export const presenceHandlers = (chat: ChatService, nodeId: string, presence: PresenceService) => ({
  "users:list": handle<"users:list">(Empty, async () => ({ users: await chat.listUsers() })),
  // Online users by nick, a page at a time (protocol 2 clients on large servers).
  "presence:list": handle<"presence:list">(ListPresence, async (input) => presence.onlinePage(input?.after, input?.limit ?? PRESENCE_PAGE)),
  // The node that answered: which server of a cluster this socket is on (operations, tests).
  "ping:rtt": handle<"ping:rtt">(Empty, async () => ({ serverTime: new Date().toISOString(), node: nodeId })),
});
