import { describe, expect, it } from 'vitest';
import type { ServerTools } from '../../../src/engine/index.js';
import { toolListMessages } from '../../../src/platforms/discord/tool-embeds.js';

const server = (name: string, toolCount: number, descriptionLength = 150): ServerTools => ({
  server: name,
  state: 'ready',
  tools: Array.from({ length: toolCount }, (_, index) => ({ name: `${name}_tool_${index}`, description: 'd'.repeat(descriptionLength), asksFirst: false })),
});

describe('/tools embeds', () => {
  it("stay within Discord's limits and list every tool exactly once", () => {
    const servers = [server('files', 120), server('memory', 3), ...Array.from({ length: 14 }, (_, index) => server(`s${index}`, 5))];
    const messages = toolListMessages(servers);
    expect(messages.length).toBeGreaterThan(1);
    for (const embeds of messages) {
      expect(embeds.length).toBeLessThanOrEqual(10);
      expect(embeds.reduce((size, embed) => size + (embed.title?.length ?? 0) + (embed.description?.length ?? 0), 0)).toBeLessThanOrEqual(6000);
      for (const embed of embeds) expect(embed.description!.length).toBeLessThanOrEqual(4096);
    }
    const listed = messages.flat().flatMap((embed) => embed.description!.split('\n'));
    expect(listed).toHaveLength(servers.reduce((count, entry) => count + entry.tools.length, 0));
    expect(messages.flat().map((embed) => embed.title)).toContain('files (ready), continued');
  });

  it('cut long descriptions to one short line and show servers without tools', () => {
    const [[embed]] = toolListMessages([server('wordy', 1, 1000)]) as [[{ description: string, asksFirst: false }]];
    expect(embed.description.length).toBeLessThan(300);
    expect(embed.description.endsWith('…')).toBe(true);
    expect(toolListMessages([{ server: 'down', state: 'restarting', tools: [] }])).toEqual([[{ title: 'down (restarting)', description: '_no tools_' }]]);
  });

  it('keep a long state (why a server cannot be reached) within the title limit', () => {
    const title = toolListMessages([{ server: 'tracker', state: `connected, unreachable: ${'timeout '.repeat(60)}`, tools: [] }])[0]?.[0]?.title ?? '';
    expect(title.length).toBeLessThanOrEqual(256 - ', continued'.length);
    expect(title).toMatch(/^tracker \(connected, unreachable: timeout .*…\)$/);
  });

  it('tell the asker how to connect a server that takes their own account', () => {
    expect(toolListMessages([{ server: 'tracker', state: 'not connected', tools: [] }])).toEqual([[{ title: 'tracker (not connected)', description: '_Run `/connect tracker` to use its tools with your own account._' }]]);
  });
});
