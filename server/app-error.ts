// The one error type services throw; transports turn it into a Result or an HTTP response.
import type { ErrorCode } from "./protocol/index.js";

export class AppError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "AppError";
    this.code = code;
  }
}

export const isAppError = (e: unknown): e is AppError => e instanceof AppError;
