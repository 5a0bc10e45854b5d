/**
 * Sequencing of the plans the engine runs: reads (SELECT, VALUES, EXPLAIN), writes
 * (INSERT, UPDATE, DELETE, TRUNCATE) and schema changes (CREATE / ALTER / DROP of tables,
 * views, indexes, schemas). The engine receives only the front end's printed SQL
 * (`compiled.engineSql`), never the user's text. Schema changes and their catalog entries
 * commit together (`atomically`).
 */
import { engineError } from '../engine/errors.js';
import type { CompiledStatement } from '../sql/frontend.js';
import type { Plan } from '../sql/plan.js';
import type { ExecOutcome } from './api.js';
import { syncCatalog } from './ddl.js';
import { type EngineStatement, bindParams, rowStreamOf } from './engine-query.js';
import type { EngineSession } from './services.js';

type EnginePlan = Plan & { kind: 'read' | 'write' | 'schema-change' };

export async function sequenceEngine(
  session: EngineSession,
  plan: EnginePlan,
  params: (string | null)[],
  prepared: EngineStatement | null,
): Promise<ExecOutcome> {
  const { compiled, stmt } = plan;
  const engineSql = compiled.engineSql;
  if (plan.kind === 'schema-change') {
    // DROP … IF EXISTS of objects none of which exist: nothing for the engine to do.
    if (engineSql === '') return { kind: 'command', tag: schemaChangeTag(compiled) };
    return session.atomically(async () => {
      await session.engineRun(engineSql);
      await syncCatalog(session, compiled.creates ? { sql: stmt.sql, creates: compiled.creates } : null);
      return { kind: 'command', tag: schemaChangeTag(compiled) };
    });
  }
  const gate = session.services.relationGate;
  if (gate && compiled.reads.length) {
    await gate(
      compiled.reads.flatMap((r) => (r.id === null ? [] : [r.id])),
      session.signal,
    );
  }
  const es =
    prepared && prepared.epoch === session.services.schemaEpoch
      ? prepared
      : await session.cachedStatement(engineSql, stmt.verb, compiled.hasReturning);
  const shape = es.shape;
  if (shape.returnsRows) {
    const tag = (n: number): string => rowsTag(compiled, n);
    // A result the front end knows to fit one chunk is materialized: one engine round
    // trip where a stream costs three (start, the chunk, the end), the same memory.
    const few = compiled.fewRows;
    if (shape.wrappable) {
      const ts = await es.textStatement(session.conn);
      bindParams(ts, shape, params);
      const rows = rowStreamOf(() => (few ? ts.run() : ts.stream()), 'text');
      return { kind: 'rows', fields: shape.fields, tag, rows };
    }
    const ps = es.prepared;
    bindParams(ps, shape, params);
    const rows = rowStreamOf(() => (few ? ps.run() : ps.stream()), shape.types);
    return { kind: 'rows', fields: shape.fields, tag, rows };
  }
  bindParams(es.prepared, shape, params);
  let changed: number;
  try {
    const result = await es.prepared.run();
    changed = Number(result.rowsChanged);
  } catch (err) {
    throw engineError(err);
  }
  return { kind: 'command', tag: rowsTag(compiled, changed) };
}

/**
 * PostgreSQL's command tag for a statement that returns or changes `n` rows (protocol
 * docs, CommandComplete): `SELECT n`, `INSERT 0 n`, `UPDATE n`, `DELETE n`,
 * `TRUNCATE TABLE`, `EXPLAIN`. It follows what the front end parsed, so a
 * `WITH … INSERT … RETURNING` is an INSERT.
 */
export function rowsTag(c: CompiledStatement, n: number): string {
  switch (c.nodeType) {
    case 'InsertStmt':
      return `INSERT 0 ${n}`;
    case 'UpdateStmt':
      return `UPDATE ${n}`;
    case 'DeleteStmt':
      return `DELETE ${n}`;
    case 'TruncateStmt':
      return 'TRUNCATE TABLE';
    case 'ExplainStmt':
      return 'EXPLAIN';
    default:
      return `SELECT ${n}`;
  }
}

/** `CREATE TABLE`, `DROP VIEW`, … : the statement's verb, as PostgreSQL tags DDL. */
export function schemaChangeTag(c: CompiledStatement): string {
  return c.verb.toUpperCase();
}
