import { createHash } from 'node:crypto';
import type { OAuthClientInformationMixed, OAuthDiscoveryState } from '@modelcontextprotocol/client';
import type Keyv from 'keyv';
import { isSealed, SecretUnreadableError, type SecretBox } from '../../store/secret-box.js';

/** What a connect link's OAuth `state` stands for, until the person comes back with it. */
export interface ConnectState {
  server: string;
  /** Whose account the code will connect (see Asker.personId). */
  person: string;
  /** The PKCE verifier of this authorization (RFC 7636): with the code it buys the tokens, so it is kept sealed. */
  verifier: string;
  /** Discovery as it was when the link was made; the SDK checks the code comes from the same authorization server. */
  discovery: OAuthDiscoveryState | undefined;
  /**
   * The client the link was made for: the code is bound to it, so the trade uses it even if another
   * registration replaced the stored one meanwhile (two people's first links at once). Carries a dynamic client's secret.
   */
  client: OAuthClientInformationMixed | undefined;
  /** ms since the epoch. */
  expiresAt: number;
}

/** How long a connect link works: long enough to sign in, short enough that a leaked link is soon worth nothing. */
export const CONNECT_LINK_TTL_MS = 10 * 60_000;

/**
 * The connect links out, by their `state`, in the store so that the process receiving the callback
 * need not be the one that made the link. A state is random (192 bits), bound to one person and one
 * server, works once and expires after CONNECT_LINK_TTL_MS. Only a hash of it is the key, and the
 * record is sealed, so someone reading the store can neither finish a link nor learn its verifier.
 */
export class ConnectStates {
  /** States being taken in this process; with Redis the delete itself decides between processes. */
  private readonly taking = new Set<string>();

  constructor(
    private readonly kv: Keyv,
    private readonly box: SecretBox | undefined,
  ) {}

  async save(state: string, record: Omit<ConnectState, 'expiresAt'>, now = Date.now()): Promise<void> {
    const key = keyOf(state);
    const value: ConnectState = { ...record, expiresAt: now + CONNECT_LINK_TTL_MS };
    await this.kv.set(key, this.box ? this.box.seal(value, key) : value, CONNECT_LINK_TTL_MS);
  }

  /**
   * The record of `state`, removed so that nobody can use it again; undefined for a state never made,
   * already used, expired, or unreadable. Of two callers racing for one state, one gets it.
   */
  async take(state: string, now = Date.now()): Promise<ConnectState | undefined> {
    if (state === '' || this.taking.has(state)) return undefined;
    this.taking.add(state);
    try {
      const key = keyOf(state);
      const stored: unknown = await this.kv.get(key);
      if (stored === undefined || !(await this.kv.delete(key))) return undefined;
      const record = this.opened(stored, key);
      return record && record.expiresAt > now ? record : undefined;
    } finally {
      this.taking.delete(state);
    }
  }

  private opened(stored: unknown, key: string): ConnectState | undefined {
    if (!isSealed(stored)) return this.box ? undefined : (stored as ConnectState);
    if (!this.box) return undefined;
    try {
      return this.box.open(stored, key).value as ConnectState;
    } catch (error) {
      if (error instanceof SecretUnreadableError) return undefined;
      throw error;
    }
  }
}

function keyOf(state: string): string {
  return `oauth-connect:${createHash('sha256').update(state).digest('base64url')}`;
}
