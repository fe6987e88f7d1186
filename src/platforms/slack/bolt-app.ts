import { App, HTTPReceiver, SocketModeReceiver, type AppOptions, type CustomRoute, type webApi } from '@slack/bolt';
import type { SlackSettings } from '../../config/index.js';
import type { Logger } from '../../logging/logger.js';
import { ackEventsAfterListeners } from './ack-after-listeners.js';
import { boltLogger } from './bolt-logger.js';

export type SlackMode = 'socket' | 'http';

export interface BoltAppOptions {
  settings: SlackSettings;
  logger: Logger;
  /** Web API client options (tests shorten `retryConfig`); SLACK_API_URL is added here. */
  clientOptions?: webApi.WebClientOptions;
  /** More HTTP routes served next to /slack/events in HTTP mode. */
  routes?: CustomRoute[];
}

export function slackMode(settings: SlackSettings): SlackMode {
  if (settings.appToken) return 'socket';
  if (settings.signingSecret) return 'http';
  throw new Error('Slack needs SLACK_APP_TOKEN (Socket Mode) or SLACK_SIGNING_SECRET (HTTP events mode) besides SLACK_BOT_TOKEN');
}

export interface BoltApp {
  app: App;
  /** The Socket Mode receiver, whose `client` tells when the WebSocket drops (Socket Mode only). */
  socketMode?: SocketModeReceiver;
}

/**
 * Bolt's App in the mode the settings choose: Socket Mode with an app token, else HTTP events on
 * /slack/events (events, slash commands and interactions) checked against the signing secret.
 */
export function createBoltApp({ settings, logger, clientOptions, routes }: BoltAppOptions): BoltApp {
  const client: webApi.WebClientOptions = { ...clientOptions, ...(settings.apiUrl ? { slackApiUrl: settings.apiUrl } : {}) };
  const log = boltLogger(logger);
  // Initialised in start(), so building the adapter makes no network call.
  const common: AppOptions = { token: settings.botToken, clientOptions: client, logger: log, deferInitialization: true };
  if (slackMode(settings) === 'socket') {
    // Built here rather than by the App (which keeps its receiver private) so the adapter can follow the connection.
    // It makes its own Web client for apps.connections.open, which needs the API base too.
    const socketMode = new SocketModeReceiver({ appToken: settings.appToken!, logger: log, installerOptions: { clientOptions: client } });
    return { app: new App({ ...common, receiver: ackEventsAfterListeners(socketMode) }), socketMode };
  }
  // Commands and actions: acknowledged first, worked on after (Slack wants an answer within 3 s and redelivers otherwise).
  const http = new HTTPReceiver({ signingSecret: settings.signingSecret!, processBeforeResponse: false, customRoutes: routes ?? [], logger: log });
  return { app: new App({ ...common, receiver: ackEventsAfterListeners(http) }) };
}
