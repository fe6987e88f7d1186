import { ProtocolError, ProtocolErrorCode, type Client, type ClientCapabilities, type LoggingLevel, type ProtocolEra } from '@modelcontextprotocol/client';
import type { ServerConfig } from '../config/index.js';
import type { Logger } from '../logging/logger.js';
import type { ClientSetup } from './transports.js';
import type { CallContext } from './types.js';

/** MCP's syslog levels as the bot's log levels. */
const LOG_LEVELS: Record<LoggingLevel, 'debug' | 'info' | 'warn' | 'error'> = {
  debug: 'debug',
  info: 'info',
  notice: 'info',
  warning: 'warn',
  error: 'error',
  critical: 'error',
  alert: 'error',
  emergency: 'error',
};

/**
 * What one server asks of the bot while its tools run (forms for the person, the bot's model) and
 * what it reports (progress, log lines), routed to the conversation behind the call. Servers cannot
 * say which call a request belongs to, so it goes to the newest call running on this server.
 */
export class ServerRequests {
  /** Calls running now, newest last. */
  private readonly calls: CallContext[] = [];
  /** Progress listeners by the token sent with their call. */
  private readonly progress = new Map<string, NonNullable<CallContext['onProgress']>>();
  private progressTokens = 0;

  constructor(
    private readonly config: ServerConfig,
    private readonly log: Logger,
  ) {}

  /**
   * Runs one call with its conversation reachable, handing it the progress token to send. Progress goes
   * by a token of our own rather than the SDK's `onprogress`: the SDK hands notifications over a tick
   * after the response that follows them, and drops those it then finds without a listener. Ours lives
   * until the call's code has moved on, which comes later.
   */
  async during<T>(context: CallContext, call: (progressToken: string | undefined) => Promise<T>): Promise<T> {
    this.calls.push(context);
    const progressToken = context.onProgress ? `${this.config.name}-${(this.progressTokens += 1)}` : undefined;
    if (progressToken && context.onProgress) this.progress.set(progressToken, context.onProgress);
    try {
      return await call(progressToken);
    } finally {
      this.calls.splice(this.calls.indexOf(context), 1);
      if (progressToken) this.progress.delete(progressToken);
    }
  }

  /**
   * What the bot offers the server: forms and links to follow go to the person behind the call (asked
   * for mid-call on 2025 revisions, or in a multi round-trip `input_required` answer on 2026-07-28,
   * which the SDK serves through these same handlers and then retries the call); sampling is served only
   * for a server allowed it, and refused to others with a reason an operator can act on (servers that
   * ask anyway get more than "method not found").
   */
  clientSetup(): ClientSetup {
    const capabilities: ClientCapabilities = { elicitation: { form: { applyDefaults: true }, url: {} }, sampling: {} };
    return {
      capabilities,
      register: (client) => {
        client.setRequestHandler('elicitation/create', async (request) => {
          const elicit = this.calls.at(-1)?.elicit;
          this.log.info({ mode: request.params.mode ?? 'form', answered: elicit !== undefined }, 'server asks the person something');
          return elicit ? elicit(request.params) : { action: 'cancel' };
        });
        client.setRequestHandler('sampling/createMessage', async (request) => {
          if (!this.config.allowSampling) {
            this.log.warn('server asked to use the model (sampling) without "allowSampling"; refused');
            throw new ProtocolError(ProtocolErrorCode.InvalidRequest, `this bot does not let server "${this.config.name}" use its model; an operator can set "allowSampling": true for it in servers_config.json`);
          }
          const sample = this.calls.at(-1)?.sample;
          if (!sample) throw new ProtocolError(ProtocolErrorCode.InvalidRequest, 'sampling is only served during a tool call of a conversation');
          return sample(request.params);
        });
      },
    };
  }

  /**
   * A connected client's reports: progress to its call, log lines to the bot's log with the server
   * named. On 2025 revisions the server is asked for log lines from `info` up (`logging/setLevel`);
   * 2026-07-28 has no such request: each call asks for them instead (see ServerConnection).
   */
  listen(client: Client, era: ProtocolEra): void {
    client.setNotificationHandler('notifications/progress', ({ params: { progressToken, ...progress } }) => this.progress.get(String(progressToken))?.(progress));
    client.setNotificationHandler('notifications/message', ({ params }) => {
      this.log[LOG_LEVELS[params.level]]({ serverLogger: params.logger, data: params.data }, 'server log');
    });
    if (era === 'legacy' && client.getServerCapabilities()?.logging) {
      void client.setLoggingLevel('info').catch((error: unknown) => this.log.debug({ reason: (error as Error).message }, 'server refused logging/setLevel'));
    }
  }
}
