// Structured JSON logging (one object a line); secrets are redacted by path.
import { pino, type Logger } from "pino";

export type { Logger };

export function createLogger(level = process.env["LOG_LEVEL"] ?? "info"): Logger {
  return pino({
    level,
    base: { service: "chat-server" },
    redact: { paths: ["password", "token", "*.password", "*.token", "req.headers.authorization"], censor: "[redacted]" },
  });
}
