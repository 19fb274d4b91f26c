// Prisma implementations of the repository interfaces the services depend on.
import { AppError } from "../app-error.js";
import type { ChatKind, MessageKind, Role } from "../protocol/index.js";
import { UNREAD_CAP } from "../protocol/index.js";
import { createCoalescer } from "../services/coalesce.js";
import type {
  ChatRecord, ChatRepository, ChatSummary, FileRecord, FileRepository, FileStatus, MessageHit, MessageRecord, MessageRepository, NewMessage, Repositories,
  SanctionKind, SanctionRecord, SanctionRepository, SessionRepository, SshKeyRepository, UserRecord, UserRepository,
} from "../services/ports.js";
import { Prisma, type PrismaClient } from "./generated/client.js";
import { prismaSql, type Sql } from "./sql.js";

const isUniqueViolation = (e: unknown): boolean =>
  typeof e === "object" && e !== null && (e as { code?: unknown }).code === "P2002";

type FileRow = {
  id: number; chatId: number; uploaderId: number; clientId: string; name: string; size: bigint; sha256: string; received: bigint;
  status: FileStatus; createdAt: Date; updatedAt: Date;
};
/** The uploader's nick comes from the caller: a file's own row, or the message that shared it (same person). */
const toFile = (r: FileRow, uploaderNick: string): FileRecord => ({
  id: r.id, chatId: r.chatId, uploaderId: r.uploaderId, uploaderNick, clientId: r.clientId, name: r.name,
  size: Number(r.size), sha256: r.sha256, received: Number(r.received), status: r.status, createdAt: r.createdAt, updatedAt: r.updatedAt,
});
const withUploader = { uploader: { select: { nick: true } } } as const;

const toUploadedFile = (r: FileRow & { uploader: { nick: string } }) => toFile(r, r.uploader.nick);

type ChatRow = { id: number; kind: ChatKind; name: string | null; nameKey: string | null; dmKey: string | null; isPrivate: boolean; createdAt: Date };
const toChat = (r: ChatRow): ChatRecord => ({
  id: r.id, kind: r.kind, name: r.name, nameKey: r.nameKey, dmKey: r.dmKey, isPrivate: r.isPrivate, createdAt: r.createdAt,
});

function userRepository(prisma: PrismaClient): UserRepository {
  return {
    async create(user) {
      try {
        return await prisma.user.create({ data: user });
      } catch (e) {
        // The same nick, or one that looks like it, registered at the same moment: the other won.
        if (isUniqueViolation(e)) throw new AppError("NICK_TAKEN", `The nickname "${user.nick}", or one that looks like it, is taken; choose another.`, { cause: e });
        throw e;
      }
    },
    findById: (id) => prisma.user.findUnique({ where: { id } }),
    findByNickKey: (nickKey) => prisma.user.findUnique({ where: { nickKey } }),
    findBySkeleton: (nickSkeleton) => prisma.user.findUnique({ where: { nickSkeleton } }),
    list: () => prisma.user.findMany({ orderBy: { nickKey: "asc" } }),
    async setRole(id: number, role: Role) {
      await prisma.user.update({ where: { id }, data: { role } });
    },
  };
}

type SessionRow = {
  session_id: number; revoked_at: Date | null; expires_at: Date;
  id: number; nick: string; nick_key: string; role: Role; password_hash: string; created_at: Date;
  ban_id: number | null; ban_reason: string | null; ban_until: Date | null; ban_by: string | null;
};
/**
 * Sessions with their user and the ban in force (as SanctionRepository.active reads it), the
 * WHERE clause left to the caller: one statement instead of Prisma's four (session, user,
 * sanctions, the sanction's author).
 */
const sessionSelect = (now: Date, extra = Prisma.empty) => Prisma.sql`
  SELECT s.id AS session_id, s.revoked_at, s.expires_at${extra},
    u.id, u.nick, u.nick_key, u.role::text AS role, u.password_hash, u.created_at,
    b.id AS ban_id, b.reason AS ban_reason, b.until AS ban_until, bu.nick AS ban_by
  FROM sessions s
  JOIN users u ON u.id = s.user_id
  LEFT JOIN LATERAL (
    SELECT x.id, x.reason, x.until, x.by_id FROM sanctions x
    WHERE x.user_id = s.user_id AND x.kind = 'ban' AND x.lifted_at IS NULL AND (x.until IS NULL OR x.until > ${now})
    ORDER BY x.id DESC LIMIT 1
  ) b ON true
  LEFT JOIN users bu ON bu.id = b.by_id`;
const toSessionUser = (r: SessionRow): UserRecord => ({ id: r.id, nick: r.nick, nickKey: r.nick_key, role: r.role, passwordHash: r.password_hash, createdAt: r.created_at });
const toBan = (r: SessionRow): SanctionRecord | null =>
  r.ban_id === null ? null : { id: r.ban_id, kind: "ban", userId: r.id, reason: r.ban_reason ?? "", until: r.ban_until, byNick: r.ban_by };

function sessionRepository(prisma: PrismaClient): SessionRepository {
  async function findValidMany(tokenHashes: Buffer[], now: Date): Promise<Map<string, { sessionId: number; user: UserRecord; ban: SanctionRecord | null }>> {
    // One statement for a batch of handshakes: each session, its user and the ban in force.
    // The hashes go as hex text (an array of byte strings is not a parameter every driver takes);
    // ARRAY(...) is evaluated once, so the unique index on token_hash answers each.
    const hexes = [...new Set(tokenHashes.map((h) => h.toString("hex")))];
    const rows = await prisma.$queryRaw<(SessionRow & { token_hex: string })[]>`
      ${sessionSelect(now, Prisma.sql`, encode(s.token_hash, 'hex') AS token_hex`)}
      WHERE s.token_hash = ANY(ARRAY(SELECT decode(h, 'hex') FROM unnest(${hexes}::text[]) AS t(h)))`;
    const found = new Map<string, { sessionId: number; user: UserRecord; ban: SanctionRecord | null }>();
    for (const r of rows) {
      if (r.revoked_at || r.expires_at <= now) continue;
      found.set(r.token_hex, { sessionId: r.session_id, user: toSessionUser(r), ban: toBan(r) });
    }
    return found;
  }

  return {
    async create({ userId, tokenHash, expiresAt }) {
      const s = await prisma.session.create({ data: { userId, tokenHash: new Uint8Array(tokenHash), expiresAt }, select: { id: true } });
      return { id: s.id };
    },
    findValidMany,
    async revokeAll(userId, now) {
      await prisma.session.updateMany({ where: { userId, revokedAt: null }, data: { revokedAt: now } });
    },
    async states(sessionIds, now) {
      if (sessionIds.length === 0) return [];
      // One statement for any number of sessions (the sweep reads 500 at a time).
      const rows = await prisma.$queryRaw<SessionRow[]>`${sessionSelect(now)} WHERE s.id = ANY(${[...new Set(sessionIds)]}::int[])`;
      return rows.map((r) => ({ sessionId: r.session_id, revokedAt: r.revoked_at, expiresAt: r.expires_at, user: toSessionUser(r), ban: toBan(r) }));
    },
    async epoch() {
      const r = await prisma.sessionEpoch.findUnique({ where: { id: 1 }, select: { n: true } });
      // The row is made by the migration; without it every read counts as a change.
      return r?.n ?? -1n;
    },
    async revoke(tokenHash, now) {
      const s = await prisma.session.findUnique({ where: { tokenHash: new Uint8Array(tokenHash) }, select: { id: true, revokedAt: true } });
      if (!s || s.revokedAt) return null;
      await prisma.session.update({ where: { id: s.id }, data: { revokedAt: now } });
      return s.id;
    },
  };
}

type SummaryRow = {
  chat_id: number; kind: ChatKind; name: string | null; name_key: string | null; dm_key: string | null; is_private: boolean;
  created_at: Date; open: boolean; last_read_id: bigint; last_id: bigint | null; unread: bigint;
  peer_id: number | null; peer_nick: string | null; peer_role: Role | null;
};

/** The columns of a user's active mute (null when none), joined as `s` with its moderator as `b`. */
type MuteColumns = { mute_id: number | null; mute_reason: string | null; mute_until: Date | null; mute_by: string | null };
const muteColumns = Prisma.sql`s.id AS mute_id, s.reason AS mute_reason, s.until AS mute_until, b.nick AS mute_by`;
/** The newest mute of `userId` not lifted and not run out at `now`, and who set it. */
const activeMuteJoin = (userId: number, now: Date) => Prisma.sql`
      LEFT JOIN LATERAL (
        SELECT x.id, x.reason, x.until, x.by_id FROM sanctions x
        WHERE x.user_id = ${userId} AND x.kind = 'mute' AND x.lifted_at IS NULL AND (x.until IS NULL OR x.until > ${now})
        ORDER BY x.id DESC LIMIT 1
      ) s ON true
      LEFT JOIN users b ON b.id = s.by_id`;
const muteFromRow = (r: MuteColumns, userId: number) =>
  r.mute_id === null ? null : { id: r.mute_id, kind: "mute" as const, userId, reason: r.mute_reason ?? "", until: r.mute_until, byNick: r.mute_by };

/** Send contexts a node keeps (per chat and sender); the oldest goes first past this. */
const SEND_CACHE_MAX = 50_000;

type SendContext = NonNullable<Awaited<ReturnType<ChatRepository["sendContext"]>>>;

function chatRepository(prisma: PrismaClient, sql: Sql, opts: { sendCache: boolean }): ChatRepository {
  const sendCache = opts.sendCache;
  /** What sends checked, with the send epoch read in the same statement (one snapshot). */
  const kept = new Map<string, { epoch: bigint; context: SendContext }>();
  let keptEpoch: bigint | null = null;

  async function readSendContext(chatId: number, userId: number, now: Date): Promise<{ context: SendContext | null; epoch: bigint | null }> {
    const [r] = await prisma.$queryRaw<(Omit<SummaryRow, "last_id" | "unread" | "peer_id" | "peer_nick" | "peer_role"> & MuteColumns & { epoch: bigint | null })[]>`
      SELECT c.id AS chat_id, c.kind, c.name, c.name_key, c.dm_key, c.is_private, c.created_at, m.open, m.last_read_id,
        ${muteColumns},
        (SELECT e.n FROM send_epoch e WHERE e.id = 1) AS epoch
      FROM memberships m
      JOIN chats c ON c.id = m.chat_id
      ${activeMuteJoin(userId, now)}
      WHERE m.chat_id = ${chatId} AND m.user_id = ${userId}`;
    if (!r) return { context: null, epoch: null };
    return {
      epoch: r.epoch,
      context: {
        chat: toChat({ id: r.chat_id, kind: r.kind, name: r.name, nameKey: r.name_key, dmKey: r.dm_key, isPrivate: r.is_private, createdAt: r.created_at }),
        membership: { chatId, userId, open: r.open, lastReadId: Number(r.last_read_id) },
        mute: muteFromRow(r, userId),
      },
    };
  }

  // One read of the send epoch in flight; the sends that arrive meanwhile wait for the next
  // one, so every send is checked against a read issued after it arrived, and a burst of sends
  // costs one read per round trip, not one per send.
  const epochNow = createCoalescer(
    async (_keys: 0[]) => new Map([[0 as const, (await prisma.$queryRaw<{ n: bigint }[]>`SELECT n FROM send_epoch WHERE id = 1`)[0]?.n ?? null]]),
    { max: Number.POSITIVE_INFINITY },
  );
  const sendEpochNow = async (): Promise<bigint | null> => (await epochNow(0)) ?? null;

  /** The chat list of each user (ChatRepository.listForUser), for any number of users in one statement. */
  async function summaries(userIds: number[], opts: { chatId?: number; all?: boolean }): Promise<Map<number, ChatSummary[]>> {
    const chatFilter = opts.chatId ?? null;
    const all = opts.all ?? false;
    // One query: the unread count is capped (LIMIT) so a huge backlog costs no more than the
    // cap, and the last id comes from the (chat_id, id) index.
    const rows = await prisma.$queryRaw<(SummaryRow & { user_id: number })[]>`
      SELECT m.user_id, m.chat_id, c.kind, c.name, c.name_key, c.dm_key, c.is_private, c.created_at, m.open, m.last_read_id,
        (SELECT max(x.id) FROM messages x WHERE x.chat_id = m.chat_id) AS last_id,
        (SELECT count(*) FROM (SELECT 1 FROM messages x WHERE x.chat_id = m.chat_id AND x.id > m.last_read_id
           AND x.sender_id <> m.user_id AND x.kind IN ('text', 'file') LIMIT ${UNREAD_CAP}) u) AS unread,
        p.id AS peer_id, p.nick AS peer_nick, p.role AS peer_role
      FROM memberships m
      JOIN chats c ON c.id = m.chat_id
      LEFT JOIN LATERAL (
        SELECT u.id, u.nick, u.role::text AS role FROM memberships pm JOIN users u ON u.id = pm.user_id
        WHERE c.kind = 'dm' AND pm.chat_id = m.chat_id AND pm.user_id <> m.user_id LIMIT 1
      ) p ON true
      WHERE m.user_id = ANY(${[...new Set(userIds)]}::int[]) AND (${all} OR m.open) AND (${chatFilter}::int IS NULL OR m.chat_id = ${chatFilter}::int)
      ORDER BY m.user_id, COALESCE(c.name_key = 'general', false) DESC, m.joined_at, m.chat_id`;
    const out = new Map<number, ChatSummary[]>(userIds.map((id) => [id, []]));
    for (const r of rows) {
      out.get(r.user_id)!.push({
        chat: toChat({ id: r.chat_id, kind: r.kind, name: r.name, nameKey: r.name_key, dmKey: r.dm_key, isPrivate: r.is_private, createdAt: r.created_at }),
        membership: { chatId: r.chat_id, userId: r.user_id, open: r.open, lastReadId: Number(r.last_read_id) },
        peer: r.peer_id !== null && r.peer_nick !== null ? { id: r.peer_id, nick: r.peer_nick, role: r.peer_role ?? "user" } : null,
        lastMessageId: Number(r.last_id ?? 0),
        unread: Number(r.unread),
      });
    }
    return out;
  }

  async function openRoomIdsMany(userIds: number[]): Promise<Map<number, number[]>> {
    const rows = await prisma.$queryRaw<{ user_id: number; chat_id: number }[]>`
      SELECT m.user_id, m.chat_id FROM memberships m JOIN chats c ON c.id = m.chat_id
      WHERE m.user_id = ANY(${[...new Set(userIds)]}::int[]) AND m.open AND c.kind = 'room'`;
    const out = new Map<number, number[]>(userIds.map((id) => [id, []]));
    for (const r of rows) out.get(r.user_id)!.push(r.chat_id);
    return out;
  }

  const repo: ChatRepository = {
    async findById(chatId) {
      const r = await prisma.chat.findUnique({ where: { id: chatId } });
      return r && toChat(r);
    },
    async findRoomByKey(nameKey, viewerId) {
      if (viewerId !== undefined) {
        // Private rooms share names freely; a member means their own (the oldest, if several).
        const own = await prisma.chat.findFirst({
          where: { nameKey, kind: "room", isPrivate: true, memberships: { some: { userId: viewerId } } },
          orderBy: { id: "asc" },
        });
        if (own) return toChat(own);
      }
      const pub = await prisma.chat.findUnique({ where: { publicKey: nameKey } });
      return pub && toChat(pub);
    },
    async findPublicRoomBySkeleton(nameSkeleton) {
      const r = await prisma.chat.findUnique({ where: { nameSkeleton } });
      return r && r.kind === "room" && !r.isPrivate ? toChat(r) : null;
    },
    async createRoom({ name, nameKey, nameSkeleton, isPrivate, creatorId }) {
      try {
        const r = await prisma.chat.create({
          data: {
            kind: "room", name, nameKey, publicKey: isPrivate ? null : nameKey, nameSkeleton: isPrivate ? null : nameSkeleton, isPrivate,
            createdById: creatorId, memberships: { create: { userId: creatorId } },
          },
        });
        return toChat(r);
      } catch (e) {
        // A public room of this name, or of one that looks like it, was created at the same moment.
        if (isUniqueViolation(e)) throw new AppError("ROOM_EXISTS", `A room named "${name}", or one that looks like it, exists already; join it or pick another name.`, { cause: e });
        throw e;
      }
    },
    async findOrCreateDm(a, b) {
      const dmKey = `${Math.min(a, b)}:${Math.max(a, b)}`;
      const existing = await prisma.chat.findUnique({ where: { dmKey } });
      if (existing) return toChat(existing);
      try {
        const r = await prisma.chat.create({
          // Created closed for the peer: it opens for them with the first message.
          data: { kind: "dm", dmKey, isPrivate: true, createdById: a, memberships: { create: [{ userId: a }, { userId: b, open: false }] } },
        });
        return toChat(r);
      } catch (e) {
        // Both users opened the DM at the same moment: the other insert won.
        if (!isUniqueViolation(e)) throw e;
        const r = await prisma.chat.findUniqueOrThrow({ where: { dmKey } });
        return toChat(r);
      }
    },
    async getMembership(chatId, userId) {
      const [m] = await sql.query<{ open: boolean; last_read_id: bigint }>(
        "SELECT open, last_read_id FROM memberships WHERE chat_id = $1::int AND user_id = $2::int", [chatId, userId]);
      return m ? { chatId, userId, open: m.open, lastReadId: Number(m.last_read_id) } : null;
    },
    async sendContext(chatId, userId, now) {
      if (!sendCache) return (await readSendContext(chatId, userId, now)).context;
      // A read of the send epoch issued after this send arrived (shared with the sends that
      // arrived with it): what was kept counts only if nothing moved the epoch since it was read.
      const epoch = await sendEpochNow();
      // Without the counter (its row gone) nothing kept can be trusted.
      if (epoch === null) return (await readSendContext(chatId, userId, now)).context;
      if (epoch !== keptEpoch) {
        kept.clear();
        keptEpoch = epoch;
      }
      const key = `${chatId}:${userId}`;
      const hit = kept.get(key);
      // A mute ends when its time runs out, which moves no epoch: read again once it has.
      if (hit && hit.epoch === epoch && !(hit.context.mute?.until && hit.context.mute.until <= now)) return hit.context;
      const read = await readSendContext(chatId, userId, now);
      if (read.context && read.epoch === keptEpoch) {
        if (kept.size >= SEND_CACHE_MAX) kept.delete(kept.keys().next().value!);
        kept.set(key, { epoch: read.epoch, context: read.context });
      }
      return read.context;
    },
    async addMember(chatId, userId) {
      const before = await prisma.membership.findUnique({ where: { chatId_userId: { chatId, userId } }, select: { open: true } });
      await prisma.membership.upsert({
        where: { chatId_userId: { chatId, userId } },
        create: { chatId, userId },
        update: { open: true },
      });
      return before === null;
    },
    async removeMember(chatId, userId) {
      await prisma.membership.deleteMany({ where: { chatId, userId } });
    },
    async setOpen(chatId, userId, open) {
      await prisma.membership.updateMany({ where: { chatId, userId }, data: { open } });
    },
    async advanceRead(chatId, userId, messageId) {
      const rows = await prisma.$queryRaw<{ last_read_id: bigint }[]>`
        UPDATE memberships SET last_read_id = GREATEST(last_read_id, LEAST(${BigInt(messageId)}::bigint,
          COALESCE((SELECT max(id) FROM messages WHERE chat_id = ${chatId}), 0)))
        WHERE chat_id = ${chatId} AND user_id = ${userId}
        RETURNING last_read_id`;
      return Number(rows[0]?.last_read_id ?? 0);
    },
    async listForUser(userId, opts = {}) {
      return (await summaries([userId], opts)).get(userId) ?? [];
    },
    async listForUsers(userIds) {
      return summaries(userIds, {});
    },
    openRoomIdsMany,
    members: (chatId) => prisma.membership.findMany({ where: { chatId }, select: { userId: true, open: true } }),
    async listPublicRooms(userId) {
      const rows = await prisma.chat.findMany({
        where: { kind: "room", OR: [{ isPrivate: false }, { memberships: { some: { userId } } }] },
        select: { id: true, name: true, _count: { select: { memberships: true } }, memberships: { where: { userId }, select: { userId: true } } },
        orderBy: { nameKey: "asc" },
      });
      return rows.map((r) => ({ id: r.id, name: r.name ?? "", members: r._count.memberships, joined: r.memberships.length > 0 }));
    },
    async names(chatIds, viewerId) {
      if (chatIds.length === 0) return new Map();
      const rows = await prisma.$queryRaw<{ id: number; name: string | null; peer: string | null }[]>`
        SELECT c.id, c.name, (SELECT u.nick FROM memberships pm JOIN users u ON u.id = pm.user_id
          WHERE c.kind = 'dm' AND pm.chat_id = c.id AND pm.user_id <> ${viewerId} LIMIT 1) AS peer
        FROM chats c WHERE c.id = ANY(${[...new Set(chatIds)]}::int[])`;
      return new Map(rows.map((r) => [r.id, r.name ?? r.peer ?? "(deleted user)"]));
    },
  };
  return repo;
}

/**
 * The columns of a whole MessageRecord (sender, file, reply, deleter, reactions) read in one
 * statement, for the page of ids in a CTE named `page` (column `id`); Prisma's `include`
 * would take one query per relation, and on PGlite they run one after the other. `chat_name`
 * is the chat's name as the user whose id is in `viewer` sees it (a DM: the other person);
 * `pageColumns` are more columns of `page` to return beside the record.
 */
function loadedMessagesSql(viewer: string | null, pageColumns: string[] = []): string {
  const chatName = viewer === null ? "NULL::text" : `COALESCE(c.name, (SELECT u.nick FROM memberships pm JOIN users u ON u.id = pm.user_id
      WHERE c.kind = 'dm' AND pm.chat_id = c.id AND pm.user_id <> ${viewer} LIMIT 1), '(deleted user)')`;
  // Scalar subqueries rather than joins for the one-value relations: the statement is planned
  // on every call (no prepared plan through the driver adapter), and each join more multiplies
  // the join orders the planner weighs (2.1 ms of planning for 0.3 ms of execution with joins).
  const nick = (id: string) => `(SELECT u.nick FROM users u WHERE u.id = ${id})`;
  const reactions = (col: string) => `(SELECT array_agg(${col} ORDER BY e.created_at, e.user_id, e.emoji) FROM reactions e
      JOIN users u ON u.id = e.user_id WHERE e.message_id = x.id)`;
  return `SELECT x.id, x.chat_id, x.kind::text AS kind, x.sender_id, ${nick("x.sender_id")} AS sender_nick, x.text, x.client_id::text AS client_id,
      x.created_at, x.edited_at, x.deleted_at, ${nick("x.deleted_by_id")} AS deleted_by_nick,
      f.id AS f_id, f.chat_id AS f_chat_id, f.uploader_id AS f_uploader_id, f.client_id::text AS f_client_id, f.name AS f_name,
      f.size AS f_size, f.sha256::text AS f_sha256, f.received AS f_received, f.status::text AS f_status, f.created_at AS f_created_at,
      f.updated_at AS f_updated_at,
      r.id AS r_id, r.text AS r_text, r.deleted_at AS r_deleted_at, ${nick("r.sender_id")} AS r_sender_nick,
      ${reactions("e.emoji::text")} AS emojis, ${reactions("u.nick::text")} AS nicks, ${chatName} AS chat_name${pageColumns.map((c) => `, page.${c}`).join("")}
    FROM page
    JOIN messages x ON x.id = page.id${viewer === null ? "" : `
    JOIN chats c ON c.id = x.chat_id`}
    LEFT JOIN files f ON f.id = x.file_id
    LEFT JOIN messages r ON r.id = x.reply_to_id`;
}
type LoadedRow = {
  id: bigint; chat_id: number; kind: MessageKind; sender_id: number; sender_nick: string; text: string; client_id: string;
  created_at: Date; edited_at: Date | null; deleted_at: Date | null; deleted_by_nick: string | null;
  f_id: number | null; f_chat_id: number; f_uploader_id: number; f_client_id: string; f_name: string; f_size: bigint; f_sha256: string;
  f_received: bigint; f_status: FileStatus; f_created_at: Date; f_updated_at: Date;
  r_id: bigint | null; r_text: string; r_deleted_at: Date | null; r_sender_nick: string;
  emojis: string[] | null; nicks: string[] | null; chat_name: string | null;
};
/** A MessageRecord from one row of loadedMessagesSql (reactions oldest first). */
const loadedToMessage = (r: LoadedRow): MessageRecord => ({
  id: Number(r.id), chatId: r.chat_id, kind: r.kind, senderId: r.sender_id, senderNick: r.sender_nick,
  text: r.text, clientId: r.client_id, createdAt: r.created_at,
  file: r.f_id === null ? null : toFile({
    id: r.f_id, chatId: r.f_chat_id, uploaderId: r.f_uploader_id, clientId: r.f_client_id, name: r.f_name, size: r.f_size, sha256: r.f_sha256,
    received: r.f_received, status: r.f_status, createdAt: r.f_created_at, updatedAt: r.f_updated_at,
  }, r.sender_nick),
  replyTo: r.r_id === null ? null : { id: Number(r.r_id), senderNick: r.r_sender_nick, text: r.r_text, deleted: r.r_deleted_at !== null },
  editedAt: r.edited_at,
  deleted: r.deleted_at && { byNick: r.deleted_by_nick ?? "(deleted user)", at: r.deleted_at },
  reactions: (r.emojis ?? []).map((emoji, i) => ({ emoji, nick: r.nicks?.[i] ?? "" })),
});
const loadedToHit = (r: LoadedRow): MessageHit => ({ message: loadedToMessage(r), chatName: r.chat_name ?? "" });

type InsertedRow = { id: bigint; chat_id: number; kind: MessageKind; sender_id: number; nick: string; text: string; client_id: string; created_at: Date };
type PendingAppend = { m: NewMessage; resolve: (r: { message: MessageRecord; created: boolean }) => void; reject: (e: unknown) => void };
/** Rows per group-committed INSERT (its five array parameters hold one element per row). */
const GROUP_COMMIT_MAX = 500;

/** A row of pageSql: a record's columns (all null in the one row of a member's empty page) and, when gated, `is_member`. */
type GatedRow = Omit<LoadedRow, "id"> & { id: bigint | null; is_member?: boolean };
/**
 * A history page: `ctes` (ending with the CTE `page`; GATE marks where each keyset query takes
 * the membership condition) and the records read around it, in `order` of id. With a reader
 * (the parameter `$readerParam`), the reader's membership is read in the same statement: no
 * row when not a member (the keyset queries do not run), one row of nulls for a member's empty
 * page; so history is one statement on one connection instead of two reads side by side, whose
 * latency was the slower of the two.
 */
function pageSql(ctes: string, order: "ASC" | "DESC", readerId: number | undefined, readerParam: number): string {
  if (readerId === undefined) return `WITH ${ctes.replaceAll(" GATE", "")} ${loadedMessagesSql(null)} ORDER BY x.id ${order}`;
  return `WITH member AS MATERIALIZED (SELECT true AS is_member FROM memberships WHERE chat_id = $1::int AND user_id = $${readerParam}::int),
    ${ctes.replaceAll(" GATE", " AND EXISTS (SELECT FROM member)")}
    SELECT loaded.*, member.is_member FROM member LEFT JOIN (${loadedMessagesSql(null)}) loaded ON true ORDER BY loaded.id ${order}`;
}
const reader = (readerId: number | undefined): number[] => (readerId === undefined ? [] : [readerId]);
/** pageSql's rows as records; null when a reader was given and is not a member. */
function gated(rows: GatedRow[], readerId: number | undefined): MessageRecord[] | null {
  if (readerId !== undefined && rows.length === 0) return null;
  const out: MessageRecord[] = [];
  for (const r of rows) if (r.id !== null) out.push(loadedToMessage(r as LoadedRow));
  return out;
}

function messageRepository(prisma: PrismaClient, sql: Sql, opts: { groupCommit: boolean; lanes: number }): MessageRepository {
  /** One message by id, whole, in one statement (the loader search and history use). */
  async function loadById(id: bigint): Promise<MessageRecord | null> {
    const [row] = await prisma.$queryRawUnsafe<LoadedRow[]>(`WITH page AS (SELECT $1::bigint AS id) ${loadedMessagesSql(null)}`, id);
    return row ? loadedToMessage(row) : null;
  }
  async function loadByClientId(senderId: number, clientId: string): Promise<MessageRecord | null> {
    const [row] = await prisma.$queryRawUnsafe<LoadedRow[]>(
      `WITH page AS MATERIALIZED (SELECT id FROM messages WHERE sender_id = $1::int AND client_id = $2::uuid) ${loadedMessagesSql(null)}`,
      senderId, clientId,
    );
    return row ? loadedToMessage(row) : null;
  }

  async function appendOne(m: NewMessage): Promise<{ message: MessageRecord; created: boolean }> {
    try {
      const { replyToId, ...rest } = m;
      // The INSERT stays Prisma's (its error codes are what callers and the group fallback
      // expect); the record is read back whole in one statement instead of one per relation.
      const { id } = await prisma.message.create({ data: { ...rest, ...(replyToId !== undefined ? { replyToId: BigInt(replyToId) } : {}) }, select: { id: true } });
      const message = await loadById(id);
      if (!message) throw new Error(`append: message ${id} not found after its INSERT`);
      return { message, created: true };
    } catch (e) {
      if (!isUniqueViolation(e)) throw e;
      const message = await loadByClientId(m.senderId, m.clientId);
      if (!message) throw e;
      return { message, created: false };
    }
  }

  // Group commit: appends that arrive while an INSERT is in flight wait and go together in the
  // next one, a single multi-row INSERT (one round trip and one commit for the whole group)
  // instead of one transaction per message. Semantics are those of appendOne: a (sender,
  // clientId) that exists returns the stored row with created=false, and each caller is
  // answered only after the statement holding its row has committed.
  //
  // With several lanes, as many INSERTs are in flight at once, each for its own share of the
  // chats: a chat's appends all go through one lane, one INSERT after the other, so its ids
  // keep the order of the appends (a reader paging with `after` never sees a lower id commit
  // after a higher one it has read).
  const lanes = Array.from({ length: Math.max(1, opts.lanes) }, () => ({ queue: [] as PendingAppend[], flushing: false }));

  async function flush(lane: { queue: PendingAppend[]; flushing: boolean }): Promise<void> {
    const queue = lane.queue;
    lane.flushing = true;
    try {
      while (queue.length > 0) {
        const batch = queue.splice(0, GROUP_COMMIT_MAX);
        try {
          const results = await insertGroup(batch.map((p) => p.m));
          batch.forEach((p, i) => p.resolve(results[i]!));
        } catch (e) {
          // A statement the database refused (P2xxx: constraint, data) rolled back as a whole:
          // each message gets what it would have got alone, one after the other so that ids keep
          // the order of the appends. Anything else (connection lost, the database gone) may
          // have committed or not, so it fails the group as it would fail one.
          const code = typeof e === "object" && e !== null ? (e as { code?: unknown }).code : undefined;
          if (typeof code !== "string" || !code.startsWith("P2")) batch.forEach((p) => p.reject(e));
          else for (const p of batch) await appendOne(p.m).then(p.resolve, p.reject);
        }
      }
    } finally {
      lane.flushing = false;
    }
  }

  async function insertGroup(group: NewMessage[]): Promise<{ message: MessageRecord; created: boolean }[]> {
    // Five array parameters whatever the size of the group (a VALUES list took 5 per row, which
    // the driver and the server parse and plan per statement); WITH ORDINALITY and ORDER BY keep
    // the rows, and so the ids they are given, in the order of the appends.
    const chatIds: number[] = [];
    const senderIds: number[] = [];
    const kinds: string[] = [];
    const texts: string[] = [];
    const clientIds: string[] = [];
    for (const m of group) {
      chatIds.push(m.chatId);
      senderIds.push(m.senderId);
      kinds.push(m.kind);
      texts.push(m.text);
      clientIds.push(m.clientId);
    }
    const inserted = await prisma.$queryRawUnsafe<InsertedRow[]>(
      `WITH ins AS (
         INSERT INTO messages (chat_id, sender_id, kind, text, client_id)
         SELECT g.chat_id, g.sender_id, g.kind::"MessageKind", g.text, g.client_id
           FROM unnest($1::int[], $2::int[], $3::text[], $4::text[], $5::uuid[]) WITH ORDINALITY AS g(chat_id, sender_id, kind, text, client_id, ord)
          ORDER BY g.ord
         ON CONFLICT (sender_id, client_id) DO NOTHING
         RETURNING id, chat_id, sender_id, kind, text, client_id::text AS client_id, created_at)
       SELECT ins.*, u.nick FROM ins JOIN users u ON u.id = ins.sender_id`,
      chatIds, senderIds, kinds, texts, clientIds,
    );
    const key = (senderId: number, clientId: string) => `${senderId}:${clientId.toLowerCase()}`;
    const toRecord = (r: InsertedRow): MessageRecord => ({
      id: Number(r.id), chatId: r.chat_id, kind: r.kind, senderId: r.sender_id, senderNick: r.nick, text: r.text, clientId: r.client_id, createdAt: r.created_at,
      file: null, replyTo: null, editedAt: null, deleted: null, reactions: [],
    });
    const fresh = new Map(inserted.map((r) => [key(r.sender_id, r.client_id), toRecord(r)]));
    // Resends (and a clientId used twice in the group) conflicted: the stored row answers them.
    const missing = group.filter((m) => !fresh.has(key(m.senderId, m.clientId)));
    const existing = new Map<string, MessageRecord>();
    if (missing.length > 0) {
      const rows = await prisma.$queryRawUnsafe<LoadedRow[]>(
        `WITH page AS MATERIALIZED (SELECT m.id FROM messages m
           JOIN unnest($1::int[], $2::uuid[]) AS k(sender_id, client_id) ON m.sender_id = k.sender_id AND m.client_id = k.client_id)
         ${loadedMessagesSql(null)}`,
        missing.map((m) => m.senderId), missing.map((m) => m.clientId),
      );
      for (const r of rows.map(loadedToMessage)) existing.set(key(r.senderId, r.clientId), r);
    }
    const taken = new Set<string>();
    return group.map((m) => {
      const k = key(m.senderId, m.clientId);
      const row = fresh.get(k);
      // The first of two appends with one clientId in the group created the row; the second did not.
      if (row && !taken.has(k)) {
        taken.add(k);
        return { message: row, created: true };
      }
      const stored = row ?? existing.get(k);
      if (!stored) throw new Error(`group commit: no row for message ${m.clientId} after its INSERT`);
      return { message: stored, created: false };
    });
  }

  return {
    append(m) {
      // File messages and replies (they carry a reference to load) go alone; text goes in groups.
      if (!opts.groupCommit || m.fileId !== undefined || m.replyToId !== undefined) return appendOne(m);
      const lane = lanes[m.chatId % lanes.length]!;
      return new Promise((resolve, reject) => {
        lane.queue.push({ m, resolve, reject });
        if (!lane.flushing) void flush(lane);
      });
    },
    async listBefore(chatId, before, limit, readerId) {
      // The page of ids (MATERIALIZED: planned alone, as the index-driven keyset query on
      // (chat_id, id) it is), and its records read around it in the same statement; through
      // the SQL seam (no query engine between the statement and the driver).
      const rows = before === null
        ? await sql.query<GatedRow>(pageSql(
          `page AS MATERIALIZED (SELECT id FROM messages WHERE chat_id = $1::int GATE ORDER BY id DESC LIMIT $2::int)`, "DESC", readerId, 3), [chatId, limit, ...reader(readerId)])
        : await sql.query<GatedRow>(pageSql(
          `page AS MATERIALIZED (SELECT id FROM messages WHERE chat_id = $1::int AND id < $2::bigint GATE ORDER BY id DESC LIMIT $3::int)`, "DESC", readerId, 4), [chatId, BigInt(before), limit, ...reader(readerId)]);
      return gated(rows, readerId);
    },
    async listAfter(chatId, after, limit, readerId) {
      const rows = await sql.query<GatedRow>(pageSql(
        `page AS MATERIALIZED (SELECT id FROM messages WHERE chat_id = $1::int AND id > $2::bigint GATE ORDER BY id ASC LIMIT $3::int)`, "ASC", readerId, 4), [chatId, BigInt(after), limit, ...reader(readerId)]);
      return gated(rows, readerId);
    },
    async listAround(chatId, around, olderLimit, newerLimit, readerId) {
      const rows = await sql.query<GatedRow>(pageSql(
        `older AS MATERIALIZED (SELECT id FROM messages WHERE chat_id = $1::int AND id <= $2::bigint GATE ORDER BY id DESC LIMIT $3::int),
         newer AS MATERIALIZED (SELECT id FROM messages WHERE chat_id = $1::int AND id > $2::bigint GATE ORDER BY id ASC LIMIT $4::int),
         page AS (SELECT id FROM older UNION ALL SELECT id FROM newer)`, "ASC", readerId, 5), [chatId, BigInt(around), olderLimit, newerLimit, ...reader(readerId)]);
      const all = gated(rows, readerId);
      return all && { older: all.filter((m) => m.id <= around).reverse(), newer: all.filter((m) => m.id > around) };
    },
    async findByClientId(senderId, clientId) {
      return loadByClientId(senderId, clientId);
    },
    async maxId() {
      const r = await prisma.message.aggregate({ _max: { id: true } });
      return Number(r._max.id ?? 0);
    },
    findById: (id) => loadById(BigInt(id)),
    async findMany(ids) {
      if (ids.length === 0) return [];
      const rows = await prisma.$queryRawUnsafe<LoadedRow[]>(`WITH page AS (SELECT DISTINCT unnest($1::bigint[]) AS id) ${loadedMessagesSql(null)}`, ids);
      const byId = new Map(rows.map((r) => [Number(r.id), loadedToMessage(r)]));
      return ids.flatMap((id) => byId.get(id) ?? []);
    },
    async context(messageId, userId, now) {
      const [r] = await prisma.$queryRaw<({
        id: bigint; chat_id: number; sender_id: number; kind: MessageKind; file_id: number | null; deleted_at: Date | null;
        c_kind: ChatKind; name: string | null; name_key: string | null; dm_key: string | null; is_private: boolean; c_created_at: Date;
      } & MuteColumns)[]>`
        SELECT msg.id, msg.chat_id, msg.sender_id, msg.kind, msg.file_id, msg.deleted_at,
          c.kind AS c_kind, c.name, c.name_key, c.dm_key, c.is_private, c.created_at AS c_created_at,
          ${muteColumns}
        FROM messages msg
        JOIN memberships m ON m.chat_id = msg.chat_id AND m.user_id = ${userId}
        JOIN chats c ON c.id = msg.chat_id
        ${activeMuteJoin(userId, now)}
        WHERE msg.id = ${BigInt(messageId)}`;
      if (!r) return null;
      return {
        message: { id: Number(r.id), chatId: r.chat_id, senderId: r.sender_id, kind: r.kind, fileId: r.file_id, deleted: r.deleted_at !== null },
        chat: toChat({ id: r.chat_id, kind: r.c_kind, name: r.name, nameKey: r.name_key, dmKey: r.dm_key, isPrivate: r.is_private, createdAt: r.c_created_at }),
        mute: muteFromRow(r, userId),
      };
    },
    async edit(messageId, text, clientId) {
      // One statement: the old text is kept and the new one written together, and an edit
      // whose (message, clientId) is stored already changes nothing.
      const rows = await prisma.$queryRaw<{ id: bigint }[]>`
        WITH old AS (
          SELECT id, text FROM messages WHERE id = ${BigInt(messageId)} AND deleted_at IS NULL FOR UPDATE
        ), ins AS (
          INSERT INTO message_edits (message_id, old_text, client_id) SELECT id, text, ${clientId}::uuid FROM old
          ON CONFLICT (message_id, client_id) DO NOTHING
          RETURNING message_id
        )
        UPDATE messages SET text = ${text}, edited_at = now() WHERE id IN (SELECT message_id FROM ins) RETURNING id`;
      return rows.length > 0;
    },
    async remove(messageId, byId) {
      const id = BigInt(messageId);
      return prisma.$transaction(async (tx) => {
        const n = await tx.message.updateMany({ where: { id, deletedAt: null }, data: { text: "", deletedAt: new Date(), deletedById: byId } });
        if (n.count === 0) return false;
        // What the text said lives on nowhere: not in old versions, reactions or mention lists.
        await tx.messageEdit.deleteMany({ where: { messageId: id } });
        await tx.reaction.deleteMany({ where: { messageId: id } });
        await tx.mention.deleteMany({ where: { messageId: id } });
        return true;
      });
    },
    async react(messageId, userId, emoji, on) {
      const id = BigInt(messageId);
      if (!on) return (await prisma.reaction.deleteMany({ where: { messageId: id, userId, emoji } })).count > 0;
      const rows = await prisma.$queryRaw<{ n: number }[]>`
        INSERT INTO reactions (message_id, user_id, emoji) VALUES (${id}, ${userId}, ${emoji})
        ON CONFLICT DO NOTHING RETURNING 1 AS n`;
      return rows.length > 0;
    },
    async addMentions(messageId, chatId, senderId, nickKeys, everyone) {
      if (!everyone && nickKeys.length === 0) return [];
      const rows = await prisma.$queryRaw<{ user_id: number }[]>`
        INSERT INTO mentions (user_id, message_id)
        SELECT m.user_id, ${BigInt(messageId)} FROM memberships m JOIN users u ON u.id = m.user_id
        WHERE m.chat_id = ${chatId} AND m.user_id <> ${senderId} AND (${everyone} OR u.nick_key = ANY(${nickKeys}::text[]))
        ON CONFLICT DO NOTHING RETURNING user_id`;
      return rows.map((r) => r.user_id);
    },
    async search(userId, q) {
      // Each word and phrase becomes its own tsquery from bound text (plainto/phraseto never
      // parse operators), joined with &&; the 'simple' configuration matches the column's.
      const params: unknown[] = [userId];
      const p = (v: unknown) => (params.push(v), `$${params.length}`);
      const parts = [
        ...q.words.map((w) => `plainto_tsquery('simple'::regconfig, ${p(w)}::text)`),
        ...q.phrases.map((ph) => `phraseto_tsquery('simple'::regconfig, ${p(ph)}::text)`),
      ];
      const where = [
        // Without words (only from: or in:) the newest messages of that sender or room match.
        ...(parts.length > 0 ? [`x.search @@ (${parts.join(" && ")})`] : []),
        `x.kind IN ('text', 'file')`,
        `x.deleted_at IS NULL`,
        ...(q.chatId !== null ? [`x.chat_id = ${p(q.chatId)}::int`] : []),
        ...(q.senderId !== null ? [`x.sender_id = ${p(q.senderId)}::int`] : []),
        ...(q.before !== null ? [`x.id < ${p(BigInt(q.before))}::bigint`] : []),
      ];
      // Membership is a join, so a chat the user is not in never contributes a row. The page of
      // ids is found first (MATERIALIZED: planned alone, as the index-driven query it is), and
      // its records are read in the same statement.
      const rows = await prisma.$queryRawUnsafe<LoadedRow[]>(
        `WITH page AS MATERIALIZED (
           SELECT x.id FROM messages x JOIN memberships m ON m.chat_id = x.chat_id AND m.user_id = $1::int
           WHERE ${where.join(" AND ")} ORDER BY x.id DESC LIMIT ${p(q.limit)}::int)
         ${loadedMessagesSql("$1::int")}
         ORDER BY x.id DESC`,
        ...params,
      );
      return rows.map(loadedToHit);
    },
    async mentions(userId, before, limit) {
      const rows = await prisma.$queryRawUnsafe<(LoadedRow & { read: boolean })[]>(
        `WITH page AS MATERIALIZED (
           SELECT n.message_id AS id, n.message_id <= m.last_read_id AS read
           FROM mentions n
           JOIN messages x ON x.id = n.message_id
           JOIN memberships m ON m.chat_id = x.chat_id AND m.user_id = n.user_id
           WHERE n.user_id = $1::int AND ($2::bigint IS NULL OR n.message_id < $2::bigint)
           ORDER BY n.message_id DESC LIMIT $3::int)
         ${loadedMessagesSql("$1::int", ["read"])}
         ORDER BY x.id DESC`,
        userId, before === null ? null : BigInt(before), limit,
      );
      return rows.map((r) => ({ ...loadedToHit(r), read: r.read }));
    },
    async unreadMentions(userId, cap) {
      const [r] = await prisma.$queryRaw<{ n: bigint }[]>`
        SELECT count(*) AS n FROM (
          SELECT 1 FROM mentions n
          JOIN messages x ON x.id = n.message_id
          JOIN memberships m ON m.chat_id = x.chat_id AND m.user_id = n.user_id
          WHERE n.user_id = ${userId} AND n.message_id > m.last_read_id LIMIT ${cap}) u`;
      return Number(r?.n ?? 0);
    },
  };
}

function sanctionRepository(prisma: PrismaClient): SanctionRepository {
  type Row = { id: number; kind: SanctionKind; userId: number; reason: string; until: Date | null; by: { nick: string } | null };
  const toRecord = (r: Row): SanctionRecord => ({ id: r.id, kind: r.kind, userId: r.userId, reason: r.reason, until: r.until, byNick: r.by?.nick ?? null });
  const activeWhere = (userId: number, kind: SanctionKind, now: Date) => ({ userId, kind, liftedAt: null, OR: [{ until: null }, { until: { gt: now } }] });
  return {
    async create(s) {
      return toRecord(await prisma.sanction.create({ data: s, include: { by: { select: { nick: true } } } }));
    },
    async active(userId, kind, now) {
      const r = await prisma.sanction.findFirst({ where: activeWhere(userId, kind, now), orderBy: { id: "desc" }, include: { by: { select: { nick: true } } } });
      return r && toRecord(r);
    },
    async lift(userId, kind, now) {
      const r = await prisma.sanction.updateMany({ where: activeWhere(userId, kind, now), data: { liftedAt: now } });
      return r.count;
    },
  };
}

function fileRepository(prisma: PrismaClient): FileRepository {
  return {
    async begin(u, { activeSince, admit }) {
      const find = () => prisma.file.findUnique({ where: { uploaderId_clientId: { uploaderId: u.uploaderId, clientId: u.clientId } }, include: withUploader });
      const existing = await find();
      if (existing) return { file: toUploadedFile(existing), created: false };
      try {
        return await prisma.$transaction(async (tx) => {
          // One upload is admitted at a time per uploader, so parallel begins cannot overrun the quota.
          await tx.$queryRaw`SELECT id FROM users WHERE id = ${u.uploaderId} FOR UPDATE`;
          const [sum, activeUploads] = await Promise.all([
            tx.file.aggregate({ where: { uploaderId: u.uploaderId }, _sum: { size: true } }),
            tx.file.count({ where: { uploaderId: u.uploaderId, status: "uploading", updatedAt: { gt: activeSince } } }),
          ]);
          admit({ bytes: Number(sum._sum.size ?? 0n), activeUploads });
          const row = await tx.file.create({
            data: { ...u, size: BigInt(u.size) },
            include: withUploader,
          });
          return { file: toUploadedFile(row), created: true };
        });
      } catch (e) {
        // The same upload begun twice at once: the other insert won.
        if (!isUniqueViolation(e)) throw e;
        const row = await find();
        if (!row) throw e;
        return { file: toUploadedFile(row), created: false };
      }
    },
    async findById(fileId) {
      const row = await prisma.file.findUnique({ where: { id: fileId }, include: withUploader });
      return row && toUploadedFile(row);
    },
    async appendChunk(fileId, seq, offset, data) {
      // One statement: the counter moves and the chunk is stored together, or neither happens.
      const rows = await prisma.$queryRaw<{ received: bigint }[]>`
        WITH upd AS (
          UPDATE files SET received = received + ${data.byteLength}::bigint, updated_at = now()
          WHERE id = ${fileId} AND status = 'uploading' AND received = ${offset}::bigint
          RETURNING received
        ), ins AS (
          INSERT INTO file_chunks (file_id, seq, data) SELECT ${fileId}, ${seq}, ${Buffer.from(data.buffer, data.byteOffset, data.byteLength)}::bytea FROM upd
        )
        SELECT received FROM upd`;
      const r = rows[0];
      return r ? Number(r.received) : null;
    },
    async readChunks(fileId, fromSeq, count) {
      const rows = await prisma.fileChunk.findMany({
        where: { fileId, seq: { gte: fromSeq, lt: fromSeq + count } },
        orderBy: { seq: "asc" },
        select: { data: true },
      });
      return rows.map((r) => r.data);
    },
    async markComplete(fileId) {
      const r = await prisma.file.updateMany({ where: { id: fileId, status: "uploading" }, data: { status: "complete", completedAt: new Date() } });
      return r.count > 0;
    },
    async remove(fileId) {
      await prisma.file.deleteMany({ where: { id: fileId } });
    },
    async listForChat(chatId, before, limit) {
      const rows = await prisma.file.findMany({
        where: { chatId, status: "complete", ...(before !== null ? { id: { lt: before } } : {}) },
        orderBy: { id: "desc" },
        take: limit,
        include: withUploader,
      });
      return rows.map(toUploadedFile);
    },
    async removeStale(idleBefore) {
      const r = await prisma.file.deleteMany({ where: { status: "uploading", updatedAt: { lt: idleBefore } } });
      return r.count;
    },
  };
}

function sshKeyRepository(prisma: PrismaClient): SshKeyRepository {
  return {
    async create(key) {
      try {
        return await prisma.sshKey.create({ data: key });
      } catch (e) {
        if (isUniqueViolation(e)) throw new AppError("KEY_TAKEN", `The key ${key.fingerprint} is bound to an account already; a key can log in to one account only.`, { cause: e });
        throw e;
      }
    },
    listForUser: (userId) => prisma.sshKey.findMany({ where: { userId }, orderBy: { id: "asc" } }),
    findByFingerprint: (fingerprint) => prisma.sshKey.findUnique({ where: { fingerprint } }),
    async remove(userId, fingerprint) {
      const { count } = await prisma.sshKey.deleteMany({ where: { userId, fingerprint } });
      return count > 0;
    },
  };
}

/**
 * `sql`: the raw-SQL seam the history page and the membership check read through (Database.sql:
 * the driver's own connections); without it they go through Prisma's $queryRawUnsafe, same rows.
 */
export function createRepositories(prisma: PrismaClient, opts: { groupCommit?: boolean; sendCache?: boolean; commitLanes?: number; sql?: Sql } = {}): Repositories {
  const sql = opts.sql ?? prismaSql(prisma);
  return {
    sshKeys: sshKeyRepository(prisma),
    users: userRepository(prisma),
    sessions: sessionRepository(prisma),
    chats: chatRepository(prisma, sql, { sendCache: opts.sendCache ?? true }),
    messages: messageRepository(prisma, sql, { groupCommit: opts.groupCommit ?? true, lanes: opts.commitLanes ?? 1 }),
    sanctions: sanctionRepository(prisma),
    files: fileRepository(prisma),
  };
}


/**
 * Runs the reads a user's first requests make (the handshake's session lookup, the chat list,
 * a history page in each direction and its membership check) on `connections` pooled
 * connections at once, for ids that match nothing: the pool opens them now (they stay open:
 * the pool's floor, Database.warmConnections), each PostgreSQL backend loads its catalog caches
 * for these tables, and this process compiles the query paths, before the first user pays
 * for them (10 to 45 ms for the first requests after a start, measured). Writes nothing.
 */
export async function warmUp(repos: Repositories, connections: number): Promise<void> {
  const nobody = 0;
  const reads: (() => Promise<unknown>)[] = [
    () => repos.sessions.findValidMany([Buffer.alloc(32)], new Date()),
    () => repos.chats.listForUser(nobody),
    () => repos.chats.getMembership(nobody, nobody),
    () => repos.messages.listBefore(nobody, null, 51, nobody),
    () => repos.messages.listBefore(nobody, 1, 51, nobody),
    () => repos.messages.listAfter(nobody, 1, 51, nobody),
    () => repos.messages.listAround(nobody, 1, 26, 26, nobody),
  ];
  // One kind of read at a time, `connections` of it at once: each lands on its own connection.
  for (const read of reads) await Promise.all(Array.from({ length: Math.max(1, connections) }, read));
}
