import { describe, expect, it } from 'vitest';
import { toToolOutcome } from '../../src/mcp/tool-outcome.js';

const KILOBYTE_OF_BASE64 = Buffer.alloc(1_250).toString('base64');

describe('tool results as the model reads them', () => {
  it('joins text blocks with newlines', () => {
    expect(toToolOutcome('s', 't', { content: [{ type: 'text', text: 'one' }, { type: 'text', text: 'two' }] })).toEqual({ ok: true, server: 's', tool: 't', text: 'one\ntwo', images: [] });
  });

  it('keeps images aside and describes them with their type and size', () => {
    const outcome = toToolOutcome('s', 't', { content: [{ type: 'image', data: KILOBYTE_OF_BASE64, mimeType: 'image/png' }] });
    expect(outcome.images).toEqual([{ data: KILOBYTE_OF_BASE64, mimeType: 'image/png' }]);
    expect(outcome.text).toBe('[image/png image, 1.2 kB; it will be shown to the user]');
  });

  it('describes audio, embedded resources and resource links, keeping audio and binary resources aside as files', () => {
    const outcome = toToolOutcome('s', 't', {
      content: [
        { type: 'audio', data: 'AAAA', mimeType: 'audio/wav' },
        { type: 'resource', resource: { uri: 'file:///notes.md', mimeType: 'text/markdown', text: '# Notes' } },
        { type: 'resource', resource: { uri: 'file:///photo.jpg', mimeType: 'image/jpeg', blob: KILOBYTE_OF_BASE64 } },
        { type: 'resource_link', uri: 'file:///report.pdf', name: 'report', mimeType: 'application/pdf', description: 'Q3 numbers' },
      ],
    });
    expect(outcome.text).toBe(
      [
        '[audio/wav audio, 3 bytes; it will be attached for the user]',
        '[resource file:///notes.md (text/markdown)]\n# Notes',
        '[resource file:///photo.jpg (image/jpeg, 1.2 kB); it will be attached for the user as photo.jpg]',
        '[resource link "report" file:///report.pdf (application/pdf): Q3 numbers]',
      ].join('\n'),
    );
    expect(outcome.images).toEqual([
      { data: 'AAAA', mimeType: 'audio/wav' },
      { data: KILOBYTE_OF_BASE64, mimeType: 'image/jpeg', filename: 'photo.jpg' },
    ]);
  });

  it('uses structured content as JSON when there is no text', () => {
    expect(toToolOutcome('s', 't', { content: [], structuredContent: { temperature: 21 } }).text).toBe('{"temperature":21}');
    expect(toToolOutcome('s', 't', { content: [{ type: 'text', text: '21 degrees' }], structuredContent: { temperature: 21 } }).text).toBe('21 degrees');
  });

  it('turns isError into a failed outcome naming the tool and the server', () => {
    expect(toToolOutcome('files', 'read', { isError: true, content: [{ type: 'text', text: 'no such file' }] })).toMatchObject({
      ok: false,
      text: 'tool "read" on server "files" failed: no such file',
    });
    expect(toToolOutcome('files', 'read', { isError: true, content: [] }).text).toBe('tool "read" on server "files" failed: no message');
  });

  it('says so when a tool returns nothing', () => {
    expect(toToolOutcome('s', 't', { content: [] }).text).toBe('(no output)');
  });
});
