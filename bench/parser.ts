import { readReply } from '../src/engine/index.js';
import { percentile } from './measure.js';

/** A thousand model replies of the kinds seen in practice, in a fixed mix. */
function corpus(): string[] {
  const kinds = [
    (index: number) => `{"tool": "read_file", "arguments": {"path": "/data/file-${index}.txt"}}`,
    (index: number) => `Sure, let me look.\n\`\`\`json\n{"tool": "search", "arguments": {"query": "item ${index}", "limit": 5}}\n\`\`\``,
    (index: number) => `I will call a tool now: {"tool": "add", "arguments": {"a": ${index}, "b": 2}} and report back.`,
    (index: number) => `The answer to question ${index} is that ${'the system works as expected and '.repeat(8)}nothing else is needed.`,
    (index: number) => `{"tool": "add", "arguments": {"a": ${index},, "b": }`,
    (index: number) => `Here is data: {"name": "row ${index}", "values": [1, 2, 3]} — no tool needed.`,
    (index: number) => `<think>\nThe user wants file ${index}.\n</think>\n<tool_call>\n{"name": "read_file", "arguments": {"path": "/data/${index}"}}\n</tool_call>`,
  ];
  return Array.from({ length: 1000 }, (_, index) => kinds[index % kinds.length]!(index));
}

/** Median microseconds to parse one reply, over ten passes of the corpus. */
export function measureParser(): { parse_us_p50: number } {
  const replies = corpus();
  const tools = new Map(['read_file', 'search', 'add'].map((name) => [name, { type: 'object' }]));
  const times: number[] = [];
  for (let pass = 0; pass < 10; pass += 1) {
    for (const reply of replies) {
      const started = process.hrtime.bigint();
      readReply(reply, tools);
      times.push(Number(process.hrtime.bigint() - started) / 1000);
    }
  }
  return { parse_us_p50: percentile(times.slice(replies.length), 50) };
}
