// Chats and messages: rooms, direct messages, sending, history, read markers, closing.
import { randomUUID } from "node:crypto";
import { AppError } from "../app-error.js";
import { confusableKey } from "../protocol/confusables.js";
import {
  checkRoomName, foldKey, HISTORY_DEFAULT,
  type ChatDto, type ChatUpdateReason, type CreateRoom, type FetchHistory, type HistoryPage, type MessageDto,
  type PublicRoom, type ReadState, type SendMessage, type SessionReady, type UserDto, type UserWithPresence,
} from "../protocol/index.js";
import { GENERAL_ROOM } from "./accounts.js";
import { createCoalescer } from "./coalesce.js";
import { describeSanction } from "./moderation.js";
import { recordMentions } from "./conversations.js";
import { toChatDto, toMessageDto, toUserDto } from "./dto.js";
import type { ChatRecord, FileRecord, MembershipRecord, Notifier, Repositories } from "./ports.js";
import type { PresenceService } from "./presence.js";

export interface ChatService {
  /** With `page` (protocol >= 2): the first `page` online users and their count, not all of them. */
  snapshot(user: UserDto, opts?: { page?: number }): Promise<SessionReady>;
  /** Rooms whose events the user's sockets receive (open rooms). */
  socketRooms(userId: number): Promise<number[]>;
  /**
   * `origin`: the socket that sent it and is answered with the message (protocol 2 leaves it
   * out of the delivery; its other devices still get theirs).
   */
  send(user: UserDto, input: SendMessage, origin?: string): Promise<MessageDto>;
  /** Posts a completed upload in its chat as a message of kind "file" (idempotent per upload). */
  shareFile(user: UserDto, file: FileRecord): Promise<MessageDto>;
  history(user: UserDto, input: FetchHistory): Promise<HistoryPage>;
  openDm(user: UserDto, nick: string): Promise<ChatDto>;
  createRoom(user: UserDto, input: CreateRoom): Promise<ChatDto>;
  joinRoom(user: UserDto, name: string): Promise<ChatDto>;
  leaveRoom(user: UserDto, chatId: number): Promise<{ chatId: number }>;
  invite(user: UserDto, chatId: number, nick: string): Promise<{ chatId: number; nick: string }>;
  listRooms(user: UserDto): Promise<PublicRoom[]>;
  close(user: UserDto, chatId: number): Promise<{ chatId: number }>;
  markRead(user: UserDto, chatId: number, messageId: number): Promise<ReadState>;
  listUsers(): Promise<UserWithPresence[]>;
}

export function createChatService(deps: { repos: Repositories; notifier: Notifier; presence: PresenceService }): ChatService {
  const { repos, notifier, presence } = deps;

  // Sockets setting up together (a join storm) read their rooms and chat lists in one query each.
  const roomIds = createCoalescer((ids: number[]) => repos.chats.openRoomIdsMany(ids), { max: 500 });
  const chatLists = createCoalescer((ids: number[]) => repos.chats.listForUsers(ids), { max: 500 });

  // A chat the user may not see answers exactly like one that does not exist.
  const notFound = (chatId: number) => new AppError("CHAT_NOT_FOUND", `Chat ${chatId} does not exist or you are not a member of it.`);

  async function requireMember(userId: number, chatId: number): Promise<{ chat: ChatRecord; membership: MembershipRecord }> {
    const membership = await repos.chats.getMembership(chatId, userId);
    const chat = membership && (await repos.chats.findById(chatId));
    if (!membership || !chat) throw notFound(chatId);
    return { chat, membership };
  }

  /** A mute silences every way of putting text in front of others, not only messages. */
  async function refuseMuted(user: UserDto, what: string): Promise<void> {
    const mute = await repos.sanctions.active(user.id, "mute", new Date());
    if (mute) throw new AppError("MUTED", `You are muted ${describeSanction(mute)}; you cannot ${what} while muted.`);
  }

  async function chatFor(userId: number, chatId: number): Promise<ChatDto> {
    const [summary] = await repos.chats.listForUser(userId, { chatId, all: true });
    if (!summary) throw notFound(chatId);
    return toChatDto(summary);
  }

  async function announce(userId: number, chatId: number, reason: ChatUpdateReason): Promise<ChatDto> {
    const chat = await chatFor(userId, chatId);
    notifier.toUser(userId, "chat:updated", { reason, chat });
    return chat;
  }

  /** Delivers a stored message: rooms to their socket room, DMs to both people's devices. */
  async function deliver(chat: ChatRecord, message: MessageDto, origin?: string): Promise<void> {
    if (chat.kind === "room") {
      notifier.message({ chatId: chat.id }, message, origin);
      return;
    }
    for (const { userId, open } of await repos.chats.members(chat.id)) {
      // A new message reopens a closed direct message, before the message itself arrives.
      if (!open) {
        await repos.chats.setOpen(chat.id, userId, true);
        await announce(userId, chat.id, "opened");
      }
      notifier.message({ userId }, message, origin);
    }
  }

  async function postSystem(chat: ChatRecord, user: UserDto, kind: "join" | "leave"): Promise<void> {
    const { message } = await repos.messages.append({ chatId: chat.id, senderId: user.id, kind, text: "", clientId: randomUUID() });
    await deliver(chat, toMessageDto(message));
  }

  // The chat is announced to the user before the join line, so no client sees a message for
  // a chat it does not know yet.
  async function enterRoom(user: UserDto, chat: ChatRecord): Promise<{ dto: ChatDto; isNew: boolean }> {
    const isNew = await repos.chats.addMember(chat.id, user.id);
    notifier.subscribe(user.id, chat.id);
    const dto = await announce(user.id, chat.id, isNew ? "joined" : "opened");
    if (isNew) await postSystem(chat, user, "join");
    return { dto, isNew };
  }

  /** Stores a message from the user and delivers it; a resend with the same clientId returns the original. */
  async function publish(user: UserDto, input: { chatId: number; text: string; clientId: string; kind: "text" | "file"; fileId?: number; replyTo?: number }, origin?: string): Promise<MessageDto> {
    const { chatId, text, clientId, kind, replyTo } = input;
    const same = (m: { chatId: number; text: string; kind: string }) => m.chatId === chatId && m.text === text && m.kind === kind;
    // Membership, chat and mute: what this node kept, checked against the send epoch read
    // after this send arrived (or read afresh, in one round trip), so a leave, close or mute
    // holds for the very next message on every node (kicks end the session: the guard).
    const context = await repos.chats.sendContext(chatId, user.id, new Date());
    if (!context) throw notFound(chatId);
    const { chat, membership, mute } = context;
    if (mute) {
      // A resend of a message stored before the mute still gets its original back.
      const earlier = await repos.messages.findByClientId(user.id, clientId);
      if (earlier && same(earlier)) return toMessageDto(earlier);
      throw new AppError("MUTED", `You are muted ${describeSanction(mute)}; nothing was sent.`);
    }
    if (replyTo !== undefined) {
      const target = await repos.messages.findById(replyTo);
      if (!target || target.chatId !== chatId) throw new AppError("MESSAGE_NOT_FOUND", `Message ${replyTo} is not in this chat; a reply must answer a message of the same chat.`);
    }
    const { message, created } = await repos.messages.append({
      chatId, senderId: user.id, kind, text, clientId, ...(input.fileId ? { fileId: input.fileId } : {}), ...(replyTo !== undefined ? { replyToId: replyTo } : {}),
    });
    if (!same(message)) {
      throw new AppError("CLIENT_ID_REUSED", "This clientId was already used for a different message; generate a new UUID for each message.");
    }
    const dto = toMessageDto(message);
    if (!created) return dto; // a resend: the original was delivered when it was stored
    if (kind === "text") await recordMentions(repos, user, message);
    if (!membership.open && chat.kind === "room") {
      await repos.chats.setOpen(chatId, user.id, true);
      notifier.subscribe(user.id, chatId);
      await announce(user.id, chatId, "opened");
    }
    await deliver(chat, dto, origin);
    return dto;
  }

  return {
    async snapshot(user, opts) {
      const chats = ((await chatLists(user.id)) ?? []).map(toChatDto);
      if (!opts?.page) return { user, online: await presence.online(), chats, serverTime: new Date().toISOString() };
      const page = await presence.onlinePage(undefined, opts.page);
      return { user, online: page.users, onlineCount: page.count, onlineNext: page.next, chats, serverTime: new Date().toISOString() };
    },

    socketRooms: async (userId) => (await roomIds(userId)) ?? [],

    send: (user, { chatId, text, clientId, replyTo }, origin) => publish(user, { chatId, text, clientId, kind: "text", ...(replyTo !== undefined ? { replyTo } : {}) }, origin),

    shareFile: (user, file) => publish(user, { chatId: file.chatId, text: file.name, clientId: file.clientId, kind: "file", fileId: file.id }),

    async history(user, { chatId, before, after, around, limit }) {
      const n = limit ?? HISTORY_DEFAULT;
      // The page and the membership check in one read (null: not a member, and no page was
      // read). A membership implies its chat (a chat's memberships go with it), so the chat is not read.
      if (around !== undefined) {
        // The message and the older half at or below it, the newer half above it; newest first.
        // One row more on each side tells whether there is more (newer: at least one to look at).
        const older = Math.ceil(n / 2);
        const newer = n - older;
        const both = await repos.messages.listAround(chatId, around, older + 1, newer + 1, user.id);
        if (!both) throw notFound(chatId);
        const { older: down, newer: up } = both;
        const messages = [...up.slice(0, newer).reverse(), ...down.slice(0, older)].map(toMessageDto);
        return { chatId, messages, hasMore: down.length > older, hasNewer: up.length > newer };
      }
      // One extra row tells whether there is more without a count query.
      const rows = after !== undefined
        ? await repos.messages.listAfter(chatId, after, n + 1, user.id)
        : await repos.messages.listBefore(chatId, before ?? null, n + 1, user.id);
      if (!rows) throw notFound(chatId);
      return { chatId, messages: rows.slice(0, n).map(toMessageDto), hasMore: rows.length > n };
    },

    async openDm(user, nick) {
      const peer = await repos.users.findByNickKey(foldKey(nick.trim()));
      if (!peer) throw new AppError("USER_NOT_FOUND", `There is no user "${nick}".`);
      if (peer.id === user.id) throw new AppError("VALIDATION_FAILED", "You cannot open a direct message with yourself.");
      const chat = await repos.chats.findOrCreateDm(user.id, peer.id);
      await repos.chats.setOpen(chat.id, user.id, true);
      return announce(user.id, chat.id, "opened");
    },

    async createRoom(user, input) {
      await refuseMuted(user, "create rooms");
      const checked = checkRoomName(input.name);
      if (!checked.ok) throw new AppError("VALIDATION_FAILED", checked.message);
      const isPrivate = input.private ?? false;
      // Only public rooms and the creator's own rooms are compared with: a private room takes
      // no name from anyone else, so creating a room never tells whether a private one exists.
      const same = await repos.chats.findRoomByKey(checked.key, user.id);
      if (same) {
        throw new AppError("ROOM_EXISTS", same.isPrivate
          ? `You are already in a private room named "${same.name}"; pick another name.`
          : `A room named "${same.name}" exists already; join it or pick another name.`);
      }
      const lookalike = await repos.chats.findPublicRoomBySkeleton(confusableKey(checked.value));
      if (lookalike) {
        throw new AppError("ROOM_EXISTS", `"${checked.value}" looks like the room "${lookalike.name}", which exists already; join it or pick a name that cannot be mistaken for it.`);
      }
      const chat = await repos.chats.createRoom({
        name: checked.value, nameKey: checked.key, nameSkeleton: confusableKey(checked.value), isPrivate, creatorId: user.id,
      });
      notifier.subscribe(user.id, chat.id);
      const dto = await announce(user.id, chat.id, "joined");
      await postSystem(chat, user, "join");
      return dto;
    },

    async joinRoom(user, name) {
      const checked = checkRoomName(name);
      const chat = checked.ok ? await repos.chats.findRoomByKey(checked.key, user.id) : null;
      const member = chat ? await repos.chats.getMembership(chat.id, user.id) : null;
      // A private room is invisible to those who are not in it.
      if (!chat || (chat.isPrivate && !member)) throw new AppError("ROOM_NOT_FOUND", `There is no room "${name}" you can join.`);
      return (await enterRoom(user, chat)).dto;
    },

    async leaveRoom(user, chatId) {
      const { chat } = await requireMember(user.id, chatId);
      if (chat.kind !== "room") throw new AppError("VALIDATION_FAILED", "Only rooms can be left; close a direct message with chat:close.");
      if (chat.nameKey === GENERAL_ROOM) throw new AppError("CANNOT_LEAVE_GENERAL", "Everyone stays in general, the shared room; it cannot be left or closed.");
      const dto = await chatFor(user.id, chatId);
      await repos.chats.removeMember(chatId, user.id);
      notifier.unsubscribe(user.id, chatId);
      await postSystem(chat, user, "leave");
      notifier.toUser(user.id, "chat:updated", { reason: "left", chat: { ...dto, open: false } });
      return { chatId };
    },

    async invite(user, chatId, nick) {
      const { chat } = await requireMember(user.id, chatId);
      // The invitee is told the room's name and who added them: text a mute keeps from anyone.
      await refuseMuted(user, "invite people");
      if (chat.kind !== "room") throw new AppError("VALIDATION_FAILED", "People can only be invited to rooms.");
      const peer = await repos.users.findByNickKey(foldKey(nick.trim()));
      if (!peer) throw new AppError("USER_NOT_FOUND", `There is no user "${nick}".`);
      if (await repos.chats.getMembership(chatId, peer.id)) {
        throw new AppError("VALIDATION_FAILED", `${peer.nick} is already a member of ${chat.name ?? "this room"}.`);
      }
      await enterRoom(toUserDto(peer), chat);
      notifier.toUser(peer.id, "notice", { level: "info", text: `${user.nick} added you to ${chat.name ?? "a room"}.`, chatId });
      return { chatId, nick: peer.nick };
    },

    listRooms: (user) => repos.chats.listPublicRooms(user.id),

    async close(user, chatId) {
      const { chat } = await requireMember(user.id, chatId);
      if (chat.nameKey === GENERAL_ROOM) throw new AppError("CANNOT_LEAVE_GENERAL", "Everyone stays in general, the shared room; it cannot be left or closed.");
      await repos.chats.setOpen(chatId, user.id, false);
      if (chat.kind === "room") notifier.unsubscribe(user.id, chatId);
      await announce(user.id, chatId, "closed");
      return { chatId };
    },

    async markRead(user, chatId, messageId) {
      await requireMember(user.id, chatId);
      await repos.chats.advanceRead(chatId, user.id, messageId);
      // Every device of the user follows the marker.
      const chat = await announce(user.id, chatId, "read");
      return { chatId, lastReadId: chat.lastReadId, unread: chat.unread };
    },

    async listUsers() {
      const [users, online] = await Promise.all([repos.users.list(), presence.onlineIds()]);
      return users.map((u) => ({ ...toUserDto(u), online: online.has(u.id) }));
    },
  };
}
