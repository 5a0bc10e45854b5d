/**
 * The server log: one line per event on stderr, `<time> <LEVEL> <component>: <message>`
 * followed by key=value fields. Callers must never pass secret values; connection and
 * secret code logs names and ids only.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export type LogFields = Record<string, string | number | boolean | null | undefined>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** A logger whose lines carry `component` as their prefix. */
  child(component: string): Logger;
}

let threshold = ORDER.info;
let sink: (line: string) => void = (line) => process.stderr.write(line + '\n');

export function configureLog(opts: { level?: LogLevel; sink?: (line: string) => void }): void {
  if (opts.level) threshold = ORDER[opts.level];
  if (opts.sink) sink = opts.sink;
}

function fmtFields(fields: LogFields | undefined): string {
  if (!fields) return '';
  let out = '';
  for (const [k, v] of Object.entries(fields)) {
    if (v === undefined) continue;
    const s = String(v);
    out += ` ${k}=${/[\s"=]/.test(s) || s === '' ? JSON.stringify(s) : s}`;
  }
  return out;
}

export function createLogger(component: string): Logger {
  const emit = (level: LogLevel, msg: string, fields?: LogFields): void => {
    if (ORDER[level] < threshold) return;
    sink(`${new Date().toISOString()} ${level.toUpperCase()} ${component}: ${msg}${fmtFields(fields)}`);
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (c) => createLogger(`${component}.${c}`),
  };
}
