import type { ServerResponse } from 'node:http';
import type { HttpRoute } from '../../http/index.js';
import type { Logger } from '../../logging/logger.js';

export const OAUTH_CALLBACK_PATH = '/oauth/callback';

function page(response: ServerResponse, status: number, text: string): void {
  response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' }).end(`${text}\n`);
}

/**
 * Where an authorization server sends the person back after they approved (or refused) the bot: the
 * code goes to the server that asked, which then connects. A stale or unknown link says so.
 */
export function oauthCallbackRoute(pool: { completeAuthorization(state: string, code: string): string | undefined }, logger: Logger): HttpRoute {
  return {
    path: OAUTH_CALLBACK_PATH,
    method: 'GET',
    handler: (request, response) => {
      const params = new URL(request.url ?? '/', 'http://localhost').searchParams;
      const refused = params.get('error');
      if (refused) {
        logger.warn({ error: refused, description: params.get('error_description') }, 'authorization refused at the authorization server');
        return page(response, 400, `The authorization server refused: ${refused}. The bot logs a new link when it tries again.`);
      }
      const code = params.get('code');
      const server = code ? pool.completeAuthorization(params.get('state') ?? '', code) : undefined;
      if (!server) return page(response, 400, 'No authorization is waiting for this link. It may be an old one, or the bot restarted since: use the newest link it logged.');
      logger.info({ server }, 'authorization received');
      page(response, 200, `Done: the bot is authorized for "${server}" and connects to it now. You can close this tab.`);
    },
  };
}
