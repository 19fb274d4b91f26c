// /key list, /key add, /key rm: the SSH keys that log this account in through chat-sshd.
import { activeView } from "../state/selectors.js";
import { ask, type CommandContext } from "./context.js";

const here = (ctx: CommandContext) => activeView(ctx.state())?.chat.id ?? null;

export async function listKeys(ctx: CommandContext) {
  const r = await ask(ctx, ctx.client.request("key:list", {}));
  if (!r) return;
  if (!r.keys.length) return ctx.notice("No SSH keys are bound to your account: /key add <the line of your ~/.ssh/id_ed25519.pub> binds one.", "info", here(ctx));
  ctx.notice(`SSH keys that log you in (${r.keys.length}); /key rm <fingerprint> removes one:`, "info", here(ctx));
  for (const k of r.keys) ctx.notice(`  ${k.fingerprint}  ${k.type}${k.comment ? `  ${k.comment}` : ""}  added ${k.createdAt.replace("T", " ").slice(0, 16)} UTC`, "info", here(ctx));
}

/** Binds a key; resolves to whether it was bound. */
export async function addKey(ctx: CommandContext, publicKey: string): Promise<boolean> {
  const r = await ask(ctx, ctx.client.request("key:add", { publicKey }));
  if (r) ctx.notice(`Bound the SSH key ${r.fingerprint} (${r.type}) to your account: ssh to chat-sshd with it to log straight in.`, "info", here(ctx));
  return Boolean(r);
}

export async function removeKey(ctx: CommandContext, fingerprint: string) {
  const r = await ask(ctx, ctx.client.request("key:remove", { fingerprint }));
  if (r) ctx.notice(`Removed the SSH key ${r.fingerprint}; it no longer logs you in.`, "info", here(ctx));
}
