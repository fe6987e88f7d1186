import type { ServerResponse } from 'node:http';
import type { HttpRoute } from '../http/index.js';
import type { Logger } from '../logging/logger.js';
import { healthReport, type HealthSources } from './health.js';
import type { BotMetrics } from './metrics.js';

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
