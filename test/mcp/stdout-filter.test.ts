import { describe, expect, it } from 'vitest';
import { StdoutFilter } from '../../src/mcp/stdout-filter.js';

const PING = { jsonrpc: '2.0', id: 1, result: {} };

/** Feeds the chunks in order and returns the messages read and the noise reported. */
function read(chunks: string[]): { messages: unknown[]; noise: string[] } {
  const noise: string[] = [];
  const filter = new StdoutFilter((text) => noise.push(text));
  const messages: unknown[] = [];
  for (const chunk of chunks) {
    filter.append(Buffer.from(chunk));
    for (let message = filter.readMessage(); message; message = filter.readMessage()) messages.push(message);
  }
  return { messages, noise };
}

describe('reading a stdio server stdout', () => {
  it('reads a message split over chunks, and a banner glued to it that arrived in an earlier chunk', () => {
    const line = `banner without newline ${JSON.stringify(PING)}\n`;
    expect(read([line.slice(0, 10), line.slice(10, 40), line.slice(40)])).toEqual({ messages: [PING], noise: ['banner without newline'] });
  });

  it('skips a JSON log line that holds a JSON-RPC message inside it, rather than answering twice', () => {
    const log = JSON.stringify({ level: 30, msg: 'sending', message: PING });
    expect(read([`${log}\n${JSON.stringify(PING)}\n`])).toEqual({ messages: [PING], noise: [log] });
  });

  it('keeps a text containing braces before the message out of the message', () => {
    expect(read([`config {"port": 3} loaded ${JSON.stringify(PING)}\n`])).toEqual({ messages: [PING], noise: ['config {"port": 3} loaded'] });
  });

  it('drops members JSON-RPC does not define, and nulls, that the strict schema would refuse', () => {
    const sloppy = { ...PING, error: null, trace: 'abc' };
    expect(read([`${JSON.stringify(sloppy)}\n`])).toEqual({ messages: [PING], noise: [] });
  });

  it('refuses to buffer more than its limit without a newline', () => {
    const filter = new StdoutFilter(() => undefined, 16);
    expect(() => filter.append(Buffer.from('x'.repeat(17)))).toThrow('stdout buffer exceeded maximum size of 16 bytes');
  });
});
