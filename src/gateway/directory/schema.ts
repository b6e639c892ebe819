/**
 * The provider directory's table: the latest signed professional profile of each provider (public
 * professional data, not PHI), kept beside the chain index. `search_text` is the lower-cased
 * name, specialty and organization, so a patient's search is one LIKE on one column (SQLite and
 * PostgreSQL alike).
 */
export const directoryMigrations = [
  {
    id: 'directory-1',
    sql: `
CREATE TABLE IF NOT EXISTS provider_profiles (
  address TEXT PRIMARY KEY,
  display_name TEXT NOT NULL,
  kind TEXT NOT NULL,
  specialty TEXT NOT NULL,
  organization TEXT NOT NULL,
  licence_number TEXT NOT NULL,
  issued_at BIGINT NOT NULL,
  signature TEXT NOT NULL,
  profile_hash TEXT NOT NULL,
  search_text TEXT NOT NULL
);
`,
  },
] as const;
