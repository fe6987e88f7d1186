import { ErrorCode, type CodedError } from '@slack/bolt';
import { expect } from 'vitest';
import type { ServerConfig } from '../../../src/config/index.js';
import type Keyv from 'keyv';
import type { ConversationEngine } from '../../../src/engine/index.js';
import type { ServersReload } from '../../../src/reload/index.js';
import { SlackAdapter, type SlackAdapterOptions } from '../../../src/platforms/slack/index.js';
import type { Store } from '../../../src/store/types.js';
import type { LlmScript } from '../../fakes/fake-llm.js';
import { BOT_TOKEN, BOT_USER_ID, CHANNEL_ID, DM_CHANNEL_ID, FakeSlack, SIGNING_SECRET, USER_ID, nextTs, type SlackCall, type SlackMessage } from '../../fakes/fake-slack.js';
import { engineBeside, type EngineBesideOptions } from '../../helpers/engine-beside.js';
import { queueServing } from '../../helpers/turn-queue.js';
import { startEngineHarness, type EngineHarness, type EngineHarnessOptions } from '../../helpers/engine-harness.js';
import { capturingLogger, type LogLine } from '../../helpers/logger.js';
import type { Recorder } from '../../helpers/recorder.js';
import { runCleanups } from '../../helpers/teardown.js';

export type Mode = 'http' | 'socket';
export const MODES: Mode[] = ['http', 'socket'];

export { BOT_TOKEN };
export const APP_TOKEN = 'xapp-fake-app-token-5678';
export const PLACEHOLDER = 'Working on it';

// Block Kit as the fake recorded it: the fields the tests read.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Block = { type: string; block_id?: string; elements?: any[]; element?: any; optional?: boolean };

export interface SlackBot {
  mode: Mode;
  harness: EngineHarness;
  slack: FakeSlack;
  adapter: SlackAdapter;
  /** What the adapters logged (debug and up, Bolt's lines included), parsed; `rawLogs` as written. */
  logs: Recorder<LogLine>;
  rawLogs: string[];
  /** Delivers an event as this mode does, resolving once Slack would count it delivered (HTTP 200, or the ack). */
  deliver(event: Record<string, unknown>, options?: { eventId?: string; retryNum?: number; via?: SlackAdapter }): Promise<void>;
  /** Runs a slash command, resolving once it is acknowledged. */
  command(name: string, text: string, channel: string, user?: string): Promise<void>;
  /** Presses a feedback button under one of the bot's answers (`positive` or `negative`). */
  pressFeedback(message: SlackMessage, value: string): Promise<void>;
  /** Submits a modal the bot opened (its view as views.open sent it), resolving with the acknowledgement's body (`response_action`…), or undefined for an empty one. */
  submitView(view: Record<string, unknown>, values: Record<string, Record<string, unknown>>, user?: string): Promise<Record<string, unknown> | undefined>;
  /** Presses a button on one of the bot's messages, resolving once Slack would count it delivered. */
  press(message: SlackMessage, actionId: string, value: string, user?: string, state?: Record<string, Record<string, unknown>>): Promise<void>;
  /** Another bot process on the same Slack (stopped by `close`), as in a deployment with two replicas: the same engine and store, or for a bot started beside another, an engine and store of its own. */
  startInstance(): Promise<SlackAdapter>;
  close(): Promise<void>;
}

/** The real adapter (real Bolt) on the real engine (fixture MCP server, fake LLM), talking to a fake Slack. */
export function startSlackBot(
  options: {
    mode: Mode;
    script?: LlmScript;
    servers?: ServerConfig[];
    adapter?: Pick<SlackAdapterOptions, 'feedback'> & { suggestedPrompts?: string[] };
    /** What `/reload` runs, made from the harness's pool and access policy. */
    reload?: (harness: EngineHarness) => ServersReload;
  } & Pick<EngineHarnessOptions, 'access' | 'engine' | 'storeUrl' | 'oauth'>,
): Promise<SlackBot> {
  return connectSlackBot(
    options.mode,
    () => startEngineHarness({ script: options.script, access: options.access, engine: options.engine, storeUrl: options.storeUrl, oauth: options.oauth, ...(options.servers ? { servers: options.servers } : {}) }),
    { closesHarness: true, instance: (harness) => ({ engine: harness.engine, kv: harness.store.kv, reload: options.reload?.(harness) }), adapter: options.adapter },
  );
}

/**
 * Another deployment beside `bot`: the same model and MCP servers, a Slack of its own (so only it hears
 * what a test sends there), and per instance an engine of its own with these settings. Instance n runs
 * on `stores[n]` (opened and closed by the caller), as separate processes sharing a Redis or PostgreSQL
 * would, or else on `bot`'s store. Its close() leaves `bot` running.
 */
export function startSlackBotBeside(bot: SlackBot, options: Omit<EngineBesideOptions, 'store'> & { stores?: Store[] } = {}): Promise<SlackBot> {
  return connectSlackBot(bot.mode, async () => bot.harness, {
    closesHarness: false,
    instance: (harness, index) => {
      const store = options.stores?.[index] ?? harness.store;
      return { engine: engineBeside(harness, { ...options, store }), kv: store.kv };
    },
  });
}

async function connectSlackBot(
  mode: Mode,
  harnessFor: () => Promise<EngineHarness>,
  options: {
    closesHarness: boolean;
    instance: (harness: EngineHarness, index: number) => { engine: ConversationEngine; kv: Keyv; reload?: ServersReload };
    adapter?: Pick<SlackAdapterOptions, 'feedback'> & { suggestedPrompts?: string[] };
  },
): Promise<SlackBot> {
  const { logger, logs, rawLogs } = capturingLogger();
  const instances: SlackAdapter[] = [];
  let harness: EngineHarness | undefined;
  let slack: FakeSlack | undefined;
  // Newest first: the instances (the last started first), then Slack, then the harness (which checks the
  // fake LLM refused nothing), each even when one before it failed.
  const close = () =>
    runCleanups([
      async () => {
        if (options.closesHarness) await harness?.close();
      },
      async () => await slack?.close(),
      ...instances.map((instance) => () => instance.stop()),
    ]);

  try {
    harness = await harnessFor();
    slack = await FakeSlack.start();
    const settings: SlackAdapterOptions['settings'] =
      mode === 'http'
        ? { botToken: BOT_TOKEN, appToken: undefined, signingSecret: SIGNING_SECRET, apiUrl: slack.apiUrl }
        : { botToken: BOT_TOKEN, appToken: APP_TOKEN, signingSecret: undefined, apiUrl: slack.apiUrl };
    settings.suggestedPrompts = options.adapter?.suggestedPrompts;
    const startInstance = async () => {
      const { engine, kv, reload } = options.instance(harness!, instances.length);
      const queue = queueServing(kv, logger, () => instance);
      const instance: SlackAdapter = new SlackAdapter({
        settings,
        port: 0,
        engine,
        queue,
        kv,
        logger,
        feedback: options.adapter?.feedback,
        reload,
        // Quick retries: a refused connection or a 429 is retried in milliseconds, not minutes.
        clientOptions: { retryConfig: { retries: 2, factor: 1, minTimeout: 10, maxTimeout: 10 } },
      });
      try {
        await instance.start();
      } catch (error) {
        await stopAfterFailedStart(instance).catch((failed: unknown) => {
          throw new AggregateError([error, failed], 'a Slack instance failed to start and then to stop');
        });
        throw error;
      }
      instances.push(instance);
      return instance;
    };
    const adapter = await startInstance();
    const fake = slack;

    const deliver: SlackBot['deliver'] = async (event, { eventId, retryNum, via = adapter } = {}) => {
      const body = fake.eventCallback(event, eventId);
      if (mode === 'http') {
        const response = await fake.postToBot(via.httpPort!, JSON.stringify(body), { retryNum });
        expect(response.status).toBe(200);
        return;
      }
      const envelopeId = fake.sendEnvelope('events_api', body, retryNum ?? 0);
      await fake.acks.waitFor((ack) => ack.envelope_id === envelopeId, { what: 'the ack of an event' });
    };
    const command: SlackBot['command'] = async (name, text, channel, user) => {
      const fields = fake.slashCommand(name, text, channel, user);
      if (mode === 'http') {
        const response = await fake.postToBot(adapter.httpPort!, new URLSearchParams(fields).toString(), { contentType: 'application/x-www-form-urlencoded' });
        expect(response.status).toBe(200);
        return;
      }
      const envelopeId = fake.sendEnvelope('slash_commands', fields);
      await fake.acks.waitFor((ack) => ack.envelope_id === envelopeId, { what: `the ack of ${name}` });
    };
    const interact = async (payload: Record<string, unknown>, what: string) => {
      if (mode === 'http') {
        const response = await fake.postToBot(adapter.httpPort!, new URLSearchParams({ payload: JSON.stringify(payload) }).toString(), { contentType: 'application/x-www-form-urlencoded' });
        expect(response.status).toBe(200);
        return;
      }
      const envelopeId = fake.sendEnvelope('interactive', payload);
      await fake.acks.waitFor((ack) => ack.envelope_id === envelopeId, { what: `the ack of ${what}` });
    };
    const submitView: SlackBot['submitView'] = async (view, values, user) => {
      const payload = fake.viewSubmission(view, values, user);
      if (mode === 'http') {
        const response = await fake.postToBot(adapter.httpPort!, new URLSearchParams({ payload: JSON.stringify(payload) }).toString(), { contentType: 'application/x-www-form-urlencoded' });
        expect(response.status).toBe(200);
        return response.body ? (JSON.parse(response.body) as Record<string, unknown>) : undefined;
      }
      const envelopeId = fake.sendEnvelope('interactive', payload);
      const ack = await fake.acks.waitFor((candidate) => candidate.envelope_id === envelopeId, { what: 'the ack of a view submission' });
      return ack.payload as Record<string, unknown> | undefined;
    };
    const pressFeedback: SlackBot['pressFeedback'] = (message, value) => interact(fake.feedbackAction(message, 'answer_feedback', value), 'a feedback press');
    const press: SlackBot['press'] = (message, actionId, value, user, state) => interact(fake.blockAction(message, actionId, value, user, state), actionId);
    return { mode, harness, slack, adapter, logs, rawLogs, deliver, command, press, pressFeedback, submitView, startInstance, close };
  } catch (error) {
    await close().catch((failed: unknown) => {
      throw new AggregateError([error, failed], 'the Slack bot failed to start and then to clean up');
    });
    throw error;
  }
}

/**
 * Lets go of whatever a start that failed part-way left open. In HTTP mode Bolt refuses to stop a
 * receiver that never started listening; that refusal is expected here and is the only failure ignored.
 */
async function stopAfterFailedStart(instance: SlackAdapter): Promise<void> {
  await instance.stop().catch((error: unknown) => {
    if ((error as Partial<CodedError>).code !== ErrorCode.ReceiverInconsistentStateError) throw error;
  });
}

export const textOf = (call: SlackCall) => String(call.args.text ?? '');

/** The calls that write a message's text: posting and editing, and the three streaming calls. */
const WRITES = new Set(['chat.postMessage', 'chat.update', 'chat.startStream', 'chat.appendStream', 'chat.stopStream']);

/** The message a writing call wrote to. */
const writtenTs = (call: SlackCall): string => String(call.args.ts ?? call.result?.ts ?? '');

/**
 * Waits until a post, edit or stream call Slack accepted leaves a message containing `text` (a streamed
 * message's text is its chunks joined). `args.ts` of the call it resolves with is that message's ts,
 * whichever call wrote it.
 */
export async function answered(slack: FakeSlack, text: string): Promise<SlackCall> {
  const call = await slack.calls.waitFor((candidate) => WRITES.has(candidate.method) && candidate.outcome === 'ok' && (slack.messages.get(writtenTs(candidate))?.text.includes(text) ?? false), {
    what: `a message containing "${text}"`,
  });
  return { ...call, args: { ...call.args, ts: writtenTs(call) } };
}

/** Waits for a question (buttons or a form) posted in place of a placeholder or anew; resolves with its message and blocks. */
export async function questionPosted(slack: FakeSlack): Promise<{ message: SlackMessage; blocks: Block[] }> {
  const call = await slack.calls.waitFor(
    (candidate) => (candidate.method === 'chat.update' || candidate.method === 'chat.postMessage') && Array.isArray(candidate.args.blocks) && (candidate.args.blocks as Block[]).some((block) => block.type === 'actions'),
    { what: 'a question with buttons' },
  );
  return { message: slack.messages.get(writtenTs(call))!, blocks: call.args.blocks as Block[] };
}

/** No message the bot left in Slack still says it is working. */
export function expectNothingLeftBehind(slack: FakeSlack): void {
  const working = [...slack.messages.values()].filter((message) => message.text.includes(PLACEHOLDER) || message.text.startsWith('Using `'));
  expect(working).toEqual([]);
}

export const dm = (text: string, extra: Record<string, unknown> = {}) => ({ type: 'message', channel: DM_CHANNEL_ID, channel_type: 'im', user: USER_ID, text, ts: nextTs(), ...extra });
export const mention = (text: string, extra: Record<string, unknown> = {}) => ({ type: 'app_mention', channel: CHANNEL_ID, user: USER_ID, text: `<@${BOT_USER_ID}> ${text}`, ts: nextTs(), ...extra });
export const channelMessage = (text: string, extra: Record<string, unknown> = {}) => ({ type: 'message', channel: CHANNEL_ID, channel_type: 'channel', user: USER_ID, text, ts: nextTs(), ...extra });
