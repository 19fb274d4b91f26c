import test from "ava";
import type { Transfer } from "../state/types.js";
import { renderTransfer } from "./widgets.js";

const plain = (s: string) => s.replace(/\{[^}]*\}/g, "");
const base: Transfer = { id: "t", direction: "up", name: "report.pdf", bytes: 0, total: 4 * 1024 * 1024, rateBps: 0, state: "active" };

test("a transfer line shows direction, name, a bar, bytes, rate and how to cancel", (t) => {
  const line = plain(renderTransfer({ ...base, bytes: 1024 * 1024, rateBps: 512 * 1024 }, 100));
  t.regex(line, /^↑ report\.pdf █+░+ +25% 1\.00 MiB\/4\.00 MiB 512 KiB\/s Ctrl\+X cancel$/);
  t.regex(plain(renderTransfer({ ...base, direction: "down", bytes: base.total, state: "done" }, 100)), /^↓ report\.pdf █+ 100% .* done$/);
  t.regex(plain(renderTransfer({ ...base, state: "waiting" }, 100)), /offline: resumes when reconnected Ctrl\+X cancel/);
  t.regex(plain(renderTransfer({ ...base, total: 0, state: "hashing" }, 100)), /0% 0 B\/0 B checking/);
});

test("a hostile file name cannot break the line or inject tags", (t) => {
  const line = renderTransfer({ ...base, name: "x\u001b[2J{red-fg}\nboom" }, 100);
  t.false(line.includes("\u001b"));
  t.false(line.includes("\n"));
  t.true(line.includes("{open}red-fg{close}"));
});
