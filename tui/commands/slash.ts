// Runs a parsed /command (keys/slash.ts parses): each kind goes to its domain's module.
import type { Parsed } from "../../client/slash.js";
import { activeView } from "../state/selectors.js";
import { addKey, cancelTransfer, closeActive, createRoom, listFiles, listKeys, removeFile, removeKey, directMessage, invite, joinRoom, kick, leaveActive, lift, listRooms, listUsers, sanction, shutdown } from "../../client/commands.js";
import type { CommandContext } from "./context.js";
import { confirmDelete, normalizeReaction, runSearch, showMentions, startIntent, targetMessage } from "./messages.js";

export async function runSlash(ctx: CommandContext, parsed: Parsed): Promise<void> {
  const v = activeView(ctx.state());
  const { client } = ctx;
  switch (parsed.kind) {
    case "error":
      return ctx.notice(parsed.message, "error");
    case "help":
      return ctx.dispatch({ type: "overlay.help" });
    case "quit":
      return ctx.quit();
    case "logout":
      return client.logout();
    case "text":
      if (!v) return ctx.notice("No chat is open: /join a room or /query someone first.", "error");
      return void client.send(v.chat.id, parsed.text);
    case "cancel":
      return cancelTransfer(ctx);
    case "download":
      return client.download(parsed.fileId, parsed.dest, v?.chat.id ?? null);
    case "send":
      if (!v) return ctx.notice("No chat is open: /join a room or /query someone first, then /send.", "error");
      return client.sendFile(v.chat.id, parsed.path);
  }
  if (!client.connected) return ctx.notice("Not connected.", "error");
  switch (parsed.kind) {
    case "reply": {
      const m = targetMessage(ctx, false);
      if (!m) return ctx.notice("Select a message first: Up from an empty input, then /reply or r.", "error");
      if (parsed.text) return void client.send(m.chatId, parsed.text, m.id);
      return startIntent(ctx, "reply", m.id);
    }
    case "edit": {
      const m = targetMessage(ctx, true);
      if (!m) return ctx.notice("You have no message here to edit.", "error");
      if (parsed.text && m.senderId === ctx.state().me?.id) return void (await client.edit(m.id, parsed.text));
      return startIntent(ctx, "edit", m.id);
    }
    case "delete": {
      const m = targetMessage(ctx, true);
      if (!m) return ctx.notice("Select a message first (Up from an empty input), or send one to delete.", "error");
      return confirmDelete(ctx, m.id);
    }
    case "react": {
      const m = targetMessage(ctx, false) ?? activeView(ctx.state())?.messages.filter((x) => x.kind === "text" && !x.deleted).at(-1);
      if (!m) return ctx.notice("There is no message here to react to.", "error");
      return void (await client.toggleReaction(m.id, normalizeReaction(parsed.emoji)));
    }
    case "search":
      return runSearch(ctx, parsed.query);
    case "mentions":
      return showMentions(ctx);
    case "files":
      if (!v) return ctx.notice("No chat is open.", "error");
      return listFiles(ctx, v.chat.id);
    case "rmfile":
      return removeFile(ctx, parsed.fileId);
    case "msg":
      return directMessage(ctx, parsed.nick, parsed.text);
    case "query":
      return directMessage(ctx, parsed.nick);
    case "join":
      return void (await joinRoom(ctx, parsed.room));
    case "create":
      return void (await createRoom(ctx, parsed.room, parsed.private));
    case "leave":
      return leaveActive(ctx);
    case "close":
      return closeActive(ctx);
    case "invite":
      return invite(ctx, parsed.nick);
    case "rooms":
      return listRooms(ctx);
    case "users":
      return listUsers(ctx);
    case "kick":
      return kick(ctx, parsed.nick, parsed.reason);
    case "ban":
    case "mute":
      return sanction(ctx, parsed.kind, parsed.nick, parsed.durationSec, parsed.reason);
    case "unban":
    case "unmute":
      return lift(ctx, parsed.kind, parsed.nick);
    case "shutdown":
      return shutdown(ctx, parsed.inSeconds, parsed.reason);
    case "key.list":
      return listKeys(ctx);
    case "key.add":
      return void (await addKey(ctx, parsed.publicKey));
    case "key.rm":
      return removeKey(ctx, parsed.fingerprint);
  }
}
