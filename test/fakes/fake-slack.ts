import { createHmac, randomUUID } from 'node:crypto';
import { createServer, type ServerResponse } from 'node:http';
import { WebSocket, WebSocketServer } from 'ws';
import { listenOnLoopback, readBody } from '../helpers/loopback-server.js';
import { Recorder } from '../helpers/recorder.js';

export interface SlackCall {
  /** A Web API method such as chat.postMessage, or `upload` / `respond` for the fake's own URLs. */
  method: string;
  // Form-encoded or JSON arguments, as the bot sent them.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  args: any;
  /** What the fake answered: `ok`, or Slack's error code. */
  outcome: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  result: any;
  at: number;
}

/** A message as it stands in the fake's channels, after every update. */
export interface SlackMessage {
  channel: string;
  ts: string;
  threadTs: string | undefined;
  /** For a streamed message, its markdown_text chunks joined: the text a person reads. */
  text: string;
  // Block Kit blocks, when the message has them.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  blocks: any[] | undefined;
  /** A message begun with chat.startStream: its chunks in order, and whether it still takes appends. */
  stream?: { chunks: StreamChunk[]; open: boolean; appends: number; stoppedByPerson?: boolean };
}

/** A chunk of a streamed message, as chat.startStream / appendStream / stopStream take them. */
export type StreamChunk =
  | { type: 'markdown_text'; text: string }
  | { type: 'task_update'; id: string; title: string; status: 'pending' | 'in_progress' | 'complete' | 'error'; details?: string; output?: string }
  | { type: string; [key: string]: unknown };

/** A task card as a person sees it once the stream is done: its latest title, status and details. */
export interface TaskCard {
  id: string;
  title: string;
  status: string;
  details?: string;
  output?: string;
  /** Every status it went through, in order. */
  statuses: string[];
}

/** A file a person shared, served from the fake at `url_private_download` to a request bearing the bot token. */
export interface HostedFile {
  id: string;
  name: string;
  mimetype: string;
  size: number;
  url_private_download: string;
}

export interface SlackEnvelopeAck {
  envelope_id: string;
  payload?: unknown;
}

export const TEAM_ID = 'T0000TEAM';
export const BOT_USER_ID = 'U0000BOT';
export const BOT_ID = 'B0000BOT';
export const USER_ID = 'U0000ADA';
export const OTHER_USER_ID = 'U0000GRACE';
/** Someone in the workspace whom access lists leave out. */
export const STRANGER_ID = 'U0000MALLORY';
export const CHANNEL_ID = 'C0000GENERAL';
export const DM_CHANNEL_ID = 'D0000ADA';
export const SIGNING_SECRET = 'test-signing-secret';
export const BOT_TOKEN = 'xoxb-fake-bot-token-1234';

const USERS: Record<string, { name: string; real_name: string; display_name: string }> = {
  [USER_ID]: { name: 'ada', real_name: 'Ada Lovelace', display_name: 'Ada' },
  [OTHER_USER_ID]: { name: 'grace', real_name: 'Grace Hopper', display_name: 'Grace' },
  [STRANGER_ID]: { name: 'mallory', real_name: 'Mallory', display_name: 'Mallory' },
};

/** The arguments the Web client form-encodes as JSON; any other field (text, markdown_text) is taken as written, brackets and all. */
const JSON_FIELDS = new Set(['blocks', 'attachments', 'chunks', 'files', 'prompts', 'metadata', 'loading_messages']);

function parseArgs(raw: string, contentType: string): Record<string, unknown> {
  if (contentType.includes('application/json')) return raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
  const args: Record<string, unknown> = {};
  for (const [key, value] of new URLSearchParams(raw)) args[key] = JSON_FIELDS.has(key) ? JSON.parse(value) : value;
  return args;
}

/** A streaming call's chunks: its `chunks`, after its `markdown_text` when it has one. */
function chunksOf(args: Record<string, unknown>): StreamChunk[] {
  const chunks = Array.isArray(args.chunks) ? (args.chunks as StreamChunk[]) : [];
  return typeof args.markdown_text === 'string' && args.markdown_text ? [{ type: 'markdown_text', text: args.markdown_text }, ...chunks] : chunks;
}

/** The text a streaming call adds to its message. */
export function streamedText(chunks: StreamChunk[]): string {
  return chunks.map((chunk) => (chunk.type === 'markdown_text' ? String(chunk.text) : '')).join('');
}

let tsCounter = 0;
/** A message timestamp as Slack writes them, unique within the test run. */
export function nextTs(): string {
  tsCounter += 1;
  return `${Math.floor(Date.now() / 1000)}.${String(tsCounter).padStart(6, '0')}`;
}

function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
}

/**
 * A local Slack for the real Bolt app: the Web API (recorded, answered, failable), its channels as
 * they stand after every post and update, signed Events API requests for HTTP mode, a Socket Mode
 * WebSocket, file uploads and response_url endpoints.
 */
export class FakeSlack {
  readonly calls = new Recorder<SlackCall>();
  readonly acks = new Recorder<SlackEnvelopeAck>();
  /** Socket Mode connections opening and closing, in order. */
  readonly connections = new Recorder<'open' | 'close'>();
  /** Every message the bot posted, by ts, with its latest text. */
  readonly messages = new Map<string, SlackMessage>();
  /** chat.postMessage and chat.update refuse longer texts with msg_too_long; Slack's own limit is 40,000. */
  maxTextLength = 40_000;
  port = 0;
  /** When set, chat.startStream answers this error, as Slack does where streaming is not allowed. */
  streamingRefusal: string | undefined;
  /** When set, a stream takes this many appends and then answers `message_not_in_streaming_state` to the next append or stop, as Slack does once it closed a stream (after about five minutes). */
  streamAppendsBeforeExpiry: number | undefined;
  /** A person presses stop on a streamed message: Slack then answers `stopped_by_user` to the bot's appends. */
  stopStreamAsPerson(ts: string): void {
    const stream = this.messages.get(ts)?.stream;
    if (stream) stream.stoppedByPerson = true;
  }
  /** The files people shared, by id, with their bytes. */
  private readonly files = new Map<string, { file: HostedFile; content: Buffer }>();
  private readonly failures: { method: string; error: string; times: number }[] = [];
  private readonly sockets: WebSocket[] = [];
  private nextSocket = 0;
  private connectionsRefused = false;
  private closeServer: (() => Promise<void>) | undefined;

  /** `botToken`: the only token the fake's file downloads accept. */
  constructor(private readonly botToken = BOT_TOKEN) {}

  static async start(): Promise<FakeSlack> {
    const fake = new FakeSlack();
    await fake.listen();
    return fake;
  }

  /** A file as a person shares it: put it in a `file_share` message's `files`. */
  hostFile(name: string, mimetype: string, content: string | Buffer): HostedFile {
    const id = `F${randomUUID().slice(0, 8).toUpperCase()}`;
    const bytes = typeof content === 'string' ? Buffer.from(content) : content;
    const file = { id, name, mimetype, size: bytes.length, url_private_download: `http://127.0.0.1:${this.port}/files-pri/${TEAM_ID}-${id}/download/${encodeURIComponent(name)}` };
    this.files.set(id, { file, content: bytes });
    return file;
  }

  /** The text a person reads in a streamed message: its markdown_text chunks joined. */
  streamText(ts: string): string {
    return streamedText(this.messages.get(ts)?.stream?.chunks ?? []);
  }

  /** The task cards of a streamed message in the order they first appeared, each as its last update left it. */
  taskCards(ts: string): TaskCard[] {
    const cards = new Map<string, TaskCard>();
    for (const chunk of this.messages.get(ts)?.stream?.chunks ?? []) {
      if (chunk.type !== 'task_update') continue;
      const update = chunk as Extract<StreamChunk, { type: 'task_update' }>;
      const card = cards.get(update.id);
      const statuses = [...(card?.statuses ?? []), update.status];
      cards.set(update.id, { id: update.id, title: update.title, status: update.status, details: update.details ?? card?.details, output: update.output ?? card?.output, statuses });
    }
    return [...cards.values()];
  }

  /** Streamed messages in a channel (and thread, when given), oldest first. */
  streamsIn(channel: string, threadTs?: string): SlackMessage[] {
    return this.messagesIn(channel, threadTs).filter((message) => message.stream);
  }

  /** A person opening the assistant pane, as Slack sends `assistant_thread_started`. */
  assistantThreadStarted(channel: string, threadTs: string, userId = USER_ID): Record<string, unknown> {
    return {
      type: 'assistant_thread_started',
      assistant_thread: { user_id: userId, context: { channel_id: CHANNEL_ID, team_id: TEAM_ID, enterprise_id: null }, channel_id: channel, thread_ts: threadTs },
      event_ts: nextTs(),
    };
  }

  /** A press on a message's feedback buttons, as Slack sends `block_actions` for a `feedback_buttons` element. */
  feedbackAction(message: SlackMessage, actionId: string, value: string, userId = USER_ID): Record<string, unknown> {
    const action = this.blockAction(message, actionId, value, userId);
    const [pressed] = action.actions as Record<string, unknown>[];
    return { ...action, actions: [{ ...pressed, type: 'feedback_buttons' }] };
  }

  /** For SLACK_API_URL: the Web API base, with its trailing slash. */
  get apiUrl(): string {
    return `http://127.0.0.1:${this.port}/api/`;
  }

  /**
   * The next `times` calls of `method` fail with Slack's `error`. `ratelimited` is answered as Slack
   * does, HTTP 429 with `Retry-After` (0 s here), which the Web client waits out and retries.
   */
  failNext(method: string, error: string, times = 1): void {
    this.failures.push({ method, error, times });
  }

  waitForCall(method: string, predicate: (call: SlackCall) => boolean = () => true, timeoutMs = 10_000): Promise<SlackCall> {
    return this.calls.waitFor((call) => call.method === method && predicate(call), { timeoutMs, what: method });
  }

  callsOf(method: string): SlackCall[] {
    return this.calls.filter((call) => call.method === method);
  }

  /** The bot's messages in a channel (and thread, when given; `null` for the top level), oldest first, as they read now. */
  messagesIn(channel: string, threadTs?: string | null): SlackMessage[] {
    return [...this.messages.values()].filter((message) => message.channel === channel && (threadTs === undefined || message.threadTs === (threadTs ?? undefined)));
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

  /** A slash command's fields, with a response_url on this fake. */
  slashCommand(command: string, text: string, channelId: string, userId = USER_ID): Record<string, string> {
    return {
      token: 'verification-token',
      team_id: TEAM_ID,
      team_domain: 'test',
      channel_id: channelId,
      channel_name: channelId.startsWith('D') ? 'directmessage' : 'general',
      user_id: userId,
      user_name: USERS[userId]?.name ?? userId,
      command,
      text,
      api_app_id: 'A0000APP',
      response_url: `http://127.0.0.1:${this.port}/respond/${randomUUID()}`,
      trigger_id: `trigger.${randomUUID()}`,
    };
  }

  /** A button press on a message the bot posted, as Slack sends `block_actions`. */
  blockAction(message: SlackMessage, actionId: string, value: string, userId = USER_ID, state: Record<string, Record<string, unknown>> = {}): Record<string, unknown> {
    return {
      type: 'block_actions',
      state: { values: state },
      user: { id: userId, username: USERS[userId]?.name ?? userId, name: USERS[userId]?.name ?? userId, team_id: TEAM_ID },
      api_app_id: 'A0000APP',
      token: 'verification-token',
      container: { type: 'message', message_ts: message.ts, channel_id: message.channel, is_ephemeral: false, ...(message.threadTs ? { thread_ts: message.threadTs } : {}) },
      trigger_id: `trigger.${randomUUID()}`,
      team: { id: TEAM_ID, domain: 'test' },
      channel: { id: message.channel, name: message.channel.startsWith('D') ? 'directmessage' : 'general' },
      message: { type: 'message', ts: message.ts, text: message.text, blocks: message.blocks ?? [], user: BOT_USER_ID, bot_id: BOT_ID, ...(message.threadTs ? { thread_ts: message.threadTs } : {}) },
      response_url: `http://127.0.0.1:${this.port}/respond/${randomUUID()}`,
      actions: [{ action_id: actionId, block_id: 'b1', text: { type: 'plain_text', text: actionId }, value, type: 'button', action_ts: nextTs() }],
    };
  }

  /** A person submitting a modal the bot opened, as Slack sends `view_submission`: `values` by block id, then action id. */
  viewSubmission(view: Record<string, unknown>, values: Record<string, Record<string, unknown>>, userId = USER_ID): Record<string, unknown> {
    return {
      type: 'view_submission',
      team: { id: TEAM_ID, domain: 'test' },
      user: { id: userId, username: USERS[userId]?.name ?? userId, name: USERS[userId]?.name ?? userId, team_id: TEAM_ID },
      api_app_id: 'A0000APP',
      token: 'verification-token',
      trigger_id: `trigger.${randomUUID()}`,
      view: { id: view.id ?? `V${randomUUID().slice(0, 8)}`, team_id: TEAM_ID, type: 'modal', ...view, state: { values } },
      response_urls: [],
    };
  }

  /** POSTs to a bot's /slack/events as Slack does in HTTP mode: signed, with the retry header on redeliveries. */
  async postToBot(
    botPort: number,
    body: string,
    options: { contentType?: string; retryNum?: number; secret?: string; timestamp?: number } = {},
  ): Promise<{ status: number; body: string }> {
    const timestamp = String(options.timestamp ?? Math.floor(Date.now() / 1000));
    const signature = `v0=${createHmac('sha256', options.secret ?? SIGNING_SECRET).update(`v0:${timestamp}:${body}`).digest('hex')}`;
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

  /**
   * Sends a Socket Mode envelope and returns its id (the bot must ack it). Like Slack, the fake
   * spreads envelopes over the open connections in turn, so two bot instances each get some.
   */
  sendEnvelope(type: 'events_api' | 'slash_commands' | 'interactive', payload: Record<string, unknown>, retryAttempt = 0): string {
    const open = this.sockets.filter((candidate) => candidate.readyState === WebSocket.OPEN);
    const socket = open[this.nextSocket++ % open.length];
    if (!socket) throw new Error('no Socket Mode connection is open');
    const envelopeId = randomUUID();
    socket.send(JSON.stringify({ envelope_id: envelopeId, type, payload, accepts_response_payload: type !== 'events_api', retry_attempt: retryAttempt, retry_reason: retryAttempt ? 'timeout' : '' }));
    return envelopeId;
  }

  /** Closes the bot's Socket Mode connections and refuses new ones, as an outage does. */
  dropConnections(): void {
    this.connectionsRefused = true;
    for (const socket of [...this.sockets]) socket.close(1001, 'going away');
  }

  /** Ends the outage `dropConnections` began: the bot's next connection gets its `hello`. */
  restoreConnections(): void {
    this.connectionsRefused = false;
  }

  async close(): Promise<void> {
    for (const socket of [...this.sockets]) socket.terminate();
    await this.closeServer?.();
  }

  private answer(method: string, args: Record<string, unknown>): Record<string, unknown> {
    switch (method) {
      case 'auth.test':
        return { ok: true, url: 'https://test.slack.com/', team: 'Test', user: 'mcpbot', team_id: TEAM_ID, user_id: BOT_USER_ID, bot_id: BOT_ID, is_enterprise_install: false };
      case 'apps.connections.open':
        // Slack answers this during an outage too; the connection it names is what fails.
        return { ok: true, url: `ws://127.0.0.1:${this.port}/socket` };
      case 'chat.postMessage': {
        // Channel ids, and user ids (which post to the app's DM with that person).
        if (!/^[CDGU][A-Z0-9]+$/.test(String(args.channel))) return { ok: false, error: 'channel_not_found' };
        const text = String(args.text ?? '');
        if (text.length > this.maxTextLength) return { ok: false, error: 'msg_too_long' };
        const message = { channel: String(args.channel), ts: nextTs(), threadTs: args.thread_ts ? String(args.thread_ts) : undefined, text, blocks: args.blocks as SlackMessage['blocks'] };
        this.messages.set(message.ts, message);
        return { ok: true, channel: message.channel, ts: message.ts, message: { text, user: BOT_USER_ID, bot_id: BOT_ID, ts: message.ts } };
      }
      case 'chat.update': {
        const message = this.messages.get(String(args.ts));
        if (!message || message.channel !== args.channel) return { ok: false, error: 'message_not_found' };
        const text = String(args.text ?? '');
        if (text.length > this.maxTextLength) return { ok: false, error: 'msg_too_long' };
        message.text = text;
        message.blocks = args.blocks as SlackMessage['blocks'];
        return { ok: true, channel: message.channel, ts: message.ts, text };
      }
      case 'chat.delete': {
        const message = this.messages.get(String(args.ts));
        if (!message || message.channel !== args.channel) return { ok: false, error: 'message_not_found' };
        this.messages.delete(message.ts);
        return { ok: true, channel: message.channel, ts: message.ts };
      }
      case 'chat.startStream': {
        if (this.streamingRefusal) return { ok: false, error: this.streamingRefusal };
        if (!/^[CDG][A-Z0-9]+$/.test(String(args.channel))) return { ok: false, error: 'channel_not_found' };
        if (!args.thread_ts) return { ok: false, error: 'invalid_arguments' };
        // Outside a DM, Slack needs to know whom the stream is for.
        if (!String(args.channel).startsWith('D') && (!args.recipient_user_id || !args.recipient_team_id)) return { ok: false, error: 'invalid_arguments' };
        const chunks = chunksOf(args);
        const message: SlackMessage = { channel: String(args.channel), ts: nextTs(), threadTs: String(args.thread_ts), text: streamedText(chunks), blocks: undefined, stream: { chunks, open: true, appends: 0 } };
        this.messages.set(message.ts, message);
        return { ok: true, channel: message.channel, ts: message.ts };
      }
      case 'chat.appendStream':
      case 'chat.stopStream': {
        const message = this.messages.get(String(args.ts));
        if (!message?.stream || message.channel !== args.channel) return { ok: false, error: 'message_not_found' };
        const { stream } = message;
        if (this.streamAppendsBeforeExpiry !== undefined && stream.appends >= this.streamAppendsBeforeExpiry) stream.open = false;
        if (stream.stoppedByPerson) return { ok: false, error: 'stopped_by_user' };
        if (!stream.open) return { ok: false, error: 'message_not_in_streaming_state' };
        const chunks = chunksOf(args);
        stream.chunks.push(...chunks);
        message.text += streamedText(chunks);
        if (method === 'chat.appendStream') stream.appends += 1;
        else {
          stream.open = false;
          message.blocks = args.blocks as SlackMessage['blocks'];
        }
        return { ok: true, channel: message.channel, ts: message.ts };
      }
      case 'assistant.threads.setStatus':
      case 'assistant.threads.setSuggestedPrompts':
      case 'assistant.threads.setTitle':
        return args.channel_id && args.thread_ts ? { ok: true } : { ok: false, error: 'invalid_arguments' };
      case 'views.open':
        return args.trigger_id ? { ok: true, view: { id: `V${randomUUID().slice(0, 8)}`, ...(typeof args.view === 'string' ? JSON.parse(args.view) : args.view) } } : { ok: false, error: 'invalid_trigger_id' };
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
        return { ok: true, messages: this.messagesIn(String(args.channel), String(args.ts)).map((message) => ({ ts: message.ts, text: message.text, user: BOT_USER_ID })), has_more: false };
      case 'files.getUploadURLExternal': {
        const fileId = `F${randomUUID().slice(0, 8).toUpperCase()}`;
        return { ok: true, upload_url: `http://127.0.0.1:${this.port}/upload/${fileId}`, file_id: fileId };
      }
      case 'files.completeUploadExternal':
        return { ok: true, files: (args.files as { id: string; title?: string }[] | undefined)?.map((file) => ({ id: file.id, title: file.title })) ?? [] };
      default:
        return { ok: false, error: 'unknown_method' };
    }
  }

  /**
   * A shared file's bytes, to a request bearing the bot token. Without it Slack answers 200 with its
   * sign-in page, not an error, so the fake does too.
   */
  private serveFile(pathname: string, authorization: string | undefined, response: ServerResponse): void {
    const id = pathname.split('/')[2]?.split('-')[1] ?? '';
    const hosted = this.files.get(id);
    const authorized = authorization === `Bearer ${this.botToken}`;
    this.calls.push({ method: 'download', args: { fileId: id, authorized }, outcome: hosted && authorized ? 'ok' : 'sign-in page', result: undefined, at: Date.now() });
    if (!hosted || !authorized) {
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end('<!DOCTYPE html><html><body>Sign in to Slack</body></html>');
      return;
    }
    response.writeHead(200, { 'content-type': hosted.file.mimetype, 'content-length': String(hosted.content.length) }).end(hosted.content);
  }

  private takeFailure(method: string): string | undefined {
    const failure = this.failures.find((candidate) => candidate.method === method && candidate.times > 0);
    if (!failure) return undefined;
    failure.times -= 1;
    return failure.error;
  }

  private async listen(): Promise<void> {
    const server = createServer((request, response) => {
      void (async () => {
        const url = new URL(request.url ?? '/', 'http://127.0.0.1');
        const body = await readBody(request);
        const at = Date.now();
        if (url.pathname.startsWith('/upload/')) {
          this.calls.push({ method: 'upload', args: { fileId: url.pathname.split('/')[2], bytes: body.length }, outcome: 'ok', result: 'OK', at });
          response.writeHead(200, { 'content-type': 'text/plain' }).end('OK');
          return;
        }
        if (url.pathname.startsWith('/files-pri/')) {
          this.serveFile(url.pathname, request.headers.authorization, response);
          return;
        }
        if (url.pathname.startsWith('/respond/')) {
          this.calls.push({ method: 'respond', args: JSON.parse(body.toString('utf8')), outcome: 'ok', result: 'OK', at });
          response.writeHead(200, { 'content-type': 'text/plain' }).end('OK');
          return;
        }
        const method = url.pathname.replace(/^\/api\//, '');
        const args = parseArgs(body.toString('utf8'), request.headers['content-type'] ?? '');
        const failure = this.takeFailure(method);
        const result = failure ? { ok: false, error: failure } : this.answer(method, args);
        this.calls.push({ method, args, outcome: result.ok ? 'ok' : String(result.error), result, at });
        if (failure === 'ratelimited') sendJson(response, 429, result, { 'retry-after': '0' });
        else sendJson(response, 200, result);
      })().catch((error: unknown) => sendJson(response, 500, { ok: false, error: String(error) }));
    });
    const sockets = new WebSocketServer({ server, path: '/socket' });
    sockets.on('connection', (socket) => {
      if (this.connectionsRefused) {
        socket.close(1001, 'going away');
        return;
      }
      this.sockets.push(socket);
      this.connections.push('open');
      socket.on('close', () => {
        const index = this.sockets.indexOf(socket);
        if (index >= 0) this.sockets.splice(index, 1);
        this.connections.push('close');
      });
      socket.on('message', (data) => this.acks.push(JSON.parse(data.toString()) as SlackEnvelopeAck));
      socket.send(JSON.stringify({ type: 'hello', num_connections: this.sockets.length, debug_info: { host: 'fake', approximate_connection_time: 3600 }, connection_info: { app_id: 'A0000APP' } }));
    });
    const listening = await listenOnLoopback(server);
    this.port = listening.port;
    this.closeServer = async () => {
      sockets.close();
      await listening.close();
    };
  }
}
