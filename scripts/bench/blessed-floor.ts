// The terminal floor for benchmark 5: a bare blessed screen with a log widget (what a minimal
// client would do), started in tmux like chat-tui. It traces its frames the way chat-tui does
// (CHAT_TUI_TRACE): the first paint, then one line added and rendered per message.
import { createRequire } from "node:module";
import { createRenderTrace } from "../../tui/ui/trace.js";

const blessed = createRequire(import.meta.url)("blessed") as typeof import("blessed");
const trace = createRenderTrace(process.env["CHAT_TUI_TRACE"]);
const screen = blessed.screen({ smartCSR: true, fullUnicode: true });
const log = blessed.log({ parent: screen, top: 0, left: 0, width: "100%", height: "100%-1", scrollback: 600 });
screen.key(["C-c"], () => process.exit(0));
let t = performance.now();
screen.render();
trace?.(t);
const lines = Number(process.argv[2] ?? 200);
let i = 0;
setTimeout(function next() {
  if (i >= lines) return;
  t = performance.now();
  log.add(`12:00 <someone> message ${i++} the quick brown fox jumps over the lazy dog`);
  screen.render();
  trace?.(t);
  setTimeout(next, 20);
}, 500);
