// The protocol contract: the only part of server/ that tui/ may import.
export * from "./errors.js";
export * from "./names.js";
export * from "./emoji.js";
export * from "./schemas.js";
export type * from "./dto.js";
export { REACTION_NICKS, REPLY_EXCERPT, UNREAD_CAP } from "./dto.js";
export * from "./events.js";
export * from "./wire.js";
