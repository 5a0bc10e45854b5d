/**
 * COPY [INTO] t [(cols)] FROM 's3://…' WITH (AWS CONNECTION = c, FORMAT = 'csv' | 'parquet',
 * FILES = (…) | PATTERN = '…', CSV options) (docs/sources.md, "COPY FROM object storage").
 * The whole load is one transaction: every row of every selected object, or none. Objects
 * are streamed from S3 through the AWS SDK: CSV through the same decoder as COPY FROM
 * STDIN, Parquet into a private file the engine's Parquet reader opens (Parquet keeps its
 * schema at the end of the file, so it cannot be read as a stream), one object at a time.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { textCell } from '../engine/cells.js';
import { engineError } from '../engine/errors.js';
import { SqlError, toSqlError } from '../errors/index.js';
import type { RawOption, Statement } from '../sql/ast.js';
import {
  downloadObject,
  objectChunks,
  parseSourceUri,
  selectObjects,
  type ObjectFilter,
  type SelectedObject,
} from '../sources/s3-objects.js';
import type { ExecContext, ExecOutcome } from './api.js';
import { evaluateTarget } from './copy-to.js';
import {
  BatchInserter,
  CsvParser,
  fromText,
  insertTarget,
  stdioFormat,
  tableColumns,
  type StdioFormat,
} from './copy-stdio.js';
import type { HandlerSession, Services } from './services.js';

type CopyStmt = Statement & { kind: 'copy' };

interface LoadOptions {
  connection: string;
  format: 'csv' | 'parquet';
  filter: ObjectFilter;
  csv: StdioFormat | null;
}

const CSV_ONLY = ['DELIMITER', 'QUOTE', 'ESCAPE', 'NULL', 'HEADER'];

function optionText(o: RawOption): string {
  const v = o.value;
  if (v.kind === 'secret') throw new SqlError('22023', `invalid ${o.name}: unexpected SECRET`);
  if (v.kind === 'list') throw new SqlError('22023', `invalid ${o.name}: expected a single value`);
  return v.text;
}

/** The options of a COPY FROM object storage, checked before anything is read. */
export function loadOptions(options: RawOption[]): LoadOptions {
  const seen = new Set<string>();
  let connection: string | null = null;
  let format: string | null = null;
  let filter: ObjectFilter = { kind: 'none' };
  const csvOptions: RawOption[] = [];
  for (const o of options) {
    if (seen.has(o.name)) throw new SqlError('42601', `${o.name} specified more than once`);
    seen.add(o.name);
    switch (o.name) {
      case 'AWS CONNECTION':
        connection = optionText(o);
        break;
      case 'FORMAT':
        format = optionText(o).toLowerCase();
        break;
      case 'FILES': {
        if (o.value.kind !== 'list')
          throw new SqlError('22023', "FILES must be a list of names, e.g. FILES = ('a.csv')");
        if (o.value.items.length === 0) throw new SqlError('22023', 'FILES must name at least one file');
        filter = { kind: 'files', files: o.value.items };
        break;
      }
      case 'PATTERN':
        filter = { kind: 'pattern', glob: optionText(o) };
        break;
      default:
        if (!CSV_ONLY.includes(o.name)) throw new SqlError('42601', `unrecognized COPY option ${o.name}`);
        csvOptions.push(o);
    }
  }
  if (seen.has('FILES') && seen.has('PATTERN')) throw new SqlError('42601', 'cannot specify both FILES and PATTERN');
  if (connection === null) throw new SqlError('42601', "AWS CONNECTION is required for COPY ... FROM 's3://...'");
  if (format === null || format === 'text')
    throw new SqlError('0A000', "COPY FROM 's3://...' requires FORMAT = 'csv' or FORMAT = 'parquet'");
  if (format === 'binary') throw new SqlError('0A000', 'FORMAT BINARY not supported');
  if (format !== 'csv' && format !== 'parquet') throw new SqlError('22023', `unknown FORMAT: ${format}`);
  if (format === 'parquet') {
    const o = csvOptions[0];
    if (o) throw new SqlError('0A000', `COPY ${o.name} available only in CSV mode`);
    return { connection, format, filter, csv: null };
  }
  const csv = stdioFormat([...csvOptions, { name: 'FORMAT', position: 0, value: { kind: 'string', text: 'csv' } }]);
  return { connection, format, filter, csv };
}

function cancelled(signal: AbortSignal): void {
  if (signal.aborted) throw new SqlError('57014', 'canceling statement due to user request');
}

export function installCopyFrom(services: Services): void {
  services.copyFrom = async (session: HandlerSession, stmt: CopyStmt, _sql: string, ctx: ExecContext) => {
    if (stmt.target.kind !== 'expr') throw new SqlError('XX000', 'internal error');
    if (stmt.source.kind !== 'relation') throw new SqlError('42601', 'COPY FROM requires a table name');
    const obj = await session.resolveItem(stmt.source.name);
    if (obj.kind !== 'table') throw new SqlError('42809', `cannot copy to ${obj.kind.replace('-', ' ')} "${obj.name}"`);
    await session.requirePrivilege(obj, 'a', 'INSERT');
    const opts = loadOptions(stmt.options);
    if (!services.aws) throw new SqlError('0A000', 'COPY FROM object storage is not available on this server');
    const { spec, ctx: awsCtx } = await services.aws.forUse(session, opts.connection);
    const uri = await evaluateTarget(session, stmt.target.sql, undefined, 'FROM');
    const { bucket, key } = parseSourceUri(uri);
    const schemaName = obj.schemaName ?? 'public';
    const columns = await tableColumns(session, schemaName, obj.name);
    const cols = stmt.source.columns ?? columns.map((c) => c.name);
    for (const c of cols) {
      if (!columns.some((t) => t.name === c))
        throw new SqlError('42703', `column "${c}" of relation "${obj.name}" does not exist`);
    }
    const client = await services.aws.exportClient(spec, awsCtx);
    const log = session.log.child('copy');
    const notices = session.vars.get('emit_progress_notices') === 'on';
    try {
      const signal = session.signal;
      const objects = await selectObjects(client, bucket, key, opts.filter, signal);
      log.info('copy from started', { uri, objects: objects.length, format: opts.format, table: obj.name });
      const target = insertTarget(schemaName, obj.name, cols);
      const typed = cols.map((c) => ({ name: c, type: columns.find((t) => t.name === c)!.type }));
      let rows = 0;
      await session.atomically(async () => {
        for (const [i, o] of objects.entries()) {
          cancelled(signal);
          rows +=
            opts.format === 'csv'
              ? await loadCsv(session, client, bucket, o, target, typed, opts.csv!, signal)
              : await loadParquet(session, services.engine.ioDir, client, bucket, o, target, typed, signal);
          if (notices)
            ctx.notice({
              severity: 'NOTICE',
              code: '00000',
              message: `loaded ${rows} rows from ${i + 1} of ${objects.length} objects so far`,
            });
        }
        cancelled(signal);
      });
      log.info('copy from finished', { uri, objects: objects.length, rows, table: obj.name });
      return { kind: 'command', tag: `COPY ${rows}` } satisfies ExecOutcome;
    } catch (err) {
      const e = toSqlError(err);
      log.warn('copy from failed', { uri, code: e.code, error: e.message });
      throw e;
    } finally {
      client.destroy();
    }
  };
}

async function loadCsv(
  session: HandlerSession,
  client: Parameters<typeof objectChunks>[0],
  bucket: string,
  o: SelectedObject,
  target: string,
  cols: { name: string; type: string }[],
  f: StdioFormat,
  signal: AbortSignal,
): Promise<number> {
  const inserter = new BatchInserter(session.conn, target, cols);
  let headerSkipped = !f.header;
  const onRecord = (rec: (string | null)[]): void => {
    if (!headerSkipped) {
      headerSkipped = true;
      return;
    }
    inserter.add(rec);
  };
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const parser = new CsvParser(f);
  try {
    for await (const chunk of objectChunks(client, bucket, o.key, signal)) {
      cancelled(signal);
      parser.push(decoder.decode(chunk, { stream: true }), onRecord);
      await inserter.maybeFlush();
    }
    parser.push(decoder.decode(), onRecord);
    parser.finish(onRecord);
    await inserter.flush();
  } catch (err) {
    throw inObject(err, bucket, o.key);
  }
  return inserter.count;
}

/** An error while loading one object says which object (in DETAIL, keeping the message). */
function inObject(err: unknown, bucket: string, key: string): SqlError {
  const e =
    err instanceof TypeError && /encoded data was not valid/i.test(err.message)
      ? new SqlError('22021', 'invalid byte sequence for encoding "UTF8"')
      : toSqlError(err);
  if (e.code === '57014' || e.detail !== undefined) return e;
  return new SqlError(e.code, e.message, { detail: `while loading 's3://${bucket}/${key}'`, hint: e.hint });
}

async function loadParquet(
  session: HandlerSession,
  ioDir: string,
  client: Parameters<typeof objectChunks>[0],
  bucket: string,
  o: SelectedObject,
  target: string,
  cols: { name: string; type: string }[],
  signal: AbortSignal,
): Promise<number> {
  const dir = await mkdtemp(join(ioDir, 'ferry-load-'));
  const file = join(dir, 'object.parquet');
  try {
    await downloadObject(client, bucket, o.key, file, signal);
    cancelled(signal);
    const source = `read_parquet('${file.replace(/'/g, "''")}')`;
    let schema: { name: string; type: string }[];
    try {
      const r = await session.conn.runAndReadAll(`DESCRIBE SELECT * FROM ${source}`);
      schema = r.getRowsJS().map((row) => ({ name: textCell(row[0]), type: textCell(row[1]) }));
    } catch (err) {
      const e = engineError(err);
      throw new SqlError('22P04', `'s3://${bucket}/${o.key}' is not a Parquet file`, { detail: e.message });
    }
    // Columns are matched by name (Parquet carries them); a value of another type is read
    // as its text and then as the column's type, so it converts as a CSV field would, or
    // fails: never a silent rounding.
    const exprs = cols.map((c) => {
      const found = schema.find((s) => s.name === c.name);
      if (!found)
        throw new SqlError('42703', `column "${c.name}" is missing from 's3://${bucket}/${o.key}'`, {
          detail: `The file has the columns ${schema.map((s) => `"${s.name}"`).join(', ')}.`,
        });
      const ref = `"${c.name.replace(/"/g, '""')}"`;
      return found.type === c.type ? ref : `CAST(${fromText(`CAST(${ref} AS VARCHAR)`, c.type)} AS ${c.type})`;
    });
    try {
      const r = await session.conn.run(`INSERT INTO ${target} SELECT ${exprs.join(', ')} FROM ${source}`);
      return Number(r.rowsChanged);
    } catch (err) {
      throw engineError(err);
    }
  } catch (err) {
    throw inObject(err, bucket, o.key);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
