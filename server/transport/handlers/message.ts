// Message events: send and history.
import { FetchHistory, SendMessage } from "../../protocol/index.js";
import type { ChatService } from "../../services/chat.js";
import { handle } from "../handle.js";

export const messageHandlers = (chat: ChatService) => ({
  "message:send": handle<"message:send">(SendMessage, (input, ctx) => chat.send(ctx.user, input)),
  "history:fetch": handle<"history:fetch">(FetchHistory, (input, ctx) => chat.history(ctx.user, input)),
});
