import { z } from 'zod';

/**
 * What the conformance suite hands a client in MCP_CONFORMANCE_CONTEXT, turned into the `auth` block an
 * operator would write for such a server in servers_config.json.
 */
const contextSchema = z.looseObject({
  client_id: z.string().optional(),
  client_secret: z.string().optional(),
  private_key_pem: z.string().optional(),
  signing_algorithm: z.string().optional(),
  idp_client_id: z.string().optional(),
  idp_id_token: z.string().optional(),
  idp_token_endpoint: z.string().optional(),
});

/** Where the suite's authorization servers expect a client metadata document to live. */
const SUITE_CLIENT_METADATA_URL = 'https://conformance-test.local/client-metadata.json';

export function authForScenario(scenario: string | undefined, rawContext: string | undefined): Record<string, unknown> {
  const context = contextSchema.parse(rawContext ? JSON.parse(rawContext) : {});
  if (scenario?.startsWith('auth/client-credentials') && context.client_id) {
    return context.private_key_pem
      ? { type: 'client_credentials', clientId: context.client_id, privateKeyJwt: { privateKey: context.private_key_pem, algorithm: context.signing_algorithm ?? 'ES256' } }
      : { type: 'client_credentials', clientId: context.client_id, clientSecret: context.client_secret };
  }
  if (context.idp_token_endpoint && context.client_id) {
    return {
      type: 'cross_app_access',
      clientId: context.client_id,
      clientSecret: context.client_secret,
      idpTokenEndpoint: context.idp_token_endpoint,
      idpClientId: context.idp_client_id,
      idToken: context.idp_id_token,
    };
  }
  // The 2025-03-26 scenarios serve authorization-server metadata at the server's root, naming an issuer below it.
  const legacy = scenario?.startsWith('auth/2025-03-26') ? { allowIssuerMismatch: true } : {};
  if (context.client_id) return { type: 'oauth', clientId: context.client_id, ...(context.client_secret ? { clientSecret: context.client_secret } : {}), ...legacy };
  return { type: 'oauth', clientMetadataUrl: SUITE_CLIENT_METADATA_URL, ...legacy };
}
