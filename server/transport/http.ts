// The JSON HTTP API: register, login, logout, health. Socket.IO shares the same server.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "../log.js";
import { AppError, isAppError } from "../app-error.js";
import type { z } from "zod";
import { Credentials, describeIssues, foldKey, httpStatus, LoginBody } from "../protocol/index.js";
import type { AccountService } from "../services/accounts.js";
import type { AuditLog, Notifier } from "../services/ports.js";
import { ABANDONED } from "../services/password.js";
import { toErrorBody } from "./errors.js";
import { clientAddress } from "./io.js";
import { seconds, type LimitKind, type Limits } from "./limits.js";
import type { Metrics } from "../metrics.js";

const MAX_BODY = 16 * 1024;

function send(res: ServerResponse, status: number, body?: unknown): void {
  if (body === undefined) {
    res.writeHead(status).end();
    return;
  }
  const json = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(json), "cache-control": "no-store" });
  res.end(json);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const type = req.headers["content-type"] ?? "";
  if (!type.toLowerCase().startsWith("application/json")) {
    throw new AppError("VALIDATION_FAILED", "Send a JSON body with Content-Type: application/json.");
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new AppError("PAYLOAD_TOO_LARGE", `The request body is larger than ${MAX_BODY} bytes.`);
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch (cause) {
    throw new AppError("VALIDATION_FAILED", "The request body is not valid JSON.", { cause });
  }
}

function parse<T>(schema: z.ZodType<T>, body: unknown): T {
  const r = schema.safeParse(body);
  if (!r.success) throw new AppError("VALIDATION_FAILED", describeIssues(r.error, body), { cause: r.error });
  return r.data;
}

function bearer(req: IncomingMessage): string | null {
  const h = req.headers.authorization ?? "";
  const m = /^Bearer\s+(\S+)$/i.exec(h);
  return m?.[1] ?? null;
}

/** Reading the body of a request whose client closed the connection fails with this. */
function clientWentAway(e: unknown, req: IncomingMessage): boolean {
  // Our own refusal (a body over the limit stops reading, which destroys the request) still
  // has someone to answer.
  if (isAppError(e)) return false;
  const code = (e as { code?: unknown } | null)?.code;
  return req.socket.destroyed && (code === "ECONNRESET" || code === "ERR_STREAM_PREMATURE_CLOSE" || req.destroyed);
}

export function createHttpHandler(deps: {
  accounts: AccountService;
  notifier: Notifier;
  limits: Limits;
  trustProxy: boolean | number;
  log: Logger;
  audit: AuditLog;
  metrics: Metrics;
  readiness: () => Promise<{ ready: boolean; checks: Record<string, string> }>;
}) {
  const { accounts, notifier, limits, log } = deps;

  async function limit(kind: LimitKind, key: string, what: string): Promise<void> {
    const r = await limits.consume(kind, key);
    if (!r.ok) throw new AppError("RATE_LIMITED", `Too many ${what}; try again in ${seconds(r.retryAfterMs)} s.`);
  }

  /** Fires when the client hangs up before its answer is written: its password is then not hashed. */
  function abandoned(res: ServerResponse): AbortSignal {
    const controller = new AbortController();
    res.once("close", () => {
      if (!res.writableEnded) controller.abort();
    });
    return controller.signal;
  }

  const routes: Record<string, (req: IncomingMessage, res: ServerResponse) => Promise<void>> = {
    "POST /api/v1/register": async (req, res) => {
      const body = parse(Credentials, await readJson(req));
      const address = clientAddress(req, deps.trustProxy);
      await limit("register", address, "registrations from your address");
      send(res, 201, await accounts.register(body, { address, signal: abandoned(res) }));
    },
    "POST /api/v1/login": async (req, res) => {
      const body = parse(LoginBody, await readJson(req));
      const address = clientAddress(req, deps.trustProxy);
      const refused = (reason: string) => deps.audit.record("login.refused", { nick: body.nick.trim().slice(0, 64), address, reason });
      const perAddress = await limits.consume("loginAddress", address);
      if (!perAddress.ok) {
        refused("too many logins from the address");
        throw new AppError("RATE_LIMITED", `Too many logins from your address; try again in ${seconds(perAddress.retryAfterMs)} s.`);
      }

      // Failed logins are counted per account and address: guessing a password is slow, and
      // someone guessing from one address cannot lock the owner out everywhere else. The
      // per-address limit above bounds guessing across many accounts. The point is spent
      // before hashing, so concurrent guesses cannot all be hashed before the first one
      // counts; a success resets the count and an attempt that did not fail gives it back.
      const key = `${foldKey(body.nick.trim())}|${address}`;
      const reserved = await limits.consume("loginFailure", key);
      if (!reserved.ok) {
        refused("too many failed logins");
        throw new AppError("RATE_LIMITED", `Too many failed logins for this account from your address; try again in ${seconds(reserved.retryAfterMs)} s.`);
      }
      let answer;
      try {
        answer = await accounts.login(body, { address, signal: abandoned(res) });
      } catch (e) {
        if (!(isAppError(e) && e.code === "INVALID_CREDENTIALS")) await limits.refund("loginFailure", key);
        if (isAppError(e) && e.code === "UNAVAILABLE" && e.message !== ABANDONED) refused("server busy");
        throw e;
      }
      await limits.reset("loginFailure", key);
      send(res, 200, answer);
    },
    "POST /api/v1/logout": async (req, res) => {
      const token = bearer(req);
      if (!token) throw new AppError("UNAUTHENTICATED", "Send the session token as 'Authorization: Bearer <token>'.");
      const sessionId = await accounts.logout(token);
      if (sessionId !== null) notifier.endSession(sessionId);
      send(res, 204);
    },
    "GET /healthz": async (_req, res) => send(res, 200, { status: "ok" }),
    // Ready: the database (and Redis, in a cluster) answer and no shutdown is under way.
    "GET /readyz": async (_req, res) => {
      const r = await deps.readiness();
      send(res, r.ready ? 200 : 503, { status: r.ready ? "ready" : "not ready", checks: r.checks });
    },
    "GET /metrics": async (_req, res) => {
      const text = await deps.metrics.registry.metrics();
      res.writeHead(200, { "content-type": deps.metrics.registry.contentType, "cache-control": "no-store" }).end(text);
    },
  };

  return (req: IncomingMessage, res: ServerResponse): void => {
    const path = (req.url ?? "/").split("?")[0];
    const route = routes[`${req.method} ${path}`];
    if (!route) {
      const known = Object.keys(routes).some((k) => k.endsWith(` ${path}`));
      send(res, known ? 405 : 404, { error: { code: "NOT_FOUND", message: known ? `${req.method} is not allowed on ${path}.` : `There is nothing at ${path}.` } });
      return;
    }
    route(req, res).catch((e: unknown) => {
      // The client hung up before its request was read (or answered): nothing went wrong here
      // and there is no one to answer.
      if (clientWentAway(e, req)) {
        log.debug({ route: `${req.method} ${path}` }, "client went away");
        return;
      }
      const error = toErrorBody(e, log, { route: `${req.method} ${path}` });
      if (!res.headersSent) send(res, httpStatus(error.code), { error });
      if (error.code === "PAYLOAD_TOO_LARGE") req.destroy();
    });
  };
}
