import { isDeepStrictEqual } from 'node:util';
import type Keyv from 'keyv';
import type { Logger } from '../../logging/logger.js';
import { isSealed, SecretUnreadableError, type SecretBox } from '../../store/secret-box.js';

/** What the bot keeps per server: its tokens, and its dynamic client registration (which carries `client_secret`). */
export type CredentialField = 'tokens' | 'client';

const FIELDS: CredentialField[] = ['tokens', 'client'];

const DESCRIBED: Record<CredentialField, { what: string; then: string }> = {
  tokens: { what: 'OAuth tokens', then: 'the server asks for authorization again' },
  client: { what: 'OAuth client registration', then: 'the bot registers with the server again' },
};

/**
 * Every server's OAuth credentials in the store, under `oauth:<server>:<field>`, and a person's own
 * tokens for a per-person server under `oauth:<server>:person:<person>:tokens`. With a SecretBox
 * (TOKEN_ENCRYPTION_KEY) each value is sealed, bound to its key; values found in clear (stored before
 * the key was set) or sealed with the previous key are sealed again with the current key as they are
 * read. A value that cannot be opened (another key, or changed) is reported once, by server, and
 * counts as absent; it is never logged. Without a SecretBox values are stored as they are.
 */
export class OAuthCredentials {
  /** Keys already reported unreadable, so a value read again and again is reported once. */
  private readonly reported = new Set<string>();

  constructor(
    private readonly kv: Keyv,
    private readonly box: SecretBox | undefined,
    private readonly log: Logger,
  ) {}

  /** The stored value, opened; undefined when there is none or it cannot be opened. */
  async read<T>(server: string, field: CredentialField, person?: string): Promise<T | undefined> {
    const key = keyOf(server, field, person);
    const stored: unknown = await this.kv.get(key);
    if (stored === undefined) return undefined;
    if (!isSealed(stored)) {
      if (this.box) await this.reseal(key, server, field, stored, stored, 'stored OAuth credentials encrypted with TOKEN_ENCRYPTION_KEY');
      return stored as T;
    }
    if (!this.box) {
      this.unreadable(key, server, field, 'they are encrypted and TOKEN_ENCRYPTION_KEY is not set');
      return undefined;
    }
    try {
      const { value, stale } = this.box.open(stored, key);
      if (stale) await this.reseal(key, server, field, value, stored, 'stored OAuth credentials re-encrypted with the new TOKEN_ENCRYPTION_KEY');
      return value as T;
    } catch (error) {
      if (!(error instanceof SecretUnreadableError)) throw error;
      this.unreadable(key, server, field, error.message);
      return undefined;
    }
  }

  async write(server: string, field: CredentialField, value: unknown, person?: string): Promise<void> {
    const key = keyOf(server, field, person);
    this.reported.delete(key);
    await this.kv.set(key, this.box ? this.box.seal(value, key) : value);
  }

  async remove(server: string, field: CredentialField, person?: string): Promise<void> {
    const key = keyOf(server, field, person);
    this.reported.delete(key);
    await this.kv.delete(key);
  }

  /**
   * The start-up pass: reads every credential of `servers`, which seals those found in clear and
   * those sealed with the previous key, so none waits in clear for its server's first refresh.
   */
  async sealStored(servers: string[]): Promise<void> {
    for (const server of servers) for (const field of FIELDS) await this.read(server, field);
  }

  /**
   * Seals `value` again in place of `before`, what was read. Skipped when the stored value changed
   * meanwhile (another process saved newer tokens), which this would otherwise overwrite with older
   * ones; the check and the write are two steps, so this narrows that window rather than closing it.
   * A failed write leaves the old value readable, so the read it came from still succeeds.
   */
  private async reseal(key: string, server: string, field: CredentialField, value: unknown, before: unknown, message: string): Promise<void> {
    try {
      if (!isDeepStrictEqual(await this.kv.get(key), before)) return;
      await this.kv.set(key, this.box!.seal(value, key));
      this.log.info({ server, credential: field }, message);
    } catch (error) {
      this.log.warn({ server, credential: field, err: error }, 'stored OAuth credentials could not be encrypted now; the next read tries again');
    }
  }

  private unreadable(key: string, server: string, field: CredentialField, reason: string): void {
    if (this.reported.has(key)) return;
    this.reported.add(key);
    const { what, then } = DESCRIBED[field];
    this.log.error(
      { server, credential: field },
      `stored ${what} of server "${server}" cannot be decrypted (${reason}); they count as absent and ${then}. Check TOKEN_ENCRYPTION_KEY and TOKEN_ENCRYPTION_KEY_PREVIOUS`,
    );
  }
}

/** A person's own credentials sit beside the server's; the person's id is the platform's, e.g. `slack:T1:U2`. */
function keyOf(server: string, field: CredentialField, person: string | undefined): string {
  return person === undefined ? `oauth:${server}:${field}` : `oauth:${server}:person:${person}:${field}`;
}
