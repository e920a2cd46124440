// Normalises one CSV import (enqueued by the insert trigger on
// csv_imports_raw / csv_import_rows, or by reprocess_csv_import()): a leads
// import or a LinkedIn activity one, by its import_kind (normalizeImport
// dispatches). On shutdown it stops between batches (helpers.abortSignal,
// after SHUTDOWN_TIMEOUT_MS): the job fails and its retry runs the import again.
import { normalizeImport } from "../src/sources/csv/normalize/index.ts";
import { isUuid } from "../src/uuid.ts";
import type { TaskFactory } from "../src/worker.ts";

const task: TaskFactory = () => async (payload, helpers) => {
  const id = (payload as { id?: unknown } | null)?.id;
  if (!isUuid(id)) throw new Error(`csv_imports_raw__normalize: payload.id must be an import id, got ${JSON.stringify(payload)}`);
  const outcome = await helpers.withPgClient((client) => normalizeImport(client, id, { signal: helpers.abortSignal }));
  helpers.logger.info(`CSV import ${id}: ${outcome}`);
};

export default task;
