import type { OAuthClientProvider, OAuthDiscoveryState } from '@modelcontextprotocol/client';
import type { OAuthClientInformation, OAuthClientMetadata, OAuthTokens } from '@modelcontextprotocol/client';
import type { RemoteAuthConfig } from '../../config/index.js';

export type CrossAppAccessConfig = Extract<RemoteAuthConfig, { type: 'cross_app_access' }>;

const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

/**
 * Enterprise-managed authorization (SEP-990, "cross-app access"): the company's identity provider
 * trades the bot's ID token for an identity assertion grant (ID-JAG, RFC 8693 token exchange) aimed
 * at the MCP server's authorization server, which trades that for an access token (RFC 7523
 * jwt-bearer). No person is involved. The SDK's `auth()` does discovery and the second trade; this
 * provider makes the first, which the SDK has no helper for yet.
 */
export class CrossAppAccessProvider implements OAuthClientProvider {
  private stored: OAuthTokens | undefined;
  private discovery: OAuthDiscoveryState | undefined;

  constructor(private readonly config: CrossAppAccessConfig) {}

  get redirectUrl(): undefined {
    return undefined;
  }

  get clientMetadata(): OAuthClientMetadata {
    return { client_name: 'MCP chat bot', redirect_uris: [], grant_types: [JWT_BEARER], ...(this.config.scope ? { scope: this.config.scope } : {}) };
  }

  clientInformation(): OAuthClientInformation {
    return { client_id: this.config.clientId, client_secret: this.config.clientSecret };
  }

  tokens(): OAuthTokens | undefined {
    return this.stored;
  }

  saveTokens(tokens: OAuthTokens): void {
    this.stored = tokens;
  }

  redirectToAuthorization(): void {
    throw new Error('cross-app access needs no person: the identity provider vouches for the bot');
  }

  saveCodeVerifier(): void {}

  codeVerifier(): string {
    throw new Error('cross-app access uses no authorization code');
  }

  saveDiscoveryState(state: OAuthDiscoveryState): void {
    this.discovery = state;
  }

  discoveryState(): OAuthDiscoveryState | undefined {
    return this.discovery;
  }

  invalidateCredentials(): void {
    this.stored = undefined;
  }

  /** Called by the SDK once discovery is done, so the audience and resource of the grant are known. */
  async prepareTokenRequest(scope?: string): Promise<URLSearchParams> {
    const audience = this.discovery?.authorizationServerMetadata?.issuer ?? this.discovery?.authorizationServerUrl;
    const resource = this.discovery?.resourceMetadata?.resource;
    if (!audience || !resource) throw new Error('cross-app access needs the server’s protected-resource and authorization-server metadata');
    const assertion = await this.identityAssertion(String(audience), String(resource));
    return new URLSearchParams({ grant_type: JWT_BEARER, assertion, ...(scope ? { scope } : {}) });
  }

  private async identityAssertion(audience: string, resource: string): Promise<string> {
    const response = await fetch(this.config.idpTokenEndpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({
        grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
        requested_token_type: 'urn:ietf:params:oauth:token-type:id-jag',
        subject_token_type: 'urn:ietf:params:oauth:token-type:id_token',
        subject_token: this.config.idToken,
        client_id: this.config.idpClientId,
        audience,
        resource,
      }),
    });
    const body = (await response.json().catch(() => ({}))) as { access_token?: string; error?: string; error_description?: string };
    if (!response.ok || !body.access_token) {
      throw new Error(`the identity provider refused the token exchange (${response.status}${body.error ? `: ${body.error}` : ''}${body.error_description ? `, ${body.error_description}` : ''})`);
    }
    return body.access_token;
  }
}
