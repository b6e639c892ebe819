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
  {
    // Blob ownership and crypto-shredding (issue 13). `blob_uploads`: who uploaded which ciphertext
    // (a blob is served and destroyed only as the record version its uploader registered it for;
    // quotas and garbage collection count it). `shred_jobs` / `shred_job_blobs`: the durable queue
    // the indexer fills in the same transaction as it indexes RecordErased (src/gateway/index/shredder.ts
    // works it off). They live with the chain index because the event handlers write them.
    id: 'chain-index-3',
    sql: `
CREATE TABLE IF NOT EXISTS blob_uploads (
  content_id TEXT NOT NULL,
  uploader TEXT NOT NULL,
  cid TEXT NOT NULL,
  size BIGINT NOT NULL,
  uploaded_at BIGINT NOT NULL,
  PRIMARY KEY (content_id, uploader)
);
CREATE INDEX IF NOT EXISTS blob_uploads_uploader ON blob_uploads (uploader);
CREATE INDEX IF NOT EXISTS blob_uploads_uploaded_at ON blob_uploads (uploaded_at);
CREATE INDEX IF NOT EXISTS record_versions_content_id ON record_versions (content_id);
CREATE TABLE IF NOT EXISTS shred_jobs (
  record_id TEXT PRIMARY KEY,
  patient TEXT NOT NULL,
  erased_block BIGINT NOT NULL,
  status TEXT NOT NULL,
  attempts BIGINT NOT NULL,
  ciphertexts_destroyed BIGINT NOT NULL,
  ciphertexts_kept BIGINT NOT NULL,
  envelopes_destroyed BIGINT NOT NULL,
  escrow_shares_destroyed BIGINT NOT NULL,
  tokens_destroyed BIGINT NOT NULL,
  last_error TEXT,
  done_at BIGINT
);
CREATE INDEX IF NOT EXISTS shred_jobs_status ON shred_jobs (status);
CREATE TABLE IF NOT EXISTS shred_job_blobs (
  record_id TEXT NOT NULL,
  content_id TEXT NOT NULL,
  author TEXT NOT NULL,
  outcome TEXT,
  PRIMARY KEY (record_id, content_id)
);
`,
  },
  {
    // The consent view (src/gateway/consent/view.ts, issue 16). `block_times`: the timestamp of every
    // block with a MedChain event, written with the events. `withdrawn_grants`: revocations a patient
    // signed and the gateway accepted, denied from then on even before (or if never) mined, until the
    // chain records the revocation or the patient acts on the grant again. The index on `contract`
    // lets the view's start-up rebuild read the Identity and Consent events without the records'.
    id: 'chain-index-4',
    sql: `
CREATE TABLE IF NOT EXISTS block_times (
  block_number BIGINT PRIMARY KEY,
  block_time BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS chain_events_contract ON chain_events (contract, block_number, log_index);
CREATE TABLE IF NOT EXISTS withdrawn_grants (
  grant_id BIGINT PRIMARY KEY,
  patient TEXT NOT NULL,
  accepted_at BIGINT NOT NULL
);
`,
  },
  {
    // Issue 14 item 5: a grant's or request's purpose is a bytes32 tag on chain (blinded per patient
    // and grantee), no longer a uint8; the break-glass coded reason left the chain (it is committed
    // to and sealed with the stated reason). Indexed rows of the old contracts mean nothing under
    // the new ones, so the columns are replaced rather than converted.
    id: 'chain-index-5',
    sql: `
ALTER TABLE grants DROP COLUMN purpose;
ALTER TABLE grants ADD COLUMN purpose TEXT NOT NULL DEFAULT '0x';
ALTER TABLE access_requests DROP COLUMN purpose;
ALTER TABLE access_requests ADD COLUMN purpose TEXT NOT NULL DEFAULT '0x';
ALTER TABLE emergencies DROP COLUMN reason;
`,
  },
] as const;
