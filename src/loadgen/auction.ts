/**
 * The AUCTION generator as fixed tables (Ferry's choice: a deterministic snapshot, not a
 * stream). Materialize's auction house emits one event per tick (a new auction or a bid);
 * Ferry materializes the history such a run would have produced in the AUCTION_TICKS
 * ticks before the source was created:
 *
 *  - organizations: 20 rows; users: 4,000 (each in one organization); accounts: one per
 *    organization, balance 1,000–1,000,000 dollars — fixed, as in Materialize;
 *  - auctions: 1,000, one started every 10 ticks, each open 10–40 ticks, so the newest
 *    few are still open when the source is created;
 *  - bids: 1–12 per auction (≈ 6,500), amounts 1–100 dollars, placed while it is open.
 *
 * Every id, name, amount and tick offset is a pure function of the row number (DuckDB
 * `hash()`), identical on every server; the timestamps are those tick offsets placed on
 * the source's creation time (truncated to the second) with its TICK INTERVAL.
 */
import { quoteIdent } from '../errors/index.js';

export const AUCTION_TABLES: Record<string, [string, string][]> = {
  organizations: [
    ['id', 'BIGINT'],
    ['name', 'VARCHAR'],
  ],
  users: [
    ['id', 'BIGINT'],
    ['org_id', 'BIGINT'],
    ['name', 'VARCHAR'],
  ],
  accounts: [
    ['id', 'BIGINT'],
    ['org_id', 'BIGINT'],
    ['balance', 'BIGINT'],
  ],
  auctions: [
    ['id', 'BIGINT'],
    ['seller', 'BIGINT'],
    ['item', 'VARCHAR'],
    ['end_time', 'TIMESTAMPTZ'],
  ],
  bids: [
    ['id', 'BIGINT'],
    ['buyer', 'BIGINT'],
    ['auction_id', 'BIGINT'],
    ['amount', 'INTEGER'],
    ['bid_time', 'TIMESTAMPTZ'],
  ],
};

export const AUCTION_COUNTS = { organizations: 20, users: 4_000, auctions: 1_000 };
const TICKS_PER_AUCTION = 10;
/** Ticks of history before creation: the last auction starts 10 ticks before it. */
export const AUCTION_TICKS = AUCTION_COUNTS.auctions * TICKS_PER_AUCTION;

const lit = (s: string): string => `'${s.replace(/'/g, "''")}'`;
const list = (xs: string[]): string => `[${xs.map(lit).join(', ')}]`;
const uni = (k: string, salt: number, lo: number, hi: number): string =>
  `(${lo} + (hash(${k}, ${salt}) % ${hi - lo + 1})::BIGINT)`;
const pick = (k: string, salt: number, xs: string[]): string => `${list(xs)}[${uni(k, salt, 1, xs.length)}]`;

const ORG_WORDS_A = [
  'Northwind',
  'Bluegate',
  'Ironbark',
  'Silverline',
  'Redwood',
  'Harbor',
  'Summit',
  'Lakeside',
  'Granite',
  'Meadow',
];
const ORG_WORDS_B = [
  'Traders',
  'Holdings',
  'Collective',
  'Partners',
  'Ventures',
  'Guild',
  'Cooperative',
  'Group',
  'Works',
  'Exchange',
];
const FIRST = [
  'Ada',
  'Bela',
  'Chen',
  'Dara',
  'Emil',
  'Farah',
  'Goran',
  'Hana',
  'Ivo',
  'Jun',
  'Kemal',
  'Lena',
  'Mateo',
  'Nia',
  'Omar',
  'Pia',
  'Quinn',
  'Rosa',
  'Sven',
  'Tala',
];
const LAST = [
  'Abara',
  'Berg',
  'Castillo',
  'Dubois',
  'Eze',
  'Fischer',
  'Gupta',
  'Horvat',
  'Ito',
  'Jensen',
  'Kowalski',
  'Lindqvist',
  'Moreau',
  'Nakamura',
  'Okafor',
  'Petrov',
  'Rossi',
  'Silva',
  'Tanaka',
  'Varga',
];
const ITEMS = [
  'Vintage Record Player',
  'Signed Baseball',
  'Weekend Cabin Stay',
  'Hand-Thrown Vase',
  'Tasting Menu for Two',
  'Antique Map',
  'Mountain Bike',
  'Concert Tickets',
  'Oil Painting',
  'Cooking Class',
];

/**
 * Statements creating and filling the auction tables in `schema` (table → engine name).
 * `anchorMicros` is the creation time in µs since the epoch, `tickMicros` the tick length.
 */
export function auctionStatements(
  schema: string,
  names: Record<string, string>,
  anchorMicros: number,
  tickMicros: number,
): string[] {
  const q = (t: string): string => `${quoteIdent(schema)}.${quoteIdent(names[t]!)}`;
  const out: string[] = [];
  for (const [t, cols] of Object.entries(AUCTION_TABLES)) {
    out.push(`CREATE TABLE ${q(t)} (${cols.map(([c, ty]) => `${quoteIdent(c)} ${ty} NOT NULL`).join(', ')})`);
  }
  const { organizations: ORGS, users: USERS, auctions: AUCTIONS } = AUCTION_COUNTS;
  // Tick t (0 ≤ t ≤ AUCTION_TICKS) happens at start + t ticks; tick AUCTION_TICKS is creation.
  const start = Math.floor(anchorMicros / 1_000_000) * 1_000_000 - AUCTION_TICKS * tickMicros;
  const at = (tickExpr: string): string => `make_timestamptz(${start}::BIGINT + (${tickExpr})::BIGINT * ${tickMicros})`;
  out.push(`INSERT INTO ${q('organizations')} SELECT k, ${list(ORG_WORDS_A)}[(k - 1) % 10 + 1] || ' ' || ${list(ORG_WORDS_B)}[((k - 1) * 3 + (k - 1) // 10) % 10 + 1]
    FROM range(1, ${ORGS + 1}) r(k)`);
  out.push(`INSERT INTO ${q('users')} SELECT k, ${uni('k', 101, 1, ORGS)}, ${pick('k', 102, FIRST)} || ' ' || ${pick('k', 103, LAST)}
    FROM range(1, ${USERS + 1}) r(k)`);
  out.push(
    `INSERT INTO ${q('accounts')} SELECT k, k, ${uni('k', 104, 1_000, 1_000_000)} FROM range(1, ${ORGS + 1}) r(k)`,
  );
  out.push(`INSERT INTO ${q('auctions')} SELECT k, ${uni('k', 105, 1, USERS)}, ${pick('k', 106, ITEMS)},
      ${at(`(k - 1) * ${TICKS_PER_AUCTION} + ${uni('k', 107, 10, 40)}`)}
    FROM range(1, ${AUCTIONS + 1}) r(k)`);
  // Bids are placed while the auction is open and never after the source was created.
  out.push(`INSERT INTO ${q('bids')} SELECT row_number() OVER (ORDER BY a, j), ${uni('a * 16 + j', 108, 1, USERS)}, a, ${uni('a * 16 + j', 109, 1, 100)}::INTEGER,
      ${at(`least((a - 1) * ${TICKS_PER_AUCTION} + dur * (j + 1) // (n + 1), ${AUCTION_TICKS})`)}
    FROM (SELECT a, ${uni('a', 107, 10, 40)} AS dur, ${uni('a', 111, 1, 12)} AS n FROM range(1, ${AUCTIONS + 1}) r(a)) x, range(0, n) b(j)
    ORDER BY a, j`);
  return out;
}
