// `leadgraph import`: upload a CSV file (leads, or LinkedIn activity with
// --kind linkedin or when its columns say so), optionally wait for the worker
// to normalise it (with a progress bar), and print a summary.
import fs from "node:fs";
import path from "node:path";
import { SingleBar } from "cli-progress";
import pg from "pg";
import { DEFAULT_USER_ID } from "../../auth.ts";
import type { Config } from "../../config.ts";
import type { Database } from "../../database/index.ts";
import { DEFAULT_CSV_LIMITS, type SourceEncoding } from "./reader.ts";
import { uploadCsv } from "./upload.ts";
import { IMPORT_KINDS, type ImportKind } from "./linkedin/columns.ts";
import { pollUntil } from "../../progress.ts";
import { isUuid } from "../../uuid.ts";

export interface ImportOptions {
  campaign?: string;
  wait?: boolean;
  reprocess?: string;
  /** leads, linkedin, or auto (detected from the columns; the default). */
  kind?: string;
}

interface ImportRecord {
  id: string;
  import_kind: ImportKind;
  events_inserted: number;
  events_unchanged: number;
  import_status: string;
  total_rows: number;
  processed_rows: number;
  leads_inserted: number;
  leads_updated: number;
  leads_unchanged: number;
  duplicate_rows: number;
  failed_rows: number;
  companies_inserted: number;
  companies_matched: number;
  error_log: { error?: string; rejected?: Record<string, number> } | null;
  source_encoding: SourceEncoding | null;
}

const FINISHED = ["completed", "completed_with_errors", "failed"];

function summary(record: ImportRecord): string {
  const lines = record.import_kind === "linkedin" ? linkedinLines(record) : leadLines(record);
  const reasons = Object.entries(record.error_log?.rejected ?? {}).slice(0, 5);
  if (reasons.length) lines.push("  top rejection reasons:", ...reasons.map(([reason, n]) => `    ${n} x ${reason}`));
  if (record.error_log?.error) lines.push(`  error: ${record.error_log.error}`);
  if (record.source_encoding && record.source_encoding !== "utf-8") lines.push(`  ${encodingNote(record.source_encoding)}`);
  return lines.join("\n");
}

/** What a file not in UTF-8 became. */
export function encodingNote(encoding: SourceEncoding): string {
  return `read as ${encoding === "windows-1252" ? "Windows-1252 (Latin-1)" : encoding.toUpperCase()}, converted to UTF-8`;
}

function linkedinLines(record: ImportRecord): string[] {
  return [
    `import ${record.id} (LinkedIn activity): ${record.import_status}`,
    `  rows read              ${record.total_rows}`,
    `  touches recorded       ${record.events_inserted}`,
    `  touches already known  ${record.events_unchanged}`,
    `  duplicates in file     ${record.duplicate_rows}`,
    `  rejected               ${record.failed_rows}`,
    `  leads made             ${record.leads_inserted}`,
    `  known leads touched    ${record.leads_updated}`,
  ];
}

function leadLines(record: ImportRecord): string[] {
  return [
    `import ${record.id}: ${record.import_status}`,
    `  rows read            ${record.total_rows}`,
    `  leads inserted       ${record.leads_inserted}`,
    `  leads updated        ${record.leads_updated}`,
    `  leads unchanged      ${record.leads_unchanged}`,
    `  duplicates in file   ${record.duplicate_rows}`,
    `  rejected             ${record.failed_rows}`,
    `  companies inserted   ${record.companies_inserted}`,
    `  companies matched    ${record.companies_matched}`,
  ];
}

/** The --kind option: a kind, or undefined for auto-detection. */
export function parseKind(kind: string | undefined): ImportKind | undefined {
  if (kind === undefined || kind === "auto") return undefined;
  if ((IMPORT_KINDS as readonly string[]).includes(kind)) return kind as ImportKind;
  throw new Error(`--kind must be leads, linkedin or auto, got "${kind}"`);
}

/** Runs the import; returns the process exit code. */
export async function runImport(file: string | undefined, options: ImportOptions, db: Database, config: Config): Promise<number> {
  const pool = new pg.Pool({ connectionString: db.url, max: 2 });
  pool.on("error", (error) => console.error("leadgraph: database error:", error.message));
  try {
    let importId: string;
    if (options.reprocess) {
      if (!isUuid(options.reprocess)) throw new Error(`--reprocess takes an import id (a UUID), got "${options.reprocess}"`);
      await pool.query("select reprocess_csv_import($1)", [options.reprocess]);
      importId = options.reprocess;
      console.error(`leadgraph: import ${importId} queued for normalisation again`);
    } else {
      if (!file) throw new Error("name the CSV file to import (or --reprocess <import-id>)");
      const kind = parseKind(options.kind);
      if (options.campaign) {
        const found = isUuid(options.campaign) && (await pool.query("select 1 from campaigns where id = $1", [options.campaign])).rowCount;
        if (!found) throw new Error(`no campaign with id ${options.campaign}`);
      }
      const size = fs.statSync(file).size;
      if (size > config.importMaxBytes) {
        throw new Error(`${file} is ${size} bytes, over the limit of ${config.importMaxBytes} bytes (LEADGRAPH_IMPORT_MAX_BYTES)`);
      }
      const result = await uploadCsv(pool, fs.createReadStream(file), {
        fileName: path.basename(file),
        fileSizeBytes: size,
        campaignId: options.campaign,
        uploadedBy: DEFAULT_USER_ID,
        kind,
        limits: { ...DEFAULT_CSV_LIMITS, maxFileBytes: config.importMaxBytes },
      });
      importId = result.importId;
      console.error(`leadgraph: stored ${result.totalRows} rows of ${path.basename(file)} as import ${importId}`);
      const kindWords = result.kind === "linkedin" ? "LinkedIn activity" : "leads";
      const other = result.kind === "linkedin" ? "leads" : "linkedin";
      console.error(
        result.kindReason === "given"
          ? `leadgraph: imported as ${kindWords} (--kind ${result.kind})`
          : `leadgraph: imported as ${kindWords} (${result.kindReason}; --kind ${other} says otherwise)`,
      );
      if (result.encoding !== "utf-8") console.error(`leadgraph: ${path.basename(file)} ${encodingNote(result.encoding)}`);
      if (result.renamedColumns.length) console.error(`leadgraph: duplicate column names renamed: ${result.renamedColumns.join(", ")}`);
    }
    if (!options.wait) {
      console.log(importId);
      return 0;
    }

    const { startLocalWorker } = await import("../../worker.ts");
    const stopWorker = await startLocalWorker(db, { config, concurrency: 1, shutdownTimeoutMs: config.shutdownTimeoutMs });
    try {
      const bar = new SingleBar(
        { format: "normalising [{bar}] {percentage}% | {value}/{total} rows | {status}", stream: process.stderr },
        undefined,
      );
      let started = false;
      let status = "uploaded";
      const record = await pollUntil(
        async () => {
          const { rows } = await pool.query<ImportRecord>("select * from csv_imports_raw where id = $1", [importId]);
          const record = rows[0];
          if (!record) throw new Error(`import ${importId} is gone`);
          status = record.import_status;
          if (!started) {
            bar.start(Math.max(record.total_rows, 1), 0, { status });
            started = true;
          }
          bar.setTotal(Math.max(record.total_rows, 1));
          bar.update(record.processed_rows, { status });
          return FINISHED.includes(status) ? record : undefined;
        },
        { intervalMs: 250, worker: { task: "pick the import up", waiting: () => status === "uploaded" } },
      );
      bar.update(record.total_rows, { status: record.import_status });
      bar.stop();
      console.error(summary(record));
      console.log(importId);
      return record.import_status === "failed" ? 1 : 0;
    } finally {
      await stopWorker();
    }
  } finally {
    await pool.end();
  }
}
