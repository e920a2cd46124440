#!/usr/bin/env node
// The leadgraph CLI. Our code is TypeScript run directly by Node >= 22.18
// (type stripping). When started by an older Node (Node 20 is common), re-run
// this command with the Node 22 that `npm install` put in node_modules.
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const [major, minor] = process.versions.node.split(".").map(Number);
if (major > 22 || (major === 22 && minor >= 18)) {
  await import("../src/cli.ts");
} else {
  let node;
  try {
    node = createRequire(import.meta.url).resolve("node/bin/node");
  } catch {
    console.error(
      `leadgraph needs Node >= 22.18 (this is ${process.version}). Run \`npm install\` in the leadgraph folder (it installs Node 22 locally) or install Node 22.`,
    );
    process.exit(1);
  }
  const child = spawn(node, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: "inherit" });
  // Ctrl-C reaches the child directly (same process group); forward the rest.
  process.on("SIGINT", () => {});
  for (const signal of ["SIGTERM", "SIGHUP"]) process.on(signal, () => child.kill(signal));
  child.on("error", (error) => {
    console.error(`leadgraph: could not start ${node}: ${error.message}`);
    process.exit(1);
  });
  child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}
