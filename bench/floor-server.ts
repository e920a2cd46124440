// The floor for bench:graphql: a minimal HTTP handler that runs the SQL
// statements PostGraphile sent for an operation (captured by bench/graphql.ts),
// with the request's value in place of the captured one, through `pg`, and
// answers the rows as JSON. No GraphQL parsing, planning or shaping.
import fs from "node:fs";
import http from "node:http";
import pg from "pg";

interface Captured {
  statements: Array<{ text: string; values: unknown[] }>;
  parameterValue: unknown;
}

const captured = JSON.parse(fs.readFileSync(process.env.CAPTURED_SQL!, "utf8")) as Record<string, Captured>;
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 10 });
pool.on("error", (error) => console.error("floor:", error.message));
const isData = (text: string) => !/^\s*(begin|commit|rollback)\b/i.test(text) && !/set_config/.test(text);

for (const [name, op] of Object.entries(captured)) {
  const substituted = op.statements.some((s) => s.values.includes(op.parameterValue));
  if (!substituted) console.error(`floor: ${name}: the request value does not appear in the captured parameters`);
}

const server = http.createServer(async (req, res) => {
  if (req.url === "/healthz") {
    res.end("ok");
    return;
  }
  let body = "";
  for await (const chunk of req) body += chunk;
  const { op, value } = JSON.parse(body) as { op: string; value: unknown };
  const operation = captured[op];
  const client = await pool.connect();
  try {
    const results: unknown[] = [];
    for (const statement of operation.statements) {
      const values = statement.values.map((v) => (v === operation.parameterValue ? value : v));
      const result = await client.query(statement.text, values);
      if (isData(statement.text)) results.push(result.rows);
    }
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify(results));
  } catch (error) {
    await client.query("rollback").catch(() => {});
    res.statusCode = 500;
    res.end(String(error));
  } finally {
    client.release();
  }
});
server.listen(Number(process.env.PORT), "127.0.0.1");
process.on("SIGTERM", () => server.close(() => pool.end().then(() => process.exit(0))));
