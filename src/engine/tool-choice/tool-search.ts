import MiniSearch from 'minisearch';
import { stemmer } from 'stemmer';
import type { CatalogTool } from '../../mcp/types.js';

interface ToolDocument {
  id: number;
  name: string;
  server: string;
  description: string;
  arguments: string;
}

/** Words of names as people write them: `list_commits`, `listCommits` and `list-commits` are "list commits". */
function words(text: string): string[] {
  return text
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .split(/[^\p{L}\p{N}]+/u)
    .filter((word) => word !== '');
}

/** Common English words that say nothing about which tool fits ("what", "the", "please"). */
const STOP_WORDS = new Set(
  'a an and are as at be but by can could do does for from has have how i if in into is it its me my of on or our please should so than that the their them then there these this those to us was we what when where which who why will with would you your'.split(' '),
);

function term(word: string): string | null {
  const lower = word.toLowerCase();
  return STOP_WORDS.has(lower) ? null : stemmer(lower);
}

function argumentText(tool: CatalogTool): string {
  const properties = tool.inputSchema.properties ?? {};
  return Object.entries(properties)
    .map(([name, property]) => `${name} ${typeof property?.description === 'string' ? property.description : ''}`)
    .join(' ');
}

/**
 * Full-text search over one catalog (BM25, MiniSearch): tool name, server name, description and
 * argument names and descriptions, stemmed, with prefix and fuzzy matching so "commit" finds
 * `list_commits` and a typo still lands.
 */
export class ToolSearch {
  private built: MiniSearch<ToolDocument> | undefined;

  constructor(private readonly catalog: readonly CatalogTool[]) {}

  /** Built on first use: a catalog that fits the budget whole is never searched. */
  private get index(): MiniSearch<ToolDocument> {
    this.built ??= this.build();
    return this.built;
  }

  private build(): MiniSearch<ToolDocument> {
    const index = new MiniSearch<ToolDocument>({
      fields: ['name', 'server', 'description', 'arguments'],
      tokenize: words,
      processTerm: term,
      searchOptions: { boost: { name: 1, server: 1, arguments: 0.5 }, prefix: (word) => word.length >= 4, fuzzy: (word) => (word.length >= 5 ? 0.2 : false), combineWith: 'OR' },
    });
    index.addAll(this.catalog.map((tool, id) => ({ id, name: tool.toolName, server: tool.server, description: tool.description, arguments: argumentText(tool) })));
    return index;
  }

  /** Up to `limit` tools, best match first; none when no word of `text` matches. */
  rank(text: string, limit: number): CatalogTool[] {
    if (text.trim() === '' || limit <= 0) return [];
    return this.index
      .search(text)
      .slice(0, limit)
      .map((hit) => this.catalog[hit.id as number]!);
  }
}
