-- The session epoch (issue 17, idle cost): every node used to re-read the sessions of all its
-- sockets every second, so 10,000 idle sockets cost 20 queries of 500 rows a second. Now each
-- node reads this one counter every second and re-reads its sessions only when it moved. The
-- triggers (written by hand: Prisma does not express them) move it for every write that can end
-- or change a live session, whoever makes it: this server, another node, the CLI or plain SQL.

-- CreateTable
CREATE TABLE "session_epoch" (
    "id" INTEGER NOT NULL DEFAULT 1,
    "n" BIGINT NOT NULL DEFAULT 0,

    CONSTRAINT "session_epoch_pkey" PRIMARY KEY ("id")
);

INSERT INTO "session_epoch" ("id", "n") VALUES (1, 0);

CREATE FUNCTION "bump_session_epoch"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE "session_epoch" SET "n" = "n" + 1 WHERE "id" = 1;
  RETURN NULL;
END
$$;

-- A logout, kick or expiry written to a session, or sessions deleted (also by a user's deletion).
CREATE TRIGGER "sessions_bump_epoch" AFTER UPDATE OF "revoked_at", "expires_at" OR DELETE OR TRUNCATE ON "sessions"
  FOR EACH STATEMENT EXECUTE FUNCTION "bump_session_epoch"();

-- A role or nick change (applied to live sockets), or a user deleted.
CREATE TRIGGER "users_bump_epoch" AFTER UPDATE OF "role", "nick" OR DELETE ON "users"
  FOR EACH STATEMENT EXECUTE FUNCTION "bump_session_epoch"();

-- A ban (mutes do not end sessions and are read when a message is sent).
CREATE TRIGGER "sanctions_bump_epoch" AFTER INSERT ON "sanctions"
  FOR EACH ROW WHEN (NEW."kind" = 'ban') EXECUTE FUNCTION "bump_session_epoch"();
