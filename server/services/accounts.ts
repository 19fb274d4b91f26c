// Accounts and sessions: registration, login, logout, token checks, roles.
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { AppError } from "../app-error.js";
import { confusableKey } from "../protocol/confusables.js";
import { checkNick, foldKey, type AuthResponse, type Role, type SessionEnded, type SshKeyDto, type UserDto } from "../protocol/index.js";
import { toMessageDto, toUserDto } from "./dto.js";
import type { PasswordHasher } from "./password.js";
import { createCoalescer } from "./coalesce.js";
import { describeSanction } from "./moderation.js";
import { noAudit, type AuditLog, type Notifier, type Repositories, type SshKeyRecord, type UserRecord } from "./ports.js";
import { parseSshPublicKey } from "./ssh-keys.js";

export const GENERAL_ROOM = "general";

export type AuthenticatedSession = { sessionId: number; user: UserDto };
/** Where a request comes from (for the audit log) and whether its client is still there. */
export type RequestContext = { address?: string; signal?: AbortSignal };
/** A live session re-checked: still good (with the user as they are now), or ended and why. */
export type SessionVerdict = { ok: true; user: UserDto; expiresAt: Date } | { ok: false; ended: SessionEnded };

export interface AccountService {
  register(input: { nick: string; password: string }, ctx?: RequestContext): Promise<AuthResponse>;
  login(input: { nick: string; password: string }, ctx?: RequestContext): Promise<AuthResponse>;
  /** Revokes the session of the token; returns its id so its sockets can be closed. */
  logout(token: string): Promise<number | null>;
  authenticate(token: string): Promise<AuthenticatedSession>;
  /**
   * Re-checks sessions that sockets hold, in one read: revoked, expired or banned ones are
   * ended; good ones come with the user's current role and nick.
   */
  checkSessions(sessionIds: number[]): Promise<Map<number, SessionVerdict>>;
  /** The session epoch (SessionRepository.epoch): unchanged means no session was ended or changed. */
  sessionEpoch(): Promise<bigint>;
  /** Creates an account without a session (administration CLI). */
  addUser(input: { nick: string; password: string; role: Role }): Promise<UserDto>;
  setRole(nick: string, role: Role): Promise<UserDto>;
  listKeys(userId: number): Promise<SshKeyDto[]>;
  /** Binds an OpenSSH public key (one `.pub` line) to the user; KEY_TAKEN when it is bound to anyone. */
  addKey(userId: number, publicKey: string): Promise<SshKeyDto>;
  removeKey(userId: number, fingerprint: string): Promise<{ fingerprint: string }>;
  /**
   * A session for the account the key is bound to. Only for a caller that verified the key's
   * signature itself (chat-sshd, holding the gateway secret): the fingerprint is not a secret.
   */
  keyLogin(fingerprint: string, ctx?: RequestContext & { gateway?: string }): Promise<AuthResponse>;
}

const toKeyDto = (k: SshKeyRecord): SshKeyDto => ({ fingerprint: k.fingerprint, type: k.publicKey.split(" ")[0] ?? "", comment: k.comment, createdAt: k.createdAt.toISOString() });

export const hashToken = (token: string): Buffer => createHash("sha256").update(token).digest();
// base64url of 32 random bytes is 43 characters.
const TOKEN_RE = /^[A-Za-z0-9_-]{43}$/;

export function createAccountService(deps: {
  repos: Repositories;
  hasher: PasswordHasher;
  notifier: Notifier;
  sessionTtlMs: number;
  audit?: AuditLog;
  now?: () => Date;
}): AccountService {
  const { repos, hasher, notifier } = deps;
  const audit = deps.audit ?? noAudit;
  const now = deps.now ?? (() => new Date());
  // Verified against when the nick does not exist, so a wrong nick costs as much as a wrong password.
  let dummyHash: Promise<string> | undefined;

  async function issueSession(user: UserRecord): Promise<AuthResponse> {
    const token = randomBytes(32).toString("base64url");
    const expiresAt = new Date(now().getTime() + deps.sessionTtlMs);
    await repos.sessions.create({ userId: user.id, tokenHash: hashToken(token), expiresAt });
    return { token, user: toUserDto(user), expiresAt: expiresAt.toISOString() };
  }

  async function createUser(nick: string, password: string, role: Role, signal?: AbortSignal): Promise<UserRecord> {
    const checked = checkNick(nick);
    if (!checked.ok) throw new AppError("VALIDATION_FAILED", checked.message);
    if (await repos.users.findByNickKey(checked.key)) {
      throw new AppError("NICK_TAKEN", `The nickname "${checked.value}" is taken; choose another.`);
    }
    const lookalike = await repos.users.findBySkeleton(confusableKey(checked.value));
    if (lookalike) {
      throw new AppError("NICK_TAKEN", `The nickname "${checked.value}" looks like "${lookalike.nick}", which is taken; choose one that cannot be mistaken for it.`);
    }
    const passwordHash = await hasher.hash(password, { signal });
    const user = await repos.users.create({ nick: checked.value, nickKey: checked.key, nickSkeleton: confusableKey(checked.value), passwordHash, role });
    await joinGeneral(user);
    return user;
  }

  async function joinGeneral(user: UserRecord): Promise<void> {
    const general = await repos.chats.findRoomByKey(GENERAL_ROOM);
    if (!general) throw new AppError("INTERNAL", "The shared room is missing; run `chat-server migrate`.");
    await repos.chats.addMember(general.id, user.id);
    const { message } = await repos.messages.append({ chatId: general.id, senderId: user.id, kind: "join", text: "", clientId: randomUUID() });
    notifier.message({ chatId: general.id }, toMessageDto(message));
  }

  /** The hash a missing nick is checked against; made again if making it failed (busy, abandoned). */
  function dummy(): Promise<string> {
    dummyHash ??= hasher.hash(randomBytes(16).toString("hex")).catch((e: unknown) => {
      dummyHash = undefined;
      throw e;
    });
    return dummyHash;
  }

  // Handshakes arriving together read their sessions in one query (a reconnect storm).
  const findSession = createCoalescer((hexes: string[]) => repos.sessions.findValidMany(hexes.map((h) => Buffer.from(h, "hex")), now()), { max: 500 });

  async function refuseBanned(userId: number): Promise<void> {
    const ban = await repos.sanctions.active(userId, "ban", now());
    if (ban) throw new AppError("BANNED", `You are banned ${describeSanction(ban)}.`);
  }

  return {
    async register({ nick, password }, ctx = {}) {
      const user = await createUser(nick, password, "user", ctx.signal);
      audit.record("register", { userId: user.id, nick: user.nick, address: ctx.address });
      return issueSession(user);
    },

    async login({ nick, password }, ctx = {}) {
      const { address, signal } = ctx;
      // The nick as typed (bounded): a failed login may name an account that does not exist.
      const typed = nick.trim().slice(0, 64);
      const user = await repos.users.findByNickKey(foldKey(nick.trim()));
      if (!user) {
        await hasher.verify(password, await dummy(), { signal });
        audit.record("login.failed", { nick: typed, address, reason: "no such nick" });
        throw new AppError("INVALID_CREDENTIALS", "Wrong nickname or password.");
      }
      if (!(await hasher.verify(password, user.passwordHash, { signal }))) {
        audit.record("login.failed", { nick: user.nick, userId: user.id, address, reason: "wrong password" });
        throw new AppError("INVALID_CREDENTIALS", "Wrong nickname or password.");
      }
      // Only someone who knows the password learns about the ban.
      try {
        await refuseBanned(user.id);
      } catch (e) {
        audit.record("login.refused", { nick: user.nick, userId: user.id, address, reason: "banned" });
        throw e;
      }
      const session = await issueSession(user);
      audit.record("login.ok", { nick: user.nick, userId: user.id, address });
      return session;
    },

    async logout(token) {
      if (!TOKEN_RE.test(token)) return null;
      return repos.sessions.revoke(hashToken(token), now());
    },

    async authenticate(token) {
      if (!TOKEN_RE.test(token)) throw new AppError("SESSION_INVALID", "The session token is malformed; log in again.");
      const found = await findSession(hashToken(token).toString("hex"));
      if (!found) throw new AppError("SESSION_INVALID", "The session has expired or was revoked; log in again.");
      if (found.ban) throw new AppError("BANNED", `You are banned ${describeSanction(found.ban)}.`);
      return { sessionId: found.sessionId, user: toUserDto(found.user) };
    },

    async checkSessions(sessionIds) {
      const at = now();
      const verdicts = new Map<number, SessionVerdict>();
      for (const id of sessionIds) verdicts.set(id, { ok: false, ended: { code: "REVOKED", reason: "the session no longer exists", by: null, until: null } });
      for (const s of await repos.sessions.states(sessionIds, at)) {
        const ended = (code: SessionEnded["code"], reason: string, by: string | null = null, until: Date | null = null) =>
          verdicts.set(s.sessionId, { ok: false, ended: { code, reason, by, until: until?.toISOString() ?? null } });
        if (s.ban) ended("BANNED", s.ban.reason, s.ban.byNick, s.ban.until);
        else if (s.revokedAt) ended("REVOKED", "the session was ended (a kick, or a logout)");
        else if (s.expiresAt <= at) ended("EXPIRED", "the session expired");
        else verdicts.set(s.sessionId, { ok: true, user: toUserDto(s.user), expiresAt: s.expiresAt });
      }
      return verdicts;
    },
    sessionEpoch() {
      return repos.sessions.epoch();
    },

    async addUser({ nick, password, role }) {
      const user = await createUser(nick, password, role);
      audit.record("user.added", { userId: user.id, nick: user.nick, role, by: "command line" });
      return toUserDto(user);
    },

    async setRole(nick, role) {
      const user = await repos.users.findByNickKey(foldKey(nick.trim()));
      if (!user) throw new AppError("USER_NOT_FOUND", `There is no user "${nick}".`);
      await repos.users.setRole(user.id, role);
      audit.record("role.changed", { userId: user.id, nick: user.nick, from: user.role, to: role, by: "command line" });
      return toUserDto({ ...user, role });
    },

    async listKeys(userId) {
      return (await repos.sshKeys.listForUser(userId)).map(toKeyDto);
    },

    async addKey(userId, publicKey) {
      const key = parseSshPublicKey(publicKey);
      const bound = await repos.sshKeys.findByFingerprint(key.fingerprint);
      if (bound) {
        throw new AppError("KEY_TAKEN", bound.userId === userId ? `The key ${key.fingerprint} is bound to your account already.` : `The key ${key.fingerprint} is bound to another account; a key can log in to one account only.`);
      }
      const created = await repos.sshKeys.create({ userId, fingerprint: key.fingerprint, publicKey: key.line, comment: key.comment });
      audit.record("key.added", { userId, fingerprint: key.fingerprint, type: key.type });
      return toKeyDto(created);
    },

    async removeKey(userId, fingerprint) {
      if (!(await repos.sshKeys.remove(userId, fingerprint))) throw new AppError("KEY_NOT_FOUND", `No key ${fingerprint} is bound to your account; /key list shows yours.`);
      audit.record("key.removed", { userId, fingerprint });
      return { fingerprint };
    },

    async keyLogin(fingerprint, ctx = {}) {
      const key = await repos.sshKeys.findByFingerprint(fingerprint);
      const user = key && (await repos.users.findById(key.userId));
      if (!user) {
        audit.record("login.key.refused", { fingerprint, address: ctx.address, gateway: ctx.gateway, reason: "key not bound" });
        throw new AppError("KEY_NOT_FOUND", "This key is not bound to an account.");
      }
      try {
        await refuseBanned(user.id);
      } catch (e) {
        audit.record("login.key.refused", { nick: user.nick, userId: user.id, fingerprint, address: ctx.address, gateway: ctx.gateway, reason: "banned" });
        throw e;
      }
      const session = await issueSession(user);
      audit.record("login.key", { nick: user.nick, userId: user.id, fingerprint, address: ctx.address, gateway: ctx.gateway });
      return session;
    },
  };
}
