// HTTP account calls (login, register, logout) with errors a person can act on. Uses node's
// http/https directly so that a private CA (--ca) or --insecure apply to them too.
import http from "node:http";
import https from "node:https";
import type { AuthResponse } from "../../server/protocol/index.js";
import { certificateProblem, type TlsOptions } from "./tls.js";

export type AuthResult = { ok: true; auth: AuthResponse } | { ok: false; message: string };

function unreachable(server: string, e: unknown): string {
  const cert = certificateProblem(e);
  if (cert) return cert;
  const err = e as { code?: string; message?: string };
  return `Cannot reach the server at ${server} (${err.code ?? err.message ?? String(e)}). Is chat-server running there?`;
}

/** POSTs JSON to chat-server's HTTP API (also chat-sshd's key login) and reads the JSON answer. */
export function postJson(server: string, path: string, body: unknown, tls: TlsOptions, headers: Record<string, string> = {}): Promise<{ status: number; body: unknown }> {
  const url = new URL(path, server);
  const payload = JSON.stringify(body);
  const transport = url.protocol === "https:" ? https : http;
  return new Promise((resolve, reject) => {
    const req = transport.request(
      url,
      {
        method: "POST",
        headers: { "content-type": "application/json", "content-length": Buffer.byteLength(payload), ...headers },
        timeout: 10_000,
        ...(url.protocol === "https:" ? tls : {}),
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (d: string) => (text += d));
        res.on("end", () => {
          let parsed: unknown = null;
          try {
            parsed = text ? JSON.parse(text) : null;
          } catch {
            parsed = null;
          }
          resolve({ status: res.statusCode ?? 0, body: parsed });
        });
      },
    );
    req.on("timeout", () => req.destroy(Object.assign(new Error("timed out"), { code: "ETIMEDOUT" })));
    req.on("error", reject);
    req.end(payload);
  });
}

export async function authenticate(server: string, mode: "login" | "register", nick: string, password: string, tls: TlsOptions = { rejectUnauthorized: true }): Promise<AuthResult> {
  let res: { status: number; body: unknown };
  try {
    res = await postJson(server, `/api/v1/${mode}`, { nick, password }, tls);
  } catch (e) {
    return { ok: false, message: unreachable(server, e) };
  }
  const body = res.body as (AuthResponse & { error?: { message?: string } }) | null;
  if (res.status >= 200 && res.status < 300 && body?.token) return { ok: true, auth: body };
  return { ok: false, message: body?.error?.message ?? `The server answered HTTP ${res.status}.` };
}

/** Revokes the token on the server; failures are ignored (the token is forgotten locally anyway). */
export async function logout(server: string, token: string, tls: TlsOptions = { rejectUnauthorized: true }): Promise<void> {
  await postJson(server, "/api/v1/logout", {}, tls, { authorization: `Bearer ${token}` }).catch(() => undefined);
}
