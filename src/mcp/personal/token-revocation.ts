import { discoverOAuthServerInfo, selectClientAuthMethod, type OAuthClientInformationMixed, type OAuthTokens } from '@modelcontextprotocol/client';

/** A revocation request gets this long; a slow authorization server must not hold up a /disconnect. */
const REVOCATION_TIMEOUT_MS = 10_000;

/** What asking for revocation came to: `not-offered` when the authorization server has no revocation endpoint. */
export type RevocationOutcome = { kind: 'revoked' } | { kind: 'not-offered' } | { kind: 'failed'; reason: string };

/** Credentials go only over TLS, or to this machine (as the SDK allows for its token requests). */
function secureEndpoint(url: URL): boolean {
  return url.protocol === 'https:' || ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname) || url.hostname.endsWith('.localhost');
}

/**
 * Asks the authorization server of the MCP server at `serverUrl` to revoke a person's tokens (RFC 7009
 * §2.1): the refresh token first (which, by §2.1, revokes its access tokens where the server links
 * them), then the access token. The client authenticates as at the token endpoint (RFC 6749 §2.3.1).
 * Never rejects: revocation is a courtesy on top of forgetting the tokens, which the caller does anyway.
 */
export async function revokeTokens(serverUrl: string, tokens: OAuthTokens, client: OAuthClientInformationMixed, options: { skipIssuerMetadataValidation?: boolean } = {}): Promise<RevocationOutcome> {
  try {
    const discovered = await discoverOAuthServerInfo(serverUrl, { skipIssuerMetadataValidation: options.skipIssuerMetadataValidation });
    // RFC 8414 §2 fields, which OpenID Connect discovery documents carry too but the SDK's type for those leaves out.
    const metadata = discovered.authorizationServerMetadata as { revocation_endpoint?: string; revocation_endpoint_auth_methods_supported?: string[] } | undefined;
    const endpoint = metadata?.revocation_endpoint;
    if (!endpoint) return { kind: 'not-offered' };
    const url = new URL(endpoint);
    if (!secureEndpoint(url)) return { kind: 'failed', reason: `the revocation endpoint ${url.origin} is not https` };
    const method = selectClientAuthMethod(client, metadata.revocation_endpoint_auth_methods_supported ?? []);
    const revoke = async (token: string, hint: 'refresh_token' | 'access_token') => {
      const headers = new Headers({ 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' });
      const body = new URLSearchParams({ token, token_type_hint: hint });
      if (method === 'client_secret_basic' && client.client_secret) headers.set('authorization', `Basic ${Buffer.from(`${encodeURIComponent(client.client_id)}:${encodeURIComponent(client.client_secret)}`).toString('base64')}`);
      else body.set('client_id', client.client_id);
      if (method === 'client_secret_post' && client.client_secret) body.set('client_secret', client.client_secret);
      const response = await fetch(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(REVOCATION_TIMEOUT_MS) });
      // RFC 7009 §2.2: 200 also for a token that was already invalid.
      if (!response.ok) throw new Error(`the revocation endpoint answered ${response.status}`);
    };
    if (tokens.refresh_token) await revoke(tokens.refresh_token, 'refresh_token');
    await revoke(tokens.access_token, 'access_token');
    return { kind: 'revoked' };
  } catch (error) {
    return { kind: 'failed', reason: (error as Error).message };
  }
}
