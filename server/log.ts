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
  return destination ? pino(options, destination) : pino(options);
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
