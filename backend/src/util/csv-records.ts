/**
 * RFC 4180 CSV records with the line each starts on, for the inputs people hand us (IdP exports, desired-state
 * files), so every error can name its line.
 */

/** A CSV that cannot be read; `line` is 1-based. */
export class CsvSyntaxError extends Error {
  constructor(
    readonly line: number,
    readonly reason: string,
  ) {
    super(`line ${line}: ${reason}`);
    this.name = "CsvSyntaxError";
  }
}

/** Parses RFC 4180 CSV into records with the 1-based line each starts on; a BOM and blank lines are skipped. */
export function parseCsvRecords(input: string): { cells: string[]; line: number }[] {
  const s = input.charCodeAt(0) === 0xfeff ? input.slice(1) : input;
  const rows: { cells: string[]; line: number }[] = [];
  let line = 1;
  let i = 0;
  while (i < s.length) {
    const startLine = line;
    const cells: string[] = [];
    let cell = "";
    let quoted = false;
    let endOfRecord = false;
    while (i < s.length && !endOfRecord) {
      const c = s[i]!;
      if (quoted) {
        if (c === '"') {
          if (s[i + 1] === '"') {
            cell += '"';
            i += 2;
          } else {
            quoted = false;
            i++;
          }
        } else {
          if (c === "\n") line++;
          cell += c;
          i++;
        }
      } else if (c === '"' && cell === "") {
        quoted = true;
        i++;
      } else if (c === ",") {
        cells.push(cell);
        cell = "";
        i++;
      } else if (c === "\r" || c === "\n") {
        i += c === "\r" && s[i + 1] === "\n" ? 2 : 1;
        line++;
        endOfRecord = true;
      } else {
        cell += c;
        i++;
      }
    }
    if (quoted) throw new CsvSyntaxError(startLine, "unterminated quoted field");
    cells.push(cell);
    if (cells.length === 1 && cells[0]!.trim() === "") continue;
    rows.push({ cells, line: startLine });
  }
  return rows;
}
