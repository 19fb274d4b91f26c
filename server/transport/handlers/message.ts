// Message events: send, history, edit, delete, react, search and mentions.
import { DeleteMessage, EditMessage, FetchHistory, ListMentions, ReactToMessage, SearchMessages, SendMessage } from "../../protocol/index.js";
import type { ChatService } from "../../services/chat.js";
import type { ConversationService } from "../../services/conversations.js";
import { handle } from "../handle.js";

export const conversationHandlers = (conversations: ConversationService) => ({
  "message:edit": handle<"message:edit">(EditMessage, (input, ctx) => conversations.edit(ctx.user, input)),
  "message:delete": handle<"message:delete">(DeleteMessage, (input, ctx) => conversations.remove(ctx.user, input)),
  "message:react": handle<"message:react">(ReactToMessage, (input, ctx) => conversations.react(ctx.user, input)),
  "message:search": handle<"message:search">(SearchMessages, (input, ctx) => conversations.search(ctx.user, input)),
  "mentions:list": handle<"mentions:list">(ListMentions, (input, ctx) => conversations.mentions(ctx.user, input)),
});

export const messageHandlers = (chat: ChatService) => ({
  // Acknowledged sends carry the message back, so the sending socket needs no copy (protocol 2).
  "message:send": handle<"message:send">(SendMessage, (input, ctx, answered) => chat.send(ctx.user, input, answered ? ctx.socketId : undefined)),
  "history:fetch": handle<"history:fetch">(FetchHistory, (input, ctx) => chat.history(ctx.user, input)),
});
