/** Display helpers shared by the pages. */

export function formatBytes(n: unknown): string {
  const v = Number(n);
  if (n === null || n === undefined || !Number.isFinite(v)) return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let x = v;
  let i = 0;
  while (x >= 1024 && i < units.length - 1) {
    x /= 1024;
    i++;
  }
  return `${i === 0 ? x : x.toFixed(1)} ${units[i]}`;
}

export function formatCount(n: unknown): string {
  if (n === null || n === undefined || n === '') return '—';
  const v = Number(n);
  return Number.isFinite(v) ? v.toLocaleString('en-US') : cellText(n);
}

/** Milliseconds since the epoch of a PostgreSQL timestamptz text, or null. */
export function parseTime(t: unknown): number | null {
  if (typeof t !== 'string' || t === '') return null;
  // PostgreSQL prints `2026-01-02 03:04:05.678+00`; Date wants `T` and `+00:00`.
  const iso = t.replace(' ', 'T').replace(/([+-]\d\d)$/, '$1:00');
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? null : ms;
}

export function formatTime(t: unknown): string {
  const ms = parseTime(t);
  if (ms === null) return t === null || t === undefined ? '—' : cellText(t);
  return new Date(ms)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, 'Z');
}

export function formatDuration(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms) || ms < 0) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${Math.round(s % 60)} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** A cell value of the results grid as text. The values come from JSON: scalars print as
 * themselves, arrays and objects as JSON. */
export function cellText(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  return JSON.stringify(v);
}

/** `1 file`, `3 files`, `— files` when unknown. */
export function plural(n: unknown, word: string): string {
  return `${formatCount(n)} ${word}${Number(n) === 1 ? '' : 's'}`;
}
