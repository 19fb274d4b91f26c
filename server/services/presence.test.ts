// The in-memory presence's connection reservations: the per-account cap is one check-and-take.
import test from "ava";
import type { Notifier } from "./ports.js";
import { createPresenceService } from "./presence.js";

const silent = { toAll: () => {}, toPresence: () => {} } as unknown as Notifier;

test("concurrent reservations for one account admit exactly the cap, and a release frees one place", async (t) => {
  const presence = createPresenceService({ notifier: silent });
  const results = await Promise.all(Array.from({ length: 15 }, (_, i) => presence.reserve(7, `s${i}`, 10)));
  t.is(results.filter(Boolean).length, 10);
  t.false(await presence.reserve(7, "late", 10));
  t.true(await presence.reserve(8, "other-account", 10), "another account has its own places");
  await presence.release(7, "s0");
  await presence.release(7, "s0");
  t.true(await presence.reserve(7, "again", 10), "a released place is free again");
  t.false(await presence.reserve(7, "one-more", 10), "releasing twice freed only one place");
  await presence.release(7, "never-reserved");
  t.false(await presence.reserve(7, "still-full", 10), "releasing a socket that held nothing frees nothing");
});
