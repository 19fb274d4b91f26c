import test from "ava";
import { DEFAULT_LIMITS, parseLimits, parseSize, resolveConfig } from "./config.js";

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

test("file sizes read as people write them; anything else is refused by name", (t) => {
  t.is(parseSize("25MiB", "x"), 25 * 1024 * 1024);
  t.is(parseSize("500k", "x"), 500 * 1024);
  t.is(parseSize("1g", "x"), 1024 ** 3);
  t.is(parseSize("2 MB", "x"), 2_000_000);
  t.is(parseSize("1048576", "x"), 1048576);
  t.is(parseSize("1.5MiB", "x"), 1.5 * 1024 * 1024);
  t.throws(() => parseSize("lots", "--file-quota"), { message: /--file-quota: "lots" is not a size/ });
  t.throws(() => parseSize("10 parsecs", "--max-file-size"), { message: /--max-file-size/ });
  const config = resolveConfig({ files: { maxTransfersPerUser: 5 } }, { CHAT_MAX_FILE_SIZE: "2MiB", CHAT_FILE_QUOTA: "1g" });
  t.deepEqual(config.files, { maxFileBytes: 2 * 1024 * 1024, quotaBytesPerUser: 1024 ** 3, maxTransfersPerUser: 5, uploadIdleMs: 3600 * 1000 });
});

test("TRUST_PROXY trusts one proxy, or a chain of 2 to 9; a bad --trust-proxy-hops is refused", (t) => {
  t.true(resolveConfig({}, { TRUST_PROXY: "true" }).trustProxy);
  t.is(resolveConfig({}, { TRUST_PROXY: "2" }).trustProxy, 2);
  t.false(resolveConfig({}, { TRUST_PROXY: "yes please" }).trustProxy);
  t.false(resolveConfig({}, {}).trustProxy);
  t.throws(() => resolveConfig({ trustProxy: -1 }, {}), { message: /trusted proxies must be 0 to 9/ });
});
