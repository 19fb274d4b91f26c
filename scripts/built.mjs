// The last step of `npm run build`: marks when dist/ was last built from the sources, for
// `npm start` (tsc's incremental build does not rewrite outputs whose content is unchanged).
import { writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
writeFileSync(path.join(root, "dist", ".built"), `${new Date().toISOString()}\n`);
