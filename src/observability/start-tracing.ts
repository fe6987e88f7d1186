import { diag, DiagLogLevel } from '@opentelemetry/api';
import type { TracingSettings } from '../config/index.js';
import type { Logger } from '../logging/logger.js';

export interface Tracing {
  /** Sends the spans still buffered and stops exporting; for shutdown. */
  shutdown(): Promise<void>;
}

const OFF: Tracing = { shutdown: async () => undefined };

/**
 * With `settings` (OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT set), registers
 * OpenTelemetry's Node SDK globally: spans batched and POSTed over OTLP/HTTP as JSON, under
 * `service.name`, with W3C Trace Context as the propagator and AsyncLocalStorage keeping a span
 * active across awaits. Without, it does nothing, and the SDK's packages are never imported: they
 * would add to a start-up that is measured (`npm start` to the first answer).
 */
export async function startTracing(settings: TracingSettings | undefined, logger: Logger): Promise<Tracing> {
  if (!settings) return OFF;
  const [{ NodeTracerProvider, BatchSpanProcessor }, { OTLPTraceExporter }, { resourceFromAttributes }] = await Promise.all([
    import('@opentelemetry/sdk-trace-node'),
    import('@opentelemetry/exporter-trace-otlp-http'),
    import('@opentelemetry/resources'),
  ]);
  // The SDK reports failed exports through `diag`, silent by default: an unreachable collector is logged.
  const log = logger.child({ component: 'opentelemetry' });
  const warn = (message: string, ...details: unknown[]) => log.warn({ details: details.map((detail) => (detail instanceof Error ? detail.message : detail)) }, message);
  const ignore = () => undefined;
  diag.setLogger({ error: warn, warn, info: ignore, debug: ignore, verbose: ignore }, { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true });
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': settings.serviceName }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: settings.tracesUrl }))],
  });
  provider.register();
  logger.info({ endpoint: settings.tracesUrl, service: settings.serviceName }, 'exporting traces over OTLP');
  return {
    shutdown: () => provider.shutdown().catch((error: unknown) => log.warn({ err: error }, 'spans could not be flushed')),
  };
}
