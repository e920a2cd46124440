// `leadgraph <args>` as a user runs it: a real process against one test
// database (DATABASE_URL), without the settings of the shell that runs the tests.
import { spawn } from "node:child_process";
import path from "node:path";
import { projectRoot } from "../../src/config.ts";

export function runLeadgraph(args: string[], databaseUrl: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: databaseUrl };
  for (const name of ["AUTH_DATABASE_URL", "ROOT_DATABASE_URL", "SHADOW_DATABASE_URL", "INSTANTLY_API_KEY", "NODE_ENV"]) delete env[name];
  const child = spawn(process.execPath, [path.join(projectRoot, "bin", "leadgraph.js"), ...args], { env });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.once("exit", (code) => resolve({ code, stdout, stderr })));
}
