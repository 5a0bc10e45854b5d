/** Sequencing of SET, RESET, SHOW <variable> and DISCARD ALL over the session's variables. */
import { SqlError } from '../errors/index.js';
import type { Plan } from '../sql/plan.js';
import type { ExecOutcome } from './api.js';
import { staticRows, textField } from './results.js';
import type { SessionVars } from './vars.js';

export function sequenceVariable(
  vars: SessionVars,
  inTransaction: boolean,
  plan: Plan & { kind: 'variable' },
): ExecOutcome {
  const stmt = plan.stmt;
  switch (stmt.kind) {
    case 'set':
      vars.set(stmt.name, stmt.value);
      return { kind: 'command', tag: 'SET' };
    case 'reset':
      if (stmt.name === 'all') {
        for (const v of vars.all()) {
          try {
            vars.set(v.name, null);
          } catch {
            /* read-only */
          }
        }
      } else vars.set(stmt.name, null);
      return { kind: 'command', tag: 'RESET' };
    case 'discard-all':
      if (inTransaction) throw new SqlError('25001', 'DISCARD ALL cannot run inside a transaction block');
      return { kind: 'command', tag: 'DISCARD ALL' };
    case 'show-var': {
      if (stmt.name === 'all') {
        return staticRows(
          [textField('name'), textField('setting'), textField('description')],
          vars.all().map((v) => [v.name, v.setting, v.description]),
          (n) => `SHOW ${n}`,
        );
      }
      const name = stmt.name === 'transaction isolation level' ? 'transaction_isolation' : stmt.name;
      return staticRows([textField(name)], [[vars.get(name)]], () => 'SHOW');
    }
  }
}
