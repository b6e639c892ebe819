/**
 * SQL tables the gateway keeps from chain events (the chain stays the source of truth; these are
 * for listing and search). Written once for SQLite and PostgreSQL: `$n` placeholders, TEXT for
 * addresses and hashes (lower-case 0x-hex), BIGINT for numbers and unix seconds.
 */
export const chainIndexMigrations = [
  {
    id: 'chain-index-1',
    sql: `
CREATE TABLE IF NOT EXISTS records (
  record_id TEXT PRIMARY KEY,
  patient TEXT NOT NULL,
  category TEXT NOT NULL,
  latest_version BIGINT NOT NULL,
  created_block BIGINT NOT NULL,
  erased_block BIGINT
);
CREATE INDEX IF NOT EXISTS records_patient ON records (patient);
CREATE TABLE IF NOT EXISTS record_versions (
  record_id TEXT NOT NULL,
  version BIGINT NOT NULL,
  author TEXT NOT NULL,
  content_id TEXT NOT NULL,
  integrity_hash TEXT NOT NULL,
  block_number BIGINT NOT NULL,
  tx_hash TEXT NOT NULL,
  PRIMARY KEY (record_id, version)
);
CREATE INDEX IF NOT EXISTS record_versions_author ON record_versions (author);
CREATE TABLE IF NOT EXISTS grants (
  grant_id BIGINT PRIMARY KEY,
  patient TEXT NOT NULL,
  grantee TEXT NOT NULL,
  scope_kind BIGINT NOT NULL,
  scope_value TEXT NOT NULL,
  permissions BIGINT NOT NULL,
  purpose BIGINT NOT NULL,
  valid_from BIGINT NOT NULL,
  valid_until BIGINT NOT NULL,
  request_id BIGINT NOT NULL,
  revoked_block BIGINT,
  created_block BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS grants_patient ON grants (patient);
CREATE INDEX IF NOT EXISTS grants_grantee ON grants (grantee);
CREATE TABLE IF NOT EXISTS access_requests (
  request_id BIGINT PRIMARY KEY,
  patient TEXT NOT NULL,
  provider TEXT NOT NULL,
  scope_kind BIGINT NOT NULL,
  scope_value TEXT NOT NULL,
  permissions BIGINT NOT NULL,
  purpose BIGINT NOT NULL,
  valid_from BIGINT NOT NULL,
  valid_until BIGINT NOT NULL,
  status TEXT NOT NULL,
  grant_id BIGINT,
  created_block BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS access_requests_patient ON access_requests (patient);
CREATE INDEX IF NOT EXISTS access_requests_provider ON access_requests (provider);
CREATE TABLE IF NOT EXISTS emergencies (
  access_id BIGINT PRIMARY KEY,
  patient TEXT NOT NULL,
  provider TEXT NOT NULL,
  reason BIGINT NOT NULL,
  reason_hash TEXT NOT NULL,
  until_time BIGINT NOT NULL,
  closed_by TEXT,
  opened_block BIGINT NOT NULL,
  tx_hash TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS emergencies_patient ON emergencies (patient);
CREATE TABLE IF NOT EXISTS providers (
  address TEXT PRIMARY KEY,
  kind BIGINT NOT NULL,
  status TEXT NOT NULL,
  updated_block BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS chain_events (
  tx_hash TEXT NOT NULL,
  log_index BIGINT NOT NULL,
  block_number BIGINT NOT NULL,
  contract TEXT NOT NULL,
  name TEXT NOT NULL,
  subject TEXT,
  args TEXT NOT NULL,
  PRIMARY KEY (tx_hash, log_index)
);
CREATE INDEX IF NOT EXISTS chain_events_block ON chain_events (block_number);
CREATE INDEX IF NOT EXISTS chain_events_subject ON chain_events (subject);
`,
  },
  {
    // Grant and request windows are uint64 on chain and may exceed BIGINT (a patient may grant
    // "until forever", 2^64 - 1). SQLite stores such a value anyway; PostgreSQL needs a wider column.
    id: 'chain-index-2',
    sql: '',
    postgres: `
ALTER TABLE grants ALTER COLUMN valid_from TYPE NUMERIC(20, 0), ALTER COLUMN valid_until TYPE NUMERIC(20, 0);
ALTER TABLE access_requests ALTER COLUMN valid_from TYPE NUMERIC(20, 0), ALTER COLUMN valid_until TYPE NUMERIC(20, 0);
`,
  },
] as const;
