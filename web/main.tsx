// The browser client's entry: the client core on browser ports, rendered by Preact.
import { render } from "preact";
import { createClient } from "../client/index.js";
import { App } from "./app.js";
import { browserFiles, browserPorts } from "./ports.js";

/** Hands a verified download to the browser: a link to a blob: URL, clicked once. */
function saveBlob(blob: Blob, name: string) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  a.rel = "noopener";
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

const files = browserFiles(saveBlob);
const client = createClient({ server: location.origin, ports: browserPorts(location.origin, files.ports) });
render(<App web={{ client, pick: files.pick }} />, document.getElementById("app")!);
void client.start();
