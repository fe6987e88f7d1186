import { randomBytes } from 'node:crypto';
import type { OAuthClientProvider, OAuthDiscoveryState } from '@modelcontextprotocol/client';
import type { OAuthClientInformationMixed, OAuthClientMetadata, OAuthTokens } from '@modelcontextprotocol/client';
import type { RemoteAuthConfig } from '../../config/index.js';
import type { Logger } from '../../logging/logger.js';
import type { AuthorizationRequests } from './authorization-requests.js';
import type { OAuthCredentials } from './oauth-credentials.js';

export type OAuthConfig = Extract<RemoteAuthConfig, { type: 'oauth' }>;

/** What the whole pool shares for OAuth: where credentials live and how a person is shown a link. */
export interface OAuthHost {
  /** Tokens and client registrations, kept across restarts when the store is persistent (encrypted with TOKEN_ENCRYPTION_KEY). */
  credentials: OAuthCredentials;
  /** Where the authorization server sends the person back: the bot's `/oauth/callback`. */
  redirectUrl: string;
  requests: AuthorizationRequests;
  /** Shows a person the link that authorizes `server` (logs it, sends it to an admin, or follows it itself). */
  showAuthorizationLink(server: string, url: URL): void;
}

interface StoredTokens extends OAuthTokens {
  /** When the access token runs out (ms since the epoch), to refresh it before. */
  expires_at?: number;
}

const CLIENT_NAME = 'MCP chat bot';
/** Authorizations in a row that did not get the server to accept the bot; after these it stops asking. */
const MAX_AUTHORIZATIONS = 3;

/**
 * What every authorization-code provider of the bot shares: the client's metadata, its registration
 * (one per server, in the store), tokens in the store (a person's own where `person` is set; encrypted
 * by OAuthCredentials), and the PKCE verifier and discovery of the authorization under way. How a
 * person is shown the link is the subclass's.
 */
export abstract class AuthorizationCodeProvider implements OAuthClientProvider {
  protected verifier: string | undefined;
  protected discovery: OAuthDiscoveryState | undefined;
  /** The tokens this provider last read or saved: what its requests carried. */
  private lastTokens: StoredTokens | undefined;

  constructor(
    protected readonly server: string,
    protected readonly config: OAuthConfig,
    protected readonly credentials: OAuthCredentials,
    private readonly redirectTo: string,
    protected readonly log: Logger,
    /** Whose tokens these are, for a per-person server; the server's own when absent. */
    protected readonly person?: string,
  ) {}

  get redirectUrl(): string {
    return this.redirectTo;
  }

  get clientMetadataUrl(): string | undefined {
    return this.config.clientMetadataUrl;
  }

  get clientMetadata(): OAuthClientMetadata {
    // No scope unless configured: the SDK then takes it from the challenge or the server's metadata, or asks for none.
    return { client_name: CLIENT_NAME, redirect_uris: [this.redirectTo], ...(this.config.scope ? { scope: this.config.scope } : {}) };
  }

  state(): string {
    return randomBytes(24).toString('base64url');
  }

  async clientInformation(): Promise<OAuthClientInformationMixed | undefined> {
    if (this.config.clientId) return { client_id: this.config.clientId, ...(this.config.clientSecret ? { client_secret: this.config.clientSecret } : {}) };
    return this.credentials.read<OAuthClientInformationMixed>(this.server, 'client');
  }

  async saveClientInformation(information: OAuthClientInformationMixed): Promise<void> {
    if (!this.config.clientId) await this.credentials.write(this.server, 'client', information);
  }

  /**
   * Read from the store on every request (the SDK asks for each one), not kept: another process
   * sharing the store may have refreshed them, and with refresh-token rotation the old ones stop working.
   */
  async tokens(): Promise<OAuthTokens | undefined> {
    this.lastTokens = await this.credentials.read<StoredTokens>(this.server, 'tokens', this.person);
    return this.lastTokens;
  }

  async saveTokens(tokens: OAuthTokens): Promise<void> {
    const stored: StoredTokens = { ...tokens, ...(tokens.expires_in ? { expires_at: Date.now() + tokens.expires_in * 1000 } : {}) };
    this.lastTokens = stored;
    await this.credentials.write(this.server, 'tokens', stored, this.person);
    this.log.info({ expiresInS: tokens.expires_in, refreshable: tokens.refresh_token !== undefined }, 'OAuth tokens saved');
  }

  /** When the stored access token expires (ms since the epoch), if the server said. */
  async expiresAt(): Promise<number | undefined> {
    return ((await this.tokens()) as StoredTokens | undefined)?.expires_at;
  }

  abstract redirectToAuthorization(url: URL): void | Promise<void>;

  /**
   * Deletes the stored tokens, unless they are no longer the ones this provider used: then another
   * process refreshed them meanwhile (the refresh this one tried lost the race), and they stay.
   * @returns false when they were kept for that reason
   */
  protected async forgetTokens(): Promise<boolean> {
    const stored = await this.credentials.read<StoredTokens>(this.server, 'tokens', this.person);
    if (stored !== undefined && stored.access_token !== this.lastTokens?.access_token) {
      this.log.info('OAuth tokens were refreshed elsewhere meanwhile; kept');
      return false;
    }
    this.lastTokens = undefined;
    if (stored !== undefined) await this.credentials.remove(this.server, 'tokens', this.person);
    return true;
  }

  /**
   * For redirectToAuthorization: the SDK wants a person's consent because the tokens it had failed.
   * @throws Error when newer tokens are stored (another process refreshed them): the request is to be tried again, not consented to
   */
  protected async requireConsent(): Promise<void> {
    if (!(await this.forgetTokens())) throw new Error('the OAuth tokens were refreshed by another process meanwhile; try again');
  }

  saveCodeVerifier(verifier: string): void {
    this.verifier = verifier;
  }

  codeVerifier(): string {
    if (!this.verifier) throw new Error('no PKCE code verifier: the authorization was started by an earlier process; follow the new link');
    return this.verifier;
  }

  saveDiscoveryState(state: OAuthDiscoveryState): void {
    this.discovery = state;
  }

  discoveryState(): OAuthDiscoveryState | undefined {
    return this.discovery;
  }

  async invalidateCredentials(scope: 'all' | 'client' | 'tokens' | 'verifier' | 'discovery'): Promise<void> {
    this.log.info({ scope }, 'OAuth credentials invalidated');
    if (scope === 'all' || scope === 'tokens') await this.forgetTokens();
    if (scope === 'all' || scope === 'client') await this.credentials.remove(this.server, 'client');
    if (scope === 'all' || scope === 'verifier') this.verifier = undefined;
    if (scope === 'all' || scope === 'discovery') this.discovery = undefined;
  }
}

/**
 * The SDK's OAuth client hooks for a server authorized once for everybody: the link goes to the host
 * (logged, or sent to an admin) and the code comes back through AuthorizationRequests. The SDK's
 * `auth()` does discovery, registration, PKCE, refresh and step-up.
 */
export class StoredOAuthProvider extends AuthorizationCodeProvider {
  private pending: Promise<string> | undefined;
  private authorizations = 0;

  constructor(
    server: string,
    config: OAuthConfig,
    private readonly host: OAuthHost,
    log: Logger,
  ) {
    super(server, config, host.credentials, host.redirectUrl, log);
  }

  /** The server accepted the bot: the next authorization starts a fresh count. */
  authorizationWorked(): void {
    this.authorizations = 0;
  }

  async redirectToAuthorization(url: URL): Promise<void> {
    await this.requireConsent();
    // A server that keeps refusing fresh tokens would otherwise send people link after link.
    this.authorizations += 1;
    if (this.authorizations > MAX_AUTHORIZATIONS) throw new Error(`the server still refuses the bot after ${MAX_AUTHORIZATIONS} authorizations`);
    const state = url.searchParams.get('state') ?? '';
    this.host.requests.abandon(this.server, new Error('a newer authorization link replaced this one'));
    this.pending = this.host.requests.expect(state, this.server);
    // Nobody may be waiting yet; an abandoned wait must not surface as an unhandled rejection.
    this.pending.catch(() => undefined);
    this.host.showAuthorizationLink(this.server, url);
  }

  /** The code from the latest link, once a person has followed it; undefined when no link is out. */
  authorizationCode(): Promise<string> | undefined {
    return this.pending;
  }
}
