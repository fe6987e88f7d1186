import { describe, expect, it } from 'vitest';
import { readableText } from '../../../src/platforms/slack/message-text.js';
import { routeEvent } from '../../../src/platforms/slack/message-router.js';
import { toMrkdwn, toMrkdwnPieces } from '../../../src/platforms/slack/mrkdwn.js';
import { toolListMessages } from '../../../src/platforms/slack/tool-blocks.js';

describe('answers as Slack mrkdwn', () => {
  it('converts bold, links, lists and code blocks', () => {
    const text = toMrkdwn('**bold** and [docs](https://example.com/a?b=1&c=2)\n\n- one\n- two\n\n```ts\nconst a = 1;\n```');
    expect(text).toMatch(/(?<!\*)\*bold\*(?!\*)/);
    expect(text).toContain('<https://example.com/a?b=1&c=2|docs>');
    expect(text).toMatch(/•\s+one\n•\s+two/);
    expect(text).toContain('```\nconst a = 1;\n```');
  });

  it('never pings a crowd, not even from a code block, and shows raw HTML as text', () => {
    const text = toMrkdwn('Hey <!channel> and <!here|here>, <!everyone>, <!subteam^S123|@devs>\n\n`<!here>`\n\n```\nif (a < b) ping("<!channel>")\n```\n\n<details>x</details>');
    expect(text).not.toMatch(/<!/);
    expect(text).not.toContain('<details>');
    expect(text).toContain('if (a &lt; b) ping("&lt;!channel>")');
  });

  it('keeps a person mention the model wrote in Slack syntax', () => {
    expect(toMrkdwn('ask <@U123ABC> about it')).toBe('ask <@U123ABC> about it');
  });

  it('splits into pieces within the limit even when conversion lengthens the text', () => {
    const links = Array.from({ length: 200 }, (_, index) => `https://example.com/page/${index}`).join('\n');
    const pieces = toMrkdwnPieces(links, 1_000);
    expect(pieces.length).toBeGreaterThan(1);
    for (const piece of pieces) expect(piece.length).toBeLessThanOrEqual(1_000);
    expect(pieces.join('\n')).toContain('<https://example.com/page/199|https://example.com/page/199>');
  });
});

describe('messages as a person reads them', () => {
  const names = new Map([['U0000GRACE', 'Grace']]);

  it('drops the bot mention and names people, channels, groups and links', () => {
    const text = '<@UBOT> ask <@U0000GRACE> and <@U0000NOBODY> in <#C1|random> or <#C2|>, cc <!subteam^S1|@devs>, see <https://e.com|the site>, <https://f.com>, <mailto:a@b.c|a@b.c>';
    expect(readableText(text, 'UBOT', names)).toBe('ask @Grace and @U0000NOBODY in #random or #C2, cc @devs, see the site (https://e.com), https://f.com, a@b.c');
  });

  it("undoes Slack's escapes and keeps line breaks", () => {
    expect(readableText('a &lt; b &amp;&amp; c &gt; d\n  next line', 'UBOT', names)).toBe('a < b && c > d\nnext line');
  });
});

describe('which messages are for the bot', () => {
  const context = { teamId: 'T1', botUserId: 'UBOT' };
  const base = { type: 'message', user: 'UADA', text: 'hi', ts: '1.000001' };

  it('takes a DM by its channel even without a channel type, and its threads as their own conversations', () => {
    expect(routeEvent({ ...base, channel: 'D1' }, context)?.conversation).toEqual({ kind: 'dm', threadKey: 'slack:T1:D1', channel: 'D1', threadTs: undefined });
    expect(routeEvent({ ...base, channel: 'D1', channel_type: 'im', thread_ts: '0.5' }, context)?.conversation.threadKey).toBe('slack:T1:D1:0.5');
  });

  it('answers a mention in a thread under it, and a channel thread reply only if the bot is in that thread', () => {
    expect(routeEvent({ ...base, type: 'app_mention', channel: 'C1' }, context)).toEqual({
      conversation: { kind: 'channel-thread', threadKey: 'slack:T1:C1:1.000001', channel: 'C1', threadTs: '1.000001' },
      onlyIfBotInThread: false,
    });
    expect(routeEvent({ ...base, channel: 'C1', channel_type: 'channel', thread_ts: '0.5' }, context)?.onlyIfBotInThread).toBe(true);
    expect(routeEvent({ ...base, channel: 'C1', channel_type: 'channel' }, context)).toBeUndefined();
  });

  it('takes file shares and thread broadcasts, not edits or joins', () => {
    const dmEvent = { ...base, channel: 'D1', channel_type: 'im' };
    expect(routeEvent({ ...dmEvent, subtype: 'file_share' }, context)).toBeDefined();
    expect(routeEvent({ ...dmEvent, subtype: 'thread_broadcast', thread_ts: '0.5' }, context)).toBeDefined();
    expect(routeEvent({ ...dmEvent, subtype: 'message_changed' }, context)).toBeUndefined();
    expect(routeEvent({ ...dmEvent, subtype: 'channel_join' }, context)).toBeUndefined();
  });
});

describe('/tools as Block Kit', () => {
  it('keeps every section under 3,000 characters and every message under 50 blocks, listing every tool', () => {
    const servers = Array.from({ length: 30 }, (_, server) => ({
      server: `server${server}`,
      state: 'ready',
      tools: Array.from({ length: 40 }, (_, tool) => ({ name: `tool_${server}_${tool}`, description: 'd'.repeat(300), asksFirst: false })),
    }));
    const messages = toolListMessages(servers);
    expect(messages.length).toBeGreaterThan(1);
    for (const blocks of messages) {
      expect(blocks.length).toBeLessThanOrEqual(50);
      expect(blocks[0]?.type).toBe('section');
      for (const block of blocks) if (block.type === 'section') expect(block.text!.text.length).toBeLessThanOrEqual(3_000);
    }
    const all = JSON.stringify(messages);
    for (const server of servers) for (const tool of server.tools) expect(all).toContain(`\`${tool.name}\``);
  });

  it('shows descriptions with <, > and & as written', () => {
    const [blocks] = toolListMessages([{ server: 'web', state: 'ready', tools: [{ name: 'fetch', description: 'Fetches <url> & more', asksFirst: true }] }]);
    expect(JSON.stringify(blocks)).toContain('`fetch` (asks first) — Fetches &lt;url&gt; &amp; more');
  });
});
