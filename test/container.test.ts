// The container image, built and run with podman: a local stand-in for the Dockerfile's FROM
// image (debootstrap bookworm + this machine's Node, cached in podman's storage), then the real
// Dockerfile unchanged; the image on PostgreSQL and Redis (register, send, SIGTERM drain, restart)
// and on its embedded database in the /data volume; and compose.yaml's structure.
import { execFileSync, spawnSync, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync, cpSync, symlinkSync, mkdirSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import test from "ava";
import { PACKAGE_ROOT } from "../server/paths.js";
import type { AuthResponse, ChatDto, MessageDto } from "../server/protocol/index.js";
import { api, connect, DATABASE_URL, freshPostgresDatabase, nick, REDIS_URL, sleep, uuid } from "./helpers/harness.js";
import { freePort } from "./helpers/process.js";
import { killTree, onWorkerExit, spawnTracked } from "./helpers/children.js";

const which = (cmd: string) => spawnSync("sh", ["-c", `command -v ${cmd}`], { encoding: "utf8" }).stdout.trim() || undefined;
const PODMAN = which("podman");
const RUNC = which("runc");
const DEBOOTSTRAP = which("debootstrap") ?? (existsSync("/usr/sbin/debootstrap") ? "/usr/sbin/debootstrap" : undefined);
const PYTHON = which("python3");
const isRoot = process.getuid?.() === 0;

const DOCKERFILE = readFileSync(path.join(PACKAGE_ROOT, "Dockerfile"), "utf8");
/** The image every FROM names, as podman stores it (docker.io/library/...). */
const FROM = (() => {
  const names = [...DOCKERFILE.matchAll(/^FROM\s+(\S+)/gm)].map((m) => m[1]!);
  const name = names[0]!;
  return name.includes("/") ? (name.split("/")[0]!.includes(".") ? name : `docker.io/${name}`) : `docker.io/library/${name}`;
})();
const IMAGE = "localhost/socket-messenger:container-test";

// Debian's podman 4.3 runs containers here only with runc and without default rlimits
// (crun fails on setrlimit, then on hybrid cgroups): docs in shared notes.
const confDir = mkdtempSync(path.join(os.tmpdir(), "sm-podman-"));
const CONTAINERS_CONF = path.join(confDir, "containers.conf");
writeFileSync(CONTAINERS_CONF, `[containers]\ndefault_ulimits = []\n\n[engine]\nruntime = "runc"\n`);
const podmanEnv = { ...process.env, CONTAINERS_CONF };

/** Runs podman and returns its stdout; throws with its stderr on failure. */
function podman(args: string[], opts: { timeoutMs?: number; input?: string | Buffer } = {}): string {
  const r = spawnSync(PODMAN!, args, { env: podmanEnv, encoding: "utf8", timeout: opts.timeoutMs ?? 120_000, input: opts.input, maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`podman ${args.slice(0, 3).join(" ")} failed (${r.status ?? r.signal}): ${(r.stderr || "").slice(-3000)}${r.error ? ` ${r.error.message}` : ""}`);
  return r.stdout;
}
/** A long command (debootstrap, build, import) without blocking the worker; rejects with its output's end. */
function runAsync(cmd: string, args: string[], opts: { timeoutMs: number; stdinFrom?: ChildProcess; env?: NodeJS.ProcessEnv }): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawnTracked(cmd, args, { env: opts.env ?? podmanEnv, stdio: [opts.stdinFrom ? "pipe" : "ignore", "pipe", "pipe"] });
    if (opts.stdinFrom) opts.stdinFrom.stdout!.pipe(child.stdin!);
    let out = "";
    child.stdout!.on("data", (d) => (out = (out + d).slice(-20_000)));
    child.stderr!.on("data", (d) => (out = (out + d).slice(-20_000)));
    const timer = setTimeout(() => killTree(child), opts.timeoutMs);
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      killTree(child);
      if (code === 0) resolve(out);
      else reject(new Error(`${path.basename(cmd)} ${args.slice(0, 2).join(" ")} failed (${code ?? signal}): ${out.slice(-3000)}`));
    });
  });
}
const podmanOk = (args: string[]) => spawnSync(PODMAN!, args, { env: podmanEnv, stdio: "ignore", timeout: 60_000 }).status === 0;

// Every container and volume this file makes is removed when the worker exits, however it ends.
const containers = new Set<string>();
const volumes = new Set<string>();
function removeAll(): void {
  for (const c of containers) spawnSync(PODMAN!, ["rm", "-f", "-v", "-t", "0", c], { env: podmanEnv, stdio: "ignore", timeout: 60_000 });
  containers.clear();
  for (const v of volumes) spawnSync(PODMAN!, ["volume", "rm", "-f", v], { env: podmanEnv, stdio: "ignore", timeout: 60_000 });
  volumes.clear();
}
onWorkerExit(() => {
  if (PODMAN) removeAll();
  rmSync(confDir, { recursive: true, force: true });
});

const missing = !isRoot ? "not root (podman here runs rootful)" : !PODMAN ? "podman is not installed" : !RUNC ? "runc is not installed"
  : !DATABASE_URL ? "DATABASE_URL is not set" : !REDIS_URL ? "REDIS_URL is not set" : null;
const podmanTest = missing ? test.skip : test.serial;
if (missing) test.skip(`container image tests (skipped: ${missing})`, () => {});

/**
 * The stand-in for the Dockerfile's FROM (no registry is reachable): Debian bookworm minbase
 * with this machine's node and npm where the official image has them (/usr/local), the user
 * `node` (uid 1000) and the machine's CA bundle (the registry is reached through the machine's
 * TLS trust). Built once and kept in podman's storage; later runs reuse it.
 */
async function ensureBaseImage(log: (s: string) => void): Promise<void> {
  if (podmanOk(["image", "exists", FROM])) return;
  if (!DEBOOTSTRAP) throw new Error(`${FROM} is not in podman's storage and debootstrap is not installed to make it (apt-get install debootstrap)`);
  const root = mkdtempSync(path.join(os.tmpdir(), "sm-rootfs-"));
  try {
    const started = Date.now();
    await runAsync(DEBOOTSTRAP, ["--variant=minbase", "bookworm", root, "http://deb.debian.org/debian"], { timeoutMs: 15 * 60_000, env: process.env });
    log(`debootstrap bookworm: ${Math.round((Date.now() - started) / 1000)} s`);
    mkdirSync(path.join(root, "usr/local/lib/node_modules"), { recursive: true });
    cpSync(process.execPath, path.join(root, "usr/local/bin/node"));
    const npmDir = path.dirname(path.dirname(realpathSync(which("npm")!)));
    cpSync(npmDir, path.join(root, "usr/local/lib/node_modules/npm"), { recursive: true });
    symlinkSync("../lib/node_modules/npm/bin/npm-cli.js", path.join(root, "usr/local/bin/npm"));
    symlinkSync("../lib/node_modules/npm/bin/npx-cli.js", path.join(root, "usr/local/bin/npx"));
    execFileSync("chroot", [root, "/usr/sbin/groupadd", "--gid", "1000", "node"]);
    execFileSync("chroot", [root, "/usr/sbin/useradd", "--uid", "1000", "--gid", "node", "--shell", "/bin/bash", "--create-home", "node"]);
    const changes = ["--change", 'CMD ["node"]', "--change", `ENV NODE_VERSION=${process.versions.node}`];
    const ca = process.env["NODE_EXTRA_CA_CERTS"];
    if (ca && existsSync(ca)) {
      mkdirSync(path.join(root, "etc/ssl/certs"), { recursive: true });
      cpSync(ca, path.join(root, "etc/ssl/certs/ca-certificates.crt"));
      changes.push("--change", "ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt");
    }
    // Fails here, not in the build, if the copied node lacks a shared library in minbase.
    execFileSync("chroot", [root, "/usr/local/bin/node", "-e", "require('child_process')"], { env: { PATH: "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin" } });
    rmSync(path.join(root, "var/lib/apt/lists"), { recursive: true, force: true });
    const tar = spawnTracked("tar", ["--numeric-owner", "-C", root, "-c", "."], { stdio: ["ignore", "pipe", "ignore"] });
    await runAsync(PODMAN!, ["import", ...changes, "-", FROM], { timeoutMs: 5 * 60_000, stdinFrom: tar });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

type Inspect = { Size: number; Config: { User: string; Env: string[]; Volumes: Record<string, unknown> | null; StopSignal: string; Entrypoint: string[]; ExposedPorts: Record<string, unknown> }; Healthcheck?: { Test: string[] } };
let built: Promise<Inspect> | undefined;
/** Builds the Dockerfile as it is (docker format: OCI images drop HEALTHCHECK); once per file. */
function buildImage(log: (s: string) => void): Promise<Inspect> {
  built ??= (async () => {
    await ensureBaseImage(log);
    const started = Date.now();
    await runAsync(PODMAN!, ["build", "--format", "docker", "-t", IMAGE, "-f", path.join(PACKAGE_ROOT, "Dockerfile"), PACKAGE_ROOT], { timeoutMs: 15 * 60_000 });
    log(`podman build: ${Math.round((Date.now() - started) / 1000)} s`);
    return (JSON.parse(podman(["image", "inspect", IMAGE])) as Inspect[])[0]!;
  })();
  return built;
}

type Running = { name: string; base: string; startedMs: number };
/** `podman run -d` on the host network; resolves when /readyz answers 200. */
async function runImage(env: Record<string, string>, extra: string[] = [], existing?: string): Promise<Running> {
  const port = Number(env["PORT"]);
  const base = `http://127.0.0.1:${port}`;
  const started = Date.now();
  let name = existing;
  if (existing) podman(["start", existing]);
  else {
    name = `sm-test-${randomUUID().slice(0, 8)}`;
    containers.add(name);
    const envArgs = Object.entries(env).flatMap(([k, v]) => ["-e", `${k}=${v}`]);
    // No systemd here to time health checks: `podman healthcheck run` runs the image's by hand.
    podman(["run", "-d", "--name", name, "--network", "host", "--health-interval", "disable", ...envArgs, ...extra, IMAGE]);
  }
  for (let i = 0; ; i++) {
    const r = await fetch(`${base}/readyz`).catch(() => null);
    if (r?.status === 200) break;
    const state = podman(["inspect", "--format", "{{.State.Status}}", name!]).trim();
    if (state === "exited" || i > 1200) throw new Error(`the container did not become ready (${state}): ${logs(name!).slice(-3000)}`);
    await sleep(100);
  }
  return { name: name!, base, startedMs: Date.now() - started };
}
const logs = (name: string) => {
  const r = spawnSync(PODMAN!, ["logs", name], { env: podmanEnv, encoding: "utf8", timeout: 60_000 });
  return `${r.stdout}${r.stderr}`;
};

podmanTest("the image: production dependencies only, user node, HEALTHCHECK on /readyz, SIGTERM, /data volume, no secrets", async (t) => {
  t.timeout(30 * 60_000);
  const info = await buildImage((s) => t.log(s));
  t.log(`image size ${(info.Size / 1e6).toFixed(0)} MB (${FROM} stand-in ${(JSON.parse(podman(["image", "inspect", FROM])) as Inspect[])[0]!.Size / 1e6 | 0} MB)`);
  t.is(info.Config.User, "node");
  t.is(info.Config.StopSignal, "SIGTERM");
  t.truthy(info.Config.Volumes?.["/data"], "data under a declared volume");
  t.truthy(info.Healthcheck?.Test.join(" ").includes("/readyz"), "HEALTHCHECK on /readyz");
  t.truthy(info.Config.ExposedPorts["3000/tcp"]);
  const env = Object.fromEntries(info.Config.Env.map((e) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)]));
  t.is(env["HOST"], "0.0.0.0", "listens on every interface of its container");
  t.is(env["CHAT_DATA_DIR"], "/data/pgdata");
  for (const key of Object.keys(env)) t.false(/DATABASE_URL|REDIS_URL|PASSWORD|SECRET|TOKEN|TLS_KEY/.test(key), `no secret in the image's environment: ${key}`);
  // What the run stage holds: the server and its production dependencies, not the build tools.
  const probe = podman(["run", "--rm", "--network", "none", "--entrypoint", "node", IMAGE, "-e", `
    const has = (m) => { try { require.resolve(m, { paths: ['/app'] }); return true; } catch { return false; } };
    const fs = require('fs');
    console.log(JSON.stringify({
      prisma: has('prisma'), typescript: has('typescript'), ava: has('ava'), client: has('@prisma/client'), pg: has('pg'),
      sources: fs.existsSync('/app/server'), tests: fs.existsSync('/app/dist/test'),
      unitTests: fs.readdirSync('/app/dist/server/services').some((f) => f.includes('.test.')),
      tui: fs.existsSync('/app/dist/tui/cli.js') && fs.existsSync('/app/dist/client/client.js'), sshd: fs.existsSync('/app/dist/gateway/cli.js'),
      env: fs.existsSync('/app/.env'), uid: process.getuid(), dataWritable: (() => { try { fs.accessSync('/data', fs.constants.W_OK); return true; } catch { return false; } })(),
    }));`]);
  t.deepEqual(JSON.parse(probe), { prisma: false, typescript: false, ava: false, client: true, pg: true, sources: false, tests: false, unitTests: false, tui: true, sshd: true, env: false, uid: 1000, dataWritable: true });
});

podmanTest("on PostgreSQL and Redis: register, send, SIGTERM drains, a restarted container still has the message", async (t) => {
  t.timeout(30 * 60_000);
  await buildImage((s) => t.log(s));
  const db = await freshPostgresDatabase();
  t.teardown(() => db.drop());
  // The host's PostgreSQL and Redis listen on loopback: the container shares the host's network
  // and listens on loopback too (the image's default is 0.0.0.0, checked above).
  const env = { PORT: String(await freePort()), HOST: "127.0.0.1", DATABASE_URL: db.url, REDIS_URL: REDIS_URL!, CHAT_REDIS_PREFIX: `test-${randomUUID().slice(0, 8)}` };
  const first = await runImage(env);
  t.teardown(() => removeAll());
  t.log(`podman run to /readyz 200, fresh database (migrations): ${first.startedMs} ms`);
  t.is(spawnSync(PODMAN!, ["healthcheck", "run", first.name], { env: podmanEnv, encoding: "utf8", timeout: 60_000 }).status, 0, "the image's HEALTHCHECK passes");

  const name = nick("box");
  const reg = await api<AuthResponse>(first.base, "/api/v1/register", { nick: name, password: "correct horse battery" });
  t.is(reg.status, 201, JSON.stringify(reg.body));
  const alice = await connect(first.base, reg.body);
  const room = await alice.ok<ChatDto>("room:create", { name: `#${nick("crate")}` });
  const sent = await alice.ok<MessageDto>("message:send", { chatId: room.id, text: "shipped in a container", clientId: uuid() });

  // Not spawnSync: the client lives in this process and must answer the WebSocket close while
  // the server drains (a client that does not answer holds the drain up to its 15 s limit).
  const stopped = Date.now();
  await runAsync(PODMAN!, ["stop", "-t", "30", first.name], { timeoutMs: 60_000 });
  t.log(`podman stop (SIGTERM, drain, exit): ${Date.now() - stopped} ms`);
  const out = logs(first.name);
  t.is(podman(["inspect", "--format", "{{.State.ExitCode}}", first.name]).trim(), "0", `exits 0 after the drain: ${out.slice(-2000)}`);
  t.regex(out, /"signal":"SIGTERM".*"msg":"shutting down"/);
  t.regex(out, /"msg":"chat-server stopped"/, "the drain ran to its end");
  await alice.next("server:shutdown", () => true, 10_000);
  alice.close();

  const again = await runImage(env, [], first.name);
  t.log(`podman start to /readyz 200, migrated database: ${again.startedMs} ms`);
  const login = await api<AuthResponse>(again.base, "/api/v1/login", { nick: name, password: "correct horse battery" });
  t.is(login.status, 200);
  const back = await connect(again.base, login.body);
  const page = await back.ok<{ messages: MessageDto[] }>("history:fetch", { chatId: room.id, limit: 10 });
  t.deepEqual(page.messages.filter((m) => m.id === sent.id).map((m) => m.text), ["shipped in a container"]);
  back.close();
});

podmanTest("on the embedded database: the data lives in the /data volume and outlives the container", async (t) => {
  t.timeout(30 * 60_000);
  await buildImage((s) => t.log(s));
  const volume = `sm-test-${randomUUID().slice(0, 8)}`;
  volumes.add(volume);
  t.teardown(() => removeAll());
  const env = { PORT: String(await freePort()), HOST: "127.0.0.1" };
  const first = await runImage(env, ["-v", `${volume}:/data`]);
  t.log(`podman run to /readyz 200, fresh embedded database: ${first.startedMs} ms`);
  const name = nick("vol");
  t.is((await api(first.base, "/api/v1/register", { nick: name, password: "correct horse battery" })).status, 201);
  await runAsync(PODMAN!, ["stop", "-t", "30", first.name], { timeoutMs: 60_000 });
  t.regex(logs(first.name), /"msg":"chat-server stopped"/);
  podman(["rm", "-v", first.name]);
  containers.delete(first.name);

  // A new container on the same volume: the account is still there.
  const second = await runImage(env, ["-v", `${volume}:/data`]);
  t.is((await api(second.base, "/api/v1/login", { nick: name, password: "correct horse battery" })).status, 200);
});

// compose.yaml cannot be brought up here (its PostgreSQL, Redis and nginx images come from a
// registry this machine cannot reach), so its structure is checked, parsed by PyYAML (which
// podman-compose brings) rather than by a YAML parser added to the project for this alone.
const hasYaml = Boolean(PYTHON) && spawnSync(PYTHON!, ["-c", "import yaml"]).status === 0;
const composeTest = hasYaml ? test : test.skip;
if (!hasYaml) test.skip("compose.yaml structure (skipped: python3 with PyYAML is not installed)", () => {});
composeTest("compose.yaml: two chat-server replicas behind nginx with the documented proxy settings, PostgreSQL with a volume, Redis", (t) => {
  const json = execFileSync(PYTHON!, ["-c", "import sys, json, yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))", path.join(PACKAGE_ROOT, "compose.yaml")], { encoding: "utf8" });
  type Service = { image?: string; build?: unknown; command?: string[]; environment?: Record<string, string>; deploy?: { replicas?: number }; volumes?: string[]; ports?: string[]; depends_on?: Record<string, { condition: string }> | string[]; stop_signal?: string; stop_grace_period?: string };
  const compose = JSON.parse(json) as { services: Record<string, Service>; volumes: Record<string, unknown> };
  const s = compose.services;
  t.deepEqual(Object.keys(s).sort(), ["chat-server", "chat-sshd", "migrate", "nginx", "postgres", "redis"]);
  const chat = s["chat-server"]!;
  t.is(chat.deploy?.replicas, 2);
  t.is(chat.build, ".");
  t.is(s["migrate"]!.image, chat.image, "migrate runs the same image");
  t.deepEqual(s["migrate"]!.command, ["migrate"]);
  t.deepEqual(chat.depends_on, { migrate: { condition: "service_completed_successfully" }, redis: { condition: "service_healthy" } });
  const env = chat.environment!;
  t.regex(env["DATABASE_URL"]!, /^postgresql:\/\/chat:\$\{POSTGRES_PASSWORD:\?[^}]+\}@postgres:5432\/chat$/, "the password comes from the environment, none in the file");
  t.is(env["REDIS_URL"], "redis://redis:6379");
  t.truthy(env["CHAT_REDIS_PREFIX"]);
  t.is(env["TRUST_PROXY"], "1", "behind nginx, per-address limits use X-Forwarded-For");
  t.is(chat.stop_signal, "SIGTERM");
  t.regex(chat.stop_grace_period!, /^\d+s$/);
  t.true(Number.parseInt(chat.stop_grace_period!, 10) > 10, "longer than the server's 10 s drain");
  t.true(s["postgres"]!.volumes!.some((v) => v.startsWith("pgdata:/var/lib/postgresql/data")));
  t.true("pgdata" in compose.volumes);
  t.is(s["postgres"]!.environment!["POSTGRES_PASSWORD"], env["DATABASE_URL"]!.match(/\$\{POSTGRES_PASSWORD[^}]*\}/)![0]);
  t.regex(s["redis"]!.image!, /redis/);
  const nginx = s["nginx"]!;
  t.deepEqual(nginx.ports, ["${CHAT_PORT:-8080}:8080"]);
  t.deepEqual(nginx.volumes, ["./deploy/nginx-compose.conf:/etc/nginx/conf.d/default.conf:ro"]);
  // chat-sshd: the same image, through nginx like any client, with the gateway secret chat-server has.
  const sshd = s["chat-sshd"]! as Service & { entrypoint?: string[] };
  t.is(sshd.image, chat.image);
  t.deepEqual(sshd.entrypoint, ["node", "dist/gateway/cli.js"]);
  t.true(sshd.command!.join(" ").includes("--server http://nginx:8080"));
  t.true(sshd.command!.join(" ").includes("--host 0.0.0.0"));
  t.is(sshd.environment!["CHAT_GATEWAY_SECRET"], env["CHAT_GATEWAY_SECRET"], "one secret on both sides");
  t.deepEqual(sshd.ports, ["${SSH_PORT:-2022}:2022"]);
  t.true("sshd" in compose.volumes, "the host key outlives the container");

  // nginx: the same map and location as docs/ops/nginx-chat.conf (the one the cluster test
  // runs), an upstream of the compose service on the port the image listens on.
  const documented = readFileSync(path.join(PACKAGE_ROOT, "docs", "ops", "nginx-chat.conf"), "utf8");
  const conf = readFileSync(path.join(PACKAGE_ROOT, "deploy", "nginx-compose.conf"), "utf8");
  const fromMap = (text: string) => text.slice(text.indexOf("map $http_upgrade"));
  t.is(fromMap(conf), fromMap(documented));
  const upstream = /upstream chat_servers \{([^}]*)\}/.exec(conf)![1]!;
  const port = /PORT=(\d+)/.exec(DOCKERFILE)![1];
  t.deepEqual(upstream.trim().split("\n").map((l) => l.trim()), ["least_conn;", `server chat-server:${port} max_fails=1 fail_timeout=5s;`]);
});
