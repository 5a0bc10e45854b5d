/**
 * Sequencing of BEGIN, COMMIT and ROLLBACK with PostgreSQL's semantics: a second BEGIN
 * and a COMMIT or ROLLBACK outside a block are warnings, not errors; COMMIT of a failed
 * block rolls back and says so in its tag.
 */
import type { Plan } from '../sql/plan.js';
import type { ExecContext, ExecOutcome } from './api.js';

/** The part of a session's state this module drives. */
export interface TransactionState {
  /** 'idle' autocommit, 'block' inside BEGIN, 'failed' after an error inside BEGIN. */
  txn: 'idle' | 'block' | 'failed';
  /** True while an implicit transaction wraps a multi-statement query. */
  implicit: boolean;
  engineRun(sql: string): Promise<void>;
  /** ROLLBACK on the engine, ignoring errors (the block is over either way). */
  engineRollback(): Promise<void>;
  /** A block ended: schema changes in it become visible to other sessions' snapshots. */
  endBlock(): void;
}

export async function sequenceTransaction(
  s: TransactionState,
  plan: Plan & { kind: 'transaction' },
  ctx: ExecContext,
): Promise<ExecOutcome> {
  switch (plan.stmt.kind) {
    case 'begin':
      if (s.txn !== 'idle') {
        ctx.notice({ severity: 'WARNING', code: '25001', message: 'there is already a transaction in progress' });
        return { kind: 'command', tag: 'BEGIN' };
      }
      if (!s.implicit) await s.engineRun('BEGIN');
      s.txn = 'block';
      return { kind: 'command', tag: 'BEGIN' };
    case 'commit': {
      if (s.txn === 'idle') {
        ctx.notice({ severity: 'WARNING', code: '25P01', message: 'there is no transaction in progress' });
        return { kind: 'command', tag: 'COMMIT' };
      }
      const failed = s.txn === 'failed';
      s.txn = 'idle';
      if (failed) {
        await s.engineRollback();
        s.endBlock();
        return { kind: 'command', tag: 'ROLLBACK' };
      }
      await s.engineRun('COMMIT');
      s.endBlock();
      return { kind: 'command', tag: 'COMMIT' };
    }
    case 'rollback':
      if (s.txn === 'idle') {
        ctx.notice({ severity: 'WARNING', code: '25P01', message: 'there is no transaction in progress' });
        return { kind: 'command', tag: 'ROLLBACK' };
      }
      s.txn = 'idle';
      await s.engineRollback();
      s.endBlock();
      return { kind: 'command', tag: 'ROLLBACK' };
  }
}
