// Login-form commands: submit (log in or register) and field editing.
import type { LoginCommandId } from "./ids.js";
import type { CommandContext, Run } from "./context.js";

export function loginCommands(ctx: CommandContext): Record<LoginCommandId, Run> {
  const { dispatch } = ctx;
  async function submit(mode: "login" | "register") {
    const { nick, password, busy } = ctx.state().login;
    if (busy) return;
    if (!nick.trim()) return dispatch({ type: "login.failed", error: "Type your nick first." });
    if (!password) return dispatch({ type: "login.field", field: "password" }), dispatch({ type: "login.failed", error: "Type your password." });
    await ctx.client.login(mode, nick.trim(), password);
  }
  return {
    "login.submit": () => submit("login"),
    "login.register": () => submit("register"),
    "login.nextField": () => dispatch({ type: "login.field", field: ctx.state().login.field === "nick" ? "password" : "nick" }),
    "login.backspace": () => {
      const l = ctx.state().login;
      dispatch({ type: "login.edit", field: l.field, value: [...l[l.field]].slice(0, -1).join("") });
    },
    "login.clearField": () => dispatch({ type: "login.edit", field: ctx.state().login.field, value: "" }),
  };
}
