import test from "ava";
import { CLIENT_EVENT_DECLS, CLIENT_EVENTS, eventLimit, type ClientEventName, type EventAck, type EventPayload } from "./events.js";
import type { MessageDto } from "./dto.js";

test("the event list, the limits and the schemas all come from the one declaration", (t) => {
  t.deepEqual([...CLIENT_EVENTS], Object.keys(CLIENT_EVENT_DECLS));
  t.is(eventLimit("message:send"), "message");
  t.is(eventLimit("file:chunk"), "transfer");
  t.is(eventLimit("file:read"), "transfer");
  t.is(eventLimit("rooms:list"), "event");
  t.is(eventLimit("no:such-event"), "event");
  t.is(eventLimit("__proto__"), "event");
  t.false(CLIENT_EVENT_DECLS["message:send"].schema.safeParse({ chatId: 1, text: "", clientId: "x" }).success);
});

test("payload and ack types are derived from the declaration (checked by the compiler)", (t) => {
  const payload: EventPayload<"message:send"> = { chatId: 1, text: "hi", clientId: "00000000-0000-4000-8000-000000000001" };
  const ack = null as unknown as EventAck<"message:send">;
  const asMessage: MessageDto | null = ack;
  // @ts-expect-error: message:send takes a chatId, not a room name
  const wrong: EventPayload<"message:send"> = { room: "general", text: "hi", clientId: "x" };
  const name: ClientEventName = "file:list";
  // @ts-expect-error: not a declared event
  const unknown: ClientEventName = "file:lsit";
  t.truthy(payload && name && wrong && unknown !== undefined && asMessage === null);
});
