import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { IncomingFile } from '../../src/engine/index.js';
import { startEngineHarness, testAsker, type EngineHarness } from '../helpers/engine-harness.js';
import { RecordingReply } from '../helpers/recording-reply.js';

/** A 1×1 PNG. */
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');

/** A file as a platform hands it over; counts its downloads. */
function file(name: string, mimeType: string, data: Buffer | Error): IncomingFile & { downloads: number } {
  const attached = {
    name,
    mimeType,
    size: data instanceof Error ? 100 : data.length,
    downloads: 0,
    async download() {
      attached.downloads += 1;
      if (data instanceof Error) throw data;
      return data;
    },
  };
  return attached;
}

async function send(harness: EngineHarness, threadKey: string, text: string, files: IncomingFile[]): Promise<RecordingReply> {
  const reply = new RecordingReply();
  await harness.engine.handle({ threadKey, asker: testAsker(), text, files }, reply);
  return reply;
}

const lastUserContent = (harness: EngineHarness) => harness.llm.requests.items.at(-1)?.messages.filter((message) => message.role === 'user').at(-1)?.content;
const notices = (reply: RecordingReply) => reply.events.flatMap((event) => (event.type === 'notice' ? [event.text] : []));

describe('files people attach (text-only model)', () => {
  let harness: EngineHarness;
  beforeAll(async () => {
    harness = await startEngineHarness({ engine: { maxInputChars: 2_000 } });
  });
  afterAll(() => harness.close());
  afterEach(() => harness.llm.requests.clear());

  it('gives the model a text file with its name, and a CSV or JSON named only by its extension', async () => {
    const notes = file('notes.md', 'text/markdown', Buffer.from('# Plan\nShip on Friday.'));
    const data = file('data.csv', 'application/octet-stream', Buffer.from('a,b\n1,2'));
    const reply = await send(harness, 'files:text', 'summarize these', [notes, data]);
    expect(reply.answer?.text).toBe('ok');
    const content = String(lastUserContent(harness));
    expect(content).toContain('summarize these');
    expect(content).toContain('[File notes.md]\n```\n# Plan\nShip on Friday.\n```');
    expect(content).toContain('[File data.csv]');
    expect(notices(reply)).toEqual([]);
  });

  it('names what it cannot read: an image without vision, a PDF, a binary file, one too long, one that fails to download', async () => {
    const image = file('photo.png', 'image/png', PNG);
    const pdf = file('report.pdf', 'application/pdf', Buffer.from('%PDF-1.7'));
    const binary = file('dump.txt', 'text/plain', Buffer.from([0, 159, 146, 150]));
    const long = file('book.txt', 'text/plain', Buffer.alloc(5_000, 'a'));
    const broken = file('gone.txt', 'text/plain', new Error('404'));
    const reply = await send(harness, 'files:unreadable', 'what is in them?', [image, pdf, binary, long, broken]);
    const said = notices(reply);
    expect(said).toHaveLength(5);
    for (const name of ['photo.png', 'report.pdf', 'dump.txt', 'book.txt', 'gone.txt']) expect(said.some((notice) => notice.includes(name))).toBe(true);
    // Checked by size and type before any download.
    expect([image.downloads, pdf.downloads, long.downloads]).toEqual([0, 0, 0]);
    expect(reply.answer?.text).toBe('ok');
    expect(String(lastUserContent(harness))).toBe('what is in them?');
  });

  it('does not ask the model when only unreadable files came, without a question', async () => {
    const reply = await send(harness, 'files:nothing', '', [file('slides.pptx', 'application/vnd.openxmlformats-officedocument.presentationml.presentation', Buffer.from('PK'))]);
    expect(notices(reply)).toHaveLength(1);
    expect(reply.errorMessage).toContain('could not read');
    expect(harness.llm.requests.items).toHaveLength(0);
  });
});

describe('files people attach (vision model)', () => {
  let harness: EngineHarness;
  beforeAll(async () => {
    harness = await startEngineHarness({ engine: { vision: true } });
  });
  afterAll(() => harness.close());

  it('sends an image as an image part, and keeps only its name in the history', async () => {
    const reply = await send(harness, 'files:image', 'what is this?', [file('photo.png', 'image/png', PNG)]);
    expect(reply.answer?.text).toBe('ok');
    expect(lastUserContent(harness)).toEqual([
      { type: 'text', text: 'what is this?' },
      { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG.toString('base64')}` } },
    ]);
    await send(harness, 'files:image', 'and now?', []);
    const earlier = harness.llm.requests.items.at(-1)?.messages.find((message) => message.role === 'user');
    expect(earlier?.content).toBe('what is this?\n[image photo.png]');
  });
});
