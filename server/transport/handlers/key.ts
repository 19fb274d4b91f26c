// SSH key events: the logged-in user lists, binds and removes the keys chat-sshd accepts.
import { AddSshKey, Empty, SshFingerprint } from "../../protocol/index.js";
import type { AccountService } from "../../services/accounts.js";
import { handle } from "../handle.js";

export const keyHandlers = (accounts: AccountService) => ({
  "key:list": handle<"key:list">(Empty, async (_input, ctx) => ({ keys: await accounts.listKeys(ctx.user.id) })),
  "key:add": handle<"key:add">(AddSshKey, async (input, ctx) => accounts.addKey(ctx.user.id, input.publicKey)),
  "key:remove": handle<"key:remove">(SshFingerprint, async (input, ctx) => accounts.removeKey(ctx.user.id, input.fingerprint)),
});
