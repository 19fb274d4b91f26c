// Admin events: moderation (moderators and admins) and server shutdown (admins).
import { AppError } from "../../app-error.js";
import { Ban, Empty, Kick, Mute, Shutdown, Unsanction, type ClusterMetrics, type ServerShutdown, type UserDto } from "../../protocol/index.js";
import type { ModerationService } from "../../services/moderation.js";
import { handle } from "../handle.js";

/** How the server is told to shut down; implemented by the composition root. */
export interface ServerControl {
  shutdown(opts: { inSeconds: number; reason: string; by: string | null }): ServerShutdown;
  /** The announced shutdown with the seconds left now, or null. */
  pending(): ServerShutdown | null;
  /** Live figures of every node (this one first), private room names hidden unless `viewer` is in the room. */
  metrics(viewer: UserDto): Promise<ClusterMetrics>;
}

export const adminHandlers = (moderation: ModerationService, control: ServerControl) => ({
  "admin:kick": handle<"admin:kick">(Kick, (p, ctx) => moderation.kick(ctx.user, p.nick, p.reason)),
  "admin:ban": handle<"admin:ban">(Ban, (p, ctx) => moderation.ban(ctx.user, p.nick, p.durationSec, p.reason)),
  "admin:unban": handle<"admin:unban">(Unsanction, (p, ctx) => moderation.unban(ctx.user, p.nick)),
  "admin:mute": handle<"admin:mute">(Mute, (p, ctx) => moderation.mute(ctx.user, p.nick, p.durationSec, p.reason)),
  "admin:unmute": handle<"admin:unmute">(Unsanction, (p, ctx) => moderation.unmute(ctx.user, p.nick)),
  "admin:shutdown": handle<"admin:shutdown">(Shutdown, async (p, ctx) => {
    if (ctx.user.role !== "admin") throw new AppError("FORBIDDEN", "Only admins can shut the server down.");
    return control.shutdown({ inSeconds: p.inSeconds ?? 30, reason: p.reason || `shut down by ${ctx.user.nick}`, by: ctx.user.nick });
  }),
  "admin:metrics": handle<"admin:metrics">(Empty, async (_p, ctx) => {
    if (ctx.user.role !== "admin") throw new AppError("FORBIDDEN", "Only admins can see the server's metrics.");
    return control.metrics(ctx.user);
  }),
});
