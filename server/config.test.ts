import test from "ava";
import { DEFAULT_LIMITS, parseLimits, resolveConfig } from "./config.js";

test("CHAT_RATE_LIMITS overrides one field of a limit and keeps the rest", (t) => {
  const limits = parseLimits('{"messages":{"points":60},"connectionsPerAccount":3}');
  t.deepEqual(limits.messages, { points: 60, windowSec: DEFAULT_LIMITS.messages.windowSec });
  t.is(limits.connectionsPerAccount, 3);
  t.deepEqual(limits.events, DEFAULT_LIMITS.events);
  t.throws(() => parseLimits("{nope"), { message: /not valid JSON/ });
  t.throws(() => parseLimits('{"mesages":{}}'), { message: /unknown limit "mesages"/ });
});

test("configuration comes from the environment and from options, options winning", (t) => {
  const c = resolveConfig({ port: 4000 }, { PORT: "5000", HOST: "0.0.0.0", DATABASE_URL: "postgresql://x/y", ALLOWED_ORIGINS: "https://a, https://b", TRUST_PROXY: "1" });
  t.is(c.port, 4000);
  t.is(c.host, "0.0.0.0");
  t.is(c.databaseUrl, "postgresql://x/y");
  t.deepEqual(c.allowedOrigins, ["https://a", "https://b"]);
  t.true(c.trustProxy);
  t.throws(() => resolveConfig({ port: 70000 }, {}), { message: /port/ });
  t.throws(() => resolveConfig({ tlsCert: "x.pem" }, {}), { message: /both/ });
});
