/**
 * Sequencing: runs a planned, authorized statement. One switch over `Plan['kind']`, each
 * family in its own module; a plan kind without a case here does not compile.
 */
import { SqlError } from '../errors/index.js';
import type { Plan } from '../sql/plan.js';
import type { ExecContext, ExecOutcome } from './api.js';
import { copyFromStdin, copyToStdout } from './copy-stdio.js';
import { handleDdl, handleShow, handleShowCreate } from './ddl.js';
import { sequenceEngine } from './engine-plans.js';
import type { EngineStatement } from './engine-query.js';
import type { EngineSession } from './services.js';
import { type PreparedSession, sequencePrepared } from './prepared.js';
import { type TransactionState, sequenceTransaction } from './transactions.js';
import { sequenceVariable } from './variables.js';

export async function sequencePlan(
  session: EngineSession & TransactionState & PreparedSession,
  plan: Plan,
  sql: string,
  params: (string | null)[],
  ctx: ExecContext,
  prepared: EngineStatement | null,
): Promise<ExecOutcome> {
  switch (plan.kind) {
    case 'empty':
      return { kind: 'empty' };
    case 'transaction':
      return sequenceTransaction(session, plan, ctx);
    case 'variable': {
      const out = sequenceVariable(session.vars, session.txn !== 'idle', plan);
      // DISCARD ALL includes DEALLOCATE ALL, as in PostgreSQL.
      if (plan.stmt.kind === 'discard-all') session.sqlPrepared.clear();
      return out;
    }
    case 'prepared':
      return sequencePrepared(session, plan.stmt, ctx);
    case 'show':
      return plan.stmt.kind === 'show' ? handleShow(session, plan.stmt) : handleShowCreate(session, plan.stmt);
    case 'read':
    case 'write':
    case 'schema-change':
      return sequenceEngine(session, plan, params, prepared);
    case 'copy': {
      const stmt = plan.stmt;
      if (stmt.target.kind === 'stdout') return copyToStdout(session, stmt);
      if (stmt.target.kind === 'stdin') return copyFromStdin(session, stmt);
      if (stmt.direction === 'from') return session.services.copyFrom(session, stmt, sql, ctx);
      return session.services.copyTo(session, stmt, sql, ctx);
    }
    case 'access-control':
    case 'drop-objects':
    case 'extension':
      return handleDdl(session, plan.stmt, sql, ctx);
    default: {
      const never: never = plan;
      throw new SqlError('XX000', `no sequencer for ${(never as Plan).kind}`);
    }
  }
}
