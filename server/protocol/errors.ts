// Stable error codes of the protocol and the Result type every acknowledgement carries.

/** Every failure a client can see. Codes are part of the contract: never rename one. */
export const ERROR_CODES = [
  "VALIDATION_FAILED",
  "PAYLOAD_TOO_LARGE",
  "UNKNOWN_EVENT",
  "NOT_FOUND",
  "UNAUTHENTICATED",
  "SESSION_INVALID",
  "INVALID_CREDENTIALS",
  "NICK_TAKEN",
  "USER_NOT_FOUND",
  "CHAT_NOT_FOUND",
  "ROOM_EXISTS",
  "ROOM_NOT_FOUND",
  "CANNOT_LEAVE_GENERAL",
  "CLIENT_ID_REUSED",
  "FORBIDDEN",
  "BANNED",
  "MUTED",
  "RATE_LIMITED",
  "UNAVAILABLE",
  "INTERNAL",
  "FILE_NOT_FOUND",
  "FILE_TOO_LARGE",
  "QUOTA_EXCEEDED",
  "TOO_MANY_TRANSFERS",
  "OFFSET_MISMATCH",
  "UPLOAD_INCOMPLETE",
  "HASH_MISMATCH",
  "MESSAGE_NOT_FOUND",
  "MESSAGE_DELETED",
  "NOT_MESSAGE_SENDER",
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export type ErrorBody = { code: ErrorCode; message: string };
export type Result<T> = { ok: true; data: T } | { ok: false; error: ErrorBody };
export type Ack<T> = (result: Result<T>) => void;

export const ok = <T>(data: T): Result<T> => ({ ok: true, data });
export const fail = (code: ErrorCode, message: string): Result<never> => ({ ok: false, error: { code, message } });

/** HTTP status for an error code on the JSON API. */
export function httpStatus(code: ErrorCode): number {
  switch (code) {
    case "VALIDATION_FAILED":
    case "UNKNOWN_EVENT":
      return 400;
    case "UNAUTHENTICATED":
    case "SESSION_INVALID":
    case "INVALID_CREDENTIALS":
      return 401;
    case "FORBIDDEN":
    case "NOT_MESSAGE_SENDER":
    case "BANNED":
    case "MUTED":
      return 403;
    case "NOT_FOUND":
    case "USER_NOT_FOUND":
    case "CHAT_NOT_FOUND":
    case "ROOM_NOT_FOUND":
    case "FILE_NOT_FOUND":
    case "MESSAGE_NOT_FOUND":
      return 404;
    case "NICK_TAKEN":
    case "ROOM_EXISTS":
    case "CLIENT_ID_REUSED":
    case "CANNOT_LEAVE_GENERAL":
    case "OFFSET_MISMATCH":
    case "UPLOAD_INCOMPLETE":
    case "MESSAGE_DELETED":
      return 409;
    case "PAYLOAD_TOO_LARGE":
    case "FILE_TOO_LARGE":
    case "QUOTA_EXCEEDED":
      return 413;
    case "HASH_MISMATCH":
      return 422;
    case "RATE_LIMITED":
    case "TOO_MANY_TRANSFERS":
      return 429;
    case "UNAVAILABLE":
      return 503;
    case "INTERNAL":
      return 500;
  }
}
