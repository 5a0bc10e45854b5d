/**
 * What CREATE SOURCE … FROM POSTGRES learns from the upstream server before anything is
 * created (docs/sources.md, "Errors at CREATE SOURCE"): the publication, the tables it
 * publishes that the FOR clause selects, their columns and types, and whether each table
 * can be replicated (REPLICA IDENTITY FULL, SELECT privilege, supported types). Every
 * refusal carries Materialize's text; nothing here changes the upstream server.
 */
import type pg from 'pg';
import { SqlError } from '../../errors/index.js';
import { type SubsourceColumn, type UpstreamColumn, subsourceColumn } from './types.js';

/** One upstream table a source replicates, with the subsource it lands in. */
export interface SourceTable {
  /** Upstream schema and name. */
  schema: string;
  table: string;
  /** The upstream relation's oid (pgoutput names relations by oid). */
  oid: number;
  /** The subsource's name (in the source's schema). */
  subsource: string;
  columns: SubsourceColumn[];
  /** Upstream columns by name, EXCLUDE COLUMNS left out: pgoutput sends every column. */
  upstreamColumns: string[];
}

export type TableSelection =
  | { kind: 'all' }
  | { kind: 'schemas'; schemas: string[] }
  | { kind: 'tables'; items: { schema: string | null; table: string; alias: string | null }[] };

export interface DiscoverOptions {
  publication: string;
  selection: TableSelection;
  /** `schema.table.column` (or `table.column`) names from TEXT COLUMNS / EXCLUDE COLUMNS. */
  textColumns: string[][];
  excludeColumns: string[][];
}

type Row = Record<string, unknown>;

async function rows(client: pg.Client, text: string, values: unknown[] = []): Promise<Row[]> {
  const r = await client.query({ text, values, types: { getTypeParser: () => (v: string) => v } });
  return r.rows as Row[];
}

/** Does `ref` (`[table, column]` or `[schema, table, column]`) name this column? */
function names(ref: string[], schema: string, table: string, column: string): boolean {
  if (ref.length === 2) return ref[0] === table && ref[1] === column;
  if (ref.length === 3) return ref[0] === schema && ref[1] === table && ref[2] === column;
  return false;
}

/** Columns of an upstream relation, in attribute order. */
export async function upstreamColumns(client: pg.Client, oid: number): Promise<UpstreamColumn[]> {
  const cols = await rows(
    client,
    `SELECT a.attname, a.atttypid, a.atttypmod, a.attnotnull, format_type(a.atttypid, a.atttypmod) AS formatted,
            CASE WHEN t.typcategory = 'A' THEN et.typname ELSE t.typname END AS typname,
            t.typcategory = 'A' AS is_array
       FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid LEFT JOIN pg_type et ON et.oid = t.typelem
      WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`,
    [oid],
  );
  return cols.map((c) => ({
    name: String(c.attname),
    typeName: String(c.typname),
    formatted: String(c.formatted),
    typeOid: Number(c.atttypid),
    typmod: Number(c.atttypmod),
    isArray: c.is_array === 't',
    notNull: c.attnotnull === 't',
  }));
}

/**
 * The tables a new source replicates, checked as Materialize checks them. `client` is a
 * normal (not walsender) session on the upstream database.
 */
export async function discoverTables(client: pg.Client, opts: DiscoverOptions): Promise<SourceTable[]> {
  const pub = await rows(client, `SELECT 1 FROM pg_publication WHERE pubname = $1`, [opts.publication]);
  if (!pub.length) throw new SqlError('42704', `publication "${opts.publication}" does not exist`);
  const published = await rows(
    client,
    `SELECT p.schemaname, p.tablename, c.oid, c.relreplident,
            has_table_privilege(c.oid, 'SELECT') AS can_select
       FROM pg_publication_tables p
       JOIN pg_namespace n ON n.nspname = p.schemaname
       JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = p.tablename
      WHERE p.pubname = $1 ORDER BY p.schemaname, p.tablename`,
    [opts.publication],
  );
  if (!published.length) throw new SqlError('55000', `PUBLICATION ${opts.publication} is empty`);

  // The FOR clause: which published tables, under which subsource names.
  const chosen: { row: Row; subsource: string }[] = [];
  const sel = opts.selection;
  if (sel.kind === 'all') {
    for (const r of published) chosen.push({ row: r, subsource: String(r.tablename) });
  } else if (sel.kind === 'schemas') {
    for (const s of sel.schemas) {
      if (!published.some((r) => r.schemaname === s)) {
        throw new SqlError('42704', `FOR SCHEMAS (${s}) did not match any tables`, {
          detail: `publication "${opts.publication}" has no tables in schema "${s}"`,
        });
      }
    }
    for (const r of published)
      if (sel.schemas.includes(String(r.schemaname))) chosen.push({ row: r, subsource: String(r.tablename) });
  } else {
    for (const it of sel.items) {
      const matches = published.filter(
        (r) => r.tablename === it.table && (it.schema === null || r.schemaname === it.schema),
      );
      const shown = it.schema === null ? it.table : `${it.schema}.${it.table}`;
      if (matches.length === 0) {
        throw new SqlError('42P01', `reference to ${shown} not found in source`, {
          detail: `publication "${opts.publication}" does not include a table ${shown}`,
        });
      }
      if (matches.length > 1) {
        throw new SqlError('42P09', `reference ${shown} is ambiguous`, {
          detail: `publication "${opts.publication}" has ${shown} in schemas ${matches.map((m) => String(m.schemaname)).join(', ')}`,
          hint: 'Qualify the table with its schema.',
        });
      }
      chosen.push({ row: matches[0]!, subsource: it.alias ?? it.table });
    }
  }

  const notFull = chosen.filter((c) => c.row.relreplident !== 'f');
  if (notFull.length) {
    throw new SqlError('55000', 'referenced items not tables with REPLICA IDENTITY FULL', {
      detail: `referenced items: ${notFull.map((c) => `"${String(c.row.schemaname)}"."${String(c.row.tablename)}"`).join(', ')}`,
      hint: 'ALTER TABLE … REPLICA IDENTITY FULL upstream, then create the source again.',
    });
  }
  const noSelect = chosen.filter((c) => c.row.can_select !== 't');
  if (noSelect.length) {
    throw new SqlError('42501', 'insufficient privileges', {
      detail: `user ${String(client.user)} lacks SELECT on ${noSelect
        .map((c) => `"${String(c.row.schemaname)}"."${String(c.row.tablename)}"`)
        .join(', ')}`,
      hint: `GRANT SELECT ON … TO ${String(client.user)} upstream.`,
    });
  }

  const out: SourceTable[] = [];
  const unsupported: string[] = [];
  const usedText = new Set<number>();
  const usedExclude = new Set<number>();
  for (const { row, subsource } of chosen) {
    const schema = String(row.schemaname);
    const table = String(row.tablename);
    const upstream = await upstreamColumns(client, Number(row.oid));
    const columns: SubsourceColumn[] = [];
    const kept: string[] = [];
    for (const col of upstream) {
      const ex = opts.excludeColumns.findIndex((r) => names(r, schema, table, col.name));
      if (ex >= 0) {
        usedExclude.add(ex);
        continue;
      }
      const tx = opts.textColumns.findIndex((r) => names(r, schema, table, col.name));
      if (tx >= 0) usedText.add(tx);
      const sc = subsourceColumn(col, tx >= 0);
      if (!sc) {
        unsupported.push(`"${schema}"."${table}"."${col.name}": ${col.formatted}`);
        continue;
      }
      columns.push(sc);
      kept.push(col.name);
    }
    out.push({ schema, table, oid: Number(row.oid), subsource, columns, upstreamColumns: kept });
  }
  const unused = [
    ...opts.textColumns.filter((_, i) => !usedText.has(i)).map((r) => ['TEXT COLUMNS', r] as const),
    ...opts.excludeColumns.filter((_, i) => !usedExclude.has(i)).map((r) => ['EXCLUDE COLUMNS', r] as const),
  ];
  if (unused.length) {
    const [opt, ref] = unused[0]!;
    throw new SqlError('42703', `${opt} refers to a column that is not part of the source: ${ref.join('.')}`);
  }
  if (unsupported.length) {
    throw new SqlError('0A000', 'referenced tables use unsupported types', {
      detail: `columns with unsupported types: ${unsupported.join(', ')}`,
      hint: 'Use the TEXT COLUMNS option naming the unsupported columns, or EXCLUDE COLUMNS to leave them out.',
    });
  }
  return out;
}
