// Conversations on stored messages: edits, deletes (tombstones), reactions, search and mentions.
import { AppError } from "../app-error.js";
import {
  foldKey, MENTIONS_DEFAULT, SEARCH_DEFAULT, UNREAD_CAP,
  type DeleteMessage, type EditMessage, type ListMentions, type MentionPage, type MessageDto, type MessageUpdated,
  type SearchMessages, type SearchPage, type UserDto,
} from "../protocol/index.js";
import { describeSanction } from "./moderation.js";
import { toMessageDto } from "./dto.js";
import type { ChatRecord, MessageContext, Notifier, Repositories } from "./ports.js";
import { matchMarks, parseMentions, parseSearch } from "./text-match.js";

export interface ConversationService {
  edit(user: UserDto, input: EditMessage): Promise<MessageDto>;
  remove(user: UserDto, input: DeleteMessage): Promise<MessageDto>;
  react(user: UserDto, input: { messageId: number; emoji: string; on: boolean }): Promise<MessageDto>;
  search(user: UserDto, input: SearchMessages): Promise<SearchPage>;
  mentions(user: UserDto, input: ListMentions): Promise<MentionPage>;
}

/**
 * Stores who a new (or edited) message mentions: members by @nick, and with @room or @here
 * every member when the sender is a moderator or an admin (from anyone else those are text).
 */
export async function recordMentions(repos: Repositories, sender: UserDto, message: { id: number; chatId: number; text: string }): Promise<void> {
  const { nickKeys, everyone } = parseMentions(message.text);
  await repos.messages.addMentions(message.id, message.chatId, sender.id, nickKeys, everyone && sender.role !== "user");
}

export function createConversationService(deps: { repos: Repositories; notifier: Notifier }): ConversationService {
  const { repos, notifier } = deps;

  // A message in a chat the user is not in answers exactly like one that does not exist.
  const notFound = (id: number) => new AppError("MESSAGE_NOT_FOUND", `Message ${id} does not exist or is in a chat you are not a member of.`);

  async function load(user: UserDto, messageId: number): Promise<MessageContext> {
    const context = await repos.messages.context(messageId, user.id, new Date());
    if (!context) throw notFound(messageId);
    return context;
  }

  function refuseSystem(context: MessageContext, what: string): void {
    if (context.message.kind === "join" || context.message.kind === "leave") {
      throw new AppError("VALIDATION_FAILED", `Join and leave lines cannot be ${what}; pick a message someone sent.`);
    }
  }

  function refuseDeleted(context: MessageContext, what: string): void {
    if (context.message.deleted) throw new AppError("MESSAGE_DELETED", `That message was deleted; it cannot be ${what} any more.`);
  }

  async function current(messageId: number): Promise<MessageDto> {
    const m = await repos.messages.findById(messageId);
    if (!m) throw notFound(messageId);
    return toMessageDto(m);
  }

  /** Tells the chat: rooms through their socket room, DMs to both people's devices. */
  async function announce(chat: ChatRecord, update: MessageUpdated): Promise<void> {
    if (chat.kind === "room") {
      notifier.toChat(chat.id, "message:updated", update);
      return;
    }
    for (const { userId } of await repos.chats.members(chat.id)) notifier.toUser(userId, "message:updated", update);
  }


  return {
    async edit(user, { messageId, text, clientId }) {
      const context = await load(user, messageId);
      refuseSystem(context, "edited");
      refuseDeleted(context, "edited");
      if (context.message.senderId !== user.id) throw new AppError("NOT_MESSAGE_SENDER", "Only the person who sent a message can edit it.");
      if (context.message.kind !== "text") throw new AppError("VALIDATION_FAILED", "A shared file cannot be edited; delete it and share it again.");
      if (context.mute) throw new AppError("MUTED", `You are muted ${describeSanction(context.mute)}; nothing was edited.`);
      const changed = await repos.messages.edit(messageId, text, clientId);
      if (!changed) {
        // The same edit again (or the message was deleted between the check and the edit).
        const dto = await current(messageId);
        if (dto.deleted) throw new AppError("MESSAGE_DELETED", "That message was deleted; it cannot be edited any more.");
        return dto;
      }
      await recordMentions(repos, user, { id: messageId, chatId: context.chat.id, text });
      const dto = await current(messageId);
      await announce(context.chat, { reason: "edited", message: dto });
      return dto;
    },

    async remove(user, { messageId }) {
      const context = await load(user, messageId);
      refuseSystem(context, "deleted");
      if (context.message.senderId !== user.id) {
        // The role as stored now, as moderation reads it: a demotion counts at once.
        const role = (await repos.users.findById(user.id))?.role ?? "user";
        if (role === "user") throw new AppError("NOT_MESSAGE_SENDER", "Only the person who sent a message, or a moderator, can delete it.");
      }
      // Deleting again is answered with the tombstone; nobody is told twice.
      if (context.message.deleted) return current(messageId);
      // No mute check: a delete takes text away from others, it puts none in front of them.
      const removed = await repos.messages.remove(messageId, user.id);
      if (context.message.fileId !== null) await repos.files.remove(context.message.fileId);
      const dto = await current(messageId);
      if (removed) await announce(context.chat, { reason: "deleted", message: dto });
      return dto;
    },

    async react(user, { messageId, emoji, on }) {
      const context = await load(user, messageId);
      refuseSystem(context, "reacted to");
      refuseDeleted(context, "reacted to");
      if (context.mute) throw new AppError("MUTED", `You are muted ${describeSanction(context.mute)}; you cannot react while muted.`);
      const changed = await repos.messages.react(messageId, user.id, emoji, on);
      const dto = await current(messageId);
      if (changed) await announce(context.chat, { reason: "reacted", message: dto });
      return dto;
    },

    async search(user, input) {
      const parsed = parseSearch(input.query);
      const limit = input.limit ?? SEARCH_DEFAULT;
      const none: SearchPage = { hits: [], hasMore: false };
      if (parsed.words.length === 0 && parsed.phrases.length === 0 && parsed.from === null && input.from === undefined && parsed.room === null) {
        throw new AppError("VALIDATION_FAILED", "Give at least one word, a \"quoted phrase\", from:nick or in:#room to search for.");
      }
      let chatId: number | null = input.chatId ?? null;
      if (chatId !== null && !(await repos.chats.getMembership(chatId, user.id))) {
        throw new AppError("CHAT_NOT_FOUND", `Chat ${chatId} does not exist or you are not a member of it.`);
      }
      if (parsed.room !== null) {
        const room = await repos.chats.findRoomByKey(foldKey(parsed.room), user.id);
        // A room the user is not in finds nothing, exactly like a room that does not exist.
        if (!room || (chatId !== null && room.id !== chatId)) return none;
        chatId = room.id;
      }
      let senderId: number | null = null;
      const fromNick = input.from ?? parsed.from;
      if (fromNick !== null) {
        const sender = await repos.users.findByNickKey(foldKey(fromNick.trim()));
        if (!sender) return none;
        senderId = sender.id;
      }
      // One statement reads the page whole (the records and their chat names).
      const found = await repos.messages.search(user.id, {
        words: parsed.words, phrases: parsed.phrases, chatId, senderId, before: input.before ?? null, limit: limit + 1,
      });
      return {
        hits: found.slice(0, limit).map(({ message: m, chatName }) => ({ message: toMessageDto(m), chatName, marks: matchMarks(m.text, parsed) })),
        hasMore: found.length > limit,
      };
    },

    async mentions(user, input) {
      const limit = input?.limit ?? MENTIONS_DEFAULT;
      // Two statements: the page whole (records, chat names, read state) and the unread count.
      const [rows, unread] = await Promise.all([
        repos.messages.mentions(user.id, input?.before ?? null, limit + 1),
        repos.messages.unreadMentions(user.id, UNREAD_CAP),
      ]);
      return {
        mentions: rows.slice(0, limit).map(({ message, chatName, read }) => ({ message: toMessageDto(message), chatName, read })),
        hasMore: rows.length > limit,
        unread,
      };
    },
  };
}
