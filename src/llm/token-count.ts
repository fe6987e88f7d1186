import { IMAGE_TOKENS, messageText } from './message-text.js';
import type { ChatMessage } from './types.js';

/**
 * Per message, chat templates add a few tokens of their own (role markers, separators): OpenAI
 * documents 3 per message plus 3 to prime the reply; local templates are in the same range.
 */
const TOKENS_PER_MESSAGE = 4;

/**
 * Models other than OpenAI's split text with tokenizers of their own (Llama 3, Qwen, Mistral); their
 * counts run up to about a tenth above cl100k's, so estimates are raised by that much.
 */
const OTHER_TOKENIZERS_MARGIN = 1.1;

/** Texts counted recently: a thread's history is counted again on every request of its turns. */
const CACHE_LIMIT = 5_000;

type CountTokens = (text: string) => number;

/**
 * Token estimates with OpenAI's cl100k_base encoding (gpt-tokenizer), loaded on first use: the
 * encoding tables take a moment to load, which a bot with no context limit never pays.
 */
export class TokenCounter {
  private loading: Promise<CountTokens> | undefined;
  private countTokens: CountTokens | undefined;
  private readonly cache = new Map<string, number>();

  /** Resolves once `count` can be called; starts the loading if nothing has yet. */
  async ready(): Promise<void> {
    this.loading ??= import('gpt-tokenizer/encoding/cl100k_base').then((encoding) => encoding.countTokens);
    this.countTokens ??= await this.loading;
  }

  /** Tokens of `text`, with the margin for other tokenizers. Call `ready()` first. */
  count(text: string): number {
    if (!this.countTokens) throw new Error('TokenCounter.count called before ready()');
    let tokens = this.cache.get(text);
    if (tokens === undefined) {
      tokens = Math.ceil(this.countTokens(text) * OTHER_TOKENIZERS_MARGIN);
      if (this.cache.size >= CACHE_LIMIT) this.cache.delete(this.cache.keys().next().value!);
      this.cache.set(text, tokens);
    }
    return tokens;
  }

  /** Tokens one chat message takes in a request: its text, its tool calls, its images, and the template's own. */
  countMessage(message: ChatMessage): number {
    const { content, calls, images } = messageText(message);
    return TOKENS_PER_MESSAGE + (content ? this.count(content) : 0) + (calls ? this.count(calls) : 0) + images * IMAGE_TOKENS;
  }
}
