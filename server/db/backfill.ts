// Fills the confusable-skeleton columns of users and public rooms stored before they existed.
import { confusableKey } from "../protocol/confusables.js";
import type { PrismaClient } from "./generated/client.js";

const isUniqueViolation = (e: unknown): boolean =>
  typeof e === "object" && e !== null && (e as { code?: unknown }).code === "P2002";

export type SkeletonBackfill = {
  filled: number;
  /** Names kept without a skeleton because they look like an older name ("аlice" looks like "alice"). */
  lookalikes: { kind: "user" | "room"; name: string; looksLike: string | null }[];
};

/**
 * Oldest first, so the older of two lookalikes keeps the name's skeleton and every later
 * registration is compared with it; the younger one stays as it is (an operator may rename it).
 * Idempotent: only rows without a skeleton are read, so a second start does nothing new.
 */
export async function backfillNameSkeletons(prisma: PrismaClient): Promise<SkeletonBackfill> {
  const out: SkeletonBackfill = { filled: 0, lookalikes: [] };
  const users = await prisma.user.findMany({ where: { nickSkeleton: null }, orderBy: { id: "asc" }, select: { id: true, nick: true } });
  for (const u of users) {
    const nickSkeleton = confusableKey(u.nick);
    try {
      await prisma.user.update({ where: { id: u.id }, data: { nickSkeleton } });
      out.filled++;
    } catch (e) {
      if (!isUniqueViolation(e)) throw e;
      const older = await prisma.user.findUnique({ where: { nickSkeleton }, select: { nick: true } });
      out.lookalikes.push({ kind: "user", name: u.nick, looksLike: older?.nick ?? null });
    }
  }
  const rooms = await prisma.chat.findMany({
    where: { kind: "room", isPrivate: false, nameSkeleton: null, name: { not: null } },
    orderBy: { id: "asc" },
    select: { id: true, name: true },
  });
  for (const r of rooms) {
    const nameSkeleton = confusableKey(r.name!);
    try {
      await prisma.chat.update({ where: { id: r.id }, data: { nameSkeleton } });
      out.filled++;
    } catch (e) {
      if (!isUniqueViolation(e)) throw e;
      const older = await prisma.chat.findUnique({ where: { nameSkeleton }, select: { name: true } });
      out.lookalikes.push({ kind: "room", name: r.name!, looksLike: older?.name ?? null });
    }
  }
  return out;
}
