// The browser tests use the built app: build it when its sources changed
// since the last build (what `npm install` and `npm start` do too).
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

export default function setup() {
  const script = fileURLToPath(new URL("../../web/build.ts", import.meta.url));
  const result = spawnSync(process.execPath, [script, "--if-stale"], { stdio: "inherit" });
  if (result.status !== 0) throw new Error("building the web app failed (node web/build.ts)");
}
