// Turns anything a handler throws into a protocol error body; unexpected errors are logged.
import { z } from "zod";
import { isAppError } from "../app-error.js";
import { safeError, type Logger } from "../log.js";
import { describeIssues, type ErrorBody } from "../protocol/index.js";

// pg-pool's "timeout exceeded when trying to connect" (no connection within connectionTimeoutMillis)
// and PostgreSQL's "too many clients" (53300) mean the database cannot take the request now.
const DB_DOWN = /ECONNREFUSED|timeout exceeded when trying to connect|too many clients already|ECONNRESET|ETIMEDOUT|Connection terminated|connect ECONN|Can't reach database|database system is (starting up|shutting down)|PGlite is closed|embedded database (did not answer|stopped|is closed|.s worker exited)|No space left on device/i;

export function toErrorBody(error: unknown, log: Logger, context: Record<string, unknown> = {}, input?: unknown): ErrorBody {
  if (isAppError(error)) return { code: error.code, message: error.message };
  if (error instanceof z.ZodError) {
    const first = error.issues[0];
    const code = first?.code === "too_big" && first.path[0] === "text" ? "PAYLOAD_TOO_LARGE" : "VALIDATION_FAILED";
    return { code, message: describeIssues(error, input) };
  }
  const text = error instanceof Error ? `${error.message} ${String((error as { cause?: unknown }).cause ?? "")}` : String(error);
  if (DB_DOWN.test(text)) {
    log.warn({ ...context, err: safeError(error) }, "database unavailable");
    return { code: "UNAVAILABLE", message: "The server cannot reach its database right now; nothing was saved. Try again in a moment." };
  }
  log.error({ ...context, err: safeError(error) }, "unexpected error in handler");
  return { code: "INTERNAL", message: "Something went wrong on the server; it was logged. Try again." };
}
