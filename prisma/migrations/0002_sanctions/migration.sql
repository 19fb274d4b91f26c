-- CreateEnum
CREATE TYPE "SanctionKind" AS ENUM ('ban', 'mute');

-- CreateTable
CREATE TABLE "sanctions" (
    "id" SERIAL NOT NULL,
    "kind" "SanctionKind" NOT NULL,
    "user_id" INTEGER NOT NULL,
    "by_id" INTEGER,
    "reason" VARCHAR(500) NOT NULL DEFAULT '',
    "until" TIMESTAMPTZ(3),
    "lifted_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "sanctions_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "sanctions_user_id_kind_idx" ON "sanctions"("user_id", "kind");

-- AddForeignKey
ALTER TABLE "sanctions" ADD CONSTRAINT "sanctions_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "sanctions" ADD CONSTRAINT "sanctions_by_id_fkey" FOREIGN KEY ("by_id") REFERENCES "users"("id") ON DELETE SET NULL ON UPDATE CASCADE;
