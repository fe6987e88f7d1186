import type { Logger } from '../../logging/logger.js';
import type { CatalogTool } from '../../mcp/types.js';
import { fuseRankings } from './rank-fusion.js';
import type { ToolEmbeddings } from './tool-embeddings.js';
import { ToolSearch } from './tool-search.js';

/** What a turn is about: its question, and the recent messages it may refer back to. */
export interface TurnQuery {
  question: string;
  earlier: string[];
}

/**
 * Ranks one catalog against a turn's query: by words (BM25, see ToolSearch) and, when an embeddings
 * model is set, by meaning too, the two merged by reciprocal rank fusion.
 */
export class CatalogRanking {
  /** By words alone: what `find_tools` searches with. */
  readonly search: ToolSearch;

  constructor(
    private readonly catalog: readonly CatalogTool[],
    private readonly embeddings: ToolEmbeddings | undefined,
  ) {
    this.search = new ToolSearch(catalog);
  }

  /**
   * Up to `depth` tools, best first. Without embeddings, or when the endpoint fails (logged by
   * ToolEmbeddings), the ranking by words alone.
   */
  async rank(query: TurnQuery, depth: number, log: Logger): Promise<CatalogTool[]> {
    const byWords = this.search.rank(query.question, depth, query.earlier.join('\n'));
    const byMeaning = await this.embeddings?.rank(this.catalog, [query.question, ...query.earlier].join('\n'), log);
    return byMeaning ? fuseRankings([byWords, byMeaning.slice(0, depth)]).slice(0, depth) : byWords;
  }
}
