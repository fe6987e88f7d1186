import type { CatalogTool } from '../../mcp/types.js';
import { FIND_TOOLS } from './find-tools.js';

/** How much of the catalog one model request may carry (TOOLS_MAX_PER_TURN, TOOLS_PROMPT_MAX_CHARS). */
export interface ToolBudget {
  maxTools: number;
  /** Characters of tool descriptions (JSON mode) or tool definitions (native mode) in one request. */
  maxPromptChars: number;
}

/** The tools one request offers. */
export interface Offer {
  /** In stable order, `find_tools` among them when the catalog is cut. */
  tools: CatalogTool[];
  /** The chosen catalog tools, best first: what a short context window gives up last. */
  ranked: CatalogTool[];
  cut: boolean;
}

export interface RankedOfferInput {
  /** What this asker may use, in the catalog's order. */
  catalog: readonly CatalogTool[];
  /** The catalog ranked against the turn's question and recent messages, best first. */
  ranked: readonly CatalogTool[];
  /** Offered first, whatever the ranking says: tools used in this thread, and found by `find_tools` in this turn. */
  keep: ReadonlySet<string>;
  budget: ToolBudget;
  /** A tool's share of the prompt, in characters, as the tool protocol writes it. */
  promptChars: (tool: CatalogTool) => number;
}

/** Server, then name: the same tools come in the same order on every request, so endpoints' prompt caches hold. */
export function stableOrder(tools: readonly CatalogTool[]): CatalogTool[] {
  return [...tools].sort((a, b) => (a.server === b.server ? (a.name < b.name ? -1 : a.name > b.name ? 1 : 0) : a.server < b.server ? -1 : 1));
}

/**
 * The whole catalog, in stable order, when it fits the budget; undefined when it does not. The same for
 * every turn of a catalog, so it is worked out once per catalog.
 */
export function wholeCatalogOffer(catalog: readonly CatalogTool[], budget: ToolBudget, promptChars: (tool: CatalogTool) => number): Offer | undefined {
  const total = catalog.reduce((sum, tool) => sum + promptChars(tool), 0);
  if (catalog.length > budget.maxTools || total > budget.maxPromptChars) return undefined;
  return { tools: stableOrder(catalog), ranked: [...catalog], cut: false };
}

/**
 * A catalog too big to offer whole: the kept tools, then the best matches of the ranking, within the
 * budget, plus `find_tools` so the model can reach the rest.
 */
export function rankedOffer(input: RankedOfferInput): Offer {
  const { catalog, budget, promptChars } = input;
  const kept = catalog.filter((tool) => input.keep.has(tool.name));
  const candidates = [...kept, ...input.ranked];
  const chosen: CatalogTool[] = [];
  let chars = promptChars(FIND_TOOLS);
  for (const tool of candidates) {
    if (chosen.length >= budget.maxTools - 1) break;
    if (chosen.includes(tool)) continue;
    const size = promptChars(tool);
    if (chars + size > budget.maxPromptChars) continue;
    chosen.push(tool);
    chars += size;
  }
  return { tools: stableOrder([...chosen, FIND_TOOLS]), ranked: chosen, cut: true };
}
