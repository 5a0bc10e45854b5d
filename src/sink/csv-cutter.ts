/**
 * Cuts the byte stream of CSV lines that DuckDB writes (csv.ts) into files at exactly the
 * places docs/exports.md "File splitting" names: a file is finished before a row would push
 * it past MAX FILE SIZE, and only a file's first row may exceed it alone.
 *
 * A row ends at a `\n` outside quotes. Quoting follows docs/formats.md, so outside a quoted
 * field the quote byte only ever opens one (a field holding it is always quoted), and
 * inside one the quote byte appears only doubled (ESCAPE = QUOTE) or after the escape byte.
 * Both are single ASCII bytes (options.ts), which never occur inside a multibyte UTF-8
 * character, so the scan works on bytes. Most chunks hold no quote byte at all, and then
 * the scan is one `indexOf` per line.
 *
 * The cutter is synchronous and knows nothing of uploads: `push` returns what to write and
 * where files end, and the caller does it. Bytes of a row still in progress stay with the
 * cutter (as the chunks they arrived in, never concatenated) until the row's end is seen.
 */

export type CutPiece =
  /** Bytes of the current file; `rows` rows end inside them. */
  | { kind: 'data'; bytes: Buffer; rows: number }
  /** The current file is complete; what follows starts the next one. */
  | { kind: 'cut' };

export interface CutterOptions {
  quote: string;
  escape: string;
  maxFileSize: number;
  /** Bytes every file starts with (the header line), counted against the size. */
  headerBytes: number;
}

const LF = 0x0a;

export class CsvCutter {
  private readonly q: number;
  private readonly e: number;
  private readonly max: number;
  private readonly headerBytes: number;
  /** Bytes (with the header) and rows of the file being written. */
  private fileBytes: number;
  private fileRows = 0;
  /** The row in progress: its bytes from earlier chunks, not yet handed out. */
  private partial: Buffer[] = [];
  private partialBytes = 0;
  private inQuote = false;
  /** The last chunk ended on an escape byte inside quotes: the next byte is escaped. */
  private skipFirst = false;
  /** (ESCAPE = QUOTE) The last chunk ended on a quote inside quotes: doubled or closing? */
  private quoteAtEnd = false;
  /** Rows handed out so far, over all files. */
  rows = 0;

  constructor(o: CutterOptions) {
    this.q = o.quote.charCodeAt(0);
    this.e = o.escape.charCodeAt(0);
    this.max = o.maxFileSize;
    this.headerBytes = o.headerBytes;
    this.fileBytes = o.headerBytes;
  }

  push(data: Buffer): CutPiece[] {
    const out: CutPiece[] = [];
    const len = data.length;
    const { q, e } = this;
    const sameEscape = q === e;
    let i = 0;
    if (this.skipFirst) {
      this.skipFirst = false;
      i = Math.min(1, len);
    } else if (this.quoteAtEnd && len > 0) {
      this.quoteAtEnd = false;
      if (data[0] === q) i = 1;
      else this.inQuote = false;
    }
    let segStart = 0; // first byte of `data` not yet handed out
    let rowStart = 0; // first byte of `data` in the row in progress
    let segRows = 0;
    let nq = -2; // next quote byte at or after i (-1: none left); -2: not looked for yet
    let ne = -2; // the same for the escape byte
    while (i < len) {
      if (nq !== -1 && nq < i) nq = data.indexOf(q, i);
      if (!this.inQuote) {
        const nl = data.indexOf(LF, i);
        if (nq !== -1 && (nl === -1 || nq < nl)) {
          this.inQuote = true;
          i = nq + 1;
          continue;
        }
        if (nl === -1) break;
        // A row ends at nl. Its bytes: what earlier chunks held of it, then rowStart..nl.
        const end = nl + 1;
        const rowBytes = end - rowStart + (rowStart === 0 ? this.partialBytes : 0);
        if (this.fileRows > 0 && this.fileBytes + rowBytes > this.max) {
          if (rowStart > segStart) out.push({ kind: 'data', bytes: data.subarray(segStart, rowStart), rows: segRows });
          out.push({ kind: 'cut' });
          segStart = rowStart;
          segRows = 0;
          this.fileBytes = this.headerBytes;
          this.fileRows = 0;
        }
        if (rowStart === 0 && this.partial.length > 0) {
          // The row began in earlier chunks: its first bytes go out first, to the same file.
          for (const b of this.partial) out.push({ kind: 'data', bytes: b, rows: 0 });
          this.partial = [];
          this.partialBytes = 0;
        }
        this.fileBytes += rowBytes;
        this.fileRows++;
        this.rows++;
        segRows++;
        rowStart = end;
        i = end;
      } else if (sameEscape) {
        if (nq === -1) break;
        if (nq + 1 >= len) {
          this.quoteAtEnd = true;
          break;
        }
        if (data[nq + 1] === q) i = nq + 2;
        else {
          this.inQuote = false;
          i = nq + 1;
        }
      } else {
        if (ne !== -1 && ne < i) ne = data.indexOf(e, i);
        if (ne !== -1 && (nq === -1 || ne < nq)) {
          if (ne + 1 >= len) {
            this.skipFirst = true;
            break;
          }
          i = ne + 2;
        } else if (nq !== -1) {
          this.inQuote = false;
          i = nq + 1;
        } else break;
      }
    }
    if (rowStart > segStart) out.push({ kind: 'data', bytes: data.subarray(segStart, rowStart), rows: segRows });
    if (rowStart < len) {
      this.partial.push(rowStart === 0 ? data : data.subarray(rowStart));
      this.partialBytes += len - rowStart;
    }
    return out;
  }

  /** The stream is over: every byte must have belonged to a complete row. */
  end(): void {
    if (this.partialBytes > 0 || this.inQuote || this.quoteAtEnd || this.skipFirst) {
      throw new Error(
        `the CSV writer's output ended inside a row (${this.partialBytes} bytes after the last line end)`,
      );
    }
  }
}
