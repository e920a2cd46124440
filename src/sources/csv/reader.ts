// Reading uploaded CSV files (Apollo exports and the like) as a stream:
// never the whole file in memory. Each data row comes out exactly as read
// (header -> cell text), numbered from 1; problems are errors that say what is
// wrong with the file. What a row means is the normaliser's business.
import { Readable } from "node:stream";
import { TextDecoder } from "node:util";
import { CsvError as ParseError, parse } from "csv-parse";
import { DEFAULT_IMPORT_MAX_BYTES } from "../../config.ts";

export interface CsvLimits {
  /** Largest file accepted, in bytes. */
  maxFileBytes: number;
  /** Largest record (row) in bytes: a runaway quoted cell is cut short by it. */
  maxRecordBytes: number;
  /** Most columns a file may have (its header), and cells a row may have. */
  maxColumns: number;
  /** Largest cell, in characters. */
  maxCellChars: number;
}

// Apollo's exports have ~65 columns, the outreach tools' LinkedIn exports
// ~30: 500 leaves room, and keeps a stored row (header -> cell, each row
// repeating the names) far from the 1.5 MB a 100,000-column file made.
export const DEFAULT_CSV_LIMITS: CsvLimits = {
  maxFileBytes: DEFAULT_IMPORT_MAX_BYTES,
  maxRecordBytes: 1 * 2 ** 20,
  maxColumns: 500,
  maxCellChars: 64 * 1024,
};

/** A file that cannot be read as CSV; the message says why. */
export class CsvError extends Error {
  readonly code = "INVALID_CSV";
}

/**
 * The encodings a file is read in: UTF-8 (with or without BOM), Windows-1252
 * (what Excel and older tools write as "CSV" in Western Europe; Latin-1 is a
 * subset), UTF-16 with a BOM (Excel's "Unicode text"). Everything but UTF-8
 * is converted to UTF-8 on the way in (csv_imports_raw.source_encoding says
 * which it was).
 */
export type SourceEncoding = "utf-8" | "windows-1252" | "utf-16le" | "utf-16be";

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
  /**
   * The encoding the file is read in. Final once `records` is done: a file
   * is UTF-8 until a byte says otherwise (its first non-ASCII character).
   */
  encoding(): SourceEncoding;
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

const BINARY = "The file is not CSV text: it contains binary data (a spreadsheet or another format?). Export it as CSV (UTF-8).";

// Bytes Windows-1252 leaves undefined: no text in it has them.
const UNDEFINED_IN_1252 = new Set([0x81, 0x8d, 0x8f, 0x90, 0x9d]);

/** The UTF-8 sequence starting at `buffer[at]` (a byte >= 0x80): valid, invalid, or cut by the end of the buffer. */
function utf8SequenceAt(buffer: Buffer, at: number): "valid" | "invalid" | "cut" {
  const lead = buffer[at];
  const length = lead >= 0xc2 && lead <= 0xdf ? 2 : lead >= 0xe0 && lead <= 0xef ? 3 : lead >= 0xf0 && lead <= 0xf4 ? 4 : 0;
  if (!length) return "invalid";
  if (at + length > buffer.length) {
    for (let i = at + 1; i < buffer.length; i++) if ((buffer[i] & 0xc0) !== 0x80) return "invalid";
    return "cut";
  }
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(buffer.subarray(at, at + length));
    return "valid";
  } catch {
    return "invalid";
  }
}

/**
 * Decodes the file's bytes to text as they stream, checking every byte
 * (never only the first ones): a BOM says UTF-8 or UTF-16; otherwise the
 * first non-ASCII character decides between UTF-8 and Windows-1252, and a
 * byte later that does not fit is an error, never a replacement character.
 * A NUL byte, or a byte no encoding here gives a character, is binary data.
 */
class Decoder {
  encoding: SourceEncoding = "utf-8";
  /** Until the first non-ASCII byte, ASCII is UTF-8 and Windows-1252 alike. */
  private decided = false;
  private decoder: TextDecoder | undefined;
  private held = Buffer.alloc(0);
  /** Bytes decoded so far (for the error messages). */
  private offset = 0;

  /** Reads the BOM, if any, from the start of the file. */
  constructor(head: Buffer) {
    if (head[0] === 0xff && head[1] === 0xfe) this.start("utf-16le");
    else if (head[0] === 0xfe && head[1] === 0xff) this.start("utf-16be");
    else if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) this.start("utf-8");
    else this.decoder = new TextDecoder("utf-8", { fatal: true });
  }

  private start(encoding: SourceEncoding) {
    this.encoding = encoding;
    this.decided = true;
    // (fatal: a byte that is not the encoding's is an error; the BOM is dropped)
    this.decoder = new TextDecoder(encoding, { fatal: encoding !== "windows-1252" });
  }

  /** The text of the next bytes (`end`: there are no more). */
  write(chunk: Buffer, end = false): string {
    let bytes = this.held.length ? Buffer.concat([this.held, chunk]) : chunk;
    this.held = Buffer.alloc(0);
    if (!this.encoding.startsWith("utf-16")) {
      const nul = bytes.indexOf(0);
      if (nul >= 0) throw new CsvError(`${BINARY} (a NUL byte at byte ${this.offset + nul})`);
    }
    if (!this.decided) {
      const first = bytes.findIndex((byte) => byte >= 0x80);
      if (first >= 0) {
        const sequence = utf8SequenceAt(bytes, first);
        if (sequence === "cut" && !end) {
          // Decide when the rest of the character is here.
          this.held = Buffer.from(bytes.subarray(first));
          bytes = bytes.subarray(0, first);
        } else if (sequence === "valid") {
          this.decided = true;
        } else {
          this.start("windows-1252");
        }
      }
    }
    if (this.encoding === "windows-1252") {
      const undefinedByte = bytes.findIndex((byte) => UNDEFINED_IN_1252.has(byte));
      if (undefinedByte >= 0) {
        throw new CsvError(
          `${BINARY} (byte 0x${bytes[undefinedByte].toString(16)} at byte ${this.offset + undefinedByte} is a character neither in UTF-8 nor in Windows-1252)`,
        );
      }
    }
    let text: string;
    try {
      text = this.decoder!.decode(bytes, { stream: !end });
    } catch (error) {
      throw new CsvError(
        this.encoding === "utf-8"
          ? `The file is not valid UTF-8 near byte ${this.offset + bytes.length}: it has UTF-8 characters, then bytes of another encoding (a file edited in two encodings?). Save it again as CSV UTF-8.`
          : `The file is not valid ${this.encoding.toUpperCase()} near byte ${this.offset + bytes.length}.`,
        { cause: error },
      );
    }
    this.offset += bytes.length;
    if (this.encoding.startsWith("utf-16") && text.includes("\0")) throw new CsvError(`${BINARY} (a NUL character)`);
    return text;
  }
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
 * Opens a CSV stream: reads the header (UTF-8 with or without BOM,
 * Windows-1252, or UTF-16 with a BOM; CRLF or LF; comma, semicolon or tab
 * delimited) and returns the data rows as an async iterable. Throws CsvError
 * for an empty, binary or oversized file, a record over the size limit, too
 * many columns or too large a cell.
 */
export async function openCsv(input: Readable, given: Partial<CsvLimits> = {}): Promise<OpenedCsv> {
  const limits: CsvLimits = { ...DEFAULT_CSV_LIMITS, ...given };
  const iterator = input[Symbol.asyncIterator]() as AsyncIterator<Buffer | string>;
  // Sniff the start of the file for its encoding and delimiter.
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
  const decoder = new Decoder(head);
  // (the head alone, for the delimiter: a decoder of its own, the real one decodes it again below)
  const headText = new Decoder(head).write(head.subarray(0, SNIFF_BYTES)).replace(/^\uFEFF/, "");
  if (headText.trim() === "") throw new CsvError("The file is empty.");
  const delimiter = detectDelimiter(headText.split(/\r?\n/, 1)[0]);

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
        const text = decoder.write(buffer);
        if (text) yield text;
      }
      const rest = decoder.write(Buffer.alloc(0), true);
      if (rest) yield rest;
    })(),
  );
  const parser = counted.pipe(
    parse({
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
  if (first.value.length > limits.maxColumns) {
    throw new CsvError(`The file has ${first.value.length} columns, over the limit of ${limits.maxColumns} columns per file.`);
  }
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
        if (cells.length > limits.maxColumns) {
          throw new CsvError(`Row ${rowNumber} has ${cells.length} cells, over the limit of ${limits.maxColumns} columns per file.`);
        }
        const large = cells.findIndex((cell) => cell.length > limits.maxCellChars);
        if (large >= 0) {
          throw new CsvError(
            `Row ${rowNumber}, column ${large + 1} (${columns[large] ?? "beyond the header"}): a cell of ${cells[large].length} characters, over the limit of ${limits.maxCellChars} characters.`,
          );
        }
        const row: Record<string, string> = {};
        columns.forEach((column, i) => {
          if (i < cells.length) row[column] = cells[i];
        });
        yield { rowNumber, row, extraCells: cells.slice(columns.length), cellCount: cells.length };
      }
    },
  };
  return { header: { columns, renamed, delimiter }, records, encoding: () => decoder.encoding };
}
