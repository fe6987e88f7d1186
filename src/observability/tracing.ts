import { context, propagation, SpanKind, SpanStatusCode, trace, type Attributes, type Span } from '@opentelemetry/api';

/**
 * The bot's spans go through the OpenTelemetry API only. Until start-tracing.ts registers an SDK (when
 * OTEL_EXPORTER_OTLP_ENDPOINT is set) the API hands out non-recording spans and keeps no context, so
 * an untraced bot pays a few small objects per span and nothing else.
 */
const tracer = trace.getTracer('mcp-chat-bot');

export { SpanKind };

/**
 * Attribute names from OpenTelemetry's semantic conventions (GenAI, MCP, database, error; the GenAI
 * and MCP ones are at "Development" stability), and the bot's own under `mcp_bot.`, for what the
 * conventions have no name for.
 */
export const ATTR = {
  errorType: 'error.type',
  operationName: 'gen_ai.operation.name',
  conversationId: 'gen_ai.conversation.id',
  requestModel: 'gen_ai.request.model',
  responseModel: 'gen_ai.response.model',
  finishReasons: 'gen_ai.response.finish_reasons',
  inputTokens: 'gen_ai.usage.input_tokens',
  outputTokens: 'gen_ai.usage.output_tokens',
  toolName: 'gen_ai.tool.name',
  mcpMethod: 'mcp.method.name',
  networkTransport: 'network.transport',
  serverAddress: 'server.address',
  serverPort: 'server.port',
  dbSystem: 'db.system.name',
  dbOperation: 'db.operation.name',
  dbCollection: 'db.collection.name',
  /** The server's name in servers_config.json: MCP's conventions name the method and tool, not the server. */
  mcpServer: 'mcp_bot.server.name',
  platform: 'mcp_bot.platform',
} as const;

const MAX_STATUS_CHARS = 500;

export interface SpanOptions {
  kind?: SpanKind;
  attributes?: Attributes;
  /** Starts a new trace instead of joining the active one (one trace per turn). */
  root?: boolean;
}

/**
 * Marks a span failed as OpenTelemetry's "Recording errors" asks: status ERROR with a description, and
 * `error.type` a low-cardinality class of the failure (an error's name, `tool_error`, a JSON-RPC code).
 * `span` defaults to the active one; nothing happens when there is none (tracing off).
 */
export function markFailed(errorType: string, message: string, span: Span | undefined = trace.getActiveSpan()): void {
  if (!span) return;
  span.setAttribute(ATTR.errorType, errorType);
  // A description is for someone scanning a trace; a tool's whole error output can be long.
  span.setStatus({ code: SpanStatusCode.ERROR, message: message.length > MAX_STATUS_CHARS ? `${message.slice(0, MAX_STATUS_CHARS)}…` : message });
}

/** markFailed for a thrown error: its name as `error.type`, its message as the status description. */
export function recordError(error: unknown, span: Span | undefined = trace.getActiveSpan()): void {
  markFailed(error instanceof Error ? error.name : typeof error, error instanceof Error ? error.message : String(error), span);
}

/**
 * Runs `work` in a new span, active for everything `work` awaits (so its spans are children), and
 * ends it when `work` settles. A thrown error marks the span failed (see markFailed) and is rethrown.
 */
export function inSpan<T>(name: string, options: SpanOptions, work: (span: Span) => Promise<T>): Promise<T> {
  return tracer.startActiveSpan(name, options, async (span) => {
    try {
      return await work(span);
    } catch (error) {
      recordError(error, span);
      throw error;
    } finally {
      span.end();
    }
  });
}

/** A child of the active span that the caller ends itself, for an interval no single call covers (a wait in a queue). */
export function startSpan(name: string, attributes?: Attributes): Span {
  return tracer.startSpan(name, { attributes });
}

/**
 * `fn` bound to the trace context active now. A queue runs a task from the previous task's promise
 * chain, whose context is the previous turn's; bound, the task's spans join the trace that queued it.
 */
export function inCurrentContext<R>(fn: () => R): () => R {
  return context.bind(context.active(), fn);
}

/**
 * The active trace context as W3C Trace Context entries (`traceparent`, and `tracestate` when there is
 * one), to put unprefixed in an MCP request's `params._meta` (MCP semantic conventions, "Context
 * propagation"; SEP-414). Empty when tracing is off.
 */
export function traceContextMeta(): Record<string, string> {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier;
}
