-- DropIndex
DROP INDEX "chats_name_key_key";

-- AlterTable
ALTER TABLE "chats" ADD COLUMN     "name_skeleton" TEXT,
ADD COLUMN     "public_key" VARCHAR(96);

-- AlterTable
ALTER TABLE "users" ADD COLUMN     "nick_skeleton" TEXT;

-- CreateIndex
CREATE UNIQUE INDEX "chats_public_key_key" ON "chats"("public_key");

-- CreateIndex
CREATE UNIQUE INDEX "chats_name_skeleton_key" ON "chats"("name_skeleton");

-- CreateIndex
CREATE INDEX "chats_name_key_idx" ON "chats"("name_key");

-- CreateIndex
CREATE UNIQUE INDEX "users_nick_skeleton_key" ON "users"("nick_skeleton");

-- Public rooms keep their names unique, private rooms leave the public namespace. The
-- skeleton columns are filled by the server at start (the confusables table lives in code).
UPDATE "chats" SET "public_key" = "name_key" WHERE "kind" = 'room' AND NOT "is_private";
