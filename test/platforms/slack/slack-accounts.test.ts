import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseServer } from '../../../src/config/index.js';
import { serveRoutes } from '../../../src/http/index.js';
import { oauthCallbackRoute } from '../../../src/mcp/index.js';
import { SecretBox } from '../../../src/store/secret-box.js';
import { toolResultText, type LlmRequest } from '../../fakes/fake-llm.js';
import { CHANNEL_ID, DM_CHANNEL_ID, OTHER_USER_ID, STRANGER_ID, USER_ID, type SlackCall } from '../../fakes/fake-slack.js';
import { startOAuthFixture, type OAuthFixture } from '../../fixtures/oauth-fixture.js';
import { testLogger } from '../../helpers/logger.js';
import { runCleanups } from '../../helpers/teardown.js';
import { MODES, answered, dm, mention, startSlackBot, type SlackBot } from './slack-bot.js';

/** The model calls `echo` when it is offered, and otherwise says what the system prompt told it. */
function script(request: LlmRequest) {
  const result = toolResultText(request);
  if (result !== undefined) return `Tracker said: ${result}`;
  const system = request.messages[0]?.content ?? '';
  if (system.includes('- echo:')) return { toolCall: { tool: 'echo', arguments: { text: request.lastUserText } } };
  return system.includes('has not connected theirs: tracker') ? 'You have not connected tracker yet.' : 'No tools.';
}

const NOT_CONNECTED = 'You have not connected tracker yet.';
/** A connect link as Slack mrkdwn writes it: `<url|Connect tracker>`. */
const LINK = /<(https?:\/\/[^|>]+)\|Connect tracker>/;
/** The calls that write what everyone in a conversation reads. */
const SHARED_WRITES = new Set(['chat.postMessage', 'chat.update', 'chat.startStream', 'chat.appendStream', 'chat.stopStream']);

/** The connect link in a private message, as the person's browser opens it. */
function linkIn(text: string): string {
  const found = LINK.exec(text);
  expect(found, `a connect link in: ${text}`).not.toBeNull();
  return found![1]!.replace(/&amp;/g, '&');
}

/** What a person's browser does with a link: approve as `login` at the authorization server, then land on the bot's callback. */
async function follow(link: string, login: string): Promise<string> {
  const url = new URL(link);
  url.searchParams.set('login', login);
  const approved = await fetch(url, { redirect: 'manual' });
  const landing = await fetch(approved.headers.get('location')!);
  expect(landing.status).toBe(200);
  return landing.text();
}

describe.each(MODES)('per-person accounts on Slack in %s mode (fake Slack, OAuth fixture server, fake LLM)', (mode) => {
  let fixture: OAuthFixture;
  let callbackServer: Server;
  let publicUrl: string;
  let bot: SlackBot;

  beforeAll(async () => {
    fixture = await startOAuthFixture();
    // The bot's /oauth/callback, as a person's browser reaches it, handing codes to the running bot's pool.
    callbackServer = await serveRoutes([oauthCallbackRoute({ completeAuthorization: (state, code, iss) => bot.harness.pool.completeAuthorization(state, code, iss) }, testLogger())], 0, testLogger());
    publicUrl = `http://127.0.0.1:${(callbackServer.address() as AddressInfo).port}`;
  });
  beforeEach(async () => {
    fixture.refuseRefresh = false;
    bot = await startSlackBot({
      mode,
      script,
      servers: [parseServer('servers.json', 'tracker', { url: fixture.url, auth: { type: 'oauth', perUser: true } }, process.env)],
      oauth: { publicUrl, secrets: new SecretBox(randomBytes(32)) },
    });
  });
  afterEach(async () => {
    await bot?.close();
  });
  afterAll(async () => {
    await runCleanups([() => fixture?.close(), () => new Promise<void>((resolve) => (callbackServer ? callbackServer.close(() => resolve()) : resolve()))]);
  });

  /** `user` mentions the bot in the channel; resolves with the question once the bot's message in its thread contains `expected`. */
  async function ask(user: string, text: string, expected: string): Promise<{ ts: string }> {
    const question = mention(text, { user });
    await bot.deliver(question);
    await bot.slack.calls.waitFor(
      (call) => {
        const message = SHARED_WRITES.has(call.method) && call.outcome === 'ok' ? bot.slack.messages.get(String(call.args.ts ?? call.result?.ts ?? '')) : undefined;
        return message?.threadTs === question.ts && message.text.includes(expected);
      },
      { what: `"${expected}" in the thread of "${text}"` },
    );
    return question;
  }

  const privateNotesTo = (user: string): SlackCall[] => bot.slack.callsOf('chat.postEphemeral').filter((call) => call.args.user === user);
  const modelRequestsOf = (speaker: string) => bot.harness.llm.requests.filter((request) => request.lastSpeaker === speaker);

  /** Runs a slash command as `user` in the channel and resolves with its answer, checked to be for them alone. */
  async function privateAnswer(name: string, text: string, user: string): Promise<{ text?: string; blocks?: unknown }> {
    const before = bot.slack.calls.items.length;
    await bot.command(name, text, CHANNEL_ID, user);
    const answer = await bot.slack.calls.waitFor((call) => call.method === 'respond' && bot.slack.calls.items.indexOf(call) >= before, { what: `the answer to ${name}` });
    expect(answer.args.response_type).toBe('ephemeral');
    return answer.args as { text?: string; blocks?: unknown };
  }
  const command = async (name: string, text: string, user: string) => String((await privateAnswer(name, text, user)).text);
  const listTools = async (user: string) => JSON.stringify((await privateAnswer('/tools', '', user)).blocks);

  /** No message everyone reads (posts, edits, streams) carries a connect link or the authorization server's address. */
  function expectNoLinkInThreads(): void {
    const shared = bot.slack.calls.items.filter((call) => SHARED_WRITES.has(call.method));
    expect(shared.length).toBeGreaterThan(0);
    for (const call of shared) {
      const written = JSON.stringify(call.args);
      expect(written).not.toContain('Connect tracker');
      expect(written).not.toContain(new URL(fixture.url).origin);
    }
  }

  it('sends each person one private link in the thread they asked in, and runs each one’s calls with their own token', async () => {
    const first = await ask(USER_ID, 'hello', NOT_CONNECTED);
    const [adaNote, ...more] = privateNotesTo(USER_ID);
    expect(more).toEqual([]);
    expect(adaNote!.args).toMatchObject({ channel: CHANNEL_ID, thread_ts: first.ts });
    expect(String(adaNote!.args.text)).toMatch(/^To use the .*tracker.* tools with your own account/);
    expect(new URL(linkIn(String(adaNote!.args.text))).searchParams.get('redirect_uri')).toBe(`${publicUrl}/oauth/callback`);
    // Asked again before connecting: no second link, and still no tool.
    await ask(USER_ID, 'still there?', NOT_CONNECTED);
    expect(privateNotesTo(USER_ID)).toHaveLength(1);
    expect(modelRequestsOf('Ada')).toHaveLength(2);
    for (const request of modelRequestsOf('Ada')) expect(request.messages[0]?.content).not.toContain('- echo:');

    expect(await follow(linkIn(String(adaNote!.args.text)), 'ada')).toContain('your account on "tracker" is connected');
    await ask(USER_ID, 'as ada', 'Tracker said: Result of echo:\nas ada');

    // Grace has her own link, to her alone; Ada's connection gives her nothing.
    const graceFirst = await ask(OTHER_USER_ID, 'hello from grace', NOT_CONNECTED);
    const [graceNote] = privateNotesTo(OTHER_USER_ID);
    expect(graceNote!.args).toMatchObject({ channel: CHANNEL_ID, thread_ts: graceFirst.ts });
    expect(linkIn(String(graceNote!.args.text))).not.toBe(linkIn(String(adaNote!.args.text)));
    await follow(linkIn(String(graceNote!.args.text)), 'grace');

    fixture.mcpRequests.clear();
    await ask(OTHER_USER_ID, 'as grace', 'Tracker said: Result of echo:\nas grace');
    await ask(USER_ID, 'ada again', 'Tracker said: Result of echo:\nada again');
    // Every request on the server carried the asker's own token, never the other's.
    expect(new Set(fixture.mcpRequests.items.map((request) => request.account))).toEqual(new Set(['ada', 'grace']));
    const tokenOf = (account: string) => fixture.grants.items.find((grant) => grant.account === account)!.accessToken;
    for (const request of fixture.mcpRequests.items) expect(request.token).toBe(tokenOf(request.account));

    // Mallory never connected: one link, and the model was never offered the tool for her.
    await ask(STRANGER_ID, 'and me?', NOT_CONNECTED);
    await ask(STRANGER_ID, 'me again', NOT_CONNECTED);
    expect(privateNotesTo(STRANGER_ID)).toHaveLength(1);
    expect(modelRequestsOf('Mallory')).toHaveLength(2);
    for (const request of modelRequestsOf('Mallory')) expect(request.messages[0]?.content).not.toContain('- echo:');
    expect(bot.slack.callsOf('chat.postEphemeral')).toHaveLength(3);
    expectNoLinkInThreads();

    // /tools says, per person, whether their own account is connected.
    expect(await listTools(USER_ID)).toContain('*tracker* (connected)\\n• `echo`');
    const forMallory = await listTools(STRANGER_ID);
    expect(forMallory).toContain('*tracker* (not connected)');
    expect(forMallory).toContain('run `/connect tracker` to use its tools');
  });

  it('/connect answers with a fresh private link, and after /disconnect the next question has no tool', async () => {
    expect(await command('/connect', '', USER_ID)).toBe('Servers that take your own account: `tracker`. Use `/connect &lt;server>`.');
    expect(await command('/connect', 'nope', USER_ID)).toBe('There is no server "nope" that takes your own account. Servers that take your own account: `tracker`. Use `/connect &lt;server>`.');
    const answer = await command('/connect', 'tracker', USER_ID);
    const link = linkIn(answer);
    // Another /connect makes another link; the first one still works once.
    expect(linkIn(await command('/connect', 'tracker', USER_ID))).not.toBe(link);
    await follow(link, 'ada');
    expect(await command('/connect', 'tracker', USER_ID)).toContain('is already connected');
    // Connected, with no connection open yet: /tools opens it and lists the tools.
    expect(await listTools(USER_ID)).toContain('*tracker* (connected)\\n• `echo`');

    fixture.mcpRequests.clear();
    await ask(USER_ID, 'with my account', 'Tracker said: Result of echo:\nwith my account');
    expect(fixture.mcpRequests.items.map((request) => request.account)).toContain('ada');

    expect(await command('/disconnect', 'tracker', USER_ID)).toMatch(/^Disconnected: I no longer hold your .*tracker.* tokens/);
    bot.harness.llm.requests.clear();
    fixture.mcpRequests.clear();
    await ask(USER_ID, 'and now?', NOT_CONNECTED);
    expect(bot.harness.llm.requests.items[0]?.messages[0]?.content).not.toContain('- echo:');
    expect(fixture.mcpRequests.items).toEqual([]);
    expect(await command('/disconnect', 'tracker', USER_ID)).toMatch(/^Your account on .*tracker.* was not connected\.$/);
    expect(await command('/disconnect', '', USER_ID)).toBe('Servers that take your own account: `tracker`. Use `/disconnect &lt;server>`.');
    expectNoLinkInThreads();
  });

  it('sends a new private link when a person’s authorization can no longer be renewed, and the answer says to connect again', async () => {
    // First asked at the top of the DM, where the answer is posted rather than streamed: the note is private there too.
    await bot.deliver(dm('hello'));
    await answered(bot.slack, NOT_CONNECTED);
    const [first] = privateNotesTo(USER_ID);
    expect(first!.args.channel).toBe(DM_CHANNEL_ID);
    expect(first!.args.thread_ts).toBeUndefined();
    await follow(linkIn(String(first!.args.text)), 'ada');
    await ask(USER_ID, 'works', 'Tracker said: Result of echo:\nworks');

    // Ada revoked the app at the tracker: her access token stops working and cannot be refreshed.
    fixture.refuseRefresh = true;
    fixture.expireAccessTokens();
    const refused = await ask(USER_ID, 'and now?', 'connect it again');
    const notes = privateNotesTo(USER_ID);
    expect(notes).toHaveLength(2);
    expect(notes[1]!.args).toMatchObject({ channel: CHANNEL_ID, thread_ts: refused.ts });
    const again = linkIn(String(notes[1]!.args.text));
    expect(again).not.toBe(linkIn(String(notes[0]!.args.text)));
    // Her tokens are gone: the next question has no tool, and no further link.
    await ask(USER_ID, 'still?', NOT_CONNECTED);
    expect(privateNotesTo(USER_ID)).toHaveLength(2);

    fixture.refuseRefresh = false;
    await follow(again, 'ada');
    await ask(USER_ID, 'back', 'Tracker said: Result of echo:\nback');
    expectNoLinkInThreads();
  });
});
