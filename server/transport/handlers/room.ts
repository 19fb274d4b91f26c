// Chat events: rooms, direct messages, closing and read markers.
import { ChatRef, CreateRoom, Empty, InviteToRoom, JoinRoom, MarkRead, OpenDm } from "../../protocol/index.js";
import type { ChatService } from "../../services/chat.js";
import { handle } from "../handle.js";

export const roomHandlers = (chat: ChatService) => ({
  "dm:open": handle<"dm:open">(OpenDm, (input, ctx) => chat.openDm(ctx.user, input.nick)),
  "room:create": handle<"room:create">(CreateRoom, (input, ctx) => chat.createRoom(ctx.user, input)),
  "room:join": handle<"room:join">(JoinRoom, (input, ctx) => chat.joinRoom(ctx.user, input.name)),
  "room:leave": handle<"room:leave">(ChatRef, (input, ctx) => chat.leaveRoom(ctx.user, input.chatId)),
  "room:invite": handle<"room:invite">(InviteToRoom, (input, ctx) => chat.invite(ctx.user, input.chatId, input.nick)),
  "rooms:list": handle<"rooms:list">(Empty, async (_input, ctx) => ({ rooms: await chat.listRooms(ctx.user) })),
  "chat:close": handle<"chat:close">(ChatRef, (input, ctx) => chat.close(ctx.user, input.chatId)),
  "chat:read": handle<"chat:read">(MarkRead, (input, ctx) => chat.markRead(ctx.user, input.chatId, input.messageId)),
});
