/**
 * Reasoning markup of the open model families, as their chat templates and the reasoning parsers of
 * vLLM and llama.cpp know it: DeepSeek-R1 / Qwen3 / GLM `<think>`, `<thinking>` and `<reasoning>`
 * tags, Magistral `[THINK]`, Command R7B `<|START_THINKING|>`, Kimi `◁think▷`, Seed-OSS `<seed:think>`.
 */
export const REASONING_PAIRS: readonly (readonly [open: string, close: string])[] = [
  ['<think>', '</think>'],
  ['<thinking>', '</thinking>'],
  ['<reasoning>', '</reasoning>'],
  ['<seed:think>', '</seed:think>'],
  ['[THINK]', '[/THINK]'],
  ['<|START_THINKING|>', '<|END_THINKING|>'],
  ['◁think▷', '◁/think▷'],
];

/**
 * gpt-oss (harmony format): reasoning travels on the `analysis` channel, up to the next `<|end|>` or
 * `<|start|>`; tool calls on `commentary`, the answer on `final`.
 */
const HARMONY_ANALYSIS = /(?:<\|start\|>assistant)?<\|channel\|>analysis<\|message\|>[\s\S]*?(?:<\|end\|>|(?=<\|start\|>)|$)/g;

function indexOfIgnoringCase(text: string, needle: string, from = 0): number {
  return text.toLowerCase().indexOf(needle.toLowerCase(), from);
}

function withoutPair(text: string, open: string, close: string): string {
  let result = text;
  for (;;) {
    const openAt = indexOfIgnoringCase(result, open);
    const closeAt = indexOfIgnoringCase(result, close);
    // Templates that open the block in the prompt (DeepSeek-R1, Qwen3 thinking) leave only its end in the reply.
    if (closeAt !== -1 && (openAt === -1 || closeAt < openAt)) {
      result = result.slice(closeAt + close.length);
      continue;
    }
    if (openAt === -1) return result;
    const end = indexOfIgnoringCase(result, close, openAt + open.length);
    // A block never closed (the model ran out of tokens while thinking) hides everything after it.
    result = end === -1 ? result.slice(0, openAt) : result.slice(0, openAt) + result.slice(end + close.length);
  }
}

const escaped = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Any reasoning tag at all, or harmony's analysis channel: one pass, so replies without any cost no more. */
const ANY_REASONING = new RegExp([...REASONING_PAIRS.flat(), '<|channel|>analysis'].map(escaped).join('|'), 'i');

/** The reply with every reasoning block removed: what is left is what the model meant to say or call. */
export function withoutReasoning(reply: string): string {
  if (!ANY_REASONING.test(reply)) return reply;
  let text = reply.replace(HARMONY_ANALYSIS, '');
  for (const [open, close] of REASONING_PAIRS) text = withoutPair(text, open, close);
  return text;
}

/**
 * Whether a reply shows a reasoning block's end before any start: the chat template opened the block
 * in the prompt (DeepSeek-R1, Qwen3 thinking), so this model's replies begin inside reasoning.
 */
export function reasoningEndsFirst(reply: string): boolean {
  return REASONING_PAIRS.some(([open, close]) => {
    const closeAt = indexOfIgnoringCase(reply, close);
    if (closeAt === -1) return false;
    const openAt = indexOfIgnoringCase(reply, open);
    return openAt === -1 || closeAt < openAt;
  });
}
