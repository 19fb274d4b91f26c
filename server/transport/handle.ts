// The one validating wrapper: every client event is parsed with its schema, run, and
// acknowledged with a Result; a payload without an ack still gets its error as a notice.
import type { z } from "zod";
import type { Logger } from "../log.js";
import type { ClientEventName, ErrorBody, EventAck, EventPayload, Result, UserDto } from "../protocol/index.js";
import { AppError } from "../app-error.js";
import { toErrorBody } from "./errors.js";

export type HandlerContext = { user: UserDto; sessionId: number; socketId: string };

// Both come from the one declaration of each event (protocol/events.ts).
type Payload<E extends ClientEventName> = EventPayload<E>;
type AckData<E extends ClientEventName> = EventAck<E>;

export type Handler<E extends ClientEventName> = {
  schema: z.ZodType<Payload<E>>;
  /** `answered`: the request came with an acknowledgement callback (its result reaches the client). */
  run: (input: Payload<E>, ctx: HandlerContext, answered: boolean) => Promise<AckData<E>>;
};
/** A handler for every client event: the compiler checks that none is missing. */
export type HandlerTable = { [E in ClientEventName]: Handler<E> };

/** Builds one handler entry (keeps inference of the payload type from the schema). */
export const handle = <E extends ClientEventName>(
  schema: z.ZodType<Payload<E>>,
  run: (input: Payload<E>, ctx: HandlerContext, answered: boolean) => Promise<AckData<E>>,
): Handler<E> => ({ schema, run });

type Reply = (result: Result<unknown>) => void;

/** Splits socket.io's argument list into payload and ack (either may be missing). */
export function splitArgs(args: unknown[]): { payload: unknown; ack: Reply | null } {
  const last = args[args.length - 1];
  const ack = typeof last === "function" ? (last as Reply) : null;
  const rest = ack ? args.slice(0, -1) : args;
  return { payload: rest[0], ack };
}

export function runHandler<E extends ClientEventName>(
  event: E,
  handler: Handler<E>,
  args: unknown[],
  ctx: HandlerContext,
  deps: {
    log: Logger;
    before?: Promise<unknown>;
    /** Runs after `before`, ahead of the handler: a refusal fails the request with its code. */
    guard?: () => Promise<ErrorBody | null>;
    onError: (error: ErrorBody) => void;
  },
): Promise<Result<unknown>> {
  const { payload, ack } = splitArgs(args);
  const reply = (result: Result<unknown>) => {
    if (ack) ack(result);
    else if (!result.ok) deps.onError(result.error);
  };
  return (async (): Promise<Result<unknown>> => {
    await deps.before;
    const refusal = deps.guard ? await deps.guard() : null;
    if (refusal) throw new AppError(refusal.code, refusal.message);
    const input = handler.schema.parse(payload);
    return { ok: true, data: await handler.run(input, ctx, ack !== null) };
  })().then(
    (result) => (reply(result), result),
    (e: unknown) => {
      const result: Result<unknown> = { ok: false, error: toErrorBody(e, deps.log, { event, user: ctx.user.id }, payload) };
      reply(result);
      return result;
    },
  );
}
