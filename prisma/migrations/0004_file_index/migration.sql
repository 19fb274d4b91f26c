-- CreateIndex
CREATE INDEX "messages_file_id_idx" ON "messages"("file_id");
