import KeyvPostgres, { type KeyvPostgresOptions } from '@keyv/postgres';
import pg from 'pg';

type Query = Awaited<ReturnType<KeyvPostgres['connect']>>;

/**
 * @keyv/postgres with a pg pool of its own. The published adapter keeps one pool per process,
 * shared by every adapter and ended by whichever disconnects first (the others then fail), and it
 * leaves the pool's 'error' event unheard, which crashes the process when an idle connection drops
 * (a database restart). Here each adapter owns its pool and passes pool errors on as its own.
 */
export class PostgresAdapter extends KeyvPostgres {
  // The base constructor calls connect() before this class's field initialisers would run:
  // `declare` keeps the compiler from emitting an initialiser that would wipe what connect() set.
  declare private pool: pg.Pool;
  declare private ended: Promise<void> | undefined;

  constructor(options: KeyvPostgresOptions & { uri: string }) {
    super(options);
  }

  override async connect(): Promise<Query> {
    const { uri, connectionTimeoutMillis, query_timeout, max, ssl } = this.opts;
    const pool = new pg.Pool({ connectionString: uri, connectionTimeoutMillis, query_timeout, max, ssl });
    pool.on('error', (error) => this.emit('error', error));
    this.pool = pool;
    // Query values are whatever Keyv stores: the base type says `any`, so does this.
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    return async (sql: string, values?: any) => (await pool.query(sql, values)).rows;
  }

  /** Idempotent: pg throws when a pool is ended twice. */
  override async disconnect(): Promise<void> {
    this.ended ??= this.pool.end();
    await this.ended;
  }
}
