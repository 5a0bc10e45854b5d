/**
 * Statements Ferry itself understands. Anything else is an `EngineStatement`: standard
 * SQL that the front end (src/sql/frontend.ts) parses, resolves and prints for DuckDB.
 *
 * Option lists keep their raw form (`RawOption`): each unit that owns a statement's
 * semantics (the sink for COPY options, connections for AWS options) validates them, so
 * the exact error texts live next to the behaviour they describe.
 */

export interface QualifiedName {
  /** One to three parts as written: [name], [schema, name] or [database, schema, name]. */
  parts: string[];
}

export type RawValue =
  | { kind: 'string'; text: string }
  | { kind: 'number'; text: string }
  | { kind: 'ident'; text: string }
  | { kind: 'bool'; text: string }
  | { kind: 'secret'; name: QualifiedName }
  | { kind: 'list'; items: string[] }
  | { kind: 'none'; text: '' };

export interface RawOption {
  /** Upper-cased words joined by single spaces, e.g. `MAX FILE SIZE`. */
  name: string;
  value: RawValue;
  /** Offset of the option name in the statement, for error positions. */
  position: number;
}

/** One option of CREATE SOURCE … FROM POSTGRES: a value, or a list of qualified column names. */
export interface PgSourceOption {
  name: string;
  value: RawValue;
  columns: QualifiedName[] | null;
  position: number;
}

/** FOR ALL TABLES | FOR SCHEMAS (s, …) | FOR TABLES (t [AS name], …). */
export type PgSourceTables =
  | { kind: 'all' }
  | { kind: 'schemas'; schemas: string[] }
  | { kind: 'tables'; items: { ref: QualifiedName; alias: QualifiedName | null }[] };

export type ObjectKind =
  | 'table'
  | 'view'
  | 'materialized-view'
  | 'source'
  | 'connection'
  | 'secret'
  | 'schema'
  | 'database'
  | 'cluster'
  | 'role'
  | 'index'
  | 'type'
  | 'export';

export type ShowKind =
  | 'tables'
  | 'views'
  | 'materialized views'
  | 'sources'
  | 'connections'
  | 'secrets'
  | 'schemas'
  | 'objects'
  | 'databases'
  | 'roles'
  | 'clusters'
  | 'exports'
  | 'indexes'
  | 'sinks'
  | 'columns';

export type CopyTarget =
  | { kind: 'stdout' }
  | { kind: 'stdin' }
  /** A text expression (SQL text, evaluated by the engine at execution). */
  | { kind: 'expr'; sql: string };

export type Statement =
  | { kind: 'begin' }
  | { kind: 'commit' }
  | { kind: 'rollback' }
  | { kind: 'set'; name: string; value: string | null; local: boolean }
  | { kind: 'reset'; name: string }
  | { kind: 'show-var'; name: string }
  | {
      kind: 'show';
      what: ShowKind;
      from: QualifiedName | null;
      like: string | null;
      where: string | null;
      onRelation: QualifiedName | null;
    }
  | { kind: 'show-create'; objectKind: ObjectKind; name: QualifiedName }
  | { kind: 'create-role'; name: string; options: RoleOption[]; ifNotExists: boolean }
  | { kind: 'alter-role'; name: string; options: RoleOption[] }
  | { kind: 'drop-role'; names: string[]; ifExists: boolean }
  | {
      kind: 'grant' | 'revoke';
      privileges: string[] | 'ALL';
      objectKind: ObjectKind;
      /** Objects; for `ALL TABLES IN SCHEMA s`, the schema. */
      objects: QualifiedName[];
      allInSchema: boolean;
      roles: string[];
    }
  | { kind: 'grant-role' | 'revoke-role'; roles: string[]; members: string[] }
  | { kind: 'alter-owner'; objectKind: ObjectKind; name: QualifiedName; owner: string }
  | {
      kind: 'create-source-loadgen';
      name: QualifiedName;
      generator: string;
      options: RawOption[];
      forAllTables: boolean;
      ifNotExists: boolean;
    }
  | {
      /** CREATE SOURCE … FROM POSTGRES CONNECTION c (PUBLICATION 'p', …) FOR … (docs/sources.md). */
      kind: 'create-source-postgres';
      name: QualifiedName;
      ifNotExists: boolean;
      connection: QualifiedName;
      /** PUBLICATION's value; TEXT COLUMNS / EXCLUDE COLUMNS as qualified column names. */
      options: PgSourceOption[];
      /** null when the statement has no FOR clause. */
      tables: PgSourceTables | null;
      progress: QualifiedName | null;
    }
  | { kind: 'create-secret'; name: QualifiedName; value: string; ifNotExists: boolean }
  | { kind: 'alter-secret'; name: QualifiedName; value: string; ifExists: boolean }
  | {
      kind: 'create-connection';
      name: QualifiedName;
      connType: string;
      options: RawOption[];
      validate: boolean | null;
      ifNotExists: boolean;
    }
  | {
      kind: 'alter-connection';
      name: QualifiedName;
      actions: { action: 'set' | 'drop' | 'reset'; option: RawOption }[];
      validate: boolean | null;
      ifExists: boolean;
    }
  | { kind: 'validate-connection'; name: QualifiedName; forUri: string | null }
  /** Beyond: `SHOW PERMISSION POLICY FOR CONNECTION name TO 's3://bucket/prefix'`. */
  | { kind: 'show-permission-policy'; name: QualifiedName; uri: string }
  | { kind: 'drop-objects'; objectKind: ObjectKind; names: QualifiedName[]; ifExists: boolean; cascade: boolean }
  | {
      kind: 'copy';
      /** A relation name, or the text of a parenthesised query. */
      source:
        | { kind: 'relation'; name: QualifiedName; columns: string[] | null }
        | { kind: 'query'; sql: string; hasOrderBy: boolean };
      direction: 'to' | 'from';
      target: CopyTarget;
      options: RawOption[];
    }
  | { kind: 'create-cluster'; name: string }
  | { kind: 'discard-all' }
  /** PREPARE name [(type, …)] AS statement: `types` and `body` as written. */
  | { kind: 'prepare'; name: string; types: string[]; body: string }
  /** EXECUTE name [(expression, …)]: each argument's text as written. */
  | { kind: 'execute'; name: string; args: string[] }
  /** DEALLOCATE [PREPARE] name | ALL (null). */
  | { kind: 'deallocate'; name: string | null }
  | {
      kind: 'create-export';
      name: QualifiedName;
      ifNotExists: boolean;
      schedule: ExportSchedule;
      copy: Statement & { kind: 'copy' };
      copySql: string;
    }
  | { kind: 'alter-export'; name: QualifiedName; paused: boolean }
  | { kind: 'execute-export'; name: QualifiedName }
  /** Standard SQL for the engine. `verb` is the leading keyword(s), e.g. `select`, `create table`. */
  | { kind: 'engine'; sql: string; verb: string };

export type ExportSchedule =
  | { kind: 'every'; interval: string; alignedTo: string | null }
  | { kind: 'cron'; expr: string; timeZone: string | null };

export type RoleOption =
  | { kind: 'login'; value: boolean }
  | { kind: 'superuser'; value: boolean }
  | { kind: 'inherit'; value: boolean }
  | { kind: 'createrole'; value: boolean }
  | { kind: 'createdb'; value: boolean }
  | { kind: 'createcluster'; value: boolean }
  | { kind: 'password'; value: string | null };
