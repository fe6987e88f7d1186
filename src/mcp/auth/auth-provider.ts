import { ClientCredentialsProvider, PrivateKeyJwtProvider, type OAuthClientProvider } from '@modelcontextprotocol/client';
import type { RemoteServerConfig } from '../../config/index.js';
import type { Logger } from '../../logging/logger.js';
import { CrossAppAccessProvider } from './cross-app-access.js';
import { StoredOAuthProvider, type OAuthHost } from './oauth-provider.js';

const CLIENT_NAME = 'MCP chat bot';

/** The SDK auth provider a remote server's `auth` block asks for; undefined without one. */
export function authProviderFor(config: RemoteServerConfig, host: OAuthHost, log: Logger): OAuthClientProvider | undefined {
  const auth = config.auth;
  if (!auth) return undefined;
  if (auth.type === 'oauth') return new StoredOAuthProvider(config.name, auth, host, log);
  if (auth.type === 'cross_app_access') return new CrossAppAccessProvider(auth);
  // Machine-to-machine tokens are fetched again after a restart: nothing a person did is lost.
  if (auth.privateKeyJwt) {
    return new PrivateKeyJwtProvider({ clientId: auth.clientId, privateKey: auth.privateKeyJwt.privateKey, algorithm: auth.privateKeyJwt.algorithm, clientName: CLIENT_NAME, scope: auth.scope });
  }
  return new ClientCredentialsProvider({ clientId: auth.clientId, clientSecret: auth.clientSecret ?? '', clientName: CLIENT_NAME, scope: auth.scope });
}
