// The backup's one file: a POSIX tar (ustar) archive, gzip-compressed, so
// `tar -tzvf` lists it and `tar -xzf` unpacks it anywhere. A small writer and
// reader of our own (no tar library among the dependencies): regular files and
// directories only, names up to 255 bytes, files up to 8 GiB (PostgreSQL's
// files are at most 1 GiB). See docs/backup.md.

const BLOCK = 512;
const MAX_SIZE = 8 ** 11 - 1;

export interface TarEntry {
  /** Relative, "/"-separated, no trailing slash. */
  name: string;
  type: "file" | "directory";
  mode: number;
  size: number;
  mtime: Date;
}

function writeString(header: Buffer, offset: number, length: number, value: string) {
  const bytes = Buffer.from(value, "utf8");
  if (bytes.length > length) throw new Error(`tar: "${value}" is longer than ${length} bytes`);
  bytes.copy(header, offset);
}

function writeOctal(header: Buffer, offset: number, length: number, value: number) {
  writeString(header, offset, length, value.toString(8).padStart(length - 1, "0") + "\0");
}

/** The 512-byte header of `entry`. */
export function tarHeader(entry: TarEntry): Buffer {
  if (entry.size > MAX_SIZE) throw new Error(`tar: ${entry.name} is too big (${entry.size} bytes)`);
  const header = Buffer.alloc(BLOCK);
  const name = entry.type === "directory" ? `${entry.name}/` : entry.name;
  let prefix = "";
  let rest = name;
  if (Buffer.byteLength(name) > 100) {
    // ustar splits long names at a "/": up to 155 bytes of prefix, 100 of name.
    const cut = name.lastIndexOf("/", 155);
    if (cut <= 0 || Buffer.byteLength(name.slice(cut + 1)) > 100) throw new Error(`tar: the name ${name} is too long`);
    prefix = name.slice(0, cut);
    rest = name.slice(cut + 1);
  }
  writeString(header, 0, 100, rest);
  writeOctal(header, 100, 8, entry.mode & 0o7777);
  writeOctal(header, 108, 8, 0);
  writeOctal(header, 116, 8, 0);
  writeOctal(header, 124, 12, entry.type === "directory" ? 0 : entry.size);
  writeOctal(header, 136, 12, Math.floor(entry.mtime.getTime() / 1000));
  header.fill(0x20, 148, 156);
  header[156] = entry.type === "directory" ? 0x35 : 0x30;
  writeString(header, 257, 6, "ustar\0");
  writeString(header, 263, 2, "00");
  writeString(header, 345, 155, prefix);
  let sum = 0;
  for (const byte of header) sum += byte;
  writeString(header, 148, 8, sum.toString(8).padStart(6, "0") + "\0 ");
  return header;
}

/** Zeros that fill the last block of `size` bytes of data. */
export function tarPadding(size: number): Buffer {
  return Buffer.alloc((BLOCK - (size % BLOCK)) % BLOCK);
}

/** Two zero blocks: the end of the archive. */
export const TAR_END = Buffer.alloc(2 * BLOCK);

/** A whole small entry (header, data, padding). */
export function tarFile(name: string, data: Buffer, mode = 0o600, mtime = new Date()): Buffer {
  return Buffer.concat([tarHeader({ name, type: "file", mode, size: data.length, mtime }), data, tarPadding(data.length)]);
}

function readString(header: Buffer, offset: number, length: number): string {
  const field = header.subarray(offset, offset + length);
  const end = field.indexOf(0);
  return field.subarray(0, end === -1 ? length : end).toString("utf8");
}

function readOctal(header: Buffer, offset: number, length: number): number {
  const text = readString(header, offset, length).trim();
  return text ? parseInt(text, 8) : 0;
}

function parseHeader(header: Buffer): TarEntry {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : header[i]!;
  if (sum !== readOctal(header, 148, 8))
    throw new Error("the file is not a leadgraph backup (or it is damaged): a tar header's checksum is wrong");
  const prefix = readString(header, 345, 155);
  const name = (prefix ? `${prefix}/` : "") + readString(header, 0, 100);
  const flag = String.fromCharCode(header[156]!);
  const type = flag === "5" ? "directory" : flag === "0" || flag === "\0" ? "file" : undefined;
  if (!type) throw new Error(`the backup holds ${name}, which is neither a file nor a directory (tar type "${flag}")`);
  const clean = name.replace(/\/+$/, "");
  if (!clean || clean.startsWith("/") || clean.split("/").some((part) => part === ".." || part === "")) {
    throw new Error(`the backup holds an unsafe path: ${name}`);
  }
  return {
    name: clean,
    type,
    mode: readOctal(header, 100, 8),
    size: type === "file" ? readOctal(header, 124, 12) : 0,
    mtime: new Date(readOctal(header, 136, 12) * 1000),
  };
}

export interface TarSink {
  write(chunk: Buffer): Promise<void> | void;
  close(): Promise<void> | void;
}

/**
 * Reads a tar stream, calling `onEntry` for each entry; a file's data goes to
 * the sink it returns. Throws if the archive ends before its end blocks (a
 * truncated file).
 */
export async function readTar(source: AsyncIterable<Buffer>, onEntry: (entry: TarEntry) => Promise<TarSink | undefined>): Promise<void> {
  let header = Buffer.alloc(0);
  let remaining = 0;
  let skip = 0;
  let sink: TarSink | undefined;
  let ended = false;
  const finish = async () => {
    await sink?.close();
    sink = undefined;
  };
  for await (const input of source) {
    let chunk: Buffer = input;
    while (chunk.length && !ended) {
      if (remaining > 0) {
        const part = chunk.subarray(0, remaining);
        await sink?.write(part);
        remaining -= part.length;
        chunk = chunk.subarray(part.length);
        if (remaining === 0) await finish();
        continue;
      }
      if (skip > 0) {
        const n = Math.min(skip, chunk.length);
        skip -= n;
        chunk = chunk.subarray(n);
        continue;
      }
      const need = BLOCK - header.length;
      header = Buffer.concat([header, chunk.subarray(0, need)]);
      chunk = chunk.subarray(need);
      if (header.length < BLOCK) continue;
      const block = header;
      header = Buffer.alloc(0);
      if (block.every((byte) => byte === 0)) {
        ended = true;
        continue;
      }
      const entry = parseHeader(block);
      sink = await onEntry(entry);
      remaining = entry.size;
      skip = tarPadding(entry.size).length;
      if (remaining === 0) await finish();
    }
  }
  if (!ended) {
    await finish();
    throw new Error("the backup file is truncated (it ends in the middle of the archive)");
  }
}
