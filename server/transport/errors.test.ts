import test from "ava";
import { toErrorBody } from "./errors.js";
import type { Logger } from "../log.js";

function logger() {
  const seen: { level: string; msg: string }[] = [];
  const at = (level: string) => (_obj: unknown, msg: string) => void seen.push({ level, msg });
  const log = { warn: at("warn"), error: at("error"), info: at("info"), debug: at("debug") } as unknown as Logger;
  return { log, seen };
}

test("a pool that cannot get a connection in time answers UNAVAILABLE (nothing saved), not INTERNAL", (t) => {
  for (const message of ["timeout exceeded when trying to connect", "sorry, too many clients already", "connect ECONNREFUSED 127.0.0.1:5432"]) {
    const { log, seen } = logger();
    const body = toErrorBody(new Error(message), log);
    t.is(body.code, "UNAVAILABLE", message);
    t.deepEqual(seen.map((s) => s.level), ["warn"], message);
  }
  // The same words as the cause of a driver adapter's error.
  const { log } = logger();
  t.is(toErrorBody(new Error("DriverAdapterError", { cause: new Error("timeout exceeded when trying to connect") }), log).code, "UNAVAILABLE");
});

test("an unknown error is INTERNAL and logged as an error", (t) => {
  const { log, seen } = logger();
  t.is(toErrorBody(new Error("something else broke"), log).code, "INTERNAL");
  t.deepEqual(seen.map((s) => s.level), ["error"]);
});
