import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { App, type AppOptions, type webApi } from '@slack/bolt';
import type Keyv from 'keyv';
import type { SlackSettings } from '../../config/index.js';
import type { ConversationEngine } from '../../engine/index.js';
import type { Logger } from '../../logging/logger.js';
import { claimOnce } from '../../store/index.js';
import { InFlightTurns } from '../shared/in-flight.js';
import type { PlatformAdapter } from '../types.js';
import { boltLogger } from './bolt-logger.js';
import { routeEvent, threadMarkerKey, type SlackMessageEvent } from './message-router.js';
import { SlackReply } from './slack-reply.js';
import { toolListMessages } from './tool-blocks.js';
import { UserNames } from './user-names.js';

export interface SlackAdapterOptions {
  settings: SlackSettings;
  /** HTTP Events mode listens here; 0 picks a free port. */
  port: number;
  engine: ConversationEngine;
  /** Shared state: event claims (so a redelivery is answered once, across instances) and thread markers. */
  kv: Keyv;
  logger: Logger;
  /** How long the bot remembers that it is part of a channel thread. */
  threadMemoryMs?: number;
  drainTimeoutMs?: number;
  /** For tests: Web API client options such as `retryConfig`. */
  clientOptions?: webApi.WebClientOptions;
}

/** Slack redelivers an event for up to about an hour; a claim must outlive that. */
const EVENT_CLAIM_TTL_MS = 2 * 60 * 60 * 1000;
const DEFAULT_THREAD_MEMORY_MS = 30 * 24 * 60 * 60 * 1000;

/** The bot on Slack: DMs, mentions answered in threads, follow-ups in those threads, /tools and /reset. */
export class SlackAdapter implements PlatformAdapter {
  readonly platform = 'slack';
  private readonly app: App;
  private readonly log: Logger;
  private readonly names: UserNames;
  private readonly turns: InFlightTurns;
  private stopping = false;
  private botUserId = '';
  private server: Server | undefined;

  constructor(private readonly options: SlackAdapterOptions) {
    const { settings } = options;
    this.log = options.logger.child({ platform: 'slack' });
    this.turns = new InFlightTurns(this.log);
    const clientOptions = { ...options.clientOptions, ...(settings.apiUrl ? { slackApiUrl: settings.apiUrl } : {}) };
    const common: AppOptions = { token: settings.botToken, clientOptions, logger: boltLogger(this.log), deferInitialization: true };
    if (settings.appToken) {
      // Socket Mode's receiver builds its own Web client for apps.connections.open; it needs the API base too.
      this.app = new App({ ...common, appToken: settings.appToken, socketMode: true, installerOptions: { clientOptions } });
    } else if (settings.signingSecret) {
      // Acknowledge first, work after: Slack wants an answer within 3 s and retries otherwise.
      this.app = new App({ ...common, signingSecret: settings.signingSecret, processBeforeResponse: false });
    } else {
      throw new Error('Slack needs SLACK_APP_TOKEN (Socket Mode) or SLACK_SIGNING_SECRET (HTTP events)');
    }
    this.names = new UserNames(this.app.client, this.log);
    this.listen();
  }

  /** The port HTTP events arrive on, once started (HTTP mode only). */
  get httpPort(): number | undefined {
    return (this.server?.address() as AddressInfo | null)?.port;
  }

  async start(): Promise<void> {
    await this.app.init();
    const identity = await this.app.client.auth.test();
    this.botUserId = identity.user_id ?? '';
    const started = await this.app.start(this.options.port);
    if (!this.options.settings.appToken) this.server = started as Server;
    this.log.info({ mode: this.options.settings.appToken ? 'socket' : 'http', port: this.httpPort, botUser: this.botUserId }, 'connected to Slack');
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.turns.drain(this.options.drainTimeoutMs ?? 10_000);
    await this.app.stop();
    this.log.info('disconnected from Slack');
  }

  private listen(): void {
    // Listeners return at once so Bolt acknowledges; the turn runs after, tracked for shutdown.
    this.app.event('app_mention', async ({ event, body }) => this.turns.track(this.onMessage(event as SlackMessageEvent, body.team_id)));
    this.app.event('message', async ({ event, body }) => this.turns.track(this.onMessage(event as SlackMessageEvent, body.team_id)));
    this.app.command('/tools', async ({ command, ack, respond }) => {
      await ack();
      const server = command.text.trim() || undefined;
      const servers = this.options.engine.listTools(server);
      if (servers.length === 0) {
        await respond({ response_type: 'ephemeral', text: server ? `No MCP server is named \`${server}\`.` : 'No MCP servers are configured.' });
        return;
      }
      for (const blocks of toolListMessages(servers)) await respond({ response_type: 'ephemeral', text: 'Tools I can use', blocks });
    });
    this.app.command('/reset', async ({ command, ack, respond }) => {
      await ack();
      if (!command.channel_id.startsWith('D')) {
        await respond({ response_type: 'ephemeral', text: 'Use /reset in a DM with me. In a channel, mention me in a new message to start a fresh thread.' });
        return;
      }
      await this.options.engine.reset(`slack:${command.team_id}:${command.channel_id}`);
      await respond({ response_type: 'ephemeral', text: 'Done: I have forgotten our DM conversation.' });
    });
    this.app.error(async (error) => {
      this.log.error({ err: error }, 'Slack handler error');
    });
  }

  private async onMessage(event: SlackMessageEvent, teamId: string): Promise<void> {
    if (this.stopping) return;
    const { kv, engine } = this.options;
    const botInThread = event.thread_ts !== undefined && event.channel_type !== 'im' && (await kv.get(threadMarkerKey(teamId, event.channel, event.thread_ts))) === true;
    const conversation = routeEvent(event, { teamId, botUserId: this.botUserId, botInThread });
    if (!conversation) return;
    // One claim per message: covers Slack's redeliveries and the app_mention + message pair alike.
    if (!(await claimOnce(kv, `slack-event:${teamId}:${event.channel}:${event.ts}`, EVENT_CLAIM_TTL_MS))) return;
    const text = await this.names.readable(event.text ?? '', this.botUserId);
    if (!text) return;
    if (conversation.inChannel && conversation.threadTs) {
      await kv.set(threadMarkerKey(teamId, conversation.channel, conversation.threadTs), true, this.options.threadMemoryMs ?? DEFAULT_THREAD_MEMORY_MS);
    }

    const log = this.log.child({ threadKey: conversation.threadKey });
    const reply = new SlackReply(this.app.client, { channel: conversation.channel, threadTs: conversation.threadTs }, log);
    try {
      await reply.begin();
      await engine.handle({ threadKey: conversation.threadKey, author: { id: event.user ?? '', name: await this.names.name(event.user ?? '') }, text }, reply);
    } finally {
      reply.dispose();
    }
  }
}
