// The embedded database's directory is one process's: a second opener is refused with the
// holder's description, user commands go through the running server, a dead holder's lock
// is taken over, and everything in it is owner-only whatever the umask.
import { spawn, type ChildProcess } from "node:child_process";
import { chmod, lstat, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import test, { type ExecutionContext } from "ava";
import { api } from "./helpers/harness.js";
import { freePort, SERVER_CLI, spawnServer, type ServerProcess } from "./helpers/process.js";

const ENV = { DATABASE_URL: "", REDIS_URL: "", LOG_LEVEL: "warn"};

function run(args: string[], stdin = ""): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [SERVER_CLI, ...args], { env: { ...process.env, ...ENV } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.stdin.end(stdin);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

async function tempDir(t: ExecutionContext): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "chat-dd-"));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** A server on dir, killed when the test ends however it ends. */
async function serve(t: ExecutionContext, dir: string): Promise<ServerProcess> {
  const server = await spawnServer(["--data-dir", dir, "--port", String(await freePort())], ENV);
  t.teardown(() => {
    server.child.kill("SIGKILL");
  });
  return server;
}

/** Every entry under dir whose mode lets group or others in. */
async function openToOthers(dir: string): Promise<string[]> {
  const found: string[] = [];
  const visit = async (p: string) => {
    const st = await lstat(p);
    if (st.isSymbolicLink()) return;
    if (st.mode & 0o077) found.push(`${path.relative(dir, p) || "."} ${(st.mode & 0o777).toString(8)}`);
    if (st.isDirectory()) for (const name of await readdir(p)) await visit(path.join(p, name));
  };
  await visit(dir);
  return found;
}

test.serial("a second serve on the same data directory exits and names the process that holds it", async (t) => {
  const dir = path.join(await tempDir(t), "db");
  const first = await serve(t, dir);
  const second = await run(["serve", "--data-dir", dir, "--port", String(await freePort())]);
  t.is(second.code, 2, second.stderr);
  t.regex(second.stderr, new RegExp(`in use by process ${first.child.pid} .*chat-server serve.*since \\d{4}-`));
  t.regex(second.stderr, /Stop that process first/);
  const migrate = await run(["migrate", "--data-dir", dir]);
  t.is(migrate.code, 2);
  t.regex(migrate.stderr, new RegExp(`in use by process ${first.child.pid}`));
  // The first server is unharmed.
  t.is((await fetch(`${first.url}/readyz`)).status, 200);
});

test.serial("user add and set-role while the server runs take effect in that server", async (t) => {
  const dir = path.join(await tempDir(t), "db");
  const server = await serve(t, dir);
  const add = await run(["user", "add", "boss", "--role", "admin", "--data-dir", dir], "boss-password\n");
  t.is(add.code, 0, add.stderr);
  t.regex(add.stdout, /created boss \(id \d+, role admin\)/);
  const login = await api<any>(server.url, "/api/v1/login", { nick: "boss", password: "boss-password" });
  t.is(login.status, 200, JSON.stringify(login.body));
  t.is(login.body.user.role, "admin");

  const demote = await run(["user", "set-role", "boss", "moderator", "--data-dir", dir]);
  t.is(demote.code, 0, demote.stderr);
  t.regex(demote.stdout, /boss is now moderator/);
  const again = await api<any>(server.url, "/api/v1/login", { nick: "boss", password: "boss-password" });
  t.is(again.body.user.role, "moderator");

  // The server's own errors come back as sentences, with the CLI's exit code.
  const dup = await run(["user", "add", "BOSS", "--data-dir", dir], "another-password\n");
  t.is(dup.code, 2);
  t.regex(dup.stderr, /taken/);
  const missing = await run(["user", "set-role", "nobody-here", "user", "--data-dir", dir]);
  t.is(missing.code, 2);
  t.regex(missing.stderr, /no user/);
});

test.serial("a lock left by a process that no longer exists is taken over, and the takeover is logged", async (t) => {
  const dir = path.join(await tempDir(t), "db");
  const made = await run(["migrate", "--data-dir", dir]);
  t.is(made.code, 0, made.stderr);
  // A pid that surely is not running: a child that has exited.
  const dead: ChildProcess = spawn(process.execPath, ["-e", "0"]);
  const pid = dead.pid!;
  await new Promise((r) => dead.on("exit", r));
  const stale = { pid, host: os.hostname(), startedAt: "2026-01-01T00:00:00.000Z", command: "chat-server serve (killed)" };
  await writeFile(path.join(dir, "chat-server.lock"), JSON.stringify(stale));
  const server = await serve(t, dir);
  t.regex(server.output(), /took over the data directory's lock/);
  t.regex(server.output(), new RegExp(`"pid":${pid}`));
  const lock = JSON.parse(await readFile(path.join(dir, "chat-server.lock"), "utf8"));
  t.is(lock.pid, server.child.pid);
  server.child.kill("SIGTERM");
  t.is(await server.exited, 0);
  // A clean stop leaves no lock behind.
  await t.throwsAsync(readFile(path.join(dir, "chat-server.lock")));
});

test.serial("with umask 000 the data directory is 0700 and its files 0600, also after messages are stored", async (t) => {
  const dir = path.join(await tempDir(t), "db");
  const port = await freePort();
  const child = spawn("sh", ["-c", `umask 000; exec "$0" "$@"`, process.execPath, SERVER_CLI, "serve", "--data-dir", dir, "--port", String(port)], {
    env: { ...process.env, ...ENV },
    stdio: ["ignore", "pipe", "pipe"],
  });
  t.teardown(() => {
    child.kill("SIGKILL");
  });
  let output = "";
  child.stderr.on("data", (d) => (output += d));
  const exited = new Promise<number | null>((r) => child.on("exit", r));
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr.on("data", () => {
      const m = /listening on (http\S+)/.exec(output);
      if (m?.[1]) resolve(m[1]);
    });
    void exited.then((code) => reject(new Error(`exited ${code}: ${output}`)));
  });
  const reg = await api<any>(url, "/api/v1/register", { nick: "writer", password: "writer-password" });
  t.is(reg.status, 201, JSON.stringify(reg.body));
  t.deepEqual(await openToOthers(dir), []);
  child.kill("SIGTERM");
  t.is(await exited, 0, output);
  t.deepEqual(await openToOthers(dir), []);
});

test.serial("files left readable by others are made owner-only at start, and it is logged", async (t) => {
  const dir = path.join(await tempDir(t), "db");
  t.is((await run(["migrate", "--data-dir", dir])).code, 0);
  // As an earlier version left them: the directories 0777 and the files 0666.
  const loosen = async (p: string): Promise<void> => {
    const st = await lstat(p);
    if (st.isDirectory()) {
      await chmod(p, 0o777);
      for (const name of await readdir(p)) await loosen(path.join(p, name));
    } else await chmod(p, 0o666);
  };
  await loosen(dir);
  t.true((await openToOthers(dir)).length > 100);
  const server = await serve(t, dir);
  t.deepEqual(await openToOthers(dir), []);
  const line = server.output().split("\n").find((l) => l.includes("readable by their owner only"));
  t.truthy(line, server.output());
  t.true(JSON.parse(line!).fixed > 100);
});
