// HTTP account calls (login, register, logout) with errors a person can act on.
import type { AuthResponse } from "../../server/protocol/index.js";

export type AuthResult = { ok: true; auth: AuthResponse } | { ok: false; message: string };

function unreachable(server: string, e: unknown): string {
  const cause = (e as { cause?: { code?: string; message?: string } })?.cause;
  const why = cause?.code ?? cause?.message ?? (e instanceof Error ? e.message : String(e));
  return `Cannot reach the server at ${server} (${why}). Is chat-server running there?`;
}

async function post(server: string, path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(new URL(path, server), {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
}

export async function authenticate(server: string, mode: "login" | "register", nick: string, password: string): Promise<AuthResult> {
  let res: Response;
  try {
    res = await post(server, `/api/v1/${mode}`, { nick, password });
  } catch (e) {
    return { ok: false, message: unreachable(server, e) };
  }
  const body = (await res.json().catch(() => null)) as (AuthResponse & { error?: { message?: string } }) | null;
  if (res.ok && body?.token) return { ok: true, auth: body };
  return { ok: false, message: body?.error?.message ?? `The server answered ${res.status} ${res.statusText}.` };
}

/** Revokes the token on the server; failures are ignored (the token is forgotten locally anyway). */
export async function logout(server: string, token: string): Promise<void> {
  await post(server, "/api/v1/logout", {}, { authorization: `Bearer ${token}` }).catch(() => undefined);
}
