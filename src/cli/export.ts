/**
 * `ferry export`: runs one export statement (`COPY … TO …`, or `EXECUTE EXPORT name`)
 * against a Ferry server, for external schedulers (cron, Airflow, CI). It is an ordinary
 * PostgreSQL client: progress comes from the NOTICE messages the server sends during COPY
 * ("exported N rows, M bytes, F files so far"), the result from the command tag.
 *
 * The exit status says what kind of failure happened, so a scheduler can decide whether
 * to retry (docs/scheduling.md):
 *   0 success · 1 anything else (internal error) · 2 bad statement or bad command line ·
 *   3 permission or AWS access · 4 storage failure · 5 cannot connect.
 */
import { readFile } from 'node:fs/promises';
import type { QueryResult } from 'pg';
import type { FlagDef } from '../config/index.js';
import type { Verb } from './verb.js';

export const EXIT = { ok: 0, other: 1, badStatement: 2, permission: 3, storage: 4, connect: 5 } as const;

const DEFAULT_URL = 'postgres://materialize@127.0.0.1:6875/materialize';

const FLAGS: FlagDef[] = [
  { name: 'url', description: 'PostgreSQL URL of the Ferry server', default: DEFAULT_URL },
  { name: 'sql', description: 'the statement to run, e.g. "COPY t TO \'s3://…\' WITH (…)"', default: null },
  { name: 'file', description: "file holding the statement ('-' reads standard input)", default: null },
  {
    name: 'json',
    description: 'print the result (or the error) as one JSON object on stdout',
    default: 'false',
    boolean: true,
  },
];

/** What the server said went wrong, as node-postgres reports it. */
interface PgErrorLike {
  code?: string;
  message?: string;
  detail?: string;
  hint?: string;
}

/**
 * SQLSTATE → exit status. Classes 42/22/0A (and the other "your statement is wrong"
 * classes) are the statement's fault; 42501 and 28xxx are access; 58000 is what an AWS
 * connection's failure (credentials, AssumeRole, policy) is reported as; 58030 (storage
 * I/O), 55000 (path not empty), 57014 (canceled) and the rest of 5x are storage or server
 * state a retry may cure.
 */
export function exitCodeFor(sqlstate: string | undefined): number {
  if (!sqlstate || !/^[0-9A-Z]{5}$/.test(sqlstate)) return EXIT.other;
  if (sqlstate === '42501' || sqlstate.startsWith('28') || sqlstate === '58000') return EXIT.permission;
  if (sqlstate.startsWith('08')) return EXIT.connect;
  const cls = sqlstate.slice(0, 2);
  if (['42', '22', '0A', '3D', '3F', '25', '2B', '21', '23', '44'].includes(cls)) return EXIT.badStatement;
  if (['53', '54', '55', '57', '58', '40'].includes(cls)) return EXIT.storage;
  return EXIT.other;
}

const PROGRESS = /exported (\d+) rows, (\d+) bytes, (\d+) files so far/;

interface Progress {
  rows: number;
  bytes: number;
  files: number;
}

function humanBytes(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${u === 0 ? Math.round(v) : v.toFixed(1)} ${units[u]}`;
}

/** One progress line: rows, bytes, files and the rates since the start. */
export function progressLine(p: Progress, elapsedMs: number): string {
  const secs = Math.max(elapsedMs / 1000, 0.001);
  return (
    `exported ${p.rows.toLocaleString('en-US')} rows, ${humanBytes(p.bytes)}, ${p.files} files` +
    ` (${Math.round(p.rows / secs).toLocaleString('en-US')} rows/s, ${humanBytes(p.bytes / secs)}/s, ${(elapsedMs / 1000).toFixed(1)} s)`
  );
}

async function statementText(values: Map<string, string | null>): Promise<string | { usage: string }> {
  const sql = values.get('sql');
  const file = values.get('file');
  if ((sql === null) === (file === null)) return { usage: 'give exactly one of --sql or --file' };
  if (sql !== null && sql !== undefined) return sql;
  try {
    if (file === '-') {
      const chunks: Buffer[] = [];
      for await (const c of process.stdin) chunks.push(c as Buffer);
      return Buffer.concat(chunks).toString('utf8');
    }
    return await readFile(file!, 'utf8');
  } catch (err) {
    return { usage: `cannot read --file ${file}: ${err instanceof Error ? err.message : String(err)}` };
  }
}

export const exportVerb: Verb = {
  name: 'export',
  summary:
    'Run one export (COPY … TO … or EXECUTE EXPORT) on a Ferry server, with progress and scheduler-friendly exit codes.',
  flags: FLAGS,
  async run(values) {
    const json = values.get('json') === 'true';
    const out = (o: object): void => void process.stdout.write(JSON.stringify(o) + '\n');
    const fail = (exitCode: number, e: PgErrorLike & { phase: string; sqlstate?: boolean }): number => {
      if (json)
        out({
          ok: false,
          exit_code: exitCode,
          phase: e.phase,
          error: {
            code: e.sqlstate ? (e.code ?? null) : null,
            message: e.message ?? 'unknown error',
            detail: e.detail ?? null,
            hint: e.hint ?? null,
          },
        });
      else {
        const lines = [
          `ferry export: ${e.phase === 'connect' ? 'cannot connect: ' : ''}${e.sqlstate ? `ERROR ${e.code}: ` : ''}${e.message ?? 'unknown error'}`,
        ];
        if (e.detail) lines.push(`DETAIL: ${e.detail}`);
        if (e.hint) lines.push(`HINT: ${e.hint}`);
        process.stderr.write(lines.join('\n') + '\n');
      }
      return exitCode;
    };

    const sql = await statementText(values);
    if (typeof sql !== 'string') return fail(EXIT.badStatement, { phase: 'usage', message: sql.usage });
    const { default: pg } = await import('pg');
    const client = new pg.Client({
      connectionString: values.get('url') ?? DEFAULT_URL,
      connectionTimeoutMillis: 15_000,
      application_name: 'ferry export',
    });
    // A broken connection mid-statement also surfaces on the query; keep it from crashing the process.
    client.on('error', () => undefined);
    try {
      await client.connect();
    } catch (err) {
      const e = err as PgErrorLike;
      // Refused, unreachable, TLS, unknown database: 5. A rejected role or password: 3.
      const code = err instanceof pg.DatabaseError && /^28/.test(e.code ?? '') ? EXIT.permission : EXIT.connect;
      return fail(code, {
        ...e,
        message: e.message || e.code || 'connection failed',
        phase: 'connect',
        sqlstate: err instanceof pg.DatabaseError,
      });
    }

    const tty = process.stderr.isTTY === true;
    const started = Date.now();
    let last: Progress = { rows: 0, bytes: 0, files: 0 };
    let drawn = false;
    client.on('notice', (n: PgErrorLike) => {
      const m = PROGRESS.exec(n.message ?? '');
      if (!m) {
        if (!json) process.stderr.write(`${tty && drawn ? '\n' : ''}NOTICE: ${n.message ?? ''}\n`);
        drawn = false;
        return;
      }
      last = { rows: Number(m[1]), bytes: Number(m[2]), files: Number(m[3]) };
      const line = progressLine(last, Date.now() - started);
      // A terminal gets one line redrawn in place; logs get one plain line per notice.
      if (tty) {
        process.stderr.write(`\r\x1b[2K${line}`);
        drawn = true;
      } else process.stderr.write(line + '\n');
    });
    const onSigint = (): void => {
      // Closing the connection ends the statement on the server; the path keeps its sentinel.
      void client.end();
    };
    process.once('SIGINT', onSigint);
    try {
      // Several statements in one text resolve to one result each, which pg's types leave out.
      const res: QueryResult | QueryResult[] = await client.query(sql);
      const last1 = [res].flat().at(-1);
      const command = last1?.command ?? '';
      const rowCount = last1?.rowCount ?? 0;
      const elapsedMs = Date.now() - started;
      if (tty && drawn) process.stderr.write('\n');
      const rows = command === 'COPY' ? rowCount : last.rows;
      if (json) out({ ok: true, command, rows, bytes: last.bytes, files: last.files, elapsed_ms: elapsedMs });
      else process.stdout.write(`${command} ${rowCount ?? ''}`.trim() + `\n`);
      return EXIT.ok;
    } catch (err) {
      if (tty && drawn) process.stderr.write('\n');
      const e = err as PgErrorLike;
      // Only the server's ErrorResponse carries a SQLSTATE; anything else means the
      // connection itself broke under the statement.
      const code = err instanceof pg.DatabaseError ? exitCodeFor(e.code) : EXIT.connect;
      return fail(code, { ...e, message: e.message, phase: 'statement', sqlstate: err instanceof pg.DatabaseError });
    } finally {
      process.removeListener('SIGINT', onSigint);
      await client.end().catch(() => undefined);
    }
  },
};
