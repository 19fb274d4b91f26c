-- Unread counts (issue 17, join storms): every session:ready counts each chat's unread
-- messages, capped at 999, over the (chat_id, id) index. Join and leave notices are not
-- counted but were scanned: in a room everyone joined, a newcomer's count walked every later
-- join notice (10,000 members: thousands of rows per connect, a reconnect storm quadratic).
-- This index holds only the kinds that count, so the capped count reads at most 999 entries.
-- Written by hand: Prisma's schema does not express a partial index (`npm run db:diff`
-- leaves it alone).
CREATE INDEX "messages_unread_idx" ON "messages" ("chat_id", "id") WHERE "kind" IN ('text', 'file');
