// When the client should get the user's attention (a terminal bell, a notification): pure,
// from the action and the state before and after it.
import type { ChatAction } from "./actions.js";
import { mentions } from "./reducer.js";
import type { ChatState } from "./types.js";

/** off: never; mentions: messages that name you and direct messages; all: every message from someone else. */
export type AttentionMode = "off" | "mentions" | "all";

export function wantsAttention(before: ChatState, after: ChatState, action: ChatAction, mode: AttentionMode): boolean {
  if (mode === "off" || action.type !== "message.received") return false;
  const m = action.message;
  const view = before.chats[m.chatId];
  if (!view || !after.chats[m.chatId] || m.senderId === after.me?.id || (m.kind !== "text" && m.kind !== "file")) return false;
  // A message already shown (a duplicate after a reconnect) rings nothing.
  if (view.messages.some((x) => x.id === m.id) || m.id <= view.chat.lastMessageId) return false;
  if (mode === "all") return true;
  return view.chat.kind === "dm" || (m.kind === "text" && mentions(m.text, after.me?.nick ?? ""));
}
