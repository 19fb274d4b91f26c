// Chat and room commands: direct messages, joining, creating, leaving, closing, inviting, lists.
import { activeView } from "../state/selectors.js";
import { ask, type CommandContext } from "./context.js";

/**
 * Closes the active tab. A room stays joined, so its tab is only hidden here: its messages
 * still count (the status bar shows them) and a mention brings the tab back. A direct
 * message is closed on the server (it reopens with the next message); general cannot close.
 */
export async function closeActive(ctx: CommandContext) {
  const v = activeView(ctx.state());
  if (!v) return;
  if (v.chat.kind === "room" && v.chat.name.toLowerCase() !== "general") {
    ctx.dispatch({ type: "chat.hide", chatId: v.chat.id });
    ctx.notice(`Closed the tab of #${v.chat.name}; you are still in it: a mention reopens it, Ctrl+K finds it, /leave leaves it.`);
    return;
  }
  await ask(ctx, ctx.client.request("chat:close", { chatId: v.chat.id }));
}

export async function leaveActive(ctx: CommandContext) {
  const v = activeView(ctx.state());
  if (!v || v.chat.kind !== "room") return ctx.notice("/leave works in a room; use /close for a direct message.", "error");
  await ask(ctx, ctx.client.request("room:leave", { chatId: v.chat.id }));
}

export async function directMessage(ctx: CommandContext, nick: string, text?: string) {
  const chat = await ctx.client.openChat(ctx.client.request("dm:open", { nick }));
  if (chat && text) ctx.client.send(chat.id, text);
}

export const joinRoom = (ctx: CommandContext, name: string) => ctx.client.openChat(ctx.client.request("room:join", { name }));
export const createRoom = (ctx: CommandContext, name: string, priv: boolean) => ctx.client.openChat(ctx.client.request("room:create", { name, private: priv }));

export async function invite(ctx: CommandContext, nick: string) {
  const v = activeView(ctx.state());
  if (!v || v.chat.kind !== "room") return ctx.notice("/invite works in a room.", "error");
  const r = await ask(ctx, ctx.client.request("room:invite", { chatId: v.chat.id, nick }));
  if (r) ctx.notice(`${r.nick} was added to #${v.chat.name}.`);
}

export async function listRooms(ctx: CommandContext) {
  const r = await ask(ctx, ctx.client.request("rooms:list", {}));
  if (!r) return;
  ctx.dispatch({ type: "rooms.loaded", rooms: r.rooms });
  if (!r.rooms.length) return ctx.notice("There are no rooms yet: /create <room> makes one.");
  ctx.notice(`Rooms: ${r.rooms.map((x) => `#${x.name} (${x.members}${x.joined ? ", joined" : ""})`).join(", ")}`);
}

export async function listUsers(ctx: CommandContext) {
  const r = await ask(ctx, ctx.client.request("users:list", {}));
  if (!r) return;
  ctx.dispatch({ type: "users.loaded", users: r.users });
  const on = r.users.filter((u) => u.online).map((u) => u.nick);
  const off = r.users.filter((u) => !u.online).map((u) => u.nick);
  ctx.notice(`Online (${on.length}): ${on.join(", ") || "nobody"}`);
  if (off.length) ctx.notice(`Offline (${off.length}): ${off.join(", ")}`);
}
