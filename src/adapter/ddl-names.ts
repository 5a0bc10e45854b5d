/**
 * The name a DDL statement is about, read from its tokens. Shared by the session's
 * privilege checks and the catalog bookkeeping of src/adapter/ddl.ts; a leaf, so neither
 * has to import the other for it.
 */
import type { QualifiedName } from '../sql/ast.js';
import type { Token } from '../sql/lexer.js';

/** The object a CREATE / DROP / ALTER names (the first name after the object kind). */
export function ddlObjectName(tokens: Token[]): QualifiedName | null {
  let k = 1;
  const skip = [
    'or',
    'replace',
    'temp',
    'temporary',
    'unique',
    'unlogged',
    'table',
    'view',
    'materialized',
    'schema',
    'index',
    'type',
    'sequence',
    'macro',
    'function',
    'if',
    'not',
    'exists',
  ];
  while (tokens[k] && tokens[k]!.kind === 'word' && skip.includes(tokens[k]!.value)) k++;
  const parts: string[] = [];
  while (tokens[k] && (tokens[k]!.kind === 'word' || tokens[k]!.kind === 'qident')) {
    parts.push(tokens[k]!.value);
    if (tokens[k + 1]?.text !== '.') break;
    k += 2;
  }
  return parts.length ? { parts } : null;
}
