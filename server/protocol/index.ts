// The protocol contract: the only part of server/ that tui/ may import.
export * from "./errors.js";
export * from "./names.js";
export * from "./schemas.js";
export type * from "./dto.js";
export { UNREAD_CAP } from "./dto.js";
export * from "./events.js";
