// Prisma implementations of the repository interfaces the services depend on.
import { AppError } from "../app-error.js";
import type { ChatKind, MessageKind, Role } from "../protocol/index.js";
import { UNREAD_CAP } from "../protocol/index.js";
import type {
  ChatRecord, ChatRepository, ChatSummary, FileRecord, FileRepository, FileStatus, MessageRecord, MessageRepository, NewMessage, Repositories,
  SanctionKind, SanctionRecord, SanctionRepository, SessionRepository, SshKeyRepository, UserRecord, UserRepository,
} from "../services/ports.js";
import type { PrismaClient } from "./generated/client.js";

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

type MessageRow = {
  id: bigint; chatId: number; kind: MessageKind; senderId: number; text: string; clientId: string; createdAt: Date;
  sender: { nick: string }; file: FileRow | null;
};
const toMessage = (r: MessageRow): MessageRecord => ({
  id: Number(r.id), chatId: r.chatId, kind: r.kind, senderId: r.senderId, senderNick: r.sender.nick,
  text: r.text, clientId: r.clientId, createdAt: r.createdAt, file: r.file && toFile(r.file, r.sender.nick),
});
const withSender = { sender: { select: { nick: true } }, file: true } as const;
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

function sessionRepository(prisma: PrismaClient): SessionRepository {
  return {
    async create({ userId, tokenHash, expiresAt }) {
      const s = await prisma.session.create({ data: { userId, tokenHash: new Uint8Array(tokenHash), expiresAt }, select: { id: true } });
      return { id: s.id };
    },
    async findValid(tokenHash, now) {
      const s = await prisma.session.findUnique({ where: { tokenHash: new Uint8Array(tokenHash) }, include: { user: true } });
      if (!s || s.revokedAt || s.expiresAt <= now) return null;
      return { sessionId: s.id, user: s.user };
    },
    async revokeAll(userId, now) {
      await prisma.session.updateMany({ where: { userId, revokedAt: null }, data: { revokedAt: now } });
    },
    async states(sessionIds, now) {
      if (sessionIds.length === 0) return [];
      const rows = await prisma.session.findMany({
        where: { id: { in: sessionIds } },
        select: {
          id: true, revokedAt: true, expiresAt: true,
          // The ban in force, as SanctionRepository.active reads it.
          user: { include: { sanctions: { where: { kind: "ban", liftedAt: null, OR: [{ until: null }, { until: { gt: now } }] }, orderBy: { id: "desc" }, take: 1, include: { by: { select: { nick: true } } } } } },
        },
      });
      return rows.map(({ id, revokedAt, expiresAt, user: { sanctions, ...user } }) => {
        const b = sanctions[0];
        const ban = b ? { id: b.id, kind: b.kind, userId: b.userId, reason: b.reason, until: b.until, byNick: b.by?.nick ?? null } : null;
        return { sessionId: id, revokedAt, expiresAt, user, ban };
      });
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

function chatRepository(prisma: PrismaClient): ChatRepository {
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
      const m = await prisma.membership.findUnique({ where: { chatId_userId: { chatId, userId } } });
      return m && { chatId: m.chatId, userId: m.userId, open: m.open, lastReadId: Number(m.lastReadId) };
    },
    async sendContext(chatId, userId, now) {
      const [r] = await prisma.$queryRaw<(Omit<SummaryRow, "last_id" | "unread" | "peer_id" | "peer_nick" | "peer_role"> & { mute_id: number | null; mute_reason: string | null; mute_until: Date | null; mute_by: string | null })[]>`
        SELECT c.id AS chat_id, c.kind, c.name, c.name_key, c.dm_key, c.is_private, c.created_at, m.open, m.last_read_id,
          s.id AS mute_id, s.reason AS mute_reason, s.until AS mute_until, b.nick AS mute_by
        FROM memberships m
        JOIN chats c ON c.id = m.chat_id
        LEFT JOIN LATERAL (
          SELECT x.id, x.reason, x.until, x.by_id FROM sanctions x
          WHERE x.user_id = ${userId} AND x.kind = 'mute' AND x.lifted_at IS NULL AND (x.until IS NULL OR x.until > ${now})
          ORDER BY x.id DESC LIMIT 1
        ) s ON true
        LEFT JOIN users b ON b.id = s.by_id
        WHERE m.chat_id = ${chatId} AND m.user_id = ${userId}`;
      if (!r) return null;
      return {
        chat: toChat({ id: r.chat_id, kind: r.kind, name: r.name, nameKey: r.name_key, dmKey: r.dm_key, isPrivate: r.is_private, createdAt: r.created_at }),
        membership: { chatId, userId, open: r.open, lastReadId: Number(r.last_read_id) },
        mute: r.mute_id === null ? null : { id: r.mute_id, kind: "mute", userId, reason: r.mute_reason ?? "", until: r.mute_until, byNick: r.mute_by },
      };
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
      const chatFilter = opts.chatId ?? null;
      const all = opts.all ?? false;
      // One query: the unread count is capped (LIMIT) so a huge backlog costs no more than the
      // cap, and the last id comes from the (chat_id, id) index.
      const rows = await prisma.$queryRaw<SummaryRow[]>`
        SELECT m.chat_id, c.kind, c.name, c.name_key, c.dm_key, c.is_private, c.created_at, m.open, m.last_read_id,
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
        WHERE m.user_id = ${userId} AND (${all} OR m.open) AND (${chatFilter}::int IS NULL OR m.chat_id = ${chatFilter}::int)
        ORDER BY COALESCE(c.name_key = 'general', false) DESC, m.joined_at, m.chat_id`;
      return rows.map(
        (r): ChatSummary => ({
          chat: toChat({ id: r.chat_id, kind: r.kind, name: r.name, nameKey: r.name_key, dmKey: r.dm_key, isPrivate: r.is_private, createdAt: r.created_at }),
          membership: { chatId: r.chat_id, userId, open: r.open, lastReadId: Number(r.last_read_id) },
          peer: r.peer_id !== null && r.peer_nick !== null ? { id: r.peer_id, nick: r.peer_nick, role: r.peer_role ?? "user" } : null,
          lastMessageId: Number(r.last_id ?? 0),
          unread: Number(r.unread),
        }),
      );
    },
    async openRoomIds(userId) {
      const rows = await prisma.membership.findMany({ where: { userId, open: true, chat: { kind: "room" } }, select: { chatId: true } });
      return rows.map((r) => r.chatId);
    },
    members: (chatId) => prisma.membership.findMany({ where: { chatId }, select: { userId: true, open: true } }),
    async listPublicRooms(userId) {
      const rows = await prisma.chat.findMany({
        where: { kind: "room", OR: [{ isPrivate: false }, { memberships: { some: { userId } } }] },
        select: { id: true, name: true, _count: { select: { memberships: true } }, memberships: { where: { userId }, select: { userId: true } } },
        orderBy: { nameKey: "asc" },
      });
      return rows.map((r) => ({ id: r.id, name: r.name ?? "", members: r._count.memberships, joined: r.memberships.length > 0 }));
    },
  };
  return repo;
}

type InsertedRow = { id: bigint; chat_id: number; kind: MessageKind; sender_id: number; nick: string; text: string; client_id: string; created_at: Date };
type PendingAppend = { m: NewMessage; resolve: (r: { message: MessageRecord; created: boolean }) => void; reject: (e: unknown) => void };
/** Rows per group-committed INSERT (5 parameters each, far below PostgreSQL's 65,535). */
const GROUP_COMMIT_MAX = 500;

function messageRepository(prisma: PrismaClient, opts: { groupCommit: boolean }): MessageRepository {
  async function appendOne(m: NewMessage): Promise<{ message: MessageRecord; created: boolean }> {
    try {
      const row = await prisma.message.create({ data: m, include: withSender });
      return { message: toMessage(row), created: true };
    } catch (e) {
      if (!isUniqueViolation(e)) throw e;
      const row = await prisma.message.findUniqueOrThrow({
        where: { senderId_clientId: { senderId: m.senderId, clientId: m.clientId } },
        include: withSender,
      });
      return { message: toMessage(row), created: false };
    }
  }

  // Group commit: appends that arrive while an INSERT is in flight wait and go together in the
  // next one, a single multi-row INSERT (one round trip and one commit for the whole group)
  // instead of one transaction per message. Semantics are those of appendOne: a (sender,
  // clientId) that exists returns the stored row with created=false, and each caller is
  // answered only after the statement holding its row has committed.
  const queue: PendingAppend[] = [];
  let flushing = false;

  async function flush(): Promise<void> {
    flushing = true;
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
      flushing = false;
    }
  }

  async function insertGroup(group: NewMessage[]): Promise<{ message: MessageRecord; created: boolean }[]> {
    const values: string[] = [];
    const params: unknown[] = [];
    for (const m of group) {
      const i = params.length;
      values.push(`($${i + 1}::int, $${i + 2}::int, $${i + 3}::"MessageKind", $${i + 4}::text, $${i + 5}::uuid)`);
      params.push(m.chatId, m.senderId, m.kind, m.text, m.clientId);
    }
    const inserted = await prisma.$queryRawUnsafe<InsertedRow[]>(
      `WITH ins AS (
         INSERT INTO messages (chat_id, sender_id, kind, text, client_id) VALUES ${values.join(", ")}
         ON CONFLICT (sender_id, client_id) DO NOTHING
         RETURNING id, chat_id, sender_id, kind, text, client_id::text AS client_id, created_at)
       SELECT ins.*, u.nick FROM ins JOIN users u ON u.id = ins.sender_id`,
      ...params,
    );
    const key = (senderId: number, clientId: string) => `${senderId}:${clientId.toLowerCase()}`;
    const toRecord = (r: InsertedRow): MessageRecord => ({
      id: Number(r.id), chatId: r.chat_id, kind: r.kind, senderId: r.sender_id, senderNick: r.nick, text: r.text, clientId: r.client_id, createdAt: r.created_at,
      file: null,
    });
    const fresh = new Map(inserted.map((r) => [key(r.sender_id, r.client_id), toRecord(r)]));
    // Resends (and a clientId used twice in the group) conflicted: the stored row answers them.
    const missing = group.filter((m) => !fresh.has(key(m.senderId, m.clientId)));
    const existing = new Map<string, MessageRecord>();
    if (missing.length > 0) {
      const rows = await prisma.message.findMany({
        where: { OR: missing.map((m) => ({ senderId: m.senderId, clientId: m.clientId })) },
        include: withSender,
      });
      for (const r of rows) existing.set(key(r.senderId, r.clientId), toMessage(r));
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
      // File messages (rare, and they carry a file reference) go alone; text goes in groups.
      if (!opts.groupCommit || m.fileId !== undefined) return appendOne(m);
      return new Promise((resolve, reject) => {
        queue.push({ m, resolve, reject });
        if (!flushing) void flush();
      });
    },
    async listBefore(chatId, before, limit) {
      const rows = await prisma.message.findMany({
        where: { chatId, ...(before !== null ? { id: { lt: BigInt(before) } } : {}) },
        orderBy: { id: "desc" },
        take: limit,
        include: withSender,
      });
      return rows.map(toMessage);
    },
    async listAfter(chatId, after, limit) {
      const rows = await prisma.message.findMany({
        where: { chatId, id: { gt: BigInt(after) } },
        orderBy: { id: "asc" },
        take: limit,
        include: withSender,
      });
      return rows.map(toMessage);
    },
    async findByClientId(senderId, clientId) {
      const row = await prisma.message.findUnique({ where: { senderId_clientId: { senderId, clientId } }, include: withSender });
      return row && toMessage(row);
    },
    async maxId() {
      const r = await prisma.message.aggregate({ _max: { id: true } });
      return Number(r._max.id ?? 0);
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

export function createRepositories(prisma: PrismaClient, opts: { groupCommit?: boolean } = {}): Repositories {
  return {
    sshKeys: sshKeyRepository(prisma),
    users: userRepository(prisma),
    sessions: sessionRepository(prisma),
    chats: chatRepository(prisma),
    messages: messageRepository(prisma, { groupCommit: opts.groupCommit ?? true }),
    sanctions: sanctionRepository(prisma),
    files: fileRepository(prisma),
  };
}

