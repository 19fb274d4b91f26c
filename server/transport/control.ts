// The local control socket: a running server over the embedded database does what the
// `chat-server user` commands ask (they cannot open the locked directory themselves).
// A Unix socket in the 0700 data directory, itself 0600: only the directory's owner reaches it.
import { chmod, unlink } from "node:fs/promises";
import { createServer, request, type IncomingMessage, type ServerResponse } from "node:http";
import { z } from "zod";
import { isAppError } from "../app-error.js";
import { safeError, type Logger } from "../log.js";
import { Password, type Role } from "../protocol/index.js";
import type { AccountService } from "../services/accounts.js";

const ROLE = z.enum(["admin", "moderator", "user"]);
const AddUser = z.object({ nick: z.string().max(200), password: Password, role: ROLE });
const SetRole = z.object({ nick: z.string().max(200), role: ROLE });

type Reply = { ok: true; data: unknown } | { ok: false; error: { code: string; message: string } };

async function readJson(req: IncomingMessage): Promise<unknown> {
  let body = "";
  for await (const chunk of req) {
    body += chunk;
    if (body.length > 16 * 1024) throw new Error("request too large");
  }
  return JSON.parse(body);
}

export type ControlServer = { path: string; close(): Promise<void> };

/** Listens on socketPath (replacing a stale socket file: the caller holds the data directory's lock). */
export async function startControlServer(socketPath: string, deps: { accounts: AccountService; log: Logger }): Promise<ControlServer> {
  const routes: Record<string, (input: unknown) => Promise<unknown>> = {
    "/user/add": async (input) => {
      const args = AddUser.parse(input);
      const user = await deps.accounts.addUser({ nick: args.nick, password: args.password, role: args.role as Role });
      deps.log.info({ nick: user.nick, id: user.id, role: user.role }, "account created from the command line");
      return user;
    },
    "/user/set-role": async (input) => {
      const args = SetRole.parse(input);
      const user = await deps.accounts.setRole(args.nick, args.role as Role);
      deps.log.info({ nick: user.nick, id: user.id, role: user.role }, "role changed from the command line");
      return user;
    },
  };
  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    let reply: Reply;
    try {
      const route = req.method === "POST" ? routes[req.url ?? ""] : undefined;
      if (!route) throw Object.assign(new Error(`unknown control request ${req.method} ${req.url}`), { code: "NOT_FOUND" });
      reply = { ok: true, data: await route(await readJson(req)) };
    } catch (e) {
      if (isAppError(e)) reply = { ok: false, error: { code: e.code, message: e.message } };
      else if (e instanceof z.ZodError) reply = { ok: false, error: { code: "VALIDATION_FAILED", message: e.issues[0]?.message ?? "invalid request" } };
      else {
        deps.log.warn({ err: safeError(e) }, "control request failed");
        reply = { ok: false, error: { code: "INTERNAL", message: safeError(e).message } };
      }
    }
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify(reply));
  });
  await unlink(socketPath).catch(() => undefined);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(socketPath, () => {
      server.off("error", reject);
      resolve();
    });
  });
  await chmod(socketPath, 0o600);
  return {
    path: socketPath,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }).then(() => unlink(socketPath).catch(() => undefined)),
  };
}

/** The CLI's side: sends one request to a running server's control socket. */
export function controlRequest<T>(socketPath: string, route: "/user/add" | "/user/set-role", body: unknown): Promise<T> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path: route, method: "POST", headers: { "content-type": "application/json" }, timeout: 30_000 }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => (text += d));
      res.on("end", () => {
        try {
          const reply = JSON.parse(text) as Reply;
          if (reply.ok) resolve(reply.data as T);
          else reject(Object.assign(new Error(reply.error.message), { code: reply.error.code }));
        } catch (e) {
          reject(e);
        }
      });
    });
    req.on("timeout", () => req.destroy(new Error("the running server did not answer within 30 s")));
    req.on("error", reject);
    req.end(JSON.stringify(body));
  });
}
