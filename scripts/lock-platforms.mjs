// Keeps package-lock.json in sync for DuckDB's per-platform optional bindings.
//
// The registry this project installs from serves only some platforms' builds of
// @duckdb/node-bindings-*; `npm install` then leaves the others out of the lock file and
// `npm ci` refuses the lock as out of sync. Entries with the right os/cpu/libc fields make
// the lock complete; npm never downloads a package whose platform does not match.
import { readFileSync, writeFileSync } from 'node:fs';
const path = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(path, 'utf8'));
const bindings = lock.packages['node_modules/@duckdb/node-bindings'];
const platforms = {
  'darwin-arm64': { os: ['darwin'], cpu: ['arm64'] },
  'darwin-x64': { os: ['darwin'], cpu: ['x64'] },
  'linux-arm64': { os: ['linux'], cpu: ['arm64'], libc: ['glibc'] },
  'linux-arm64-musl': { os: ['linux'], cpu: ['arm64'], libc: ['musl'] },
  'linux-x64': { os: ['linux'], cpu: ['x64'], libc: ['glibc'] },
  'linux-x64-musl': { os: ['linux'], cpu: ['x64'], libc: ['musl'] },
  'win32-arm64': { os: ['win32'], cpu: ['arm64'] },
  'win32-x64': { os: ['win32'], cpu: ['x64'] },
};
let added = 0;
for (const [name, version] of Object.entries(bindings.optionalDependencies ?? {})) {
  const key = `node_modules/${name}`;
  if (lock.packages[key]) continue;
  const plat = platforms[name.replace('@duckdb/node-bindings-', '')];
  if (!plat) continue;
  lock.packages[key] = {
    version,
    cpu: plat.cpu,
    ...(plat.libc ? { libc: plat.libc } : {}),
    license: 'MIT',
    optional: true,
    os: plat.os,
  };
  added++;
}
const sorted = Object.fromEntries(
  Object.entries(lock.packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a < b ? -1 : 1)),
);
lock.packages = sorted;
writeFileSync(path, JSON.stringify(lock, null, 2) + '\n');
console.log(`lock-platforms: added ${added} entries`);
