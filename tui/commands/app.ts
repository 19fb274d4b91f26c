// App commands: quit, redraw, the help overlay.
import type { AppCommandId } from "./ids.js";
import type { CommandContext, Run } from "./context.js";

export const appCommands = (ctx: CommandContext): Record<AppCommandId, Run> => ({
  "app.quit": () => ctx.quit(),
  "app.confirmQuit": () => ctx.view.ask("Quit chat-tui? Enter: quit · Esc: stay", () => void ctx.quit()),
  // The open question's box answers these keys itself (view.answer); as commands they do the same.
  "confirm.yes": () => void ctx.view.answer("enter"),
  "confirm.no": () => void ctx.view.answer("escape"),
  "screen.redraw": () => ctx.view.redraw(),
  "overlay.help": () => ctx.dispatch({ type: "overlay.help" }),
  "overlay.close": () => ctx.dispatch({ type: "overlay.close" }),
  "help.up": () => ctx.dispatch({ type: "help.scroll", delta: -1 }),
  "help.down": () => ctx.dispatch({ type: "help.scroll", delta: 1 }),
  "help.pageUp": () => ctx.dispatch({ type: "help.scroll", delta: -10 }),
  "help.pageDown": () => ctx.dispatch({ type: "help.scroll", delta: 10 }),
});
