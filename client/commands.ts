// Commands every front end runs the same way (rooms, direct messages, lists, moderation): they
// need only the client core, a way to show a notice and the chat actions.
import { formatBytes, type Result } from "../server/protocol/index.js";
import type { ChatClient } from "./client.js";
import type { ChatAction } from "./state/actions.js";
import { activeView } from "./state/selectors.js";

/** What a shared command acts on; chat-tui's and the browser's command contexts both fit. */
export type CommandHost = {
  client: ChatClient;
  dispatch(a: ChatAction): void;
  notice(text: string, level?: "info" | "error", chatId?: number | null): void;
};

/** The data of a request, or null after showing its error. */
export async function ask<T>(ctx: Pick<CommandHost, "notice">, r: Promise<Result<T>>): Promise<T | null> {
  const res = await r;
  if (res.ok) return res.data;
  ctx.notice(res.error.message, "error");
  return null;
}

/**
 * Closes the active tab. A room stays joined, so its tab is only hidden here: its messages
 * still count and a mention brings the tab back. A direct message is closed on the server (it
 * reopens with the next message); general cannot close.
 */
export async function closeActive(ctx: CommandHost) {
  const v = activeView(ctx.client.getState());
  if (!v) return;
  if (v.chat.kind === "room" && v.chat.name.toLowerCase() !== "general") {
    ctx.dispatch({ type: "chat.hide", chatId: v.chat.id });
    ctx.notice(`Closed the tab of #${v.chat.name}; you are still in it: a mention reopens it, Ctrl+K finds it, /leave leaves it.`);
    return;
  }
  await ask(ctx, ctx.client.request("chat:close", { chatId: v.chat.id }));
}

export async function leaveActive(ctx: CommandHost) {
  const v = activeView(ctx.client.getState());
  if (!v || v.chat.kind !== "room") return ctx.notice("/leave works in a room; use /close for a direct message.", "error");
  await ask(ctx, ctx.client.request("room:leave", { chatId: v.chat.id }));
}

export async function directMessage(ctx: CommandHost, nick: string, text?: string) {
  const chat = await ctx.client.openChat(ctx.client.request("dm:open", { nick }));
  if (chat && text) ctx.client.send(chat.id, text);
}

export const joinRoom = (ctx: CommandHost, name: string) => ctx.client.openChat(ctx.client.request("room:join", { name }));
export const createRoom = (ctx: CommandHost, name: string, priv: boolean) => ctx.client.openChat(ctx.client.request("room:create", { name, private: priv }));

export async function invite(ctx: CommandHost, nick: string) {
  const v = activeView(ctx.client.getState());
  if (!v || v.chat.kind !== "room") return ctx.notice("/invite works in a room.", "error");
  const r = await ask(ctx, ctx.client.request("room:invite", { chatId: v.chat.id, nick }));
  if (r) ctx.notice(`${r.nick} was added to #${v.chat.name}.`);
}

export async function listRooms(ctx: CommandHost) {
  const r = await ask(ctx, ctx.client.request("rooms:list", {}));
  if (!r) return;
  ctx.dispatch({ type: "rooms.loaded", rooms: r.rooms });
  if (!r.rooms.length) return ctx.notice("There are no rooms yet: /create <room> makes one.");
  ctx.notice(`Rooms: ${r.rooms.map((x) => `#${x.name} (${x.members}${x.joined ? ", joined" : ""})`).join(", ")}`);
}

export async function listUsers(ctx: CommandHost) {
  const r = await ask(ctx, ctx.client.request("users:list", {}));
  if (!r) return;
  ctx.dispatch({ type: "users.loaded", users: r.users });
  const on = r.users.filter((u) => u.online).map((u) => u.nick);
  const off = r.users.filter((u) => !u.online).map((u) => u.nick);
  ctx.notice(`Online (${on.length}): ${on.join(", ") || "nobody"}`);
  if (off.length) ctx.notice(`Offline (${off.length}): ${off.join(", ")}`);
}

const until = (u: string | null) => (u ? `until ${u.replace("T", " ").slice(0, 16)} UTC` : "until lifted");

// Moderation and server control: the server checks the role and answers FORBIDDEN otherwise.
export async function kick(ctx: CommandHost, nick: string, reason: string) {
  const r = await ask(ctx, ctx.client.request("admin:kick", { nick, ...(reason ? { reason } : {}) }));
  if (r) ctx.notice(`${r.nick} was kicked.`);
}

export async function sanction(ctx: CommandHost, kind: "ban" | "mute", nick: string, durationSec: number | undefined, reason: string) {
  const payload = { nick, ...(durationSec ? { durationSec } : {}), ...(reason ? { reason } : {}) };
  const r = await ask(ctx, ctx.client.request(kind === "ban" ? "admin:ban" : "admin:mute", payload));
  if (r) ctx.notice(`${r.nick} is ${kind === "ban" ? "banned" : "muted"} ${until(r.until)}.`);
}

export async function lift(ctx: CommandHost, kind: "unban" | "unmute", nick: string) {
  const r = await ask(ctx, ctx.client.request(kind === "unban" ? "admin:unban" : "admin:unmute", { nick }));
  if (r) ctx.notice(`${r.nick} is ${kind === "unban" ? "unbanned" : "unmuted"}.`);
}

export async function shutdown(ctx: CommandHost, inSeconds: number | undefined, reason: string) {
  await ask(ctx, ctx.client.request("admin:shutdown", { ...(inSeconds !== undefined ? { inSeconds } : {}), ...(reason ? { reason } : {}) }));
}

// Files shared in a chat.
export async function listFiles(ctx: CommandHost, chatId: number) {
  const r = await ask(ctx, ctx.client.request("file:list", { chatId, limit: 20 }));
  if (!r) return;
  if (!r.files.length) return ctx.notice("No files were shared here yet: /send sends one.", "info", chatId);
  ctx.notice(`Files here${r.hasMore ? " (the newest 20)" : ""}; /download <id> saves one:`, "info", chatId);
  for (const f of r.files) {
    ctx.notice(`  #${f.id}  ${f.name}  ${formatBytes(f.size)}  from ${f.sender}, ${f.createdAt.replace("T", " ").slice(0, 16)} UTC`, "info", chatId);
  }
}

export async function removeFile(ctx: CommandHost, fileId: number) {
  const r = await ask(ctx, ctx.client.request("file:delete", { fileId }));
  if (r) ctx.notice(`Deleted ${r.name} (file #${r.fileId}); its line in the history stays.`, "info", activeView(ctx.client.getState())?.chat.id ?? null);
}

export function cancelTransfer(ctx: CommandHost) {
  if (!ctx.client.cancelTransfer()) ctx.notice("No upload or download is in progress.", "error");
}

// /key list, /key add, /key rm: the SSH keys that log this account in through chat-sshd.
const here = (ctx: CommandHost) => activeView(ctx.client.getState())?.chat.id ?? null;

export async function listKeys(ctx: CommandHost) {
  const r = await ask(ctx, ctx.client.request("key:list", {}));
  if (!r) return;
  if (!r.keys.length) return ctx.notice("No SSH keys are bound to your account: /key add <the line of your ~/.ssh/id_ed25519.pub> binds one.", "info", here(ctx));
  ctx.notice(`SSH keys that log you in (${r.keys.length}); /key rm <fingerprint> removes one:`, "info", here(ctx));
  for (const k of r.keys) ctx.notice(`  ${k.fingerprint}  ${k.type}${k.comment ? `  ${k.comment}` : ""}  added ${k.createdAt.replace("T", " ").slice(0, 16)} UTC`, "info", here(ctx));
}

/** Binds a key; resolves to whether it was bound. */
export async function addKey(ctx: CommandHost, publicKey: string): Promise<boolean> {
  const r = await ask(ctx, ctx.client.request("key:add", { publicKey }));
  if (r) ctx.notice(`Bound the SSH key ${r.fingerprint} (${r.type}) to your account: ssh to chat-sshd with it to log straight in.`, "info", here(ctx));
  return Boolean(r);
}

export async function removeKey(ctx: CommandHost, fingerprint: string) {
  const r = await ask(ctx, ctx.client.request("key:remove", { fingerprint }));
  if (r) ctx.notice(`Removed the SSH key ${r.fingerprint}; it no longer logs you in.`, "info", here(ctx));
}
