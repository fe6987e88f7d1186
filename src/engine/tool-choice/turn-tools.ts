import type { CatalogTool } from '../../mcp/types.js';
import { FIND_TOOLS, FIND_TOOLS_RESULTS } from './find-tools.js';
import { rankedOffer, stableOrder, type Offer, type ToolBudget } from './offered-tools.js';
import type { ToolSearch } from './tool-search.js';

/**
 * The tools of one turn: what is offered on each request, and what `find_tools` has found along the
 * way (offered from the next request on).
 */
export class TurnTools {
  private readonly found = new Set<string>();
  private offer: Offer | undefined;

  constructor(
    /** Everything this asker may use. */
    readonly catalog: readonly CatalogTool[],
    private readonly search: ToolSearch,
    private readonly query: string,
    /** Tools this thread has called before. */
    private readonly used: ReadonlySet<string>,
    private readonly budget: ToolBudget,
    private readonly promptChars: (tool: CatalogTool) => number,
    /** The whole catalog, when it fits the budget (see wholeCatalogOffer): then it is every request's offer. */
    private readonly whole: Offer | undefined,
  ) {}

  current(): Offer {
    if (this.whole) return this.whole;
    this.offer ??= rankedOffer({
      catalog: this.catalog,
      search: this.search,
      query: this.query,
      keep: new Set([...this.found, ...this.used]),
      budget: this.budget,
      promptChars: this.promptChars,
    });
    return this.offer;
  }

  /** Searches the whole catalog for `find_tools`; what it returns is offered from the next request on. */
  find(query: string): CatalogTool[] {
    const matches = this.search.rank(query, FIND_TOOLS_RESULTS);
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
