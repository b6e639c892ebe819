/** The one thing the index and the stores need of a database: a parameterized query (SQLite or PostgreSQL). */
export interface SqlExecutor {
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
}
