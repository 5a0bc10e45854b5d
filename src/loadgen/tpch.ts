/**
 * TPC-H data generated inside DuckDB with plain SQL (no tpch extension): every value is a
 * pure function of (table, row number, column salt) through DuckDB's `hash()`, so the same
 * scale factor yields byte-identical tables on every server built on the same DuckDB.
 *
 * Row counts follow the TPC-H specification: supplier 10,000 × SF, part 200,000 × SF,
 * partsupp 4 per part, customer 150,000 × SF, orders 1,500,000 × SF, lineitem 1–7 per order
 * (≈ 6,000,000 × SF), nation 25, region 5; fractional scale factors are floored with a
 * minimum of one row, as Materialize does. Value domains follow the specification's
 * (dates 1992-01-01 … 1998-12-31, sparse order keys, the standard flags, priorities, ship
 * modes, part types and containers, `Supplier#000000001` names, derived retail prices and
 * order totals); comment texts are word salads from a fixed vocabulary (for line items,
 * orders and partsupp drawn from pools of 16,384 texts per table).
 */
import { quoteIdent } from '../errors/index.js';

export interface TpchCounts {
  supplier: number;
  part: number;
  customer: number;
  orders: number;
  clerk: number;
}

export const DEFAULT_SCALE_FACTOR = 0.01;

/** Materialize's rule: floor(sf × base), at least 1. */
export function tpchCounts(sf: number): TpchCounts {
  const n = (base: number): number => Math.max(1, Math.floor(sf * base));
  return { supplier: n(10_000), part: n(200_000), customer: n(150_000), orders: n(1_500_000), clerk: n(1_000) };
}

/** Column names and SQL types of every TPC-H table, in Materialize's column order. */
export const TPCH_TABLES: Record<string, [string, string][]> = {
  supplier: [
    ['s_suppkey', 'BIGINT'],
    ['s_name', 'VARCHAR'],
    ['s_address', 'VARCHAR'],
    ['s_nationkey', 'BIGINT'],
    ['s_phone', 'VARCHAR'],
    ['s_acctbal', 'DECIMAL(15,2)'],
    ['s_comment', 'VARCHAR'],
  ],
  part: [
    ['p_partkey', 'BIGINT'],
    ['p_name', 'VARCHAR'],
    ['p_mfgr', 'VARCHAR'],
    ['p_brand', 'VARCHAR'],
    ['p_type', 'VARCHAR'],
    ['p_size', 'INTEGER'],
    ['p_container', 'VARCHAR'],
    ['p_retailprice', 'DECIMAL(15,2)'],
    ['p_comment', 'VARCHAR'],
  ],
  partsupp: [
    ['ps_partkey', 'BIGINT'],
    ['ps_suppkey', 'BIGINT'],
    ['ps_availqty', 'INTEGER'],
    ['ps_supplycost', 'DECIMAL(15,2)'],
    ['ps_comment', 'VARCHAR'],
  ],
  customer: [
    ['c_custkey', 'BIGINT'],
    ['c_name', 'VARCHAR'],
    ['c_address', 'VARCHAR'],
    ['c_nationkey', 'BIGINT'],
    ['c_phone', 'VARCHAR'],
    ['c_acctbal', 'DECIMAL(15,2)'],
    ['c_mktsegment', 'VARCHAR'],
    ['c_comment', 'VARCHAR'],
  ],
  orders: [
    ['o_orderkey', 'BIGINT'],
    ['o_custkey', 'BIGINT'],
    ['o_orderstatus', 'VARCHAR'],
    ['o_totalprice', 'DECIMAL(15,2)'],
    ['o_orderdate', 'DATE'],
    ['o_orderpriority', 'VARCHAR'],
    ['o_clerk', 'VARCHAR'],
    ['o_shippriority', 'INTEGER'],
    ['o_comment', 'VARCHAR'],
  ],
  lineitem: [
    ['l_orderkey', 'BIGINT'],
    ['l_partkey', 'BIGINT'],
    ['l_suppkey', 'BIGINT'],
    ['l_linenumber', 'INTEGER'],
    ['l_quantity', 'DECIMAL(15,2)'],
    ['l_extendedprice', 'DECIMAL(15,2)'],
    ['l_discount', 'DECIMAL(15,2)'],
    ['l_tax', 'DECIMAL(15,2)'],
    ['l_returnflag', 'VARCHAR'],
    ['l_linestatus', 'VARCHAR'],
    ['l_shipdate', 'DATE'],
    ['l_commitdate', 'DATE'],
    ['l_receiptdate', 'DATE'],
    ['l_shipinstruct', 'VARCHAR'],
    ['l_shipmode', 'VARCHAR'],
    ['l_comment', 'VARCHAR'],
  ],
  nation: [
    ['n_nationkey', 'BIGINT'],
    ['n_name', 'VARCHAR'],
    ['n_regionkey', 'BIGINT'],
    ['n_comment', 'VARCHAR'],
  ],
  region: [
    ['r_regionkey', 'BIGINT'],
    ['r_name', 'VARCHAR'],
    ['r_comment', 'VARCHAR'],
  ],
};

// ---------------------------------------------------------------------------------------
// Expression helpers. `k` is the row's key expression; `salt` separates columns.

const lit = (s: string): string => `'${s.replace(/'/g, "''")}'`;
const list = (xs: string[]): string => `[${xs.map(lit).join(', ')}]`;

/** A uniform UBIGINT for (key, salt). */
const h = (k: string, salt: number): string => `hash(${k}, ${salt})`;
/** A uniform BIGINT in [lo, hi]. */
const uni = (k: string, salt: number, lo: number, hi: number): string =>
  `(${lo} + (${h(k, salt)} % ${hi - lo + 1})::BIGINT)`;
/** One element of a list literal, chosen uniformly. */
const pick = (k: string, salt: number, xs: string[]): string => `${list(xs)}[${uni(k, salt, 1, xs.length)}]`;
/** A money value in [lo, hi] cents as DECIMAL(15,2). */
const money = (k: string, salt: number, loCents: number, hiCents: number): string =>
  `(${uni(k, salt, loCents, hiCents)}::DECIMAL(15,2) / 100)::DECIMAL(15,2)`;
const pad9 = (e: string): string => `lpad((${e})::VARCHAR, 9, '0')`;

/** Vocabulary of the comment texts: 64 words, so that 6 bits of a hash pick one. */
const WORDS = [
  'furiously',
  'quickly',
  'carefully',
  'blithely',
  'slyly',
  'ironic',
  'final',
  'regular',
  'express',
  'special',
  'pending',
  'bold',
  'even',
  'unusual',
  'silent',
  'fluffy',
  'idle',
  'daring',
  'ruthless',
  'busy',
  'requests',
  'deposits',
  'accounts',
  'packages',
  'instructions',
  'foxes',
  'theodolites',
  'pinto',
  'beans',
  'dependencies',
  'platelets',
  'asymptotes',
  'ideas',
  'excuses',
  'courts',
  'dolphins',
  'frets',
  'warhorses',
  'sheaves',
  'tithes',
  'sleep',
  'wake',
  'haggle',
  'nag',
  'use',
  'boost',
  'affix',
  'detect',
  'integrate',
  'maintain',
  'cajole',
  'are',
  'was',
  'doze',
  'among',
  'above',
  'about',
  'across',
  'after',
  'against',
  'along',
  'around',
  'the',
  'beside',
];

const WORDS_SQL = list(WORDS);

/** Words of P_NAME (the specification's 92 colour words). */
const COLORS = [
  'almond',
  'antique',
  'aquamarine',
  'azure',
  'beige',
  'bisque',
  'black',
  'blanched',
  'blue',
  'blush',
  'brown',
  'burlywood',
  'burnished',
  'chartreuse',
  'chiffon',
  'chocolate',
  'coral',
  'cornflower',
  'cornsilk',
  'cream',
  'cyan',
  'dark',
  'deep',
  'dim',
  'dodger',
  'drab',
  'firebrick',
  'floral',
  'forest',
  'frosted',
  'gainsboro',
  'ghost',
  'goldenrod',
  'green',
  'grey',
  'honeydew',
  'hot',
  'indian',
  'ivory',
  'khaki',
  'lace',
  'lavender',
  'lawn',
  'lemon',
  'light',
  'lime',
  'linen',
  'magenta',
  'maroon',
  'medium',
  'metallic',
  'midnight',
  'mint',
  'misty',
  'moccasin',
  'navajo',
  'navy',
  'olive',
  'orange',
  'orchid',
  'pale',
  'papaya',
  'peach',
  'peru',
  'pink',
  'plum',
  'powder',
  'puff',
  'purple',
  'red',
  'rose',
  'rosy',
  'royal',
  'saddle',
  'salmon',
  'sandy',
  'seashell',
  'sienna',
  'sky',
  'slate',
  'smoke',
  'snow',
  'spring',
  'steel',
  'tan',
  'thistle',
  'tomato',
  'turquoise',
  'violet',
  'wheat',
  'white',
  'yellow',
];

/** Bits `shift`…`shift + 15` of a hash, modulo `n`, as BIGINT. */
const slice = (hashExpr: string, shift: number, n: number): string =>
  `(((${hashExpr} >> ${shift}) & 65535) % ${n})::BIGINT`;

/**
 * A comment of `lo`–`hi` characters: ceil(hi / 5) + 1 words (ten per 64-bit hash, six
 * bits each), cut to a pseudo-random length and trimmed so it never ends in a space.
 */
function comment(k: string, salt: number, lo: number, hi: number): string {
  const n = Math.ceil(hi / 5) + 1;
  const words: string[] = [];
  for (let i = 0; i < n; i++)
    words.push(`${WORDS_SQL}[1 + ((${h(k, salt * 64 + Math.floor(i / 10))} >> ${(i % 10) * 6}) & 63)::BIGINT]`);
  return `rtrim(left(concat_ws(' ', ${words.join(', ')}), ${uni(k, salt * 64 + 63, lo, hi)}::INTEGER))`;
}

/**
 * A comment drawn from a pool of `size` comments of `lo`–`hi` characters (built once per
 * statement): the big tables' comments, where generating and compressing millions of
 * distinct texts would dominate the generation time.
 */
function pooled(k: string, salt: number, lo: number, hi: number, size = 16384): string {
  return `(SELECT list(${comment('i', salt, lo, hi)} ORDER BY i) FROM range(0, ${size}) p(i))[1 + (${h(k, salt * 64 + 62)} % ${size})::BIGINT]`;
}

/** An address-like string of 10–40 characters. */
function address(k: string, salt: number): string {
  return `left(translate(md5(${k}::VARCHAR || '/${salt}') || md5(${k}::VARCHAR || '\\${salt}'), '0123456789', 'QwRtYu, iP'), ${uni(k, salt + 1, 10, 40)}::INTEGER)`;
}

function phone(k: string, nation: string, salt: number): string {
  return `concat((${nation}) + 10, '-', ${uni(k, salt, 100, 999)}, '-', ${uni(k, salt + 1, 100, 999)}, '-', ${uni(k, salt + 2, 1000, 9999)})`;
}

const NATIONS: [string, number][] = [
  ['ALGERIA', 0],
  ['ARGENTINA', 1],
  ['BRAZIL', 1],
  ['CANADA', 1],
  ['EGYPT', 4],
  ['ETHIOPIA', 0],
  ['FRANCE', 3],
  ['GERMANY', 3],
  ['INDIA', 2],
  ['INDONESIA', 2],
  ['IRAN', 4],
  ['IRAQ', 4],
  ['JAPAN', 2],
  ['JORDAN', 4],
  ['KENYA', 0],
  ['MOROCCO', 0],
  ['MOZAMBIQUE', 0],
  ['PERU', 1],
  ['CHINA', 2],
  ['ROMANIA', 3],
  ['SAUDI ARABIA', 4],
  ['VIETNAM', 2],
  ['RUSSIA', 3],
  ['UNITED KINGDOM', 3],
  ['UNITED STATES', 1],
];
const REGIONS = ['AFRICA', 'AMERICA', 'ASIA', 'EUROPE', 'MIDDLE EAST'];

/** Days from 1992-01-01 on which orders are placed (the spec's ENDDATE − 151 days). */
const ORDER_DAYS = 2405;
/** CURRENTDATE of the specification: line items shipped after it are still open. */
const CURRENT_DATE = `DATE '1995-06-17'`;

/** Retail price of part `k` in cents, as the specification derives it. */
const retailCents = (k: string): string => `(90000 + ((${k}) // 10) % 20001 + 100 * ((${k}) % 1000))`;

/** Supplier of part `p`'s i-th partsupp row (i in 0..3), as the specification derives it. */
const suppOf = (p: string, i: string, S: number): string =>
  `(((${p}) + (${i}) * (${Math.max(1, Math.floor(S / 4))} + ((${p}) - 1) // ${S})) % ${S} + 1)`;

/** The `n`-th order (0-based) → its sparse key: 8 keys used in every 32. */
const orderKey = (n: string): string => `((${n}) // 8 * 32 + (${n}) % 8 + 1)`;

/** CREATE TABLE for TPC-H table `table`, named `target` (schema-qualified, quoted). */
function tableDdl(table: string, target: string): string {
  const cols = TPCH_TABLES[table]!.map(([c, t]) => `${quoteIdent(c)} ${t} NOT NULL`).join(', ');
  return `CREATE TABLE ${target} (${cols})`;
}

/**
 * The statements that create and fill the TPC-H tables in `schema` under the given names
 * (table → engine name). Run in order inside one transaction.
 */
export function tpchStatements(schema: string, names: Record<string, string>, counts: TpchCounts): string[] {
  const q = (t: string): string => `${quoteIdent(schema)}.${quoteIdent(names[t]!)}`;
  const S = counts.supplier;
  const P = counts.part;
  const C = counts.customer;
  const O = counts.orders;
  const out: string[] = [];
  const create = (t: string): void => {
    out.push(tableDdl(t, q(t)));
  };

  create('region');
  out.push(
    `INSERT INTO ${q('region')} SELECT i, ${list(REGIONS)}[i + 1], ${comment('i', 1, 31, 115)} FROM range(0, 5) r(i)`,
  );

  create('nation');
  out.push(
    `INSERT INTO ${q('nation')} SELECT i, ${list(NATIONS.map((n) => n[0]))}[i + 1], [${NATIONS.map((n) => n[1]).join(', ')}][i + 1], ${comment('i', 2, 31, 114)} FROM range(0, 25) r(i)`,
  );

  create('supplier');
  out.push(`INSERT INTO ${q('supplier')} SELECT k, 'Supplier#' || ${pad9('k')}, ${address('k', 10)}, nk, ${phone('k', 'nk', 12)}, ${money('k', 15, -99999, 999999)},
      CASE WHEN ${h('k', 16)} % 2000 = 0 THEN concat(${comment('k', 17, 10, 40)}, ' Customer ', ${comment('k', 18, 5, 20)}, ' Complaints')
           WHEN ${h('k', 16)} % 2000 = 1 THEN concat(${comment('k', 17, 10, 40)}, ' Customer ', ${comment('k', 18, 5, 20)}, ' Recommends')
           ELSE ${comment('k', 19, 25, 100)} END
    FROM (SELECT k, ${uni('k', 11, 0, 24)} AS nk FROM range(1, ${S + 1}) r(k))`);

  create('part');
  const types1 = ['STANDARD', 'SMALL', 'MEDIUM', 'LARGE', 'ECONOMY', 'PROMO'];
  const types2 = ['ANODIZED', 'BURNISHED', 'PLATED', 'POLISHED', 'BRUSHED'];
  const types3 = ['TIN', 'NICKEL', 'BRASS', 'STEEL', 'COPPER'];
  const cont1 = ['SM', 'LG', 'MED', 'JUMBO', 'WRAP'];
  const cont2 = ['CASE', 'BOX', 'BAG', 'JAR', 'PKG', 'PACK', 'CAN', 'DRUM'];
  out.push(`INSERT INTO ${q('part')} SELECT k,
      concat_ws(' ', ${[0, 1, 2, 3, 4].map((i) => pick('k', 20 + i, COLORS)).join(', ')}),
      'Manufacturer#' || m, 'Brand#' || m || ${uni('k', 26, 1, 5)},
      concat_ws(' ', ${pick('k', 27, types1)}, ${pick('k', 28, types2)}, ${pick('k', 29, types3)}),
      ${uni('k', 30, 1, 50)}::INTEGER,
      ${pick('k', 31, cont1)} || ' ' || ${pick('k', 32, cont2)},
      (${retailCents('k')}::DECIMAL(15,2) / 100)::DECIMAL(15,2),
      ${comment('k', 33, 5, 22)}
    FROM (SELECT k, ${uni('k', 25, 1, 5)} AS m FROM range(1, ${P + 1}) r(k))`);

  create('partsupp');
  out.push(`INSERT INTO ${q('partsupp')} SELECT p, ${suppOf('p', 'i', S)}, ${uni('p * 4 + i', 40, 1, 9999)}::INTEGER,
      ${money('p * 4 + i', 41, 100, 100000)}, ${pooled('p * 4 + i', 42, 49, 198)}
    FROM range(1, ${P + 1}) a(p), range(0, 4) b(i) ORDER BY p, i`);

  create('customer');
  const segments = ['AUTOMOBILE', 'BUILDING', 'FURNITURE', 'MACHINERY', 'HOUSEHOLD'];
  out.push(`INSERT INTO ${q('customer')} SELECT k, 'Customer#' || ${pad9('k')}, ${address('k', 50)}, nk, ${phone('k', 'nk', 52)},
      ${money('k', 55, -99999, 999999)}, ${pick('k', 56, segments)}, ${comment('k', 57, 29, 116)}
    FROM (SELECT k, ${uni('k', 51, 0, 24)} AS nk FROM range(1, ${C + 1}) r(k))`);

  // Line items first: each order's lines depend only on the order's number, so the
  // orders' totals and statuses can then be aggregated from them.
  create('lineitem');
  // Three hashes per line, sliced into 16-bit fields, and a pooled comment.
  const line = 'n * 8 + j';
  out.push(`INSERT INTO ${q('lineitem')} SELECT ok, pk, ${suppOf('pk', '((h3 >> 32) & 3)::BIGINT', S)}, (j + 1)::INTEGER,
      qty::DECIMAL(15,2), (qty * ${retailCents('pk')}::DECIMAL(15,2) / 100)::DECIMAL(15,2),
      (${slice('h2', 16, 11)}::DECIMAL(15,2) / 100)::DECIMAL(15,2), (${slice('h2', 32, 9)}::DECIMAL(15,2) / 100)::DECIMAL(15,2),
      CASE WHEN rd <= ${CURRENT_DATE} THEN CASE WHEN ((h3 >> 34) & 1) = 0 THEN 'R' ELSE 'A' END ELSE 'N' END,
      CASE WHEN sd > ${CURRENT_DATE} THEN 'O' ELSE 'F' END,
      sd, cd, rd,
      ${list(['DELIVER IN PERSON', 'COLLECT COD', 'NONE', 'TAKE BACK RETURN'])}[1 + ((h3 >> 35) & 3)::BIGINT],
      ${list(['REG AIR', 'AIR', 'RAIL', 'SHIP', 'TRUCK', 'MAIL', 'FOB'])}[1 + ${slice('h3', 37, 7)}],
      ${pooled(line, 68, 10, 43)}
    FROM (
      SELECT n, j, ok, h1, h2, h3, 1 + (h1 % ${P})::BIGINT AS pk, 1 + ${slice('h2', 0, 50)} AS qty,
        od + (1 + ${slice('h2', 48, 121)})::INTEGER AS sd, od + (30 + ${slice('h3', 0, 61)})::INTEGER AS cd,
        od + (1 + ${slice('h2', 48, 121)})::INTEGER + (1 + ${slice('h3', 16, 30)})::INTEGER AS rd
      FROM (
        SELECT n, j, ok, od, ${h(line, 60)} AS h1, ${h(line, 61)} AS h2, ${h(line, 62)} AS h3
        FROM (SELECT n, ${orderKey('n')} AS ok, DATE '1992-01-01' + ${uni('n', 80, 0, ORDER_DAYS)}::INTEGER AS od,
                     ${uni('n', 81, 1, 7)} AS lines FROM range(0, ${O}) r(n)) o,
             range(0, lines) l(j)
      )
    )`);

  create('orders');
  // Only two customers in three place orders (custkey not divisible by 3), as in dbgen.
  const cust =
    C >= 3
      ? `(${uni('n', 82, 0, Math.ceil((2 * C) / 3) - 1)} // 2 * 3 + ${uni('n', 82, 0, Math.ceil((2 * C) / 3) - 1)} % 2 + 1)`
      : '1::BIGINT';
  // One row per order from its lines' aggregate, in key order; n is the order's number.
  out.push(`INSERT INTO ${q('orders')} SELECT ok, least(${cust}, ${C}),
      CASE WHEN open = 0 THEN 'F' WHEN open = lines THEN 'O' ELSE 'P' END,
      total,
      DATE '1992-01-01' + ${uni('n', 80, 0, ORDER_DAYS)}::INTEGER,
      ${pick('n', 83, ['1-URGENT', '2-HIGH', '3-MEDIUM', '4-NOT SPECIFIED', '5-LOW'])},
      'Clerk#' || ${pad9(uni('n', 84, 1, counts.clerk))},
      0,
      ${pooled('n', 85, 19, 78)}
    FROM (SELECT l_orderkey AS ok, (l_orderkey - 1) // 32 * 8 + (l_orderkey - 1) % 32 AS n, count(*) AS lines,
                 count(*) FILTER (WHERE l_linestatus = 'O') AS open,
                 sum((l_extendedprice * (1 + l_tax) * (1 - l_discount))::DECIMAL(18,2))::DECIMAL(15,2) AS total
          FROM ${q('lineitem')} GROUP BY l_orderkey ORDER BY l_orderkey)`);
  return out;
}
