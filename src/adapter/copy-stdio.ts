/**
 * COPY … TO STDOUT and COPY … FROM STDIN in PostgreSQL's text and csv formats
 * (https://www.postgresql.org/docs/current/sql-copy.html, "File Formats"). Rows leave
 * as PostgreSQL text output; incoming rows are decoded here and inserted through the
 * engine in batches, so memory stays bounded whatever the input size.
 */
import { SqlError, unsupported } from '../errors/index.js';
import { textCell } from '../engine/cells.js';
import { engineError } from '../engine/errors.js';
import type { RawOption, Statement } from '../sql/ast.js';
import { truthy } from '../sql/parser.js';
import { PG_COMPAT_DB } from '../types/pg-catalog-names.js';
import type { ExecOutcome } from './api.js';
import { EngineStatement, rowStreamOf } from './engine-query.js';
import type { HandlerSession } from './services.js';

export interface StdioFormat {
  format: 'text' | 'csv';
  delimiter: string;
  nullString: string;
  quote: string;
  escape: string;
  header: boolean;
}

export function stdioFormat(options: RawOption[]): StdioFormat {
  let format: 'text' | 'csv' = 'text';
  const seen = new Set<string>();
  let delimiter: string | null = null;
  let nullString: string | null = null;
  let quote = '"';
  let escape: string | null = null;
  let header = false;
  for (const o of options) {
    if (seen.has(o.name)) throw new SqlError('42601', `${o.name} specified more than once`);
    seen.add(o.name);
    const v = o.value.kind === 'secret' || o.value.kind === 'list' ? '' : o.value.text;
    switch (o.name) {
      case 'FORMAT':
        if (v.toLowerCase() === 'binary') throw unsupported('FORMAT BINARY');
        if (v.toLowerCase() !== 'text' && v.toLowerCase() !== 'csv')
          throw new SqlError('22023', `unknown FORMAT: ${v}`);
        format = v.toLowerCase() as 'text' | 'csv';
        break;
      case 'DELIMITER':
        delimiter = v;
        break;
      case 'NULL':
        nullString = v;
        break;
      case 'QUOTE':
        quote = v;
        break;
      case 'ESCAPE':
        escape = v;
        break;
      case 'HEADER':
        header = truthy(o.value);
        break;
      default:
        throw new SqlError('42601', `unrecognized COPY option ${o.name}`);
    }
  }
  const d = delimiter ?? (format === 'csv' ? ',' : '\t');
  if (Buffer.byteLength(d) !== 1) throw new SqlError('22023', 'COPY delimiter must be a single one-byte character');
  if (format === 'csv' && Buffer.byteLength(quote) !== 1)
    throw new SqlError('22023', 'COPY quote must be a single one-byte character');
  return {
    format,
    delimiter: d,
    nullString: nullString ?? (format === 'csv' ? '' : '\\N'),
    quote,
    escape: escape ?? quote,
    header,
  };
}

function encodeText(v: string | null, f: StdioFormat): string {
  if (v === null) return f.nullString;
  if (f.format === 'text') {
    return v
      .replace(/[\\\n\r\t]/g, (c) => (c === '\\' ? '\\\\' : c === '\n' ? '\\n' : c === '\r' ? '\\r' : '\\t'))
      .split(f.delimiter)
      .join('\\' + f.delimiter);
  }
  const needs =
    v === f.nullString || v.includes(f.delimiter) || v.includes(f.quote) || v.includes('\n') || v.includes('\r');
  if (!needs) return v;
  let out = '';
  for (const ch of v) out += ch === f.quote || ch === f.escape ? f.escape + ch : ch;
  return f.quote + out + f.quote;
}

export async function copyToStdout(session: HandlerSession, stmt: Statement & { kind: 'copy' }): Promise<ExecOutcome> {
  const f = stdioFormat(stmt.options);
  let sql: string;
  if (stmt.source.kind === 'query') {
    sql = stmt.source.sql;
  } else {
    const obj = await session.resolveItem(stmt.source.name);
    const cols = stmt.source.columns ? stmt.source.columns.map((c) => `"${c.replace(/"/g, '""')}"`).join(', ') : '*';
    sql = `SELECT ${cols} FROM "${obj.schemaName}"."${obj.name}"`;
  }
  const engineSql = (await session.compileQuery(sql)).engineSql;
  const es = await EngineStatement.prepare(session.conn, engineSql, 'select', false);
  const ts = await es.textStatement(session.conn);
  const rows = rowStreamOf(() => ts.stream(), 'text');
  let count = 0;
  const names = es.shape.fields.map((c) => c.name);
  async function* data(): AsyncIterable<Buffer> {
    try {
      if (f.header && f.format === 'csv')
        yield Buffer.from(names.map((n) => encodeText(n, f)).join(f.delimiter) + '\n');
      for (;;) {
        const batch = await rows.next(1024);
        if (!batch) break;
        count += batch.length;
        yield Buffer.from(batch.map((r) => r.map((v) => encodeText(v, f)).join(f.delimiter) + '\n').join(''));
      }
    } finally {
      await rows.close();
      es.destroy();
    }
  }
  return { kind: 'copy_out', format: f.format, columnCount: names.length, data: data(), tag: () => `COPY ${count}` };
}

/** Splits one line of text format into fields, decoding backslash escapes. */
function decodeTextLine(line: string, f: StdioFormat): (string | null)[] {
  const out: (string | null)[] = [];
  let cur = '';
  let raw = '';
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === '\\' && i + 1 < line.length) {
      const e = line[++i]!;
      raw += c + e;
      const map: Record<string, string> = { n: '\n', r: '\r', t: '\t', b: '\b', f: '\f', v: '\v', '\\': '\\' };
      cur += map[e] ?? e;
      continue;
    }
    if (c === f.delimiter) {
      out.push(raw === f.nullString ? null : cur);
      cur = '';
      raw = '';
      continue;
    }
    cur += c;
    raw += c;
  }
  out.push(raw === f.nullString ? null : cur);
  return out;
}

/** A streaming CSV record parser (quotes may span lines). */
export class CsvParser {
  private field = '';
  private record: (string | null)[] = [];
  private inQuotes = false;
  private quoted = false;
  private afterQuote = false;
  constructor(private readonly f: StdioFormat) {}

  push(text: string, emit: (rec: (string | null)[]) => void): void {
    const f = this.f;
    for (let i = 0; i < text.length; i++) {
      const c = text[i]!;
      if (this.inQuotes) {
        if (
          c === f.escape &&
          f.escape !== f.quote &&
          text[i + 1] !== undefined &&
          (text[i + 1] === f.quote || text[i + 1] === f.escape)
        ) {
          this.field += text[++i];
        } else if (c === f.quote) {
          if (f.escape === f.quote && text[i + 1] === f.quote) {
            this.field += f.quote;
            i++;
          } else {
            this.inQuotes = false;
            this.afterQuote = true;
          }
        } else this.field += c;
        continue;
      }
      if (c === f.quote && this.field === '' && !this.afterQuote) {
        this.inQuotes = true;
        this.quoted = true;
      } else if (c === f.delimiter) this.endField();
      else if (c === '\n') {
        this.endField();
        const rec = this.record;
        this.record = [];
        emit(rec);
      } else if (c === '\r') {
        // CRLF line ends: the \n that follows ends the record.
      } else this.field += c;
    }
  }
  private endField(): void {
    this.record.push(!this.quoted && this.field === this.f.nullString ? null : this.field);
    this.field = '';
    this.quoted = false;
    this.afterQuote = false;
  }
  finish(emit: (rec: (string | null)[]) => void): void {
    if (this.inQuotes) throw new SqlError('22P04', 'unterminated CSV quoted field');
    if (this.field !== '' || this.record.length > 0 || this.quoted) {
      this.endField();
      emit(this.record);
      this.record = [];
    }
  }
}

const INSERT_BATCH_ROWS = 1000;

/**
 * Inserts decoded records into `target` (a quoted table with its column list) in batches
 * of INSERT_BATCH_ROWS, values bound as text and cast by the engine to each column's type.
 * The caller runs it inside one transaction and calls `maybeFlush` as input arrives.
 */
export class BatchInserter {
  count = 0;
  private pending: (string | null)[][] = [];
  private readonly cols: readonly string[];
  constructor(
    private readonly conn: HandlerSession['conn'],
    private readonly target: string,
    private readonly columns: readonly { name: string; type: string }[],
  ) {
    this.cols = columns.map((c) => c.name);
  }

  add(rec: (string | null)[]): void {
    this.pending.push(rec);
  }

  async maybeFlush(): Promise<void> {
    if (this.pending.length >= INSERT_BATCH_ROWS) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    const cols = this.cols;
    const placeholders: string[] = [];
    const values: (string | null)[] = [];
    for (const rec of batch) {
      if (rec.length !== cols.length) {
        throw new SqlError(
          '22P04',
          rec.length < cols.length
            ? `missing data for column "${cols[rec.length]}"`
            : 'extra data after last expected column',
        );
      }
      placeholders.push(
        `(${rec
          .map((v, i) => {
            values.push(v);
            return fromText(`$${values.length}`, this.columns[i]!.type);
          })
          .join(', ')})`,
      );
    }
    try {
      await this.conn.run(`INSERT INTO ${this.target} VALUES ${placeholders.join(', ')}`, values);
    } catch (err) {
      throw engineError(err);
    }
    this.count += batch.length;
  }
}

/** The engine's integer types, with PostgreSQL's (or Materialize's) names for errors. */
const INTEGER_COLUMN_TYPES: Record<string, string> = {
  SMALLINT: 'smallint',
  INTEGER: 'integer',
  BIGINT: 'bigint',
  USMALLINT: 'uint2',
  UINTEGER: 'uint4',
  UBIGINT: 'uint8',
};

/**
 * The engine SQL that reads the text `sql` as a value of a column of engine type `type`,
 * as PostgreSQL's input function would: integers strictly (the engine alone rounds '1.5').
 */
export function fromText(sql: string, type: string): string {
  const name = INTEGER_COLUMN_TYPES[type];
  if (name === undefined) return sql;
  return `CAST(${PG_COMPAT_DB}.int_text(CAST(${sql} AS VARCHAR), '${name}') AS ${type})`;
}

/** A table's columns in order, with the engine's type of each. */
export async function tableColumns(
  session: HandlerSession,
  schemaName: string,
  name: string,
): Promise<{ name: string; type: string }[]> {
  const rows = await session.conn.runAndReadAll(
    `SELECT column_name, data_type FROM duckdb_columns() WHERE database_name = current_database() AND schema_name = $1 AND table_name = $2 ORDER BY column_index`,
    [schemaName, name],
  );
  return rows.getRowsJS().map((r) => ({ name: textCell(r[0]), type: textCell(r[1]) }));
}

/** `"schema"."table" ("a", "b")`: where a COPY FROM inserts. */
export function insertTarget(schemaName: string, name: string, cols: readonly string[]): string {
  const q = (s: string): string => `"${s.replace(/"/g, '""')}"`;
  return `${q(schemaName)}.${q(name)} (${cols.map(q).join(', ')})`;
}

export async function copyFromStdin(session: HandlerSession, stmt: Statement & { kind: 'copy' }): Promise<ExecOutcome> {
  if (stmt.source.kind !== 'relation') throw new SqlError('42601', 'COPY FROM requires a table name');
  const f = stdioFormat(stmt.options);
  const obj = await session.resolveItem(stmt.source.name);
  if (obj.kind !== 'table') throw new SqlError('42809', `cannot copy to ${obj.kind.replace('-', ' ')} "${obj.name}"`);
  await session.requirePrivilege(obj, 'a', 'INSERT');
  const columns = await tableColumns(session, obj.schemaName ?? 'public', obj.name);
  const cols = stmt.source.columns ?? columns.map((c) => c.name);
  const typed = cols.map((c) => ({ name: c, type: columns.find((t) => t.name === c)?.type ?? 'VARCHAR' }));
  const target = insertTarget(obj.schemaName ?? 'public', obj.name, cols);
  const consume = async (data: AsyncIterable<Buffer>): Promise<string> => {
    const inserter = new BatchInserter(session.conn, target, typed);
    let headerSkipped = !f.header;
    const onRecord = (rec: (string | null)[]): void => {
      if (!headerSkipped) {
        headerSkipped = true;
        return;
      }
      inserter.add(rec);
    };
    await session.atomically(async () => {
      const decoder = new TextDecoder('utf-8', { fatal: true });
      if (f.format === 'csv') {
        const parser = new CsvParser(f);
        for await (const chunk of data) {
          parser.push(decoder.decode(chunk, { stream: true }), onRecord);
          await inserter.maybeFlush();
        }
        parser.finish(onRecord);
      } else {
        let carry = '';
        let done = false;
        for await (const chunk of data) {
          if (done) continue;
          const text = carry + decoder.decode(chunk, { stream: true });
          const lines = text.split('\n');
          carry = lines.pop() ?? '';
          for (const line of lines) {
            if (line === '\\.') {
              done = true;
              break;
            }
            onRecord(decodeTextLine(line.replace(/\r$/, ''), f));
          }
          await inserter.maybeFlush();
        }
        if (!done && carry !== '' && carry !== '\\.') onRecord(decodeTextLine(carry, f));
      }
      await inserter.flush();
    });
    return `COPY ${inserter.count}`;
  };
  return { kind: 'copy_in', format: f.format, columnCount: cols.length, consume };
}
