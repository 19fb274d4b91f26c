// Structured JSON logging (one object a line); secrets are redacted by path.
import { pino, type DestinationStream, type Logger } from "pino";
import type { AuditEvent, AuditFields, AuditLog } from "./services/ports.js";

export type { Logger };

/**
 * JSON lines (pino escapes every field, so user-supplied text cannot forge a line). Nothing
 * logs payloads; password/token fields are redacted should one ever be passed.
 */
export function createLogger(level = process.env["LOG_LEVEL"] ?? "info", destination?: DestinationStream): Logger {
  const options = {
    level,
    base: { service: "chat-server" },
    redact: { paths: ["password", "token", "text", "*.password", "*.token", "*.text", "req.headers.authorization"], censor: "[redacted]" },
  };
  return pino(options, destination ?? stdoutDestination());
}

/**
 * Standard output, written synchronously (as Node writes it on Linux anyway; the server logs a
 * few lines per connection at most). Not pino's default asynchronous stream: at exit it flushes
 * its buffer with a loop that retries EPIPE forever, so a server whose log reader went away
 * (`| head`, a dead log shipper) never finished shutting down. Here a write error stops logging
 * and nothing else: the server keeps running or shutting down.
 */
function stdoutDestination(): DestinationStream {
  const dest = pino.destination({ dest: 1, sync: true });
  // pino's own handler silences the stream on EPIPE; any other write error lands here.
  let stopped = false;
  dest.on("error", (e: NodeJS.ErrnoException) => {
    dest.write = () => true;
    if (stopped) return;
    stopped = true;
    const why = e.code === "EPIPE" ? "its reader went away (EPIPE)" : (e.code ?? e.message);
    try {
      process.stderr.write(`chat-server: stopped logging to standard output: ${why}\n`);
    } catch {
      /* standard error is gone too */
    }
  });
  return dest;
}

/**
 * An error reduced to what is safe to log: Prisma's messages go on to print the query's
 * arguments (message bodies, password hashes) after their first line, so only that line is kept.
 */
export function safeError(e: unknown): { name: string; code?: string; message: string } {
  const err = e as { name?: string; code?: unknown; message?: unknown };
  const first = String(err?.message ?? e).split("\n").find((l) => l.trim()) ?? "";
  return { name: String(err?.name ?? "Error"), ...(typeof err?.code === "string" ? { code: err.code } : {}), message: first.slice(0, 200) };
}

/**
 * The audit log: lines with `"audit":true` and an `event` (`login.failed`, `ban`, ...), written
 * at info level even when the server logs only warnings, unless logging is off altogether.
 */
export function createAuditLog(log: Logger): AuditLog {
  const audit = log.child({ audit: true }, log.level === "silent" ? {} : { level: "info" });
  return { record: (event: AuditEvent, fields: AuditFields) => audit.info({ ...fields, event }, `audit ${event}`) };
}
