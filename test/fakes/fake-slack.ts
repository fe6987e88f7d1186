import { createHmac, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import { listenOnLoopback, readBody } from '../helpers/loopback-server.js';
import { Recorder } from '../helpers/recorder.js';

export interface SlackCall {
  /** A Web API method such as chat.postMessage, or `upload` / `respond` for the fake's own URLs. */
  method: string;
  // Form-encoded or JSON arguments, as the bot sent them.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  args: any;
  at: number;
}

export const TEAM_ID = 'T0000TEAM';
export const BOT_USER_ID = 'U0000BOT';
export const BOT_ID = 'B0000BOT';
export const USER_ID = 'U0000ADA';
export const OTHER_USER_ID = 'U0000GRACE';
export const CHANNEL_ID = 'C0000GENERAL';
export const DM_CHANNEL_ID = 'D0000ADA';
export const SIGNING_SECRET = 'test-signing-secret';

const USERS: Record<string, { name: string; real_name: string; display_name: string }> = {
  [USER_ID]: { name: 'ada', real_name: 'Ada Lovelace', display_name: 'Ada' },
  [OTHER_USER_ID]: { name: 'grace', real_name: 'Grace Hopper', display_name: 'Grace' },
};


function parseArgs(raw: string, contentType: string): Record<string, unknown> {
  if (contentType.includes('application/json')) return raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
  const args: Record<string, unknown> = {};
  for (const [key, value] of new URLSearchParams(raw)) {
    // The Web client form-encodes arrays and objects (blocks, attachments) as JSON.
    args[key] = /^[[{]/.test(value) ? JSON.parse(value) : value;
  }
  return args;
}

let tsCounter = 0;
export function nextTs(): string {
  tsCounter += 1;
  return `${Math.floor(Date.now() / 1000)}.${String(tsCounter).padStart(6, '0')}`;
}

/**
 * A local Slack for the real Bolt app: the Web API (recorded, answered, failable), signed Events API
 * requests in HTTP mode, a Socket Mode WebSocket, and response_url endpoints.
 */
export class FakeSlack {
  readonly calls = new Recorder<SlackCall>();
  readonly acks = new Recorder<{ envelope_id: string; payload?: unknown }>();
  private readonly failures: { method: string; error: string; times: number }[] = [];
  private readonly sockets = new Set<WebSocket>();
  private closeServer: (() => Promise<void>) | undefined;
  port = 0;

  static async start(): Promise<FakeSlack> {
    const fake = new FakeSlack();
    await fake.listen();
    return fake;
  }

  /** For SLACK_API_URL: the Web API base, with its trailing slash. */
  get apiUrl(): string {
    return `http://127.0.0.1:${this.port}/api/`;
  }

  /** The next `times` calls of `method` answer `{ ok: false, error }`. */
  failNext(method: string, error: string, times = 1): void {
    this.failures.push({ method, error, times });
  }

  waitForCall(method: string, predicate: (call: SlackCall) => boolean = () => true, timeoutMs = 10_000): Promise<SlackCall> {
    return this.calls.waitFor((call) => call.method === method && predicate(call), { timeoutMs, what: method });
  }

  callsOf(method: string): SlackCall[] {
    return this.calls.filter((call) => call.method === method);
  }

  get socketConnected(): boolean {
    return this.sockets.size > 0;
  }

  /** Wraps an event as Slack's Events API does. */
  eventCallback(event: Record<string, unknown>, eventId = `Ev${randomUUID().slice(0, 8)}`): Record<string, unknown> {
    return {
      token: 'verification-token',
      team_id: TEAM_ID,
      api_app_id: 'A0000APP',
      event: { event_ts: event.ts, ...event },
      type: 'event_callback',
      event_id: eventId,
      event_time: Math.floor(Date.now() / 1000),
      authorizations: [{ enterprise_id: null, team_id: TEAM_ID, user_id: BOT_USER_ID, is_bot: true, is_enterprise_install: false }],
      is_ext_shared_channel: false,
    };
  }

  /** POSTs a signed request to the bot's /slack/events, as Slack does in HTTP mode. */
  async postToBot(botPort: number, body: string, options: { contentType?: string; retryNum?: number; badSignature?: boolean } = {}): Promise<{ status: number; body: string }> {
    const timestamp = String(Math.floor(Date.now() / 1000));
    const secret = options.badSignature ? 'wrong-secret' : SIGNING_SECRET;
    const signature = `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
    const response = await fetch(`http://127.0.0.1:${botPort}/slack/events`, {
      method: 'POST',
      headers: {
        'content-type': options.contentType ?? 'application/json',
        'x-slack-request-timestamp': timestamp,
        'x-slack-signature': signature,
        ...(options.retryNum !== undefined ? { 'x-slack-retry-num': String(options.retryNum), 'x-slack-retry-reason': 'http_timeout' } : {}),
      },
      body,
    });
    return { status: response.status, body: await response.text() };
  }

  /** Sends a Socket Mode envelope; resolves with its envelope id (the bot must ack it). */
  sendEnvelope(type: 'events_api' | 'slash_commands' | 'interactive', payload: Record<string, unknown>, retryAttempt = 0): string {
    const envelopeId = randomUUID();
    const message = JSON.stringify({ envelope_id: envelopeId, type, payload, accepts_response_payload: type !== 'events_api', retry_attempt: retryAttempt, retry_reason: retryAttempt ? 'timeout' : '' });
    for (const socket of this.sockets) socket.send(message);
    return envelopeId;
  }

  /** A slash command's fields, with a response_url on this fake. */
  slashCommand(command: string, text: string, channelId: string): Record<string, string> {
    return {
      token: 'verification-token',
      team_id: TEAM_ID,
      team_domain: 'test',
      channel_id: channelId,
      channel_name: channelId.startsWith('D') ? 'directmessage' : 'general',
      user_id: USER_ID,
      user_name: 'ada',
      command,
      text,
      api_app_id: 'A0000APP',
      response_url: `http://127.0.0.1:${this.port}/respond/${randomUUID()}`,
      trigger_id: `trigger.${randomUUID()}`,
    };
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.terminate();
    await this.closeServer?.();
  }

  private answer(method: string, args: Record<string, unknown>): Record<string, unknown> {
    switch (method) {
      case 'auth.test':
        return { ok: true, url: 'https://test.slack.com/', team: 'Test', user: 'mcpbot', team_id: TEAM_ID, user_id: BOT_USER_ID, bot_id: BOT_ID, is_enterprise_install: false };
      case 'apps.connections.open':
        return { ok: true, url: `ws://127.0.0.1:${this.port}/socket` };
      case 'chat.postMessage':
        return { ok: true, channel: args.channel, ts: nextTs(), message: { text: args.text, user: BOT_USER_ID, bot_id: BOT_ID } };
      case 'chat.update':
        return { ok: true, channel: args.channel, ts: args.ts, text: args.text };
      case 'chat.postEphemeral':
        return { ok: true, message_ts: nextTs() };
      case 'reactions.add':
      case 'reactions.remove':
        return { ok: true };
      case 'users.info': {
        const user = USERS[String(args.user)];
        return user ? { ok: true, user: { id: args.user, name: user.name, real_name: user.real_name, profile: { display_name: user.display_name, real_name: user.real_name } } } : { ok: false, error: 'user_not_found' };
      }
      case 'conversations.replies':
        return { ok: true, messages: [], has_more: false };
      case 'files.getUploadURLExternal': {
        const fileId = `F${randomUUID().slice(0, 8)}`;
        return { ok: true, upload_url: `http://127.0.0.1:${this.port}/upload/${fileId}`, file_id: fileId };
      }
      case 'files.completeUploadExternal':
        return { ok: true, files: (args.files as { id: string; title?: string }[] | undefined)?.map((file) => ({ id: file.id, title: file.title })) ?? [] };
      default:
        return { ok: false, error: 'unknown_method' };
    }
  }

  private async listen(): Promise<void> {
    const server = createServer((request, response) => {
      void (async () => {
        const url = new URL(request.url ?? '/', 'http://127.0.0.1');
        const raw = (await readBody(request)).toString('utf8');
        if (url.pathname.startsWith('/upload/') || url.pathname.startsWith('/respond/')) {
          const method = url.pathname.startsWith('/upload/') ? 'upload' : 'respond';
          this.calls.push({ method, args: method === 'respond' ? JSON.parse(raw) : { fileId: url.pathname.split('/')[2], bytes: raw.length }, at: Date.now() });
          response.writeHead(200, { 'content-type': 'text/plain' }).end('OK');
          return;
        }
        const method = url.pathname.replace(/^\/api\//, '');
        const args = parseArgs(raw, request.headers['content-type'] ?? '');
        this.calls.push({ method, args, at: Date.now() });
        const failure = this.failures.find((candidate) => candidate.method === method && candidate.times > 0);
        if (failure) failure.times -= 1;
        const result = failure ? { ok: false, error: failure.error } : this.answer(method, args);
        response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(result));
      })().catch((error: unknown) => {
        response.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: false, error: String(error) }));
      });
    });
    const sockets = new WebSocketServer({ server, path: '/socket' });
    sockets.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      socket.on('message', (data) => this.acks.push(JSON.parse(data.toString()) as { envelope_id: string }));
      socket.send(JSON.stringify({ type: 'hello', num_connections: 1, debug_info: { host: 'fake', approximate_connection_time: 3600 }, connection_info: { app_id: 'A0000APP' } }));
    });
    const listening = await listenOnLoopback(server);
    this.port = listening.port;
    this.closeServer = async () => {
      sockets.close();
      await listening.close();
    };
  }
}
