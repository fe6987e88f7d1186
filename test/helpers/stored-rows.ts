import KeyvSqlite from '@keyv/sqlite';

/** Every row of a bot's SQLite store as `key=value` lines, read after the bot has let go of it: what a copy of the file would reveal. */
export async function storedRows(file: string): Promise<string> {
  const sqlite = new KeyvSqlite({ uri: `sqlite://${file}` });
  try {
    const rows = (await sqlite.query('SELECT key, value FROM keyv')) as { key: string; value: string }[];
    return rows.map((row) => `${row.key}=${row.value}`).join('\n');
  } finally {
    await sqlite.disconnect();
  }
}
