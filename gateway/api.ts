// chat-sshd's calls to chat-server's HTTP API: the key login (with the gateway secret) and logout.
import http from "node:http";
import https from "node:https";
import type { AuthResponse } from "../server/protocol/index.js";

export type KeyLogin = { ok: true; auth: AuthResponse } | { ok: false; status: number; code: string; message: string };

function post(server: string, path: string, body: unknown, headers: Record<string, string>): Promise<{ status: number; body: unknown }> {
  const url = new URL(path, server);
  const payload = JSON.stringify(body);
  const transport = url.protocol === "https:" ? https : http;
  return new Promise((resolve, reject) => {
    const req = transport.request(url, { method: "POST", timeout: 10_000, headers: { "content-type": "application/json", "content-length": Buffer.byteLength(payload), ...headers } }, (res) => {
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
    });
    req.on("timeout", () => req.destroy(new Error("timed out")));
    req.on("error", reject);
    req.end(payload);
  });
}

/** A session for the account bound to the key (whose signature the caller verified). */
export async function keyLogin(server: string, secret: string, fingerprint: string, address: string | undefined): Promise<KeyLogin> {
  try {
    const res = await post(server, "/api/v1/gateway/key-login", { fingerprint, ...(address ? { address } : {}) }, { authorization: `Bearer ${secret}` });
    const body = res.body as (AuthResponse & { error?: { code?: string; message?: string } }) | null;
    if (res.status === 200 && body?.token) return { ok: true, auth: body };
    return { ok: false, status: res.status, code: body?.error?.code ?? "HTTP", message: body?.error?.message ?? `chat-server answered HTTP ${res.status}.` };
  } catch (e) {
    return { ok: false, status: 0, code: "UNREACHABLE", message: `Cannot reach chat-server at ${server} (${(e as Error).message}).` };
  }
}

/** Ends a session the gateway obtained (when its SSH session ends). */
export async function logoutToken(server: string, token: string): Promise<void> {
  await post(server, "/api/v1/logout", {}, { authorization: `Bearer ${token}` }).catch(() => undefined);
}
