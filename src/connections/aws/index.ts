/**
 * AWS connections: everything Ferry knows about obtaining AWS credentials for a catalog
 * connection (docs/aws-connections.md).
 *
 * Does:
 * - plan raw `CREATE/ALTER CONNECTION ... TO AWS` options into a typed spec, with the exact
 *   errors of the "Legal combinations" table (options.ts, pure);
 * - derive the connection's external ID, session name, principal (kept fresh in the background) and the trust and
 *   least-privilege permission policies a user pastes into AWS (identity.ts);
 * - obtain the server's own (ambient) credentials within a bounded time (ambient.ts);
 * - build AWS SDK credential providers (static keys, one- or two-hop role chains refreshed
 *   before expiry) and S3 clients honouring ENDPOINT (credentials.ts);
 * - decide the values of a connection's mz_internal.mz_aws_connections row (catalog-row.ts);
 * - run VALIDATE CONNECTION, including the confused-deputy guard and the S3 permission
 *   probe of `FOR 's3://…'` (validate.ts).
 *
 * Does not: parse SQL, touch the catalog, check privileges, store or decrypt secrets
 * (the caller passes `resolveSecret`), or upload exports (src/sink). It never imports
 * src/wire or src/sql; the SQL layer calls in, never the reverse.
 */
export * from './options.js';
export * from './errors.js';
export * from './ambient.js';
export * from './identity.js';
export * from './credentials.js';
export * from './validate.js';
export * from './catalog-row.js';
