import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseServer } from '../../../src/config/index.js';
import { serveRoutes } from '../../../src/http/index.js';
import { oauthCallbackRoute } from '../../../src/mcp/index.js';
import { SecretBox } from '../../../src/store/secret-box.js';
import { APPLICATION_ID, USER, type FakeDiscord, type RestCall } from '../../fakes/fake-discord.js';
import { toolResultText, type LlmRequest } from '../../fakes/fake-llm.js';
import { startOAuthFixture, type OAuthFixture } from '../../fixtures/oauth-fixture.js';
import { testLogger } from '../../helpers/logger.js';
import { answerIn, contentOf, expectNoPings, startDiscordBot, type DiscordBot } from './discord-bot.js';

/** A Discord user of the test's own: each test has its own people, so links offered in one never count in another. */
const person = (id: string, name: string) => ({ ...USER, id, username: name, global_name: name });
const ADA = person('1000000000000000101', 'ada');
const GRACE = person('1000000000000000102', 'grace');
const LIN = person('1000000000000000103', 'lin');
const ZOE = person('1000000000000000104', 'zoe');
const MAX = person('1000000000000000105', 'max');
const KIM = person('1000000000000000106', 'kim');

const CONNECT_AGAIN_ANSWER = 'Your tracker account needs connecting again: I sent you a private link.';

/**
 * The model calls `echo` when the system prompt offers it; otherwise it says what the system prompt
 * told it about the person's account, and after a refused call, that they must connect again.
 */
function script(request: LlmRequest) {
  const result = toolResultText(request);
  if (result !== undefined) return result.includes('connect it again') ? CONNECT_AGAIN_ANSWER : `Tracker said: ${result}`;
  const system = request.messages[0]?.content ?? '';
  if (system.includes('- echo:')) return { toolCall: { tool: 'echo', arguments: { text: request.lastUserText } } };
  return system.includes('has not connected theirs: tracker') ? `You have not connected tracker yet (you said: ${request.lastUserText}).` : 'No tools.';
}

const offered = (request: LlmRequest) => String(request.messages[0]?.content ?? '').includes('- echo:');
const linkIn = (content: string) => /\]\((http[^)\s]+)\)/.exec(content)?.[1];

/** What a person's browser does with a link: approve as `login` at the authorization server, then land on the bot's callback. */
async function follow(link: string, login: string): Promise<{ status: number; body: string }> {
  const url = new URL(link);
  url.searchParams.set('login', login);
  const approved = await fetch(url, { redirect: 'manual' });
  const landing = await fetch(approved.headers.get('location')!);
  return { status: landing.status, body: await landing.text() };
}

describe('Discord: each person connects their own account on a per-person OAuth server (fake Discord, OAuth fixture, fake LLM)', () => {
  let fixture: OAuthFixture;
  let callbackServer: Server;
  let dir: string;
  let bot: DiscordBot;
  let discord: FakeDiscord;
  let callsBefore = 0;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'discord-accounts-'));
    fixture = await startOAuthFixture();
    // The bot's /oauth/callback, as src/index.ts serves it, handing codes to the pool.
    callbackServer = await serveRoutes([oauthCallbackRoute({ completeAuthorization: async (state, code, iss) => bot.harness.pool.completeAuthorization(state, code, iss) }, testLogger())], 0, testLogger());
    bot = await startDiscordBot({
      script,
      servers: [parseServer('servers.json', 'tracker', { url: fixture.url, auth: { type: 'oauth', perUser: true } }, process.env)],
      storeUrl: `sqlite://${path.join(dir, 'bot.sqlite')}`,
      oauth: { publicUrl: `http://127.0.0.1:${(callbackServer.address() as AddressInfo).port}`, secrets: new SecretBox(randomBytes(32)) },
    });
    discord = bot.discord;
  });
  afterAll(async () => {
    await bot?.close();
    await new Promise((resolve) => callbackServer?.close(resolve));
    await fixture?.close();
    await rm(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    bot.harness.llm.requests.clear();
    fixture.mcpRequests.clear();
    callsBefore = discord.rest.items.length;
  });
  afterEach(() => {
    const calls = discord.rest.items.slice(callsBefore);
    expectNoPings(calls);
    expect(calls.filter((call) => linkIn(contentOf(call)) !== undefined && !seenOnlyByAsker(call)).map((call) => `${call.method} ${call.path}`)).toEqual([]);
  });

  const dmOf = (user: typeof USER) => discord.dmChannelOf(user.id);
  /** The DMs the bot sent `user` that hold a connect link. */
  const linkDms = (user: typeof USER) => discord.calls('POST', new RegExp(`^/channels/${dmOf(user)}/messages$`)).filter((call) => call.status < 300 && linkIn(contentOf(call)) !== undefined);
  /** Waits for the `count`-th DM with a link to `user`; resolves with its link. */
  async function linkDm(user: typeof USER, count = 1): Promise<string> {
    await discord.rest.waitFor(() => linkDms(user).length >= count, { what: `DM ${count} with a connect link to ${user.username}` });
    return linkIn(contentOf(linkDms(user)[count - 1]!))!;
  }

  /** Whether only the asker sees what `call` posted: their DM with the bot, an ephemeral follow-up, or the reply of a command deferred ephemerally. */
  function seenOnlyByAsker(call: RestCall): boolean {
    const dms = new Set(discord.calls('POST', /^\/users\/@me\/channels$/).map((opened) => String(opened.response?.id)));
    const channel = /^\/channels\/(\d+)\/messages/.exec(call.path)?.[1];
    if (channel) return dms.has(channel);
    const token = new RegExp(`^/webhooks/${APPLICATION_ID}/([^/]+)`).exec(call.path)?.[1];
    if (!token) return false;
    if (call.method === 'POST') return call.body?.flags === 64;
    return discord.calls('POST', new RegExp(`^/interactions/\\d+/${token}/callback$`)).some((deferral) => deferral.body?.data?.flags === 64);
  }

  const serverOption = (value: string, focused = false) => [{ name: 'server', type: 3, value, ...(focused ? { focused } : {}) }];
  const ask = (user: typeof USER, question: string) => discord.interaction('ask', { user, options: [{ name: 'question', type: 3, value: question }] });
  const command = (user: typeof USER, name: string, server?: string) => discord.interaction(name, { user, options: server === undefined ? [] : serverOption(server) });
  const editedReply = (interaction: { token: string }, predicate: (call: RestCall) => boolean = () => true) =>
    discord.waitForCall('PATCH', new RegExp(`^/webhooks/${APPLICATION_ID}/${interaction.token}/messages/(@|%40)original$`), predicate);
  /** An edit of an interaction's reply (by `@original` or its id) that holds `text`. */
  const replyWith = (interaction: { token: string }, text: string) =>
    discord.waitForCall('PATCH', new RegExp(`^/webhooks/${APPLICATION_ID}/${interaction.token}/messages/`), (call) => call.status < 300 && contentOf(call).includes(text));
  /** The accounts the MCP server saw since the test's last clear, and whether each request carried that account's newest token. */
  const tokenOf = (account: string) => fixture.grants.filter((grant) => grant.account === account).at(-1)!.accessToken;
  function expectCallsAs(account: string): void {
    expect(fixture.mcpRequests.items.length).toBeGreaterThan(0);
    for (const request of fixture.mcpRequests.items) expect(request).toEqual({ account, token: tokenOf(account) });
    fixture.mcpRequests.clear();
  }

  it('two people each connect their own account from the one link in their DM, and each one’s calls carry their own token', async () => {
    // Ada mentions the bot in #general: no tool for her, her link by DM, the answer in the thread says why.
    const thread = discord.guildMessage('hello', { author: ADA });
    await answerIn(discord, thread, 'You have not connected tracker yet (you said: hello).');
    const adaLink = await linkDm(ADA);
    expect(offered(bot.harness.llm.requests.items[0]!)).toBe(false);
    expect(new URL(adaLink).searchParams.get('redirect_uri')).toMatch(/\/oauth\/callback$/);

    // Asked again before connecting: still no tool, and no second link.
    discord.guildMessage('still there?', { author: ADA, mention: 'none', channelId: thread });
    await answerIn(discord, thread, 'You have not connected tracker yet (you said: still there?).');
    expect(bot.harness.llm.requests.items.some(offered)).toBe(false);
    expect(linkDms(ADA)).toHaveLength(1);

    const landing = await follow(adaLink, 'ada');
    expect(landing.status).toBe(200);
    expect(landing.body).toContain('your account on "tracker" is connected');
    discord.guildMessage('as ada', { author: ADA, mention: 'none', channelId: thread });
    await answerIn(discord, thread, 'Tracker said: Result of echo:\nas ada');
    expectCallsAs('ada');

    // Grace, in her DM with the bot: her own link there, and no tool until she follows it.
    const graceDm = dmOf(GRACE);
    discord.directMessage('hello from grace', graceDm, GRACE);
    await answerIn(discord, graceDm, 'You have not connected tracker yet (you said: hello from grace).');
    const graceLink = await linkDm(GRACE);
    expect(graceLink).not.toBe(adaLink);
    expect(bot.harness.llm.requests.filter((request) => request.lastUserText === 'hello from grace').some(offered)).toBe(false);
    expect(fixture.mcpRequests.items).toEqual([]);
    expect((await follow(graceLink, 'grace')).status).toBe(200);
    discord.directMessage('as grace', graceDm, GRACE);
    await answerIn(discord, graceDm, 'Tracker said: Result of echo:\nas grace');
    expectCallsAs('grace');

    // Ada again, after Grace connected: still her own account.
    discord.guildMessage('ada again', { author: ADA, mention: 'none', channelId: thread });
    await answerIn(discord, thread, 'Tracker said: Result of echo:\nada again');
    expectCallsAs('ada');
    expect(linkDms(ADA)).toHaveLength(1);
    expect(linkDms(GRACE)).toHaveLength(1);
  });

  it('/connect answers with a private link, /tools shows the account, and after /disconnect the next question is offered no tool and sent no link', async () => {
    const completions = discord.interaction('connect', { user: LIN, type: 4, options: serverOption('TRA', true) });
    expect((await discord.waitForCall('POST', new RegExp(`^/interactions/${completions.id}/${completions.token}/callback$`))).body).toEqual({ type: 8, data: { choices: [{ name: 'tracker', value: 'tracker' }] } });

    const before = command(LIN, 'tools', 'tracker');
    expect((await editedReply(before)).body.embeds).toEqual([{ title: 'tracker (not connected)', description: '_Run `/connect tracker` to use its tools with your own account._' }]);

    const connect = command(LIN, 'connect', 'tracker');
    expect((await discord.waitForCall('POST', new RegExp(`^/interactions/${connect.id}/${connect.token}/callback$`))).body).toMatchObject({ type: 5, data: { flags: 64 } });
    const link = linkIn(contentOf(await editedReply(connect)));
    expect(link).toBeDefined();
    expect((await follow(link!, 'lin')).status).toBe(200);

    const asked = ask(LIN, 'as lin');
    await replyWith(asked, 'Tracker said: Result of echo:\nas lin');
    expectCallsAs('lin');
    const after = command(LIN, 'tools', 'tracker');
    const [listed] = (await editedReply(after)).body.embeds;
    expect(listed.title).toBe('tracker (connected)');
    expect(listed.description).toContain('**echo**');
    const again = command(LIN, 'connect', 'tracker');
    expect(contentOf(await editedReply(again))).toContain('already connected');

    const disconnect = command(LIN, 'disconnect', 'tracker');
    expect(contentOf(await editedReply(disconnect))).toMatch(/^Disconnected: /);
    bot.harness.llm.requests.clear();
    const afterwards = ask(LIN, 'and now?');
    await replyWith(afterwards, 'You have not connected tracker yet (you said: and now?).');
    expect(bot.harness.llm.requests.items.some(offered)).toBe(false);
    expect(fixture.mcpRequests.items).toEqual([]);
    // Who just disconnected is sent no link with the next question, anywhere.
    expect(discord.calls('POST', new RegExp(`^/webhooks/${APPLICATION_ID}/${afterwards.token}$`))).toEqual([]);
    expect(linkDms(LIN)).toEqual([]);
  });

  it('someone asking with /ask before connecting gets the link as an ephemeral follow-up below the answer, never in it', async () => {
    const asked = ask(KIM, 'hello from kim');
    const answered = await replyWith(asked, 'You have not connected tracker yet (you said: hello from kim).');
    expect(bot.harness.llm.requests.items.some(offered)).toBe(false);
    const followUp = await discord.waitForCall('POST', new RegExp(`^/webhooks/${APPLICATION_ID}/${asked.token}$`), (call) => linkIn(contentOf(call)) !== undefined);
    expect(followUp.body.flags).toBe(64);
    // Only after the reply is up: a follow-up before it would take the deferred reply's place, public.
    const firstReply = discord.calls('PATCH', new RegExp(`^/webhooks/${APPLICATION_ID}/${asked.token}/messages/(@|%40)original$`))[0]!;
    expect(discord.rest.items.indexOf(followUp)).toBeGreaterThan(discord.rest.items.indexOf(firstReply));
    expect(contentOf(answered)).not.toContain('Connect tracker');
    expect(linkDms(KIM)).toEqual([]);

    // Asked again: no second link.
    const again = ask(KIM, 'still me');
    await replyWith(again, 'You have not connected tracker yet (you said: still me).');
    expect(discord.calls('POST', new RegExp(`^/webhooks/${APPLICATION_ID}/${again.token}$`))).toEqual([]);
  });

  it('someone whose DMs are closed to the bot is told in the thread to run /connect, without the link', async () => {
    discord.failNext('POST', new RegExp(`^/channels/${dmOf(ZOE)}/messages$`), 403, { message: 'Cannot send messages to this user', code: 50007 });
    const thread = discord.guildMessage('hi', { author: ZOE });
    await answerIn(discord, thread, 'You have not connected tracker yet (you said: hi).');
    const told = await answerIn(discord, thread, 'Run `/connect tracker`');
    expect(contentOf(told)).toContain('private link');
    expect(linkIn(contentOf(told))).toBeUndefined();
    await bot.logs.waitFor((line) => line.msg === 'connect links could not be sent by DM; the conversation is told to run /connect' && line.hint !== undefined);
    // The refused request's body (the link) is not in the log line about it: a log reader must not be able to follow it.
    expect(bot.rawLogs.filter((line) => line.includes('/authorize'))).toEqual([]);
  });

  it('when the person’s tokens are refused and cannot be refreshed, they get a new private link and the answer says to connect again', async () => {
    const thread = discord.guildMessage('hello', { author: MAX });
    await answerIn(discord, thread, 'You have not connected tracker yet (you said: hello).');
    const first = await linkDm(MAX);
    expect((await follow(first, 'max')).status).toBe(200);
    discord.guildMessage('as max', { author: MAX, mention: 'none', channelId: thread });
    await answerIn(discord, thread, 'Tracker said: Result of echo:\nas max');
    expectCallsAs('max');

    fixture.refuseRefresh = true;
    fixture.expireAccessTokens();
    try {
      discord.guildMessage('after the revoke', { author: MAX, mention: 'none', channelId: thread });
      await answerIn(discord, thread, CONNECT_AGAIN_ANSWER);
      const second = await linkDm(MAX, 2);
      expect(second).not.toBe(first);
    } finally {
      fixture.refuseRefresh = false;
    }
    expect((await bot.harness.engine.listTools({ userId: MAX.id, personId: `discord:${MAX.id}`, roleIds: [], channelId: 'C', direct: false })).map(({ server, state }) => ({ server, state }))).toEqual([{ server: 'tracker', state: 'not connected' }]);
  });
});
