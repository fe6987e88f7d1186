import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from '../logging/logger.js';

/** A route in the shape Bolt's HTTP receiver accepts, so Slack HTTP mode can serve these on its port. */
export interface HttpRoute {
  path: string;
  method: 'GET';
  /** May return a promise; it must not reject (a route answers its own failures). */
  handler: (request: IncomingMessage, response: ServerResponse) => void | Promise<void>;
}

/** The routes on a server of their own, for when no Slack HTTP receiver owns the port. */
export async function serveRoutes(routes: HttpRoute[], port: number, logger: Logger): Promise<Server> {
  const server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    const route = routes.find((candidate) => candidate.path === path && candidate.method === request.method);
    if (route) void route.handler(request, response);
    else response.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, () => {
      server.off('error', reject);
      resolve();
    });
  });
  logger.info({ port: (server.address() as { port: number }).port }, 'HTTP endpoints listening');
  return server;
}
