// Moderation: kick, ban, mute and their reversal, by admins and moderators, on lower roles only.
import { AppError } from "../app-error.js";
import { foldKey, type Role, type Sanction, type UserDto } from "../protocol/index.js";
import { noAudit, type AuditLog, type Notifier, type Repositories, type SanctionKind, type SanctionRecord, type UserRecord } from "./ports.js";

const RANK: Record<Role, number> = { user: 0, moderator: 1, admin: 2 };

export interface ModerationService {
  kick(actor: UserDto, nick: string, reason?: string): Promise<{ nick: string }>;
  ban(actor: UserDto, nick: string, durationSec?: number, reason?: string): Promise<Sanction>;
  unban(actor: UserDto, nick: string): Promise<{ nick: string }>;
  mute(actor: UserDto, nick: string, durationSec?: number, reason?: string): Promise<Sanction>;
  unmute(actor: UserDto, nick: string): Promise<{ nick: string }>;
  /** The active ban or mute of a user, or null. */
  active(userId: number, kind: SanctionKind): Promise<SanctionRecord | null>;
}

/** "until 14:05 UTC (reason)" style text for messages people read. */
export function describeSanction(s: { until: Date | null; reason: string; byNick?: string | null }): string {
  const until = s.until ? `until ${s.until.toISOString().replace("T", " ").slice(0, 16)} UTC` : "until lifted";
  return `${until}${s.reason ? `: ${s.reason}` : ""}`;
}

export function createModerationService(deps: { repos: Repositories; notifier: Notifier; audit?: AuditLog; now?: () => Date }): ModerationService {
  const { repos, notifier } = deps;
  const audit = deps.audit ?? noAudit;
  const who = (actor: UserDto, user: UserRecord) => ({ by: actor.nick, byId: actor.id, nick: user.nick, userId: user.id });
  const now = deps.now ?? (() => new Date());

  /** The target, if the actor may act on them: moderators and admins, on lower roles only. */
  async function target(actor: UserDto, nick: string): Promise<UserRecord> {
    // The actor's role as stored now, not as their socket learned it: a demotion counts at once.
    const role = (await repos.users.findById(actor.id))?.role ?? "user";
    if (RANK[role] < RANK.moderator) throw new AppError("FORBIDDEN", "Only moderators and admins can do that.");
    const user = await repos.users.findByNickKey(foldKey(nick.trim()));
    if (!user) throw new AppError("USER_NOT_FOUND", `There is no user "${nick}".`);
    if (user.id === actor.id) throw new AppError("FORBIDDEN", "You cannot do that to yourself.");
    if (RANK[user.role] >= RANK[role]) throw new AppError("FORBIDDEN", `${user.nick} is ${user.role === "admin" ? "an admin" : `a ${user.role}`}; only someone of a higher role can do that.`);
    return user;
  }

  /** Revokes every session of the user and tells their devices why before closing them. */
  async function endSessions(user: UserRecord, code: "KICKED" | "BANNED", actor: UserDto, reason: string, until: Date | null) {
    await repos.sessions.revokeAll(user.id, now());
    notifier.toUser(user.id, "session:ended", { code, reason, by: actor.nick, until: until?.toISOString() ?? null });
    notifier.endUser(user.id);
  }

  const announce = (text: string) => notifier.toAll("notice", { level: "info", text });

  async function sanction(kind: SanctionKind, actor: UserDto, nick: string, durationSec?: number, reason = ""): Promise<Sanction> {
    const user = await target(actor, nick);
    const until = durationSec ? new Date(now().getTime() + durationSec * 1000) : null;
    await repos.sanctions.lift(user.id, kind, now());
    const record = await repos.sanctions.create({ kind, userId: user.id, byId: actor.id, reason, until });
    const what = kind === "ban" ? "banned" : "muted";
    if (kind === "ban") await endSessions(user, "BANNED", actor, reason, until);
    else notifier.toUser(user.id, "notice", { level: "error", code: "MUTED", text: `${actor.nick} muted you ${describeSanction(record)}.` });
    audit.record(kind, { ...who(actor, user), reason, until: until?.toISOString() ?? null });
    announce(`${user.nick} was ${what} by ${actor.nick} ${describeSanction(record)}.`);
    return { nick: user.nick, kind, until: until?.toISOString() ?? null, reason };
  }

  async function lift(kind: SanctionKind, actor: UserDto, nick: string): Promise<{ nick: string }> {
    const user = await target(actor, nick);
    const n = await repos.sanctions.lift(user.id, kind, now());
    if (n === 0) throw new AppError("VALIDATION_FAILED", `${user.nick} is not ${kind === "ban" ? "banned" : "muted"}.`);
    audit.record(kind === "ban" ? "unban" : "unmute", who(actor, user));
    if (kind === "mute") notifier.toUser(user.id, "notice", { level: "info", text: `${actor.nick} unmuted you.` });
    announce(`${user.nick} was ${kind === "ban" ? "unbanned" : "unmuted"} by ${actor.nick}.`);
    return { nick: user.nick };
  }

  return {
    async kick(actor, nick, reason = "") {
      const user = await target(actor, nick);
      await endSessions(user, "KICKED", actor, reason, null);
      audit.record("kick", { ...who(actor, user), reason });
      announce(`${user.nick} was kicked by ${actor.nick}${reason ? `: ${reason}` : ""}.`);
      return { nick: user.nick };
    },
    ban: (actor, nick, durationSec, reason) => sanction("ban", actor, nick, durationSec, reason),
    unban: (actor, nick) => lift("ban", actor, nick),
    mute: (actor, nick, durationSec, reason) => sanction("mute", actor, nick, durationSec, reason),
    unmute: (actor, nick) => lift("mute", actor, nick),
    active: (userId, kind) => repos.sanctions.active(userId, kind, now()),
  };
}
