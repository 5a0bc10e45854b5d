// test-needs: jdbc
/**
 * The PostgreSQL JDBC driver (Debian's libpostgresql-jdbc-java) against a real Ferry
 * server: test/clients/FerryJdbc.java is compiled into a temporary directory and run.
 * Besides parameters, errors, CopyManager and cancel, it calls DatabaseMetaData.getTables,
 * getColumns and getSchemas, which query pg_catalog (src/catalog/pg-compat.ts).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROJECT_ROOT, startFerry, type FerryProcess } from '../support/ferry.js';
import { run } from './helpers.js';

const JAR = '/usr/share/java/postgresql.jar';
let ferry: FerryProcess;
const classes = mkdtempSync(join(tmpdir(), 'clients-jdbc-'));

before(async () => {
  // Compiling while the server starts keeps the test short on two cores.
  const [compiled, started] = await Promise.all([
    run('javac', ['-d', classes, '-cp', JAR, join(PROJECT_ROOT, 'test', 'clients', 'FerryJdbc.java')], {
      timeoutMs: 60_000,
    }),
    startFerry(),
  ]);
  ferry = started;
  assert.equal(compiled.code, 0, compiled.stderr);
});
after(async () => {
  await ferry.stop();
});

test('JDBC: parameters, SQLSTATE, CopyManager, metadata, cancel', async () => {
  const r = await run('java', ['-cp', `${JAR}:${classes}`, 'FerryJdbc', String(ferry.pgPort)], { timeoutMs: 45_000 });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const lines = Object.fromEntries(
    r.stdout
      .trim()
      .split('\n')
      .map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 2)]),
  );
  assert.deepEqual(lines, {
    product: 'PostgreSQL 9.5.0',
    param: 'two 2.25',
    error: '42P01',
    copyin: '2',
    copyout: '4 1,one|2,two|3,three|4,',
    tables: 'public.jt:TABLE',
    columns: 'id:int4:4 name:text:12 amount:numeric:2',
    allcolumns: 'true',
    metadata: 'ok',
    schemas: 'information_schema mz_catalog mz_internal pg_catalog public',
    cancel: '57014 true',
    after: '4',
  });
});
