/**
 * Results Ferry builds itself rather than reading from the engine (SHOW, catalog answers,
 * statement handlers outside the session). A leaf of the adapter: it imports only the
 * wire-facing result types, so every handler can use it without importing the session.
 */
import type { ExecOutcome, FieldDesc } from './api.js';

export const TEXT_OID = 25;

/** A FieldDesc for a text column of a result Ferry builds itself. */
export function textField(name: string, typeOid = TEXT_OID): FieldDesc {
  return { name, tableOid: 0, columnAttr: 0, typeOid, typeSize: -1, typeMod: -1 };
}

/** An in-memory result (SHOW, catalog answers). */
export function staticRows(fields: FieldDesc[], rows: (string | null)[][], tag: (n: number) => string): ExecOutcome {
  let sent = 0;
  return {
    kind: 'rows',
    fields,
    tag,
    rows: {
      next(max) {
        if (sent >= rows.length) return Promise.resolve(null);
        const out = rows.slice(sent, sent + max);
        sent += out.length;
        return Promise.resolve(out);
      },
      close() {
        sent = rows.length;
        return Promise.resolve();
      },
    },
  };
}
