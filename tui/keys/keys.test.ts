import test from "ava";
import { helpRows, keyLabel, resolveKey } from "./keymap.js";
import { completionsAt, parseDuration, parseInput, SLASH_COMMANDS } from "../../client/slash.js";

test("the keymap maps the documented keys in every mode", (t) => {
  t.is(resolveKey("input", "M-1"), "tab.goto.1");
  t.is(resolveKey("users", "M-9"), "tab.goto.9");
  t.is(resolveKey("input", "C-n"), "tab.next");
  t.is(resolveKey("input", "M-right"), "tab.next");
  t.is(resolveKey("input", "M-left"), "tab.prev");
  t.is(resolveKey("input", "M-a"), "tab.nextUnread");
  t.is(resolveKey("input", "C-w"), "tab.close");
  t.is(resolveKey("input", "C-k"), "switcher.open");
  t.is(resolveKey("input", "f1"), "overlay.help");
  t.is(resolveKey("input", "enter"), "composer.submit");
  t.is(resolveKey("input", "return"), null, "blessed sends 'enter' and 'return' for one Enter: only one may act");
  t.is(resolveKey("input", "tab"), "composer.complete");
  t.is(resolveKey("users", "enter"), "users.openDm");
  t.is(resolveKey("history", "home"), "history.top");
  t.is(resolveKey("input", "pageup"), "history.pageUp");
  t.is(resolveKey("input", "C-c"), "app.quit");
  t.is(resolveKey("input", "x"), null, "printable keys are text");
});

test("overlays and the login form ignore the global keys", (t) => {
  t.is(resolveKey("switcher", "M-1"), null);
  t.is(resolveKey("switcher", "escape"), "overlay.close");
  t.is(resolveKey("login", "C-n"), null);
  t.is(resolveKey("login", "C-r"), "login.register");
  t.is(resolveKey("help", "q"), "overlay.close");
});

test("the help lists keys as people write them", (t) => {
  const rows = helpRows();
  t.true(rows.some((r) => r.keys.includes("Alt+1") && /tab 1/.test(r.text)));
  t.true(rows.some((r) => r.keys.includes("Ctrl+N") && r.keys.includes("Alt+Right")));
  t.is(keyLabel("pageup"), "PgUp");
  t.is(keyLabel("S-tab"), "Shift+Tab");
  t.is(keyLabel("C-n"), "Ctrl+N");
  t.is(keyLabel("M-right"), "Alt+Right");
  t.is(keyLabel("f1"), "F1");
  t.is(keyLabel("g"), "g");
});

test("slash commands parse with aliases, and wrong arguments explain the usage", (t) => {
  t.deepEqual(parseInput("hello /world"), { kind: "text", text: "hello /world" });
  t.deepEqual(parseInput("//not a command"), { kind: "text", text: "/not a command" });
  t.deepEqual(parseInput("/msg bob hi there  friend"), { kind: "msg", nick: "bob", text: "hi there  friend" });
  t.deepEqual(parseInput("/m bob x"), { kind: "msg", nick: "bob", text: "x" });
  t.deepEqual(parseInput("/join #dev"), { kind: "join", room: "#dev" });
  t.deepEqual(parseInput("/J dev"), { kind: "join", room: "dev" });
  t.deepEqual(parseInput("/create ops --private"), { kind: "create", room: "ops", private: true });
  t.deepEqual(parseInput("/create ops"), { kind: "create", room: "ops", private: false });
  t.deepEqual(parseInput("/part"), { kind: "leave" });
  t.deepEqual(parseInput("/exit"), { kind: "quit" });
  t.deepEqual(parseInput("/who"), { kind: "users" });
  t.deepEqual(parseInput("/?"), { kind: "help" });
  t.deepEqual(parseInput("/logout"), { kind: "logout" });
  for (const bad of ["/msg bob", "/msg", "/join", "/join a b", "/create x --secret", "/leave now"]) {
    const p = parseInput(bad);
    t.is(p.kind, "error", bad);
    t.regex(p.kind === "error" ? p.message : "", /^Usage: \//, bad);
  }
  const unknown = parseInput("/frobnicate x");
  t.regex(unknown.kind === "error" ? unknown.message : "", /Unknown command \/frobnicate/);
});

test("Tab completes commands at the start and nicks elsewhere", (t) => {
  t.deepEqual(completionsAt("/jo", 3, []), { start: 0, prefix: "/jo", candidates: ["/join "] });
  t.deepEqual(completionsAt("/q", 2, [])?.candidates, ["/query ", "/quit "]);
  t.deepEqual(completionsAt("bo", 2, ["bob", "Bonnie", "carol"])?.candidates, ["bob: ", "Bonnie: "]);
  t.deepEqual(completionsAt("hi @ca", 6, ["bob", "carol"]), { start: 3, prefix: "@ca", candidates: ["@carol "] });
  t.deepEqual(completionsAt("/msg ca", 7, ["carol"])?.candidates, ["carol "]);
  t.is(completionsAt("hi ", 3, ["bob"]), null, "nothing to complete: Tab moves focus instead");
  t.is(completionsAt("zz", 2, ["bob"]), null);
  t.true(SLASH_COMMANDS.every((c) => c.usage.startsWith(`/${c.name}`)));
});

test("moderation commands take a nick, an optional duration and a reason", (t) => {
  t.deepEqual(parseInput("/kick bob stop spamming"), { kind: "kick", nick: "bob", reason: "stop spamming" });
  t.deepEqual(parseInput("/kick bob"), { kind: "kick", nick: "bob", reason: "" });
  t.deepEqual(parseInput("/ban bob 2h flood  bot"), { kind: "ban", nick: "bob", durationSec: 7200, reason: "flood  bot" });
  t.deepEqual(parseInput("/ban bob being rude"), { kind: "ban", nick: "bob", durationSec: undefined, reason: "being rude" });
  t.deepEqual(parseInput("/mute bob 10m"), { kind: "mute", nick: "bob", durationSec: 600, reason: "" });
  t.deepEqual(parseInput("/unban bob"), { kind: "unban", nick: "bob" });
  t.deepEqual(parseInput("/unmute bob"), { kind: "unmute", nick: "bob" });
  t.deepEqual(parseInput("/shutdown 60 upgrade to 2.0"), { kind: "shutdown", inSeconds: 60, reason: "upgrade to 2.0" });
  t.deepEqual(parseInput("/shutdown"), { kind: "shutdown", inSeconds: undefined, reason: "" });
  t.deepEqual(parseInput("/shutdown now please"), { kind: "shutdown", inSeconds: undefined, reason: "now please" });
  t.is(parseInput("/ban").kind, "error");
  t.is(parseInput("/unban a b").kind, "error");
  t.is(parseDuration("90"), 90);
  t.is(parseDuration("7d"), 604800);
  t.is(parseDuration("1W"), 604800);
  t.is(parseDuration("0m"), null);
  t.is(parseDuration("soon"), null);
});

test("file commands: paths keep their spaces, quotes are dropped, ids take an optional #", (t) => {
  t.deepEqual(parseInput("/send ~/My Documents/report 2026.pdf"), { kind: "send", path: "~/My Documents/report 2026.pdf" });
  t.deepEqual(parseInput(`/send "/tmp/a b.txt"`), { kind: "send", path: "/tmp/a b.txt" });
  t.is(parseInput("/send").kind, "error");
  t.deepEqual(parseInput("/download 42"), { kind: "download", fileId: 42, dest: undefined });
  t.deepEqual(parseInput("/download #42 ~/in box/"), { kind: "download", fileId: 42, dest: "~/in box/" });
  t.is(parseInput("/download abc").kind, "error");
  t.deepEqual(parseInput("/files"), { kind: "files" });
  t.deepEqual(parseInput("/cancel"), { kind: "cancel" });
  t.is(resolveKey("input", "C-x"), "transfer.cancel");
  t.is(resolveKey("input", "C-o"), "files.select");
  t.is(resolveKey("history", "d"), "files.download");
  t.is(resolveKey("history", "enter"), "files.download");
  t.is(resolveKey("input", "d"), null, "d is text in the input line");
});

test("the help is generated from the keymap: every key of every table, every command described", async (t) => {
  const { KEYMAP, COMMAND_HELP, helpSections } = await import("./keymap.js");
  const shown = new Set(helpSections().flatMap((s) => s.rows.flatMap((r) => r.keys.split(", "))));
  for (const [mode, table] of Object.entries(KEYMAP)) {
    for (const [key, cmd] of Object.entries(table as Record<string, string>)) {
      t.truthy(COMMAND_HELP[cmd as keyof typeof COMMAND_HELP], `${mode}: ${cmd} has a description`);
      if (!/^M-[2-9]$/.test(key)) t.true(shown.has(keyLabel(key)), `${mode}: ${key} is listed`);
    }
  }
  const rows = helpRows();
  for (const k of ["Ctrl+A", "Ctrl+E", "Alt+B", "Alt+F", "Alt+Backspace"]) t.true(rows.some((r) => r.keys.split(", ").includes(k)), k);
});

test("/key: list (the default), add keeps the whole key line with its comment, rm takes one fingerprint", (t) => {
  t.deepEqual(parseInput("/key list"), { kind: "key.list" });
  t.deepEqual(parseInput("/key"), { kind: "key.list" });
  t.deepEqual(parseInput("/key add ssh-ed25519 AAAAC3Nza me@my laptop"), { kind: "key.add", publicKey: "ssh-ed25519 AAAAC3Nza me@my laptop" });
  t.deepEqual(parseInput("/key rm SHA256:abcDEF+/x"), { kind: "key.rm", fingerprint: "SHA256:abcDEF+/x" });
  t.is(parseInput("/key add").kind, "error");
  t.is(parseInput("/key rm").kind, "error");
  t.is(parseInput("/key frobnicate").kind, "error");
});
