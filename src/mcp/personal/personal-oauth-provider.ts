import type { OAuthClientInformationMixed } from '@modelcontextprotocol/client';
import type { Logger } from '../../logging/logger.js';
import { AuthorizationCodeProvider, type OAuthConfig } from '../auth/oauth-provider.js';
import type { OAuthCredentials } from '../auth/oauth-credentials.js';
import type { ConnectState, ConnectStates } from './connect-states.js';

/** What every person's provider of the pool shares. */
export interface PersonalOAuthHost {
  credentials: OAuthCredentials;
  states: ConnectStates;
  /** The bot's `/oauth/callback`. */
  redirectUrl: string;
}

/**
 * The SDK's OAuth client hooks for one person on one per-person server: their own tokens (never the
 * server's, never another person's), and, where the SDK wants their consent, a connect link whose
 * state is bound to them and to the server. The link is kept for whoever asked (`link`); nothing is
 * shown from here.
 */
export class PersonalOAuthProvider extends AuthorizationCodeProvider {
  /** The link made when the SDK last wanted this person's consent (no tokens, or they stopped working). */
  link: URL | undefined;

  constructor(
    server: string,
    config: OAuthConfig,
    person: string,
    private readonly host: PersonalOAuthHost,
    log: Logger,
    /** The link's record, when this provider trades the code the person came back with. */
    private readonly callback?: ConnectState,
    /** Told when the person has to connect again: their tokens were refused and could not be refreshed. */
    private readonly onConsentNeeded?: (link: URL) => void,
  ) {
    super(server, config, host.credentials, host.redirectUrl, log, person);
    this.verifier = callback?.verifier;
    this.discovery = callback?.discovery;
  }

  override async clientInformation(): Promise<OAuthClientInformationMixed | undefined> {
    return this.callback?.client ?? super.clientInformation();
  }

  async redirectToAuthorization(url: URL): Promise<void> {
    // Tokens that brought the SDK here did not work (or could not be refreshed): they must not count as connected.
    await this.requireConsent();
    const client = await this.clientInformation();
    await this.host.states.save(url.searchParams.get('state') ?? '', { server: this.server, person: this.person!, verifier: this.codeVerifier(), discovery: this.discovery, client });
    this.link = url;
    this.onConsentNeeded?.(url);
  }
}
