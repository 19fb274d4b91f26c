-- The send epoch (issue 17, persisted throughput): a send used to read the sender's membership,
-- the chat and the mute in force on every message. Now each node keeps what it read (per chat
-- and sender) and, for every send, reads this one counter instead (one read shared by all the
-- sends that arrive together, issued after they arrived); what it kept counts only while the
-- counter has not moved since it was read. The triggers (written by hand: Prisma does not
-- express them) move it for every write that can change what a send checks, whoever makes it:
-- this server, another node, the CLI or plain SQL. So a leave, a close or a mute holds for the
-- very next message on every node, as when everything was read on every send.

-- CreateTable
CREATE TABLE "send_epoch" (
    "id" INTEGER NOT NULL DEFAULT 1,
    "n" BIGINT NOT NULL DEFAULT 0,

    CONSTRAINT "send_epoch_pkey" PRIMARY KEY ("id")
);

INSERT INTO "send_epoch" ("id", "n") VALUES (1, 0);

CREATE FUNCTION "bump_send_epoch"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE "send_epoch" SET "n" = "n" + 1 WHERE "id" = 1;
  RETURN NULL;
END
$$;

-- A membership ended (a leave, a chat or user deleted) or closed/reopened. A new membership and
-- a moved read marker change nothing a node kept (it keeps only memberships it found).
CREATE TRIGGER "memberships_bump_send_epoch" AFTER DELETE OR TRUNCATE ON "memberships"
  FOR EACH STATEMENT EXECUTE FUNCTION "bump_send_epoch"();
CREATE TRIGGER "memberships_open_bump_send_epoch" AFTER UPDATE OF "open", "chat_id", "user_id" ON "memberships"
  FOR EACH ROW WHEN (OLD."open" IS DISTINCT FROM NEW."open" OR OLD."chat_id" <> NEW."chat_id" OR OLD."user_id" <> NEW."user_id")
  EXECUTE FUNCTION "bump_send_epoch"();

-- A mute (or ban) given, lifted or removed.
CREATE TRIGGER "sanctions_bump_send_epoch" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "sanctions"
  FOR EACH STATEMENT EXECUTE FUNCTION "bump_send_epoch"();

-- A chat changed or deleted.
CREATE TRIGGER "chats_bump_send_epoch" AFTER UPDATE OR DELETE OR TRUNCATE ON "chats"
  FOR EACH STATEMENT EXECUTE FUNCTION "bump_send_epoch"();
