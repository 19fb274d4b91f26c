-- CreateEnum
CREATE TYPE "FileStatus" AS ENUM ('uploading', 'complete');

-- AlterEnum
ALTER TYPE "MessageKind" ADD VALUE 'file';

-- AlterTable
ALTER TABLE "messages" ADD COLUMN     "file_id" INTEGER;

-- CreateTable
CREATE TABLE "files" (
    "id" SERIAL NOT NULL,
    "chat_id" INTEGER NOT NULL,
    "uploader_id" INTEGER NOT NULL,
    "client_id" UUID NOT NULL,
    "name" VARCHAR(255) NOT NULL,
    "size" BIGINT NOT NULL,
    "sha256" CHAR(64) NOT NULL,
    "received" BIGINT NOT NULL DEFAULT 0,
    "status" "FileStatus" NOT NULL DEFAULT 'uploading',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "completed_at" TIMESTAMPTZ(3),

    CONSTRAINT "files_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "file_chunks" (
    "file_id" INTEGER NOT NULL,
    "seq" INTEGER NOT NULL,
    "data" BYTEA NOT NULL,

    CONSTRAINT "file_chunks_pkey" PRIMARY KEY ("file_id","seq")
);

-- CreateIndex
CREATE INDEX "files_chat_id_id_idx" ON "files"("chat_id", "id");

-- CreateIndex
CREATE INDEX "files_status_updated_at_idx" ON "files"("status", "updated_at");

-- CreateIndex
CREATE UNIQUE INDEX "files_uploader_id_client_id_key" ON "files"("uploader_id", "client_id");

-- AddForeignKey
ALTER TABLE "messages" ADD CONSTRAINT "messages_file_id_fkey" FOREIGN KEY ("file_id") REFERENCES "files"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "files" ADD CONSTRAINT "files_chat_id_fkey" FOREIGN KEY ("chat_id") REFERENCES "chats"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "files" ADD CONSTRAINT "files_uploader_id_fkey" FOREIGN KEY ("uploader_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "file_chunks" ADD CONSTRAINT "file_chunks_file_id_fkey" FOREIGN KEY ("file_id") REFERENCES "files"("id") ON DELETE CASCADE ON UPDATE CASCADE;
