/**
 * Parser for the statements Ferry owns (roles, privileges, SHOW, session variables,
 * transactions, load-generator sources, secrets, connections, COPY, exports). Standard SQL
 * that DuckDB executes is not parsed here: it becomes an `engine` statement carrying its
 * leading verb, so the adapter knows whether it reads, writes or changes the schema.
 *
 * Parsing is pure: no catalog, no clock, no network.
 */
import { SqlError } from '../errors/index.js';
import type {
  ObjectKind,
  PgSourceOption,
  PgSourceTables,
  QualifiedName,
  RawOption,
  RawValue,
  RoleOption,
  ShowKind,
  Statement,
} from './ast.js';
import { type StatementText, type Token } from './lexer.js';

class Cursor {
  pos = 0;
  constructor(
    readonly toks: Token[],
    readonly sql: string,
  ) {}

  peek(k = 0): Token | undefined {
    return this.toks[this.pos + k];
  }
  atEnd(): boolean {
    return this.pos >= this.toks.length;
  }
  /** True when the next tokens are the given keywords (case-insensitive words). */
  isKw(...words: string[]): boolean {
    return words.every((w, k) => {
      const t = this.peek(k);
      return t !== undefined && t.kind === 'word' && t.value === w;
    });
  }
  eatKw(...words: string[]): boolean {
    if (!this.isKw(...words)) return false;
    this.pos += words.length;
    return true;
  }
  expectKw(...words: string[]): void {
    if (!this.eatKw(...words)) this.error(`expected ${words.join(' ').toUpperCase()}`);
  }
  isPunct(p: string): boolean {
    const t = this.peek();
    return t !== undefined && (t.kind === 'punct' || t.kind === 'op') && t.text === p;
  }
  eatPunct(p: string): boolean {
    if (!this.isPunct(p)) return false;
    this.pos++;
    return true;
  }
  expectPunct(p: string): void {
    if (!this.eatPunct(p)) this.error(`expected "${p}"`);
  }
  error(msg: string): never {
    const t = this.peek();
    const near = t ? `at or near "${t.text}"` : 'at end of input';
    throw new SqlError('42601', `syntax error ${near}: ${msg}`, { position: (t?.start ?? this.sql.length) + 1 });
  }
  ident(): string {
    const t = this.peek();
    if (t && (t.kind === 'word' || t.kind === 'qident')) {
      this.pos++;
      return t.value;
    }
    return this.error('expected an identifier');
  }
  qualifiedName(): QualifiedName {
    const parts = [this.ident()];
    while (this.isPunct('.')) {
      this.pos++;
      parts.push(this.ident());
    }
    if (parts.length > 3) this.error('improper qualified name (too many dotted names)');
    return { parts };
  }
  nameList(): QualifiedName[] {
    const out = [this.qualifiedName()];
    while (this.eatPunct(',')) out.push(this.qualifiedName());
    return out;
  }
  identList(): string[] {
    const out = [this.ident()];
    while (this.eatPunct(',')) out.push(this.ident());
    return out;
  }
  string(): string {
    const t = this.peek();
    if (t?.kind === 'string') {
      this.pos++;
      return t.value;
    }
    return this.error('expected a string literal');
  }
  /** Source text from token index `from` up to (not including) the current token. */
  textFrom(from: number): string {
    const a = this.toks[from];
    const b = this.toks[this.pos - 1];
    if (!a || !b || this.pos <= from) return '';
    return this.sql.slice(a.start, b.end);
  }
  rest(): string {
    const t = this.peek();
    return t ? this.sql.slice(t.start) : '';
  }
  /**
   * A parenthesised, comma-separated list starting at the current `(`: the text of each
   * top-level item (commas inside nested parentheses or brackets belong to their item).
   */
  parenItems(): string[] {
    this.expectPunct('(');
    const items: string[] = [];
    let depth = 0;
    let from = this.pos;
    const close = (): void => {
      if (this.pos === from) this.error('expected an item');
      items.push(this.textFrom(from));
    };
    for (;;) {
      const t = this.peek();
      if (!t) return this.error('unbalanced parentheses');
      if (t.kind === 'punct' && (t.text === '(' || t.text === '[')) depth++;
      if (t.kind === 'punct' && t.text === ']') depth--;
      if (t.kind === 'punct' && t.text === ')') {
        if (depth === 0) {
          close();
          this.pos++;
          return items;
        }
        depth--;
      }
      if (depth === 0 && t.kind === 'punct' && t.text === ',') {
        close();
        this.pos++;
        from = this.pos;
        continue;
      }
      this.pos++;
    }
  }
  /** Skips a balanced parenthesised group starting at the current `(`; returns inner text. */
  balanced(): string {
    const open = this.peek();
    this.expectPunct('(');
    let depth = 1;
    while (!this.atEnd()) {
      const t = this.peek()!;
      if (t.kind === 'punct' && t.text === '(') depth++;
      if (t.kind === 'punct' && t.text === ')') {
        depth--;
        if (depth === 0) {
          const inner = this.sql.slice(open!.end, t.start);
          this.pos++;
          return inner;
        }
      }
      this.pos++;
    }
    return this.error('unbalanced parentheses');
  }
  end(): void {
    if (!this.atEnd()) this.error('unexpected trailing input');
  }
}

const OBJECT_KINDS: [string[], ObjectKind][] = [
  [['materialized', 'view'], 'materialized-view'],
  [['table'], 'table'],
  [['view'], 'view'],
  [['source'], 'source'],
  [['connection'], 'connection'],
  [['secret'], 'secret'],
  [['schema'], 'schema'],
  [['database'], 'database'],
  [['cluster'], 'cluster'],
  [['role'], 'role'],
  [['index'], 'index'],
  [['type'], 'type'],
  [['export'], 'export'],
];

function objectKind(c: Cursor): ObjectKind | null {
  for (const [words, kind] of OBJECT_KINDS) {
    if (c.eatKw(...words)) return kind;
  }
  // Plural forms, as in `GRANT ... ON ALL TABLES` or `SHOW CREATE`.
  return null;
}

/** Option value: string, number, boolean, identifier, `SECRET name`, or a parenthesised list. */
function optionValue(c: Cursor): RawValue {
  const t = c.peek();
  if (!t || (t.kind === 'punct' && (t.text === ',' || t.text === ')'))) return { kind: 'none', text: '' };
  if (t.kind === 'string') {
    c.pos++;
    return { kind: 'string', text: t.value };
  }
  if (t.kind === 'number' || (t.kind === 'op' && t.text === '-' && c.peek(1)?.kind === 'number')) {
    if (t.kind === 'op') {
      c.pos += 2;
      return { kind: 'number', text: '-' + c.toks[c.pos - 1]!.text };
    }
    c.pos++;
    return { kind: 'number', text: t.text };
  }
  if (t.kind === 'punct' && t.text === '(') {
    c.pos++;
    const items: string[] = [];
    if (!c.isPunct(')')) {
      do {
        const it = c.peek();
        if (it?.kind === 'string') {
          c.pos++;
          items.push(it.value);
        } else items.push(c.ident());
      } while (c.eatPunct(','));
    }
    c.expectPunct(')');
    return { kind: 'list', items };
  }
  if (t.kind === 'word' && t.value === 'secret') {
    c.pos++;
    return { kind: 'secret', name: c.qualifiedName() };
  }
  if (t.kind === 'word' && (t.value === 'true' || t.value === 'false' || t.value === 'on' || t.value === 'off')) {
    c.pos++;
    return { kind: 'bool', text: t.value };
  }
  if (t.kind === 'word' || t.kind === 'qident') {
    // Qualified identifiers (a connection name may be schema-qualified).
    const parts = c.qualifiedName().parts;
    return { kind: 'ident', text: parts.join('.') };
  }
  return c.error('expected an option value');
}

/** Words of an option name, e.g. `MAX FILE SIZE`, `AWS CONNECTION`, `PARTITION BY`. */
function optionName(c: Cursor): { name: string; position: number } {
  const first = c.peek();
  const words: string[] = [];
  while (c.peek()?.kind === 'word') {
    const t = c.peek()!;
    // The value may be an identifier (FORMAT parquet): stop before it when the name is complete.
    if (words.length > 0 && isCompleteOptionName(words)) break;
    words.push(t.value.toUpperCase());
    c.pos++;
  }
  if (words.length === 0) c.error('expected an option name');
  return { name: words.join(' '), position: (first?.start ?? 0) + 1 };
}

/** Option names Ferry knows, so that `FORMAT csv` is split into name and value. */
const KNOWN_OPTIONS = [
  'FORMAT',
  'AWS CONNECTION',
  'MAX FILE SIZE',
  'HEADER',
  'DELIMITER',
  'QUOTE',
  'ESCAPE',
  'NULL',
  'COMPRESSION',
  'MANIFEST',
  'FILES',
  'PATTERN',
  'PARTITION BY',
  'OVERWRITE',
  'ENDPOINT',
  'HOST',
  'PORT',
  'USER',
  'PASSWORD',
  'DATABASE',
  'SSL MODE',
  'SSL CERTIFICATE AUTHORITY',
  'REGION',
  'ACCESS KEY ID',
  'SECRET ACCESS KEY',
  'SESSION TOKEN',
  'ASSUME ROLE ARN',
  'ASSUME ROLE SESSION NAME',
  'VALIDATE',
  'SCALE FACTOR',
  'TICK INTERVAL',
  'MAX CARDINALITY',
  'UP TO',
  'AS OF',
  'FORCE QUOTE',
  'FORCE NOT NULL',
  'ENCODING',
  'PAUSED',
  'FREEZE',
  'DEFAULT',
  'PUBLICATION',
  'TEXT COLUMNS',
  'EXCLUDE COLUMNS',
];
function isCompleteOptionName(words: string[]): boolean {
  const name = words.join(' ');
  return KNOWN_OPTIONS.includes(name) && !KNOWN_OPTIONS.some((k) => k !== name && k.startsWith(name + ' '));
}

function optionList(c: Cursor): RawOption[] {
  const out: RawOption[] = [];
  c.expectPunct('(');
  if (c.eatPunct(')')) return out;
  do {
    const { name, position } = optionName(c);
    c.eatPunct('=');
    out.push({ name, position, value: optionValue(c) });
  } while (c.eatPunct(','));
  c.expectPunct(')');
  return out;
}

/** PostgreSQL's legacy COPY option syntax: `WITH CSV HEADER DELIMITER ','` and friends. */
function legacyCopyOptions(c: Cursor): RawOption[] {
  const out: RawOption[] = [];
  while (!c.atEnd()) {
    const t = c.peek()!;
    const pos = t.start + 1;
    if (c.eatKw('csv')) out.push({ name: 'FORMAT', value: { kind: 'ident', text: 'csv' }, position: pos });
    else if (c.eatKw('binary')) out.push({ name: 'FORMAT', value: { kind: 'ident', text: 'binary' }, position: pos });
    else if (c.eatKw('header')) out.push({ name: 'HEADER', value: { kind: 'bool', text: 'true' }, position: pos });
    else if (c.eatKw('delimiter')) {
      c.eatKw('as');
      out.push({ name: 'DELIMITER', value: { kind: 'string', text: c.string() }, position: pos });
    } else if (c.eatKw('null')) {
      c.eatKw('as');
      out.push({ name: 'NULL', value: { kind: 'string', text: c.string() }, position: pos });
    } else if (c.eatKw('quote')) {
      c.eatKw('as');
      out.push({ name: 'QUOTE', value: { kind: 'string', text: c.string() }, position: pos });
    } else if (c.eatKw('escape')) {
      c.eatKw('as');
      out.push({ name: 'ESCAPE', value: { kind: 'string', text: c.string() }, position: pos });
    } else c.error('unrecognized COPY option');
  }
  return out;
}

function roleOptions(c: Cursor): RoleOption[] {
  const out: RoleOption[] = [];
  c.eatKw('with');
  while (!c.atEnd()) {
    if (c.eatKw('login')) out.push({ kind: 'login', value: true });
    else if (c.eatKw('nologin')) out.push({ kind: 'login', value: false });
    else if (c.eatKw('superuser')) out.push({ kind: 'superuser', value: true });
    else if (c.eatKw('nosuperuser')) out.push({ kind: 'superuser', value: false });
    else if (c.eatKw('inherit')) out.push({ kind: 'inherit', value: true });
    else if (c.eatKw('noinherit')) out.push({ kind: 'inherit', value: false });
    else if (c.eatKw('createrole')) out.push({ kind: 'createrole', value: true });
    else if (c.eatKw('nocreaterole')) out.push({ kind: 'createrole', value: false });
    else if (c.eatKw('createdb')) out.push({ kind: 'createdb', value: true });
    else if (c.eatKw('nocreatedb')) out.push({ kind: 'createdb', value: false });
    else if (c.eatKw('createcluster')) out.push({ kind: 'createcluster', value: true });
    else if (c.eatKw('nocreatecluster')) out.push({ kind: 'createcluster', value: false });
    else if (c.eatKw('password')) {
      if (c.eatKw('null')) out.push({ kind: 'password', value: null });
      else out.push({ kind: 'password', value: c.string() });
    } else c.error('unrecognized role option');
  }
  return out;
}

const SHOW_KINDS: [string[], ShowKind][] = [
  [['materialized', 'views'], 'materialized views'],
  [['tables'], 'tables'],
  [['views'], 'views'],
  [['sources'], 'sources'],
  [['connections'], 'connections'],
  [['secrets'], 'secrets'],
  [['schemas'], 'schemas'],
  [['objects'], 'objects'],
  [['databases'], 'databases'],
  [['roles'], 'roles'],
  [['clusters'], 'clusters'],
  [['exports'], 'exports'],
  [['indexes'], 'indexes'],
  [['sinks'], 'sinks'],
  [['columns'], 'columns'],
];

function parseShow(c: Cursor): Statement {
  if (c.eatKw('permission', 'policy', 'for', 'connection')) {
    const name = c.qualifiedName();
    c.expectKw('to');
    const uri = c.string();
    c.end();
    return { kind: 'show-permission-policy', name, uri };
  }
  if (c.eatKw('create')) {
    const kind = objectKind(c);
    if (!kind) c.error('expected an object type');
    const name = c.qualifiedName();
    c.end();
    return { kind: 'show-create', objectKind: kind, name };
  }
  for (const [words, what] of SHOW_KINDS) {
    if (
      c.isKw(...words) &&
      (c.peek(words.length) === undefined ||
        ['from', 'in', 'like', 'where', 'on'].includes(c.peek(words.length)!.value))
    ) {
      c.eatKw(...words);
      let from: QualifiedName | null = null;
      let onRelation: QualifiedName | null = null;
      let like: string | null = null;
      let where: string | null = null;
      if (c.eatKw('on')) onRelation = c.qualifiedName();
      if (c.eatKw('from') || c.eatKw('in')) {
        if (what === 'columns') onRelation = c.qualifiedName();
        else from = c.qualifiedName();
      }
      if (c.eatKw('like')) like = c.string();
      else if (c.eatKw('where')) {
        where = c.rest();
        c.pos = c.toks.length;
      }
      c.end();
      return { kind: 'show', what, from, like, where, onRelation };
    }
  }
  // SHOW <variable> / SHOW ALL / SHOW TRANSACTION ISOLATION LEVEL.
  return { kind: 'show-var', name: showVarName(c) };
}

function showVarName(c: Cursor): string {
  const words: string[] = [];
  while (!c.atEnd()) {
    const t = c.peek()!;
    words.push(t.kind === 'word' ? t.value : t.value);
    c.pos++;
  }
  const name = words
    .join(' ')
    .replace(/ \. /g, '.')
    .replace(/\s*\.\s*/g, '.');
  if (name === '') c.error('expected a variable name');
  return name;
}

function parseSet(c: Cursor): Statement {
  let local = false;
  if (c.eatKw('local')) local = true;
  else c.eatKw('session');
  if (c.eatKw('transaction') || c.eatKw('session', 'characteristics')) {
    // SET TRANSACTION ISOLATION LEVEL … : DuckDB runs snapshot isolation; accept the
    // levels PostgreSQL clients send and record them as the session's level.
    const rest = showVarName(c).toLowerCase();
    return { kind: 'set', name: 'transaction_isolation', value: rest.replace(/^.*isolation level /, ''), local };
  }
  if (c.eatKw('time', 'zone')) {
    const t = c.peek();
    const value = t?.kind === 'string' ? t.value : t ? t.text : '';
    c.pos = c.toks.length;
    return { kind: 'set', name: 'timezone', value, local };
  }
  const nameParts = [c.ident()];
  while (c.eatPunct('.')) nameParts.push(c.ident());
  const name = nameParts.join('.');
  if (!c.eatPunct('=') && !c.eatKw('to')) c.error('expected = or TO');
  if (c.eatKw('default')) {
    c.end();
    return { kind: 'set', name, value: null, local };
  }
  const vals: string[] = [];
  do {
    const t = c.peek();
    if (!t) c.error('expected a value');
    if (t.kind === 'op' && t.text === '-' && c.peek(1)?.kind === 'number') {
      c.pos += 2;
      vals.push('-' + c.toks[c.pos - 1]!.text);
      continue;
    }
    c.pos++;
    vals.push(t.kind === 'string' || t.kind === 'qident' ? t.value : t.text);
  } while (c.eatPunct(','));
  c.end();
  return { kind: 'set', name, value: vals.join(', '), local };
}

function parseGrantRevoke(c: Cursor, isGrant: boolean): Statement {
  // Privileges.
  let privileges: string[] | 'ALL';
  if (c.eatKw('all')) {
    c.eatKw('privileges');
    privileges = 'ALL';
  } else {
    privileges = [];
    do {
      const t = c.peek();
      if (!t || t.kind !== 'word') c.error('expected a privilege');
      privileges.push(t.value.toUpperCase());
      c.pos++;
    } while (c.eatPunct(','));
  }
  if (!c.eatKw('on')) {
    // GRANT role TO member.
    const roles = privileges === 'ALL' ? c.error('expected ON') : privileges.map((p) => p.toLowerCase());
    c.expectKw(isGrant ? 'to' : 'from');
    const members = c.identList();
    c.end();
    return { kind: isGrant ? 'grant-role' : 'revoke-role', roles, members };
  }
  let allInSchema = false;
  let kind: ObjectKind = 'table';
  if (c.eatKw('all')) {
    if (c.eatKw('tables')) kind = 'table';
    else if (c.eatKw('connections')) kind = 'connection';
    else if (c.eatKw('secrets')) kind = 'secret';
    else c.error('expected TABLES, CONNECTIONS or SECRETS');
    c.expectKw('in', 'schema');
    allInSchema = true;
  } else {
    kind = objectKind(c) ?? 'table';
  }
  const objects = c.nameList();
  c.expectKw(isGrant ? 'to' : 'from');
  const roles: string[] = [];
  do {
    c.eatKw('group');
    roles.push(c.ident());
  } while (c.eatPunct(','));
  c.eatKw('cascade');
  c.eatKw('restrict');
  c.end();
  return { kind: isGrant ? 'grant' : 'revoke', privileges, objectKind: kind, objects, allInSchema, roles };
}

function parseCopy(c: Cursor): Statement {
  // Materialize's `COPY INTO t FROM …` (INTO is optional; a table named into stays a name).
  if (c.peek()?.kind === 'word' && c.peek()?.value === 'into' && !['to', 'from'].includes(c.peek(1)?.value ?? ''))
    c.pos++;
  let source: (Statement & { kind: 'copy' })['source'];
  if (c.isPunct('(')) {
    const start = c.pos + 1;
    c.balanced();
    const innerToks = c.toks.slice(start, c.pos - 1);
    const sql = c.textFrom(start).replace(/\)\s*$/, '');
    // ORDER BY at the top level of the query (not inside parentheses).
    let depth = 0;
    let hasOrderBy = false;
    innerToks.forEach((t, k) => {
      if (t.text === '(') depth++;
      else if (t.text === ')') depth--;
      else if (depth === 0 && t.kind === 'word' && t.value === 'order' && innerToks[k + 1]?.value === 'by')
        hasOrderBy = true;
    });
    source = { kind: 'query', sql: sql, hasOrderBy };
  } else {
    const name = c.qualifiedName();
    let columns: string[] | null = null;
    if (c.eatPunct('(')) {
      columns = c.identList();
      c.expectPunct(')');
    }
    source = { kind: 'relation', name, columns };
  }
  let direction: 'to' | 'from';
  if (c.eatKw('to')) direction = 'to';
  else if (c.eatKw('from')) direction = 'from';
  else c.error('expected TO or FROM');
  let target: (Statement & { kind: 'copy' })['target'];
  if (c.eatKw('stdout')) target = { kind: 'stdout' };
  else if (c.eatKw('stdin')) target = { kind: 'stdin' };
  else {
    // A text expression up to WITH or the option list.
    const start = c.pos;
    let depth = 0;
    while (!c.atEnd()) {
      const t = c.peek()!;
      if (depth === 0 && t.kind === 'word' && t.value === 'with') break;
      if (depth === 0 && t.kind === 'punct' && t.text === '(' && c.pos > start && !isCallOpen(c)) break;
      if (t.text === '(') depth++;
      if (t.text === ')') depth--;
      c.pos++;
    }
    if (c.pos === start) c.error('expected a COPY target');
    target = { kind: 'expr', sql: c.textFrom(start) };
  }
  let options: RawOption[] = [];
  const hadWith = c.eatKw('with');
  if (c.isPunct('(')) options = optionList(c);
  else if (!c.atEnd()) options = legacyCopyOptions(c);
  else if (hadWith) c.error('expected an option list');
  c.end();
  return { kind: 'copy', source, direction, target, options };
}

/** Whether the `(` at the cursor opens a function call's argument list. */
function isCallOpen(c: Cursor): boolean {
  const prev = c.toks[c.pos - 1];
  return prev !== undefined && (prev.kind === 'word' || prev.kind === 'qident');
}

/** Leading verb of an engine statement, e.g. `select`, `insert`, `create table`. */
function engineVerb(toks: Token[]): { verb: string } {
  const w = (k: number): string => (toks[k]?.kind === 'word' ? toks[k].value : '');
  const first = w(0);
  if (first === 'create' || first === 'drop' || first === 'alter') {
    let k = 1;
    if (w(k) === 'or' && w(k + 1) === 'replace') k += 2;
    while (['temp', 'temporary', 'unique', 'unlogged'].includes(w(k))) k++;
    const obj = w(k);
    return { verb: `${first} ${obj === 'materialized' ? 'materialized view' : obj}` };
  }
  if (first === 'with') {
    // WITH … SELECT / INSERT / UPDATE / DELETE: the verb is the first of those at depth 0.
    let depth = 0;
    for (const t of toks) {
      if (t.text === '(') depth++;
      else if (t.text === ')') depth--;
      else if (depth === 0 && t.kind === 'word' && ['select', 'insert', 'update', 'delete'].includes(t.value)) {
        return { verb: t.value };
      }
    }
    return { verb: 'select' };
  }
  if (first === '' && toks[0]?.text === '(') return { verb: 'select' };
  return { verb: first };
}

export function parseStatement(st: StatementText): Statement {
  const c: Cursor = new Cursor(st.tokens, st.sql);
  const t0 = c.peek();
  if (!t0) return { kind: 'engine', sql: '', verb: '' };

  if (c.eatKw('begin') || c.eatKw('start', 'transaction')) {
    c.eatKw('work');
    c.eatKw('transaction');
    // Isolation and access-mode clauses are accepted: DuckDB gives snapshot isolation.
    return { kind: 'begin' };
  }
  if (c.eatKw('commit') || c.eatKw('end')) {
    c.eatKw('work');
    c.eatKw('transaction');
    c.end();
    return { kind: 'commit' };
  }
  if (c.eatKw('rollback') || c.eatKw('abort')) {
    c.eatKw('work');
    c.eatKw('transaction');
    c.end();
    return { kind: 'rollback' };
  }
  if (c.eatKw('set')) return parseSet(c);
  if (c.eatKw('reset')) {
    const name = c.eatKw('all') ? 'all' : showVarName(c);
    return { kind: 'reset', name };
  }
  if (c.eatKw('show')) return parseShow(c);
  if (c.eatKw('discard', 'all')) {
    c.end();
    return { kind: 'discard-all' };
  }
  if (c.isKw('create', 'role') || c.isKw('create', 'user')) {
    c.pos += 2;
    const ifNotExists = c.eatKw('if', 'not', 'exists');
    const name = c.ident();
    return { kind: 'create-role', name, options: roleOptions(c), ifNotExists };
  }
  if (c.isKw('alter', 'role') || c.isKw('alter', 'user')) {
    c.pos += 2;
    const name = c.ident();
    return { kind: 'alter-role', name, options: roleOptions(c) };
  }
  if (c.isKw('drop', 'role') || c.isKw('drop', 'user')) {
    c.pos += 2;
    const ifExists = c.eatKw('if', 'exists');
    const names = c.identList();
    c.end();
    return { kind: 'drop-role', names, ifExists };
  }
  if (c.eatKw('grant')) return parseGrantRevoke(c, true);
  if (c.eatKw('revoke')) return parseGrantRevoke(c, false);
  if (c.eatKw('copy')) return parseCopy(c);
  if (c.isKw('create', 'source')) {
    c.pos += 2;
    const ifNotExists = c.eatKw('if', 'not', 'exists');
    const name = c.qualifiedName();
    if (c.eatKw('in', 'cluster')) c.ident();
    if (c.eatKw('from', 'postgres')) return parsePostgresSource(c, name, ifNotExists);
    c.expectKw('from', 'load', 'generator');
    const generator = c.ident().toUpperCase();
    const options = c.isPunct('(') ? optionList(c) : [];
    const forAllTables = c.eatKw('for', 'all', 'tables');
    if (!forAllTables && c.eatKw('for', 'tables')) c.balanced();
    c.end();
    return { kind: 'create-source-loadgen', name, generator, options, forAllTables, ifNotExists };
  }
  if (c.isKw('create', 'secret')) {
    c.pos += 2;
    const ifNotExists = c.eatKw('if', 'not', 'exists');
    const name = c.qualifiedName();
    c.expectKw('as');
    const value = secretValue(c);
    c.end();
    return { kind: 'create-secret', name, value, ifNotExists };
  }
  if (c.isKw('alter', 'secret')) {
    c.pos += 2;
    const ifExists = c.eatKw('if', 'exists');
    const name = c.qualifiedName();
    c.expectKw('as');
    const value = secretValue(c);
    c.end();
    return { kind: 'alter-secret', name, value, ifExists };
  }
  if (c.isKw('create', 'connection')) {
    c.pos += 2;
    const ifNotExists = c.eatKw('if', 'not', 'exists');
    const name = c.qualifiedName();
    c.expectKw('to');
    const connType = c.ident().toUpperCase();
    const options = c.isPunct('(') ? optionList(c) : [];
    const validate = withValidate(c);
    c.end();
    return { kind: 'create-connection', name, connType, options, validate, ifNotExists };
  }
  if (c.isKw('alter', 'connection')) {
    c.pos += 2;
    const ifExists = c.eatKw('if', 'exists');
    const name = c.qualifiedName();
    const actions: (Statement & { kind: 'alter-connection' })['actions'] = [];
    do {
      let action: 'set' | 'drop' | 'reset';
      if (c.eatKw('set')) action = 'set';
      else if (c.eatKw('drop')) action = 'drop';
      else if (c.eatKw('reset')) action = 'reset';
      else c.error('expected SET, DROP or RESET');
      c.expectPunct('(');
      do {
        const { name: optName, position } = optionName(c);
        let value: RawValue = { kind: 'none', text: '' };
        if (action === 'set') {
          c.eatPunct('=');
          value = optionValue(c);
        }
        actions.push({ action, option: { name: optName, value, position } });
      } while (c.eatPunct(','));
      c.expectPunct(')');
    } while (c.eatPunct(','));
    const validate = withValidate(c);
    c.end();
    return { kind: 'alter-connection', name, actions, validate, ifExists };
  }
  if (c.isKw('validate', 'connection')) {
    c.pos += 2;
    const name = c.qualifiedName();
    let forUri: string | null = null;
    if (c.eatKw('for')) forUri = c.string();
    c.end();
    return { kind: 'validate-connection', name, forUri };
  }
  if (c.isKw('create', 'cluster')) {
    c.pos += 2;
    const name = c.ident();
    c.pos = c.toks.length;
    return { kind: 'create-cluster', name };
  }
  if (c.isKw('create', 'export')) return parseCreateExport(c);
  if (c.isKw('alter', 'export')) {
    c.pos += 2;
    const name = c.qualifiedName();
    c.expectKw('set');
    const opts = optionList(c);
    const paused = opts.find((o) => o.name === 'PAUSED');
    if (!paused || opts.length !== 1) c.error('expected SET (PAUSED = true | false)');
    return { kind: 'alter-export', name, paused: truthy(paused.value) };
  }
  if (c.isKw('execute', 'export')) {
    c.pos += 2;
    const name = c.qualifiedName();
    c.end();
    return { kind: 'execute-export', name };
  }
  if (c.eatKw('prepare')) {
    const name = c.ident();
    const types = c.isPunct('(') ? c.parenItems() : [];
    c.expectKw('as');
    const body = c.rest();
    if (body.trim() === '') c.error('expected a statement');
    return { kind: 'prepare', name, types, body };
  }
  if (c.eatKw('execute')) {
    const name = c.ident();
    const args = c.isPunct('(') ? c.parenItems() : [];
    c.end();
    return { kind: 'execute', name, args };
  }
  if (c.eatKw('deallocate')) {
    c.eatKw('prepare');
    const name = c.eatKw('all') ? null : c.ident();
    c.end();
    return { kind: 'deallocate', name };
  }
  if (c.isKw('alter') && c.toks.some((t) => t.kind === 'word' && t.value === 'owner')) {
    const save = c.pos;
    c.pos++;
    const kind = objectKind(c);
    if (kind && kind !== 'role') {
      const name = c.qualifiedName();
      if (c.eatKw('owner', 'to')) {
        const owner = c.ident();
        c.end();
        return { kind: 'alter-owner', objectKind: kind, name, owner };
      }
    }
    c.pos = save;
  }
  if (c.isKw('drop')) {
    const save = c.pos;
    c.pos++;
    const kind = objectKind(c);
    if (kind && ['connection', 'secret', 'source', 'export', 'cluster', 'materialized-view'].includes(kind)) {
      const ifExists = c.eatKw('if', 'exists');
      const names = c.nameList();
      const cascade = c.eatKw('cascade');
      if (!cascade) c.eatKw('restrict');
      c.end();
      return { kind: 'drop-objects', objectKind: kind, names, ifExists, cascade };
    }
    c.pos = save;
  }
  return { kind: 'engine', sql: st.sql, verb: engineVerb(st.tokens).verb };
}

/** Boolean reading of an option value; a bare option name (`HEADER`) means true. */
export function truthy(v: RawValue): boolean {
  if (v.kind === 'none') return true;
  if (v.kind === 'secret' || v.kind === 'list') return false;
  return ['true', 'on', '1', 't', 'yes'].includes(v.text.toLowerCase());
}

function secretValue(c: Cursor): string {
  // `AS 'literal'` or `AS decode('…', 'base64')`: only literals are accepted, so the
  // value never passes through the engine (where it could reach a query log).
  const t = c.peek();
  if (t?.kind === 'string') {
    c.pos++;
    return t.value;
  }
  return c.error('secret value must be a string literal');
}

function withValidate(c: Cursor): boolean | null {
  if (!c.eatKw('with')) return null;
  const opts = optionList(c);
  let validate: boolean | null = null;
  for (const o of opts) {
    if (o.name !== 'VALIDATE') throw new SqlError('42601', `unexpected option ${o.name}`);
    validate = truthy(o.value);
  }
  return validate;
}

/** `CREATE SOURCE s [IN CLUSTER c] FROM POSTGRES` has been read; the rest of the statement. */
function parsePostgresSource(c: Cursor, name: QualifiedName, ifNotExists: boolean): Statement {
  c.expectKw('connection');
  const connection = c.qualifiedName();
  const options: PgSourceOption[] = [];
  if (c.eatPunct('(')) {
    if (!c.isPunct(')')) {
      do {
        const { name: optName, position } = optionName(c);
        c.eatPunct('=');
        if (optName === 'TEXT COLUMNS' || optName === 'EXCLUDE COLUMNS') {
          c.expectPunct('(');
          const columns: QualifiedName[] = [];
          if (!c.isPunct(')')) {
            do columns.push(c.qualifiedName());
            while (c.eatPunct(','));
          }
          c.expectPunct(')');
          options.push({ name: optName, value: { kind: 'none', text: '' }, columns, position });
        } else options.push({ name: optName, value: optionValue(c), columns: null, position });
      } while (c.eatPunct(','));
    }
    c.expectPunct(')');
  }
  let tables: PgSourceTables | null = null;
  if (c.eatKw('for', 'all', 'tables')) tables = { kind: 'all' };
  else if (c.eatKw('for', 'schemas')) {
    c.expectPunct('(');
    const schemas: string[] = [];
    do schemas.push(c.ident());
    while (c.eatPunct(','));
    c.expectPunct(')');
    tables = { kind: 'schemas', schemas };
  } else if (c.eatKw('for', 'tables')) {
    c.expectPunct('(');
    const items: { ref: QualifiedName; alias: QualifiedName | null }[] = [];
    do {
      const ref = c.qualifiedName();
      const alias = c.eatKw('as') ? c.qualifiedName() : null;
      items.push({ ref, alias });
    } while (c.eatPunct(','));
    c.expectPunct(')');
    tables = { kind: 'tables', items };
  }
  let progress: QualifiedName | null = null;
  if (c.eatKw('expose', 'progress', 'as')) progress = c.qualifiedName();
  c.end();
  return { kind: 'create-source-postgres', name, ifNotExists, connection, options, tables, progress };
}

function parseCreateExport(c: Cursor): Statement {
  c.pos += 2;
  const ifNotExists = c.eatKw('if', 'not', 'exists');
  const name = c.qualifiedName();
  c.expectKw('refresh');
  let schedule: (Statement & { kind: 'create-export' })['schedule'];
  if (c.eatKw('every')) {
    const interval = c.string();
    let alignedTo: string | null = null;
    if (c.eatKw('aligned', 'to')) alignedTo = c.string();
    schedule = { kind: 'every', interval, alignedTo };
  } else if (c.eatKw('cron')) {
    const expr = c.string();
    let timeZone: string | null = null;
    if (c.eatKw('time', 'zone')) timeZone = c.string();
    schedule = { kind: 'cron', expr, timeZone };
  } else c.error('expected EVERY or CRON');
  c.expectKw('as');
  const copyStart = c.peek();
  if (!c.eatKw('copy')) c.error('expected COPY');
  const copy = parseCopy(c) as Statement & { kind: 'copy' };
  return { kind: 'create-export', name, ifNotExists, schedule, copy, copySql: c.sql.slice(copyStart!.start) };
}
