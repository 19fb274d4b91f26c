// The whole command table: every CommandId has exactly one implementation (the compiler checks).
import type { CommandId } from "./ids.js";
import { appCommands } from "./app.js";
import { composerCommands } from "./composer.js";
import type { CommandContext, Run } from "./context.js";
import { fileCommands } from "./files.js";
import { focusCommands } from "./focus.js";
import { historyCommands } from "./history.js";
import { loginCommands } from "./login.js";
import { messageCommands } from "./messages.js";
import { tabCommands } from "./tabs.js";

export type CommandTable = Record<CommandId, Run>;

export const createCommands = (ctx: CommandContext): CommandTable => ({
  ...appCommands(ctx),
  ...tabCommands(ctx),
  ...focusCommands(ctx),
  ...historyCommands(ctx),
  ...fileCommands(ctx),
  ...composerCommands(ctx),
  ...messageCommands(ctx),
  ...loginCommands(ctx),
});
