import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from '../logging/logger.js';
import { healthReport, type HealthSources } from './health.js';
import type { BotMetrics } from './metrics.js';

/** A route in the shape Bolt's HTTP receiver accepts, so Slack HTTP mode can serve these on its port. */
export interface HttpRoute {
  path: string;
  method: 'GET';
  handler: (request: IncomingMessage, response: ServerResponse) => void;
}

export function observabilityRoutes(sources: HealthSources, metrics: BotMetrics, logger: Logger): HttpRoute[] {
  const fail = (response: ServerResponse, error: unknown) => {
    logger.error({ err: error }, 'observability endpoint failed');
    if (!response.headersSent) response.writeHead(500).end();
  };
  return [
    {
      path: '/healthz',
      method: 'GET',
      handler: (_request, response) => {
        healthReport(sources).then(({ httpStatus, report }) => {
          response.writeHead(httpStatus, { 'content-type': 'application/json' }).end(JSON.stringify(report));
        }, (error: unknown) => fail(response, error));
      },
    },
    {
      path: '/metrics',
      method: 'GET',
      handler: (_request, response) => {
        metrics.registry.metrics().then((text) => {
          response.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text);
        }, (error: unknown) => fail(response, error));
      },
    },
  ];
}

/** The routes on a server of their own, for when no Slack HTTP receiver owns the port. */
export async function serveRoutes(routes: HttpRoute[], port: number, logger: Logger): Promise<Server> {
  const server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    const route = routes.find((candidate) => candidate.path === path && candidate.method === request.method);
    if (route) route.handler(request, response);
    else response.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, () => {
      server.off('error', reject);
      resolve();
    });
  });
  logger.info({ port: (server.address() as { port: number }).port }, 'health and metrics endpoints listening');
  return server;
}
