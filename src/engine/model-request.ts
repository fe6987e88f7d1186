import type { EngineSettings } from '../config/index.js';
import type { Logger } from '../logging/logger.js';
import { TokenCounter } from '../llm/token-count.js';
import type { TextEmbedder } from '../llm/embeddings.js';
import type { ChatMessage, CompleteOptions } from '../llm/types.js';
import type { CatalogTool } from '../mcp/types.js';
import { contextWindow, fitContext, type ContextWindow } from './context-fit.js';
import type { ToolIndex } from './model-replies/index.js';
import { CatalogRanking, FIND_TOOLS, ToolEmbeddings, toolsUsedIn, TurnTools, wholeCatalogOffer, type Offer, type ToolBudget } from './tool-choice/index.js';
import { FINAL_ANSWER_REQUEST, isToolFeedback, type ToolProtocol } from './tool-protocol.js';

/** One request to the model, ready to send. */
export interface ModelRequest {
  messages: ChatMessage[];
  options: CompleteOptions;
  /** Every tool the asker may call (offered or not), by the name the model sees, for reading its calls. */
  tools: ToolIndex;
}

/** User messages of the history that count towards what a turn is about, besides its question. */
const RECENT_QUESTIONS = 2;

/** Per catalog the pool hands out (the same array until its tools change): worked out once, not per turn. */
interface CatalogIndex {
  ranking: CatalogRanking;
  tools: ToolIndex;
  /** The whole catalog as every request's offer, when it fits the budget. */
  whole: Offer | undefined;
}

/** What a set of offered tools puts in a request. */
interface OfferedPrompt {
  system: ChatMessage;
  options: CompleteOptions;
}

/**
 * Builds each request of a turn: which tools to offer (all, or those that fit the question within
 * TOOLS_MAX_PER_TURN / TOOLS_PROMPT_MAX_CHARS, plus `find_tools`), and, when the model's context window
 * is known, history and tools fitted into it with room left for the answer.
 */
export class ModelRequests {
  private readonly indexes = new WeakMap<readonly CatalogTool[], CatalogIndex>();
  /** By the offer's tool list: a whole-catalog offer is the same list every turn, a ranked one for every step of its turn. */
  private readonly prompts = new WeakMap<CatalogTool[], OfferedPrompt>();
  private readonly window: ContextWindow | undefined;
  private readonly counter = new TokenCounter();
  private readonly budget: ToolBudget;
  private readonly promptChars = (tool: CatalogTool) => this.protocol.toolText(tool).length;
  private readonly embeddings: ToolEmbeddings | undefined;

  /** With an `embedder` (LLM_EMBEDDING_MODEL), tools are ranked by meaning as well as by words. */
  constructor(
    private readonly protocol: ToolProtocol,
    settings: EngineSettings,
    embedder?: TextEmbedder,
  ) {
    this.embeddings = embedder && new ToolEmbeddings(embedder);
    this.window = settings.contextTokens === undefined ? undefined : contextWindow(settings.contextTokens);
    this.budget = { maxTools: settings.toolsMaxPerTurn, maxPromptChars: settings.toolsPromptMaxChars };
    // Loaded while the bot starts rather than on the first question.
    if (this.window) void this.counter.ready();
  }

  /** The tools of a turn that starts with `question` in a thread with `history`. */
  turnTools(catalog: readonly CatalogTool[], question: string, history: readonly ChatMessage[]): TurnTools {
    const recent = history
      .filter((message) => message.role === 'user' && !isToolFeedback(message) && typeof message.content === 'string')
      .slice(-RECENT_QUESTIONS)
      .map((message) => message.content as string);
    const index = this.indexFor(catalog);
    return new TurnTools(catalog, index.ranking, { question, earlier: recent }, toolsUsedIn(history), this.budget, this.promptChars, index.whole);
  }

  /**
   * The next request of a turn; at the step limit it asks for an answer without tools. `note`: what
   * the model must know about this asker's tools (servers they have not connected), after the system prompt.
   */
  async next(turnTools: TurnTools, history: ChatMessage[], turn: ChatMessage[], atLimit: boolean, log: Logger, note?: string): Promise<ModelRequest> {
    const messages = atLimit ? [...turn, FINAL_ANSWER_REQUEST] : turn;
    const tools = this.indexFor(turnTools.catalog).tools;
    await turnTools.rank(log);
    let offer = turnTools.current();
    if (!this.window) return this.request(offer, history, messages, atLimit, tools, note);

    await this.counter.ready();
    // History gives way first (inside fitContext), then the lowest-ranked tools, then this turn's tool results.
    for (let smaller: Offer | undefined = offer; smaller; smaller = TurnTools.withoutLast(offer)) {
      offer = smaller;
      const fitted = fitContext({ fixedTokens: this.fixedTokens(offer.tools, atLimit, note), history, turn: messages }, this.window, this.counter);
      if (fitted) return this.request(offer, fitted.history, fitted.turn, atLimit, tools, note);
    }
    const fitted = fitContext({ fixedTokens: this.fixedTokens(offer.tools, atLimit, note), history, turn: messages }, this.window, this.counter, true);
    if (fitted) return this.request(offer, fitted.history, fitted.turn, atLimit, tools, note);
    log.warn({ contextTokens: this.window.tokens }, 'the question alone does not fit LLM_CONTEXT_TOKENS; sending it anyway');
    return this.request(offer, [], messages, atLimit, tools, note);
  }

  /**
   * Throws when even the smallest request (system prompt, `find_tools`, a short question and the
   * answer's room) cannot fit the window, so a wrong LLM_CONTEXT_TOKENS stops start-up, not every question.
   */
  async minimalRequestFits(): Promise<{ fits: boolean; neededTokens: number }> {
    if (!this.window) return { fits: true, neededTokens: 0 };
    await this.counter.ready();
    const neededTokens = this.fixedTokens([FIND_TOOLS], false) + this.counter.countMessage({ role: 'user', content: 'What can you do?' }) + this.window.answerTokens;
    return { fits: neededTokens <= this.window.tokens, neededTokens };
  }

  private request(offer: Offer, history: ChatMessage[], turn: ChatMessage[], atLimit: boolean, tools: ToolIndex, note: string | undefined): ModelRequest {
    const { system, options } = this.promptFor(offer.tools);
    // In the one system message: some chat templates refuse a second one, or one after the first place.
    const first = note === undefined ? system : { role: 'system' as const, content: `${system.content as string}\n\n${note}` };
    return { messages: [first, ...history, ...turn], options: atLimit ? {} : options, tools };
  }

  private promptFor(offered: CatalogTool[]): OfferedPrompt {
    let prompt = this.prompts.get(offered);
    if (!prompt) this.prompts.set(offered, (prompt = { system: { role: 'system', content: this.protocol.systemPrompt(offered) }, options: this.protocol.completeOptions(offered) }));
    return prompt;
  }

  /** Tokens of the system prompt and, in native mode, the tool definitions. */
  private fixedTokens(offered: CatalogTool[], atLimit: boolean, note?: string): number {
    const { system, options } = this.promptFor(offered);
    return this.counter.countMessage(system) + (note === undefined ? 0 : this.counter.count(note)) + (options.tools && !atLimit ? offered.reduce((sum, tool) => sum + this.counter.count(this.protocol.toolText(tool)), 0) : 0);
  }

  private indexFor(catalog: readonly CatalogTool[]): CatalogIndex {
    let index = this.indexes.get(catalog);
    if (!index) {
      const tools = new Map([...catalog, FIND_TOOLS].map((tool) => [tool.name, tool.inputSchema]));
      this.indexes.set(catalog, (index = { ranking: new CatalogRanking(catalog, this.embeddings), tools, whole: wholeCatalogOffer(catalog, this.budget, this.promptChars) }));
    }
    return index;
  }
}
