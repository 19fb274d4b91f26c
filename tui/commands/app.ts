// App commands: quit, redraw, the help overlay.
import type { AppCommandId } from "./ids.js";
import type { CommandContext, Run } from "./context.js";

export const appCommands = (ctx: CommandContext): Record<AppCommandId, Run> => ({
  "app.quit": () => ctx.quit(),
  "screen.redraw": () => ctx.view.redraw(),
  "overlay.help": () => ctx.dispatch({ type: "overlay.help" }),
  "overlay.close": () => ctx.dispatch({ type: "overlay.close" }),
  "help.up": () => ctx.dispatch({ type: "help.scroll", delta: -1 }),
  "help.down": () => ctx.dispatch({ type: "help.scroll", delta: 1 }),
  "help.pageUp": () => ctx.dispatch({ type: "help.scroll", delta: -10 }),
  "help.pageDown": () => ctx.dispatch({ type: "help.scroll", delta: 10 }),
});
