export { authProviderFor } from './auth-provider.js';
export { AuthorizationRequests } from './authorization-requests.js';
export { StoredOAuthProvider, type OAuthHost } from './oauth-provider.js';
export { OAUTH_CALLBACK_PATH, oauthCallbackRoute } from './callback-route.js';
export { ServerAuthorization } from './server-authorization.js';
export { OAuthCredentials } from './oauth-credentials.js';
