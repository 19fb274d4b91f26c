// Every change to chat-tui's state: the chat actions of the client core, and UI actions.
import type { ChatAction } from "../../client/state/actions.js";
import type { Focus, Intent, ScrollAnchor } from "./types.js";

export type UiAction =
  // login form
  | { type: "login.edit"; field: "nick" | "password"; value: string }
  | { type: "login.field"; field: "nick" | "password" }
  // navigation
  | { type: "focus.set"; focus: Focus }
  | { type: "focus.cycle"; delta: number }
  | { type: "users.move"; delta: number }
  | { type: "scroll.set"; chatId: number; anchor: ScrollAnchor }
  | { type: "overlay.help" }
  | { type: "help.scroll"; delta: number }
  | { type: "overlay.switcher" }
  | { type: "overlay.close" }
  | { type: "switcher.query"; query: string }
  | { type: "switcher.move"; delta: number }
  | { type: "file.select"; chatId: number; messageId: number | null }
  | { type: "message.select"; chatId: number; messageId: number | null }
  | { type: "intent.set"; intent: Intent | null }
  | { type: "overlay.results"; source: "search" | "mentions" }
  | { type: "results.move"; delta: number; count: number }
  | { type: "composer.newline" }
  // composer
  | { type: "composer.insert"; text: string }
  | { type: "composer.backspace" }
  | { type: "composer.delete" }
  | { type: "composer.move"; to: "left" | "right" | "home" | "end" | "wordLeft" | "wordRight" }
  | { type: "composer.killBefore" }
  | { type: "composer.killWordBefore" }
  | { type: "composer.killAfter" }
  | { type: "composer.recall"; delta: number }
  | { type: "composer.submit" }
  | { type: "composer.set"; text: string }
  | { type: "composer.complete"; candidates: string[]; start: number; prefix: string }
  | { type: "composer.completeNext" };

export type Action = ChatAction | UiAction;
export type { ChatAction };
