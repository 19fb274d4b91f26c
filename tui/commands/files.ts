// File commands: selecting file lines, downloading, cancelling (/files and /rmfile are in client/commands.ts).
import { cancelTransfer } from "../../client/commands.js";
import { activeView, scrollOf, selectedFileMessage, stepFileSelection } from "../state/selectors.js";
import { anchorAt, topIndex } from "../ui/text.js";
import type { FileCommandId } from "./ids.js";
import type { CommandContext, Run } from "./context.js";

/** Selects a file line and scrolls it into view. */
function selectFile(ctx: CommandContext, step: number | null) {
  const s = ctx.state();
  const v = activeView(s);
  if (!v) return;
  const m = step === null ? stepFileSelection({ ...s, selectedFile: null }, 0) : stepFileSelection(s, step);
  if (!m) return ctx.notice("No file is shown in this chat; PgUp loads older history, /files lists them all.", "error");
  ctx.dispatch({ type: "focus.set", focus: "history" });
  ctx.dispatch({ type: "file.select", chatId: v.chat.id, messageId: m.id });
  // After the next layout: keep the selected line in view.
  setImmediate(() => {
    const { lines, height } = ctx.view.historyLayout();
    const at = lines.findIndex((l) => l.messageId === m.id);
    const cur = activeView(ctx.state());
    if (at < 0 || !cur) return;
    const top = topIndex(lines, scrollOf(ctx.state(), cur.chat.id), height);
    if (at >= top && at < top + height - 1) return;
    const newTop = Math.max(0, Math.min(at - Math.floor(height / 2), lines.length - height));
    ctx.dispatch({ type: "scroll.set", chatId: cur.chat.id, anchor: newTop >= lines.length - height ? null : anchorAt(lines, newTop) });
  });
}

export function fileCommands(ctx: CommandContext): Record<FileCommandId, Run> {
  return {
    "files.select": () => selectFile(ctx, null),
    "files.older": () => selectFile(ctx, -1),
    "files.newer": () => selectFile(ctx, 1),
    "files.download": () => {
      const m = selectedFileMessage(ctx.state());
      if (!m?.file) return ctx.notice("Select a file first: Ctrl+O, then f/F to move.", "error");
      void ctx.client.download(m.file.id, undefined, m.chatId);
    },
    "transfer.cancel": () => cancelTransfer(ctx),
  };
}
