// The headless client core: what front ends import.
export * from "./client.js";
export * from "./connection.js";
export * from "./ports.js";
export * from "./transfer.js";
export * from "./cancel.js";
export type * from "./state/actions.js";
export { isChatAction } from "./state/actions.js";
export * from "./state/reducer.js";
export * from "./state/selectors.js";
export * from "./state/store.js";
export * from "./state/types.js";
export * from "./state/attention.js";
export * from "./slash.js";
export * from "./commands.js";
