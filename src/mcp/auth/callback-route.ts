import type { ServerResponse } from 'node:http';
import type { HttpRoute } from '../../http/index.js';
import type { Logger } from '../../logging/logger.js';

export const OAUTH_CALLBACK_PATH = '/oauth/callback';

/** Who a code authorized: a server for everybody, or one person's own account (see McpPool.completeAuthorization). */
export interface CallbackTarget {
  completeAuthorization(state: string, code: string, iss?: string): Promise<{ server: string; person?: string } | undefined>;
}

function page(response: ServerResponse, status: number, text: string): void {
  response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' }).end(`${text}\n`);
}

/**
 * Where an authorization server sends the person back after they approved (or refused) the bot: the
 * code goes to the server that asked, or becomes the tokens of the person whose connect link it was.
 * A stale, used or forged link says so and changes nothing. The authorization server's own error
 * text is not echoed (RFC 9207 §2.4: it may be an attacker's).
 */
export function oauthCallbackRoute(pool: CallbackTarget, logger: Logger): HttpRoute {
  return {
    path: OAUTH_CALLBACK_PATH,
    method: 'GET',
    handler: async (request, response) => {
      const params = new URL(request.url ?? '/', 'http://localhost').searchParams;
      const refused = params.get('error');
      if (refused) {
        logger.warn({ error: refused.slice(0, 100) }, 'authorization refused at the authorization server');
        return page(response, 400, 'The authorization server did not authorize the bot. Ask the bot for a new link (in chat: /connect <server>) to try again.');
      }
      const code = params.get('code');
      let received: { server: string; person?: string } | undefined;
      try {
        received = code ? await pool.completeAuthorization(params.get('state') ?? '', code, params.get('iss') ?? undefined) : undefined;
      } catch (error) {
        logger.warn({ reason: (error as Error).message }, 'authorization code could not be traded for tokens');
        return page(response, 502, 'The bot could not finish connecting (the authorization server or the bot’s store did not answer as expected). Ask the bot for a new link (in chat: /connect <server>) to try again.');
      }
      if (!received) {
        logger.warn('authorization callback with an unknown, used or expired state refused');
        return page(response, 400, 'This link is not valid: it was already used, it expired, or it was not made by this bot. Ask the bot for a new one (in chat: /connect <server>).');
      }
      logger.info({ server: received.server, person: received.person }, 'authorization received');
      page(
        response,
        200,
        received.person === undefined
          ? `Done: the bot is authorized for "${received.server}" and connects to it now. You can close this tab.`
          : `Done: your account on "${received.server}" is connected. Your next question to the bot can use it. You can close this tab.`,
      );
    },
  };
}
