// The protocol's run-time values without the zod schemas: what a browser bundle gets when it
// imports index.js (scripts/build-web.mjs points it here). Types still come from index.ts.
export * from "./errors.js";
export * from "./names.js";
export * from "./emoji.js";
export * from "./limits.js";
export * from "./wire.js";
export { REACTION_NICKS, REPLY_EXCERPT, UNREAD_CAP } from "./dto.js";
