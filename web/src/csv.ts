// A small CSV writer for exports made in the browser (RFC 4180: CRLF, fields
// quoted when they hold a comma, quote or line break).

export type CsvCell = string | number | boolean | null | undefined;

/**
 * A cell that a spreadsheet would run as a formula (=, @, or + / - not
 * followed by a number) gets a leading apostrophe: lead data comes from
 * outside (CSV files, email replies), so a name like "=HYPERLINK(...)" must
 * stay text. Phone numbers such as "+1 555 0100" are left as they are.
 */
function neutralise(text: string): string {
  if (/^[=@\t\r]/.test(text) || /^[+-](?![\d\s(.])/.test(text)) return `'${text}`;
  return text;
}

export function csvCell(value: CsvCell): string {
  if (value == null) return "";
  const text = neutralise(String(value));
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function toCsv(header: string[], rows: CsvCell[][]): string {
  return [header, ...rows].map((row) => row.map(csvCell).join(",")).join("\r\n") + "\r\n";
}

/** Saves text as a file; the byte-order mark lets Excel read UTF-8 accents. */
export function downloadCsv(fileName: string, csv: string): void {
  const url = URL.createObjectURL(new Blob(["\uFEFF", csv], { type: "text/csv;charset=utf-8" }));
  const link = document.createElement("a");
  link.href = url;
  link.download = fileName;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
