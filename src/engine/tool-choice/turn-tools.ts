import type { Logger } from '../../logging/logger.js';
import type { CatalogTool } from '../../mcp/types.js';
import type { CatalogRanking, TurnQuery } from './catalog-ranking.js';
import { FIND_TOOLS, FIND_TOOLS_RESULTS } from './find-tools.js';
import { rankedOffer, stableOrder, type Offer, type ToolBudget } from './offered-tools.js';

/**
 * The tools of one turn: what is offered on each request, and what `find_tools` has found along the
 * way (offered from the next request on).
 */
export class TurnTools {
  private readonly found = new Set<string>();
  private ranked: CatalogTool[] | undefined;
  private offer: Offer | undefined;

  constructor(
    /** Everything this asker may use. */
    readonly catalog: readonly CatalogTool[],
    private readonly ranking: CatalogRanking,
    private readonly query: TurnQuery,
    /** Tools this thread has called before. */
    private readonly used: ReadonlySet<string>,
    private readonly budget: ToolBudget,
    private readonly promptChars: (tool: CatalogTool) => number,
    /** The whole catalog, when it fits the budget (see wholeCatalogOffer): then it is every request's offer. */
    private readonly whole: Offer | undefined,
  ) {}

  /** Ranks the catalog against the turn's query, once per turn (a catalog offered whole is not ranked); current() needs it first. */
  async rank(log: Logger): Promise<void> {
    if (this.whole || this.ranked) return;
    // Deeper than the offer, for the tools the character budget passes over.
    this.ranked = await this.ranking.rank(this.query, 2 * this.budget.maxTools, log);
  }

  /** What the next request offers. */
  current(): Offer {
    if (this.whole) return this.whole;
    this.offer ??= rankedOffer({
      catalog: this.catalog,
      ranked: this.ranked ?? [],
      keep: new Set([...this.found, ...this.used]),
      budget: this.budget,
      promptChars: this.promptChars,
    });
    return this.offer;
  }

  /** Searches the whole catalog by words for `find_tools`; what it returns is offered from the next request on. */
  find(query: string): CatalogTool[] {
    const matches = this.ranking.search.rank(query, FIND_TOOLS_RESULTS);
    for (const tool of matches) this.found.add(tool.name);
    this.offer = undefined;
    return matches;
  }

  /** The offer without its lowest-ranked tool, for a context window too short for all of it; undefined when nothing is left to cut. */
  static withoutLast(offer: Offer): Offer | undefined {
    if (offer.ranked.length === 0) return undefined;
    const ranked = offer.ranked.slice(0, -1);
    return { tools: stableOrder([...ranked, FIND_TOOLS]), ranked, cut: true };
  }
}
