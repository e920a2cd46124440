// Reading uploaded CSV files (Apollo exports and the like) as a stream:
// never the whole file in memory. Each data row comes out exactly as read
// (header -> cell text), numbered from 1; problems are errors that say what is
// wrong with the file. What a row means is the normaliser's business.
import { Readable } from "node:stream";
import { CsvError as ParseError, parse } from "csv-parse";
import { DEFAULT_IMPORT_MAX_BYTES } from "../../config.ts";

export interface CsvLimits {
  /** Largest file accepted, in bytes. */
  maxFileBytes: number;
  /** Largest record (row) in bytes: a runaway quoted cell is cut short by it. */
  maxRecordBytes: number;
}

export const DEFAULT_CSV_LIMITS: CsvLimits = { maxFileBytes: DEFAULT_IMPORT_MAX_BYTES, maxRecordBytes: 1 * 2 ** 20 };

/** A file that cannot be read as CSV; the message says why. */
export class CsvError extends Error {
  readonly code = "INVALID_CSV";
}

export interface CsvHeader {
  /** Column names in file order, BOM and surrounding spaces removed; duplicates renamed "Name (2)". */
  columns: string[];
  /** Duplicate names that were renamed, e.g. ["Email (2)"]. */
  renamed: string[];
  delimiter: "," | ";" | "\t";
}

export interface CsvRecord {
  /** 1-based data row number (the header is row 0). */
  rowNumber: number;
  /** header -> cell text, exactly as read. */
  row: Record<string, string>;
  /** Cells beyond the header's columns (a ragged row), kept in order. */
  extraCells: string[];
  /** Number of cells the row had. */
  cellCount: number;
}

export interface OpenedCsv {
  header: CsvHeader;
  records: AsyncIterable<CsvRecord>;
}

const SNIFF_BYTES = 64 * 1024;

/** The delimiter of the header line: the most frequent of , ; and tab outside quotes. */
function detectDelimiter(firstLine: string): CsvHeader["delimiter"] {
  const counts = { ",": 0, ";": 0, "\t": 0 };
  let quoted = false;
  for (const char of firstLine) {
    if (char === '"') quoted = !quoted;
    else if (!quoted && char in counts) counts[char as keyof typeof counts]++;
  }
  const best = (Object.entries(counts) as Array<[CsvHeader["delimiter"], number]>).sort((a, b) => b[1] - a[1])[0];
  return best[1] > 0 ? best[0] : ",";
}

function looksBinary(sample: Buffer): boolean {
  if (sample.includes(0)) return true;
  // Invalid UTF-8 in the sample (a spreadsheet, an image, a zip, ...).
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(sample.subarray(0, lastCompleteUtf8(sample)));
    return false;
  } catch {
    return true;
  }
}

/** Length of `buffer` without a UTF-8 sequence cut at its end. */
function lastCompleteUtf8(buffer: Buffer): number {
  const end = buffer.length;
  for (let i = 1; i <= 3 && end - i >= 0; i++) {
    const byte = buffer[end - i];
    if ((byte & 0xc0) !== 0x80) {
      const needed = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
      return needed > i ? end - i : end;
    }
  }
  return end;
}

function uniqueColumns(raw: string[]): { columns: string[]; renamed: string[] } {
  const seen = new Map<string, number>();
  const renamed: string[] = [];
  const columns = raw.map((name, index) => {
    const clean = (index === 0 ? name.replace(/^\uFEFF/, "") : name).trim() || `Column ${index + 1}`;
    const count = (seen.get(clean) ?? 0) + 1;
    seen.set(clean, count);
    if (count === 1) return clean;
    const unique = `${clean} (${count})`;
    renamed.push(unique);
    return unique;
  });
  return { columns, renamed };
}

/**
 * Opens a CSV stream: reads the header (UTF-8 with or without BOM; CRLF or LF;
 * comma, semicolon or tab delimited) and returns the data rows as an async
 * iterable. Throws CsvError for an empty, binary or oversized file, or a
 * record over the size limit.
 */
export async function openCsv(input: Readable, limits: CsvLimits = DEFAULT_CSV_LIMITS): Promise<OpenedCsv> {
  const iterator = input[Symbol.asyncIterator]() as AsyncIterator<Buffer | string>;
  // Sniff the start of the file for the delimiter and binary content.
  const chunks: Buffer[] = [];
  let sniffed = 0;
  let done = false;
  while (sniffed < SNIFF_BYTES) {
    const next = await iterator.next();
    if (next.done) {
      done = true;
      break;
    }
    const chunk = typeof next.value === "string" ? Buffer.from(next.value) : next.value;
    chunks.push(chunk);
    sniffed += chunk.length;
  }
  const head = Buffer.concat(chunks);
  if (
    head.length === 0 ||
    head
      .toString("utf8")
      .replace(/^\uFEFF/, "")
      .trim() === ""
  )
    throw new CsvError("The file is empty.");
  if (looksBinary(head.subarray(0, SNIFF_BYTES))) {
    throw new CsvError("The file is not CSV text: it contains binary data (a spreadsheet or another format?). Export it as CSV (UTF-8).");
  }
  const text = head.toString("utf8").replace(/^\uFEFF/, "");
  const delimiter = detectDelimiter(text.split(/\r?\n/, 1)[0]);

  let bytes = 0;
  async function* source() {
    for (const chunk of chunks) yield chunk;
    if (done) return;
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      yield next.value;
    }
  }
  const counted = Readable.from(
    (async function* () {
      for await (const chunk of source()) {
        const buffer = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
        bytes += buffer.length;
        if (bytes > limits.maxFileBytes) {
          throw new CsvError(`The file is larger than the limit of ${limits.maxFileBytes} bytes (LEADGRAPH_IMPORT_MAX_BYTES).`);
        }
        yield buffer;
      }
    })(),
  );
  const parser = counted.pipe(
    parse({
      bom: true,
      delimiter,
      relax_column_count: true,
      // Quotes inside an unquoted cell (=HYPERLINK("...") typed in Excel) are kept as text.
      relax_quotes: true,
      skip_empty_lines: true,
      max_record_size: limits.maxRecordBytes,
    }),
  );
  counted.on("error", (error) => parser.destroy(error));
  const rows = parser[Symbol.asyncIterator]() as AsyncIterator<string[]>;

  const translate = (error: unknown): Error => {
    if (error instanceof CsvError) return error;
    const e = error as { code?: string; message?: string; lines?: number };
    if (e.code === "CSV_MAX_RECORD_SIZE") {
      return new CsvError(
        `A row near line ${e.lines ?? "?"} is larger than ${limits.maxRecordBytes} bytes: an unclosed quote, or a cell too large to import.`,
        { cause: error },
      );
    }
    if (error instanceof ParseError || (typeof e.code === "string" && e.code.startsWith("CSV_"))) {
      return new CsvError(`The file is not valid CSV: ${e.message}`, { cause: error });
    }
    return error as Error;
  };

  let first: IteratorResult<string[]>;
  try {
    first = await rows.next();
  } catch (error) {
    throw translate(error);
  }
  if (first.done) throw new CsvError("The file is empty.");
  const { columns, renamed } = uniqueColumns(first.value);

  const records: AsyncIterable<CsvRecord> = {
    async *[Symbol.asyncIterator]() {
      let rowNumber = 0;
      for (;;) {
        let next: IteratorResult<string[]>;
        try {
          next = await rows.next();
        } catch (error) {
          throw translate(error);
        }
        if (next.done) return;
        const cells = next.value;
        rowNumber++;
        const row: Record<string, string> = {};
        columns.forEach((column, i) => {
          if (i < cells.length) row[column] = cells[i];
        });
        yield { rowNumber, row, extraCells: cells.slice(columns.length), cellCount: cells.length };
      }
    },
  };
  return { header: { columns, renamed, delimiter }, records };
}
