import { App, type AppOptions, type CustomRoute, type webApi } from '@slack/bolt';
import type { SlackSettings } from '../../config/index.js';
import type { Logger } from '../../logging/logger.js';
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

/**
 * Bolt's App in the mode the settings choose: Socket Mode with an app token, else HTTP events on
 * /slack/events (events, slash commands and interactions) checked against the signing secret.
 */
export function createBoltApp({ settings, logger, clientOptions, routes }: BoltAppOptions): App {
  const client: webApi.WebClientOptions = { ...clientOptions, ...(settings.apiUrl ? { slackApiUrl: settings.apiUrl } : {}) };
  // Initialised in start(), so building the adapter makes no network call.
  const common: AppOptions = { token: settings.botToken, clientOptions: client, logger: boltLogger(logger), deferInitialization: true };
  if (slackMode(settings) === 'socket') {
    // The Socket Mode receiver builds its own Web client for apps.connections.open; it needs the API base too.
    return new App({ ...common, socketMode: true, appToken: settings.appToken, installerOptions: { clientOptions: client } });
  }
  // Acknowledge first, work after: Slack wants an answer within 3 s and redelivers otherwise.
  return new App({ ...common, signingSecret: settings.signingSecret, processBeforeResponse: false, customRoutes: routes ?? [] });
}
