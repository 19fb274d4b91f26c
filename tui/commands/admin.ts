// Moderation and server control (moderators and admins; the server checks the role).
import { ask, type CommandContext } from "./context.js";

const until = (u: string | null) => (u ? `until ${u.replace("T", " ").slice(0, 16)} UTC` : "until lifted");

export async function kick(ctx: CommandContext, nick: string, reason: string) {
  const r = await ask(ctx, ctx.client.request("admin:kick", { nick, ...(reason ? { reason } : {}) }));
  if (r) ctx.notice(`${r.nick} was kicked.`);
}

export async function sanction(ctx: CommandContext, kind: "ban" | "mute", nick: string, durationSec: number | undefined, reason: string) {
  const payload = { nick, ...(durationSec ? { durationSec } : {}), ...(reason ? { reason } : {}) };
  const r = await ask(ctx, ctx.client.request(kind === "ban" ? "admin:ban" : "admin:mute", payload));
  if (r) ctx.notice(`${r.nick} is ${kind === "ban" ? "banned" : "muted"} ${until(r.until)}.`);
}

export async function lift(ctx: CommandContext, kind: "unban" | "unmute", nick: string) {
  const r = await ask(ctx, ctx.client.request(kind === "unban" ? "admin:unban" : "admin:unmute", { nick }));
  if (r) ctx.notice(`${r.nick} is ${kind === "unban" ? "unbanned" : "unmuted"}.`);
}

export async function shutdown(ctx: CommandContext, inSeconds: number | undefined, reason: string) {
  await ask(ctx, ctx.client.request("admin:shutdown", { ...(inSeconds !== undefined ? { inSeconds } : {}), ...(reason ? { reason } : {}) }));
}
