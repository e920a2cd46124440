// Builds the web app into web/dist (run by `npm install` through `prepare`,
// and by `npm start` with --if-stale, which skips the build when nothing it is
// made from changed). An install without devDependencies has no Vite: then it
// says so and the server serves the API alone.
import { createHash } from "node:crypto";
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const web = fileURLToPath(new URL(".", import.meta.url));
const root = path.dirname(web);
const dist = path.join(web, "dist");
const stamp = path.join(dist, ".build-id");

function files(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const full = path.join(dir, name);
      return statSync(full).isDirectory() ? files(full) : [full];
    });
}

/** A hash of everything the bundle is made from. */
function sourceHash(): string {
  const hash = createHash("sha256");
  const inputs = [
    ...files(path.join(web, "src")),
    ...["index.html", "vite.config.ts", "tsconfig.json"].map((name) => path.join(web, name)),
    path.join(root, "package-lock.json"),
  ];
  for (const file of inputs) if (existsSync(file)) hash.update(path.relative(root, file)).update("\0").update(readFileSync(file));
  return hash.digest("hex");
}

const ifStale = process.argv.includes("--if-stale");
const id = sourceHash();
if (ifStale && existsSync(stamp) && readFileSync(stamp, "utf8") === id) process.exit(0);

let vite: typeof import("vite");
try {
  vite = await import("vite");
} catch {
  console.warn(
    "leadgraph: Vite is not installed (an install without devDependencies): the web app is not built; the server serves the API only.",
  );
  process.exit(0);
}
const started = Date.now();
console.log("leadgraph: building the web app (web/ -> web/dist)…");
await vite.build({ configFile: path.join(web, "vite.config.ts"), logLevel: "warn" });
writeFileSync(stamp, id);
console.log(`leadgraph: web app built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
