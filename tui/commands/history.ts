// History commands: scrolling (which pages older and newer history in) and leaving the pane.
import { activeView, scrollOf } from "../state/selectors.js";
import { moveAnchor } from "../ui/text.js";
import type { HistoryCommandId } from "./ids.js";
import type { CommandContext, Run } from "./context.js";

export function scrollBy(ctx: CommandContext, delta: number) {
  const v = activeView(ctx.state());
  if (!v) return;
  const { lines, height } = ctx.view.historyLayout();
  const r = moveAnchor(lines, scrollOf(ctx.state(), v.chat.id), delta, height);
  ctx.dispatch({ type: "scroll.set", chatId: v.chat.id, anchor: r.anchor });
  if (r.atTop && v.hasOlder) void ctx.client.loadOlder(v.chat.id);
  if (r.atBottom && v.hasNewer) void ctx.client.loadLatest(v.chat.id);
}

export function toBottom(ctx: CommandContext) {
  const v = activeView(ctx.state());
  if (!v) return;
  ctx.dispatch({ type: "scroll.set", chatId: v.chat.id, anchor: null });
  if (v.hasNewer) void ctx.client.loadLatest(v.chat.id);
}

export function historyCommands(ctx: CommandContext): Record<HistoryCommandId, Run> {
  const page = () => Math.max(1, ctx.view.historyLayout().height - 2);
  return {
    "history.pageUp": () => scrollBy(ctx, -page()),
    "history.pageDown": () => scrollBy(ctx, page()),
    "history.lineUp": () => scrollBy(ctx, -1),
    "history.lineDown": () => scrollBy(ctx, 1),
    "history.top": () => scrollBy(ctx, -1e9),
    "history.bottom": () => toBottom(ctx),
    "history.escape": () => {
      ctx.dispatch({ type: "file.select", chatId: ctx.state().active ?? 0, messageId: null });
      ctx.dispatch({ type: "focus.set", focus: "input" });
    },
  };
}
