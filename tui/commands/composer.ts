// Input-line commands: editing, history recall, completion, and sending what was typed.
import { completionsAt, parseInput } from "../../client/slash.js";
import { sortedUsers } from "../state/selectors.js";
import type { ComposerCommandId } from "./ids.js";
import type { CommandContext, Run } from "./context.js";
import { scrollBy, toBottom } from "./history.js";
import { submitIntent } from "./messages.js";
import { runSlash } from "./slash.js";

export function composerCommands(ctx: CommandContext): Record<ComposerCommandId, Run> {
  const { dispatch } = ctx;
  function submit() {
    const text = ctx.state().composer.text;
    if (!text.trim()) return;
    dispatch({ type: "composer.submit" });
    // A reply, edit or reaction being typed: Enter completes it (a /command still runs as one).
    if (!text.startsWith("/") && submitIntent(ctx, text)) return;
    return runSlash(ctx, parseInput(text));
  }
  function complete() {
    const s = ctx.state();
    if (s.composer.completion) return dispatch({ type: "composer.completeNext" });
    const nicks = sortedUsers(s).filter((u) => !u.me).map((u) => u.nick);
    const req = completionsAt(s.composer.text, s.composer.cursor, nicks);
    // Nothing to complete: Tab moves on only from an empty line, so typing never goes astray.
    if (!req) return s.composer.text ? undefined : dispatch({ type: "focus.cycle", delta: 1 });
    dispatch({ type: "composer.complete", ...req });
  }
  const move = (to: "left" | "right" | "home" | "end" | "wordLeft" | "wordRight") => () => dispatch({ type: "composer.move", to });
  return {
    "composer.submit": submit,
    "composer.complete": complete,
    "composer.backspace": () => dispatch({ type: "composer.backspace" }),
    "composer.delete": () => dispatch({ type: "composer.delete" }),
    "composer.left": move("left"),
    "composer.right": move("right"),
    // In an empty input Home and End scroll the history instead.
    "composer.home": () => (ctx.state().composer.text ? move("home")() : scrollBy(ctx, -1e9)),
    "composer.end": () => (ctx.state().composer.text ? move("end")() : toBottom(ctx)),
    "composer.wordLeft": move("wordLeft"),
    "composer.wordRight": move("wordRight"),
    "composer.killBefore": () => dispatch({ type: "composer.killBefore" }),
    "composer.killWordBefore": () => dispatch({ type: "composer.killWordBefore" }),
    "composer.recallPrev": () => dispatch({ type: "composer.recall", delta: -1 }),
    "composer.recallNext": () => dispatch({ type: "composer.recall", delta: 1 }),
    "composer.escape": () => {
      const s = ctx.state();
      // Esc cancels a reply, edit or reaction first (an edit's text goes with it).
      if (s.intent && !s.composer.completion) {
        if (s.intent.kind !== "reply") dispatch({ type: "composer.set", text: "" });
        return dispatch({ type: "intent.set", intent: null });
      }
      return s.composer.completion ? move("end")() : ctx.view.ask("Quit chat-tui? Enter: quit · Esc: stay", () => void ctx.quit());
    },
  };
}
