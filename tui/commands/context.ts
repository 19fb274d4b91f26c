// What commands act on: the client core, chat-tui's store, the view, and a few app-level hooks.
import type { ChatClient } from "../../client/client.js";
import type { Result } from "../../server/protocol/index.js";
import type { Action } from "../state/actions.js";
import type { Store } from "../state/store.js";
import type { State } from "../state/types.js";
import type { View } from "../ui/view.js";

/** The part of the view commands use (the history's layout for scrolling, a redraw). */
export type ViewPort = Pick<View, "historyLayout" | "redraw" | "ask" | "answer">;

export type CommandContext = {
  client: ChatClient;
  store: Store;
  view: ViewPort;
  state(): State;
  dispatch(a: Action): void;
  notice(text: string, level?: "info" | "error", chatId?: number | null): void;
  quit(): Promise<void>;
};

export type Run = () => void | Promise<void>;

/** The data of a request, or null after showing its error. */
export async function ask<T>(ctx: CommandContext, r: Promise<Result<T>>): Promise<T | null> {
  const res = await r;
  if (res.ok) return res.data;
  ctx.notice(res.error.message, "error");
  return null;
}
