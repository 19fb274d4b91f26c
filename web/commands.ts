// Runs what the user typed in the browser: a message, or a /command parsed by the same table as
// chat-tui (client/slash.ts) and run by the same shared commands (client/commands.ts).
import {
  activeView, addKey, cancelTransfer, closeActive, createRoom, directMessage, invite, joinRoom, kick, leaveActive, lift, listFiles, listKeys, listRooms,
  listUsers, parseInput, removeFile, removeKey, sanction, shutdown, type ChatClient, type CommandHost,
} from "../client/index.js";
import type { MessageDto } from "../server/protocol/index.js";

/** What only the page can do: open the help, the file picker, the search panel; ask yes/no. */
export type PageHooks = {
  help(): void;
  pickFile(): void;
  showResults(kind: "search" | "mentions"): void;
  confirm(question: string): boolean;
  /** The message the user picked (reply/edit buttons), if any. */
  selected(): MessageDto | null;
  startReply(m: MessageDto): void;
  startEdit(m: MessageDto): void;
};

export function createCommands(client: ChatClient, page: PageHooks) {
  const host: CommandHost = {
    client,
    dispatch: (a) => client.dispatch(a),
    notice: (text, level = "info", chatId) => client.notice(text, level, chatId === undefined ? activeView(client.getState())?.chat.id ?? null : chatId),
  };
  const here = () => activeView(client.getState());
  const own = (m: MessageDto) => m.senderId === client.getState().me?.id;
  const lastMessage = (mine: boolean) => here()?.messages.filter((m) => m.kind === "text" && !m.deleted && (!mine || own(m))).at(-1) ?? null;

  /** Runs one line; returns true when the input should be cleared. */
  async function run(line: string, replyTo?: number): Promise<void> {
    const parsed = parseInput(line);
    const v = here();
    switch (parsed.kind) {
      case "error":
        return host.notice(parsed.message, "error");
      case "help":
        return page.help();
      case "quit":
        return host.notice("Close the browser tab to quit; /logout also forgets the saved session.");
      case "logout":
        return client.logout();
      case "text":
        if (!v) return host.notice("No chat is open: /join a room or /query someone first.", "error");
        return void client.send(v.chat.id, parsed.text, replyTo);
      case "cancel":
        return cancelTransfer(host);
      case "download":
        return client.download(parsed.fileId, undefined, v?.chat.id ?? null);
      case "send":
        // A page cannot read a path it was given: the user picks the file.
        return page.pickFile();
    }
    if (!client.connected) return host.notice("Not connected: the command runs once the connection is back.", "error");
    switch (parsed.kind) {
      case "reply": {
        const m = page.selected() ?? lastMessage(false);
        if (!m) return host.notice("There is no message here to reply to.", "error");
        if (parsed.text) return void client.send(m.chatId, parsed.text, m.id);
        return page.startReply(m);
      }
      case "edit": {
        const sel = page.selected();
        const m = sel && own(sel) ? sel : lastMessage(true);
        if (!m) return host.notice("You have no message here to edit.", "error");
        if (parsed.text) return void (await client.edit(m.id, parsed.text));
        return page.startEdit(m);
      }
      case "delete": {
        const sel = page.selected();
        const m = sel ?? lastMessage(true);
        if (!m) return host.notice("You have no message here to delete.", "error");
        if (page.confirm(`Delete the message "${m.text.slice(0, 60)}"?`)) await client.remove(m.id);
        return;
      }
      case "react": {
        const m = page.selected() ?? lastMessage(false);
        if (!m) return host.notice("There is no message here to react to.", "error");
        return void (await client.toggleReaction(m.id, parsed.emoji));
      }
      case "search":
        page.showResults("search");
        return client.search(parsed.query);
      case "mentions":
        page.showResults("mentions");
        return client.loadMentions();
      case "files":
        if (!v) return host.notice("No chat is open.", "error");
        return listFiles(host, v.chat.id);
      case "rmfile":
        return removeFile(host, parsed.fileId);
      case "msg":
        return directMessage(host, parsed.nick, parsed.text);
      case "query":
        return directMessage(host, parsed.nick);
      case "join":
        return void (await joinRoom(host, parsed.room));
      case "create":
        return void (await createRoom(host, parsed.room, parsed.private));
      case "leave":
        return leaveActive(host);
      case "close":
        return closeActive(host);
      case "invite":
        return invite(host, parsed.nick);
      case "rooms":
        return listRooms(host);
      case "users":
        return listUsers(host);
      case "kick":
        return kick(host, parsed.nick, parsed.reason);
      case "ban":
      case "mute":
        return sanction(host, parsed.kind, parsed.nick, parsed.durationSec, parsed.reason);
      case "unban":
      case "unmute":
        return lift(host, parsed.kind, parsed.nick);
      case "shutdown":
        return shutdown(host, parsed.inSeconds, parsed.reason);
      case "key.list":
        return listKeys(host);
      case "key.add":
        return void (await addKey(host, parsed.publicKey));
      case "key.rm":
        return removeKey(host, parsed.fingerprint);
    }
  }

  return { run, host };
}
