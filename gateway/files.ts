// File ports for an SSH gateway session: /send and /download would read and write the gateway
// host's disk, so both are refused with a sentence saying where files can be sent from.
import { createHash } from "node:crypto";
import { TransferError } from "../client/transfer.js";
import type { FilePorts } from "../client/ports.js";

export const GATEWAY_FILES_REFUSAL =
  "File transfer is not available over the SSH gateway (it would read or write the gateway's own disk): run chat-tui on your computer to /send and /download files.";

export function refusingFiles(): FilePorts {
  return {
    openSource: async () => {
      throw new TransferError("LOCAL_FILE", GATEWAY_FILES_REFUSAL);
    },
    openSink: async () => {
      throw new TransferError("LOCAL_FILE", GATEWAY_FILES_REFUSAL);
    },
    sha256: () => {
      const h = createHash("sha256");
      return { update: (b) => void h.update(b), digest: () => h.digest("hex") };
    },
  };
}
