import test from "ava";
import type { UserRow } from "../state/selectors.js";
import type { Transfer } from "../state/types.js";
import { renderTransfer, renderUsers } from "./widgets.js";

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

const user = (id: number, online: boolean): UserRow => ({ id, nick: `user${id}`, role: "user", online, dmUnread: 0, me: false });

test("the users pane counts online/known users when the server sent the whole list", (t) => {
  const rows = [user(1, true), user(2, true), user(3, false)];
  const lines = plain(renderUsers(rows, { width: 20, height: 10, cursor: 0, focused: false, ascii: true })).split("\n");
  t.is(lines[0]!.trim(), "Users 2/3");
  t.is(lines.length, 4);
  t.false(lines.some((l) => l.includes("more")));
});

test("on a large server the users pane shows the server's count and how many it has not listed", (t) => {
  const rows = Array.from({ length: 50 }, (_, i) => user(i + 1, true));
  const pane = (height: number) => plain(renderUsers(rows, { width: 24, height, cursor: 0, focused: false, ascii: true, summary: { online: 5000, more: 4950 } })).split("\n");
  const tall = pane(60);
  t.is(tall[0]!.trim(), "Users 5000 online");
  t.is(tall.length, 52, "title, 50 users, the 'more' line");
  t.is(tall.at(-1)!.trim(), "4950 more");
  const short = pane(10);
  t.is(short.length, 10, "never taller than the pane");
  t.is(short.at(-1)!.trim(), "4950 more", "the last row gives way to the count");
  t.is(short[1]!.trim(), "* user1");
});
