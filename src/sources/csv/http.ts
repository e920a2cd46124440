// POST /imports[?kind=leads|linkedin]: upload a CSV over HTTP (body text/csv, or multipart with a
// `file` field), authenticated like GraphQL. The upload is stored through the
// visitor role as the caller; its commit enqueues the normalisation. Answers
// the import id and its GraphQL Node ID, to follow its status in GraphQL.
import type { Readable } from "node:stream";
import busboy from "busboy";
import express from "express";
import type pg from "pg";
import { authenticate, type AuthError, type AuthOptions } from "../../auth.ts";
import { CsvError, DEFAULT_CSV_LIMITS } from "./reader.ts";
import { uploadCsv } from "./upload.ts";
import { IMPORT_KINDS, type ImportKind } from "./linkedin/columns.ts";
import { isUuid } from "../../uuid.ts";
import { pgCode, SQLSTATE } from "../../database/errors.ts";
import { log } from "../../log.ts";

export interface ImportsRouteOptions {
  pool: pg.Pool;
  auth: AuthOptions;
  maxBytes: number;
}

/** The GraphQL Node ID of an import (PostGraphile V5: base64 of [type name, primary key]). */
export const importNodeId = (importId: string) => Buffer.from(JSON.stringify(["CsvImportsRaw", importId])).toString("base64");

export function importsRouter(options: ImportsRouteOptions): express.Router {
  const router = express.Router();
  router.post("/imports", async (req, res) => {
    let userId: string;
    try {
      userId = authenticate(req.headers.authorization, options.auth);
    } catch (error) {
      res.status((error as AuthError).statusCode === 401 ? 401 : 500).json({ error: (error as Error).message });
      return;
    }
    const campaignId = typeof req.query.campaign === "string" ? req.query.campaign : undefined;
    if (campaignId && !isUuid(campaignId)) {
      res.status(400).json({ error: `campaign must be a campaign id (a UUID), got "${campaignId}"` });
      return;
    }
    // ?kind=leads|linkedin; absent (or auto): detected from the file's columns.
    const kindParam = typeof req.query.kind === "string" && req.query.kind !== "auto" ? req.query.kind : undefined;
    if (kindParam !== undefined && !(IMPORT_KINDS as readonly string[]).includes(kindParam)) {
      res.status(400).json({ error: `kind must be leads, linkedin or auto (detected from the columns), got "${kindParam}"` });
      return;
    }
    const kind = kindParam as ImportKind | undefined;
    const length = Number(req.headers["content-length"] ?? 0);
    if (length > options.maxBytes) {
      res
        .status(413)
        .json({ error: `The upload is ${length} bytes, over the limit of ${options.maxBytes} bytes (LEADGRAPH_IMPORT_MAX_BYTES).` });
      return;
    }
    const store = async (stream: Readable, fileName: string) => {
      const result = await uploadCsv(options.pool, stream, {
        fileName,
        fileSizeBytes: length || undefined,
        campaignId,
        asUser: userId,
        kind,
        limits: { ...DEFAULT_CSV_LIMITS, maxFileBytes: options.maxBytes },
      });
      return {
        importId: result.importId,
        id: importNodeId(result.importId),
        totalRows: result.totalRows,
        columns: result.columns,
        kind: result.kind,
        kindReason: result.kindReason,
        // utf-8, or the encoding the file was converted from (windows-1252, utf-16le, utf-16be)
        encoding: result.encoding,
      };
    };
    const fail = (error: unknown) => {
      if (res.headersSent) return;
      const code = pgCode(error);
      if (error instanceof CsvError) res.status(400).json({ error: error.message });
      else if (code === SQLSTATE.foreignKeyViolation) res.status(400).json({ error: `no campaign with id ${campaignId}` });
      else if (code === SQLSTATE.insufficientPrivilege) res.status(403).json({ error: "not allowed to upload imports" });
      else {
        log.error("POST /imports failed", { error });
        res.status(500).json({ error: "The upload failed; nothing was stored." });
      }
    };
    const type = req.headers["content-type"] ?? "";
    if (type.startsWith("multipart/form-data")) {
      let handled = false;
      // (file names as browsers send them, in UTF-8: busboy's default reads them as Latin-1, "MÃ¼nchen.csv")
      const parser = busboy({ headers: req.headers, defParamCharset: "utf8", limits: { files: 1, fileSize: options.maxBytes } });
      parser.on("file", (field, file, info) => {
        if (field !== "file" || handled) {
          file.resume();
          return;
        }
        handled = true;
        store(file, info.filename || "upload.csv").then((body) => res.status(201).json(body), fail);
      });
      parser.on("close", () => {
        if (!handled) res.status(400).json({ error: "multipart upload without a `file` field" });
      });
      parser.on("error", fail);
      req.pipe(parser);
    } else if (/^(text\/csv|application\/csv|text\/plain)/.test(type)) {
      const fileName = typeof req.query.filename === "string" ? req.query.filename : "upload.csv";
      store(req, fileName).then((body) => res.status(201).json(body), fail);
    } else {
      res.status(415).json({ error: "Send the CSV as the body (Content-Type: text/csv) or as multipart/form-data with a `file` field." });
    }
  });
  return router;
}
