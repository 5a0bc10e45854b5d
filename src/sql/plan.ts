/**
 * Plans: what a statement asks the server to do, one variant per kind of action. The
 * adapter sequences a plan (src/adapter/sequence.ts) and authorizes it
 * (src/adapter/rbac.ts) with exhaustive switches over `Plan['kind']`, so a new kind of
 * statement cannot be added without saying how it runs and who may run it.
 *
 * Planning is pure: an engine statement arrives already compiled by the front end
 * (src/sql/frontend.ts), against the catalog snapshot the adapter gave it.
 */
import { SqlError, unsupported } from '../errors/index.js';
import type { Statement } from './ast.js';
import type { CompiledStatement } from './frontend.js';

type Stmt<K extends Statement['kind']> = Statement & { kind: K };

/** Statements whose work lives in a unit beside the adapter (connections, exports, sources). */
export type ExtensionStatement = Stmt<
  | 'create-secret'
  | 'alter-secret'
  | 'create-connection'
  | 'alter-connection'
  | 'validate-connection'
  | 'show-permission-policy'
  | 'create-source-loadgen'
  | 'create-source-postgres'
  | 'create-export'
  | 'alter-export'
  | 'execute-export'
>;

export type Plan =
  /** An empty query string. */
  | { kind: 'empty' }
  | { kind: 'transaction'; stmt: Stmt<'begin' | 'commit' | 'rollback'> }
  /** Session variables: SET, RESET, SHOW name, DISCARD ALL. */
  | { kind: 'variable'; stmt: Stmt<'set' | 'reset' | 'show-var' | 'discard-all'> }
  /** SHOW … and SHOW CREATE …, answered from the catalog. */
  | { kind: 'show'; stmt: Stmt<'show' | 'show-create'> }
  /** SELECT, VALUES, TABLE, EXPLAIN: rows from the engine. */
  | { kind: 'read'; compiled: CompiledStatement; stmt: Stmt<'engine'> }
  /** INSERT, UPDATE, DELETE, TRUNCATE. */
  | { kind: 'write'; compiled: CompiledStatement; stmt: Stmt<'engine'> }
  /** CREATE / ALTER / DROP of tables, views, indexes and schemas, run by the engine. */
  | { kind: 'schema-change'; compiled: CompiledStatement; stmt: Stmt<'engine'> }
  /** COPY … TO STDOUT, COPY … FROM STDIN, COPY … TO <expr>. */
  | { kind: 'copy'; stmt: Stmt<'copy'> }
  /** Roles, grants, ownership: the catalog only. */
  | {
      kind: 'access-control';
      stmt: Stmt<
        'create-role' | 'alter-role' | 'drop-role' | 'grant' | 'revoke' | 'grant-role' | 'revoke-role' | 'alter-owner'
      >;
    }
  /** DROP of connections, secrets, sources, materialized views and exports by Ferry's parser. */
  | { kind: 'drop-objects'; stmt: Stmt<'drop-objects'> }
  /** PREPARE, EXECUTE and DEALLOCATE of the session's SQL-level prepared statements. */
  | { kind: 'prepared'; stmt: Stmt<'prepare' | 'execute' | 'deallocate'> }
  | { kind: 'extension'; stmt: ExtensionStatement };

/** The plan of one parsed statement; `compiled` is the front end's result for engine statements. */
export function planStatement(stmt: Statement, compiled: CompiledStatement | null): Plan {
  switch (stmt.kind) {
    case 'begin':
    case 'commit':
    case 'rollback':
      return { kind: 'transaction', stmt };
    case 'set':
    case 'reset':
    case 'show-var':
    case 'discard-all':
      return { kind: 'variable', stmt };
    case 'show':
    case 'show-create':
      return { kind: 'show', stmt };
    case 'copy':
      return { kind: 'copy', stmt };
    case 'create-role':
    case 'alter-role':
    case 'drop-role':
    case 'grant':
    case 'revoke':
    case 'grant-role':
    case 'revoke-role':
    case 'alter-owner':
      return { kind: 'access-control', stmt };
    case 'drop-objects':
      return { kind: 'drop-objects', stmt };
    case 'prepare':
    case 'execute':
    case 'deallocate':
      return { kind: 'prepared', stmt };
    case 'create-secret':
    case 'alter-secret':
    case 'create-connection':
    case 'alter-connection':
    case 'validate-connection':
    case 'show-permission-policy':
    case 'create-source-loadgen':
    case 'create-source-postgres':
    case 'create-export':
    case 'alter-export':
    case 'execute-export':
      return { kind: 'extension', stmt };
    case 'create-cluster':
      throw unsupported('CREATE CLUSTER', {
        detail: 'Ferry runs every statement on its one engine; the default cluster is quickstart.',
      });
    case 'engine': {
      if (stmt.sql === '') return { kind: 'empty' };
      if (!compiled) throw new SqlError('XX000', 'engine statement planned without the front end');
      return { kind: engineFamily(compiled), compiled, stmt };
    }
  }
}

function engineFamily(c: CompiledStatement): 'read' | 'write' | 'schema-change' {
  if (c.ddl) return 'schema-change';
  switch (c.nodeType) {
    case 'InsertStmt':
    case 'UpdateStmt':
    case 'DeleteStmt':
    case 'TruncateStmt':
      return 'write';
    default:
      return 'read';
  }
}
