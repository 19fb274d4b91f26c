// chat-sshd's calls to chat-server's HTTP API: the key login (with the gateway secret) and logout.
import type { AuthResponse } from "../server/protocol/index.js";
import { logout, postJson } from "../tui/net/auth.js";

const VERIFY = { rejectUnauthorized: true };

export type KeyLogin = { ok: true; auth: AuthResponse } | { ok: false; status: number; code: string; message: string };

/** A session for the account bound to the key (whose signature the caller verified). */
export async function keyLogin(server: string, secret: string, fingerprint: string, address: string | undefined): Promise<KeyLogin> {
  try {
    const res = await postJson(server, "/api/v1/gateway/key-login", { fingerprint, ...(address ? { address } : {}) }, VERIFY, { authorization: `Bearer ${secret}` });
    const body = res.body as (AuthResponse & { error?: { code?: string; message?: string } }) | null;
    if (res.status === 200 && body?.token) return { ok: true, auth: body };
    return { ok: false, status: res.status, code: body?.error?.code ?? "HTTP", message: body?.error?.message ?? `chat-server answered HTTP ${res.status}.` };
  } catch (e) {
    return { ok: false, status: 0, code: "UNREACHABLE", message: `Cannot reach chat-server at ${server} (${(e as Error).message}).` };
  }
}

/** Ends a session the gateway obtained (when its SSH session ends). */
export async function logoutToken(server: string, token: string): Promise<void> {
  await logout(server, token, VERIFY);
}
