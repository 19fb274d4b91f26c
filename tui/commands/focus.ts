// Focus and user-list commands.
import { sortedUsers } from "../state/selectors.js";
import type { FocusCommandId } from "./ids.js";
import type { CommandContext, Run } from "./context.js";

export function focusCommands(ctx: CommandContext): Record<FocusCommandId, Run> {
  const { dispatch } = ctx;
  async function openSelectedUser() {
    const s = ctx.state();
    const u = sortedUsers(s)[s.userCursor];
    if (!u || !ctx.client.connected) return;
    if (u.me) return ctx.notice("That is you.", "error");
    const chat = await ctx.client.openChat(ctx.client.request("dm:open", { nick: u.nick }));
    if (chat) dispatch({ type: "focus.set", focus: "input" });
  }
  return {
    "focus.next": () => dispatch({ type: "focus.cycle", delta: 1 }),
    "focus.prev": () => dispatch({ type: "focus.cycle", delta: -1 }),
    "focus.input": () => dispatch({ type: "focus.set", focus: "input" }),
    "users.up": () => dispatch({ type: "users.move", delta: -1 }),
    "users.down": () => dispatch({ type: "users.move", delta: 1 }),
    "users.openDm": openSelectedUser,
  };
}
