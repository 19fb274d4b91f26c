// Message commands: selecting a message in the history and replying to, editing, deleting or
// reacting to it; the input line's intents; /search and /mentions with their results window.
import { activeView, lastOwnMessage, resultRows, scrollOf, selectableMessages, selectedMessage } from "../state/selectors.js";
import type { Intent } from "../state/types.js";
import { anchorAt, topIndex } from "../ui/text.js";
import type { MessageCommandId } from "./ids.js";
import type { CommandContext, Run } from "./context.js";

/** Keeps a message's lines in view after the next layout (like the file selection). */
export function revealMessage(ctx: CommandContext, messageId: number) {
  setImmediate(() => {
    const { lines, height } = ctx.view.historyLayout();
    const at = lines.findIndex((l) => l.messageId === messageId);
    const cur = activeView(ctx.state());
    if (at < 0 || !cur) return;
    const top = topIndex(lines, scrollOf(ctx.state(), cur.chat.id), height);
    let last = at;
    while (last + 1 < lines.length && lines[last + 1]?.messageId === messageId) last++;
    if (at >= top && last < top + height) return;
    const newTop = Math.max(0, Math.min(at - Math.floor(height / 2), lines.length - height));
    ctx.dispatch({ type: "scroll.set", chatId: cur.chat.id, anchor: newTop >= lines.length - height ? null : anchorAt(lines, newTop) });
  });
}

function select(ctx: CommandContext, messageId: number | null) {
  const chatId = ctx.state().active ?? 0;
  ctx.dispatch({ type: "message.select", chatId, messageId });
  if (messageId !== null) revealMessage(ctx, messageId);
}

/** Moves the selection by `delta` messages; past the newest it ends (back to typing). */
function step(ctx: CommandContext, delta: number) {
  const s = ctx.state();
  const list = selectableMessages(s);
  const cur = selectedMessage(s);
  const i = cur ? list.findIndex((m) => m.id === cur.id) : list.length;
  const next = i + delta;
  if (next >= list.length) return select(ctx, null);
  if (next < 0) {
    const v = activeView(s);
    if (v?.hasOlder) void ctx.client.loadOlder(v.chat.id);
    return;
  }
  select(ctx, list[next]!.id);
}

/** Starts a reply, edit or reaction in the input line for a message. */
export function startIntent(ctx: CommandContext, kind: Intent["kind"], messageId: number) {
  const s = ctx.state();
  const m = Object.values(s.chats).flatMap((v) => v.messages).find((x) => x.id === messageId);
  if (!m) return ctx.notice("That message is not loaded; select it in the history first.", "error");
  if (m.deleted) return ctx.notice("That message was deleted.", "error");
  if (kind === "edit" && m.senderId !== s.me?.id) return ctx.notice("You can only edit your own messages.", "error");
  if (kind === "edit" && m.kind !== "text") return ctx.notice("Only text messages can be edited.", "error");
  ctx.dispatch({ type: "message.select", chatId: m.chatId, messageId: null });
  ctx.dispatch({ type: "intent.set", intent: { kind, chatId: m.chatId, messageId } });
  ctx.dispatch({ type: "composer.set", text: kind === "edit" ? m.text : "" });
  ctx.dispatch({ type: "focus.set", focus: "input" });
}

/** Asks, then deletes a message. */
export function confirmDelete(ctx: CommandContext, messageId: number) {
  const s = ctx.state();
  const m = Object.values(s.chats).flatMap((v) => v.messages).find((x) => x.id === messageId);
  if (!m) return ctx.notice("That message is not loaded; select it in the history first.", "error");
  if (m.deleted) return ctx.notice("That message is already deleted.", "error");
  const excerpt = m.text.replace(/\s+/g, " ").slice(0, 40);
  ctx.view.ask(`Delete ${m.senderId === s.me?.id ? "your" : `${m.sender}'s`} message "${excerpt}"? Enter: delete · Esc: keep`, () => {
    ctx.dispatch({ type: "message.select", chatId: m.chatId, messageId: null });
    void ctx.client.remove(messageId);
  });
}

/**
 * What Enter does with an intent: sends the reply, saves the edit, or adds the reaction.
 * Returns false when there is no intent (the line is sent or run as usual).
 */
export function submitIntent(ctx: CommandContext, text: string): boolean {
  const intent = ctx.state().intent;
  if (!intent) return false;
  ctx.dispatch({ type: "intent.set", intent: null });
  if (intent.kind === "reply") ctx.client.send(intent.chatId, text, intent.messageId);
  else if (intent.kind === "edit") void ctx.client.edit(intent.messageId, text);
  else void ctx.client.toggleReaction(intent.messageId, normalizeReaction(text));
  return true;
}

/** "thumbsup" and "+1" are taken as the :shortnames: they name; an emoji as it is. */
export function normalizeReaction(text: string): string {
  const t = text.trim();
  if (/^[a-z0-9_+-]+$/i.test(t)) return `:${t.toLowerCase()}:`;
  return t;
}

/** The message a /command acts on: the selected one, else (for /edit) the last one of one's own. */
export function targetMessage(ctx: CommandContext, forEdit: boolean) {
  const s = ctx.state();
  const sel = selectedMessage(s);
  if (sel) return sel;
  if (forEdit) return lastOwnMessage(s);
  return null;
}

export async function runSearch(ctx: CommandContext, query: string) {
  ctx.dispatch({ type: "overlay.results", source: "search" });
  await ctx.client.search(query);
}

export async function showMentions(ctx: CommandContext) {
  ctx.dispatch({ type: "overlay.results", source: "mentions" });
  await ctx.client.loadMentions();
}

export function messageCommands(ctx: CommandContext): Record<MessageCommandId, Run> {
  const onSelected = (fn: (id: number) => void) => () => {
    const m = selectedMessage(ctx.state());
    if (m) fn(m.id);
  };
  return {
    "message.select": () => {
      const c = ctx.state().composer;
      // With text, or while recalling sent lines, Up keeps recalling them.
      if (c.text || c.historyIndex !== null) return ctx.dispatch({ type: "composer.recall", delta: -1 });
      step(ctx, -1);
    },
    "message.up": () => step(ctx, -1),
    "message.down": () => step(ctx, 1),
    "message.leave": () => select(ctx, null),
    "message.reply": onSelected((id) => startIntent(ctx, "reply", id)),
    "message.edit": onSelected((id) => startIntent(ctx, "edit", id)),
    "message.delete": onSelected((id) => confirmDelete(ctx, id)),
    "message.react": onSelected((id) => startIntent(ctx, "react", id)),
    "search.open": () => {
      ctx.dispatch({ type: "focus.set", focus: "input" });
      ctx.dispatch({ type: "composer.set", text: "/search " });
    },
    "results.up": () => ctx.dispatch({ type: "results.move", delta: -1, count: resultRows(ctx.state()).length }),
    "results.down": () => {
      const s = ctx.state();
      const n = resultRows(s).length;
      ctx.dispatch({ type: "results.move", delta: 1, count: n });
      // At the end of a page: the next one.
      if (s.overlay?.kind === "results" && s.overlay.source === "search" && s.overlay.selected >= n - 2 && s.search?.hasMore && !s.search.loading) void ctx.client.search(s.search.query, true);
    },
    "results.choose": async () => {
      const s = ctx.state();
      if (s.overlay?.kind !== "results") return;
      const row = resultRows(s)[s.overlay.selected];
      if (!row) return;
      ctx.dispatch({ type: "overlay.close" });
      if (await ctx.client.jumpTo(row.chatId, row.message.id)) select(ctx, row.message.id);
    },
    "composer.newline": () => ctx.dispatch({ type: "composer.newline" }),
  };
}
