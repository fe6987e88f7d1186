import MiniSearch, { type SearchResult } from 'minisearch';
import { stemmer } from 'stemmer';
import type { CatalogTool } from '../../mcp/types.js';
import { toolSummary } from '../tool-summary.js';

interface ToolDocument {
  id: number;
  name: string;
  server: string;
  /** The description's first sentence: what the tool does, before the details, advice and examples servers add. */
  summary: string;
  description: string;
  argumentNames: string;
  /** Argument descriptions and the values an argument takes (`enum`): often boilerplate ("page number for pagination"), so weighed less than names. */
  argumentNotes: string;
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

/** The first sentence of the description's first line (some servers write their whole advice on one line). */
function firstSentence(description: string): string {
  const summary = toolSummary(description);
  return /^.*?[.!?](?=\s|$)/.exec(summary)?.[0] ?? summary;
}

function argumentProperties(tool: CatalogTool): [string, Record<string, unknown> | undefined][] {
  return Object.entries(tool.inputSchema.properties ?? {}) as [string, Record<string, unknown> | undefined][];
}

function argumentNotes(tool: CatalogTool): string {
  return argumentProperties(tool)
    .flatMap(([, property]) => [property?.description, ...(Array.isArray(property?.enum) ? property.enum : [])])
    .filter((text): text is string => typeof text === 'string')
    .join(' ');
}

/** How much the earlier messages of a turn's query count against its question: a follow-up's own words decide first. */
const EARLIER_MESSAGES_WEIGHT = 0.5;

/**
 * Full-text search over one catalog (BM25, MiniSearch): tool name, server name, description (its first
 * sentence counting twice), argument names, and argument descriptions and values, stemmed, with prefix and
 * fuzzy matching so "commit" finds `list_commits` and a typo still lands.
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
      fields: ['name', 'server', 'summary', 'description', 'argumentNames', 'argumentNotes'],
      tokenize: words,
      processTerm: term,
      searchOptions: {
        boost: { name: 1, server: 1, summary: 1, description: 1, argumentNames: 0.5, argumentNotes: 0.25 },
        prefix: (word) => word.length >= 4,
        fuzzy: (word) => (word.length >= 5 ? 0.2 : false),
        combineWith: 'OR',
      },
    });
    index.addAll(
      this.catalog.map((tool, id) => ({
        id,
        name: tool.toolName,
        server: tool.server,
        summary: firstSentence(tool.description),
        description: tool.description,
        argumentNames: argumentProperties(tool).map(([name]) => name).join(' '),
        argumentNotes: argumentNotes(tool),
      })),
    );
    return index;
  }

  /**
   * Up to `limit` tools, best match first; none when no word matches. Words of `earlier` (the recent
   * messages a question may refer back to) count, at half the weight of the question's own.
   */
  rank(text: string, limit: number, earlier = ''): CatalogTool[] {
    if (limit <= 0) return [];
    const scores = new Map<number, number>();
    const add = (hits: SearchResult[], weight: number) => {
      for (const hit of hits) scores.set(hit.id as number, (scores.get(hit.id as number) ?? 0) + weight * hit.score);
    };
    if (text.trim() !== '') add(this.index.search(text), 1);
    if (earlier.trim() !== '') add(this.index.search(earlier), EARLIER_MESSAGES_WEIGHT);
    return [...scores]
      .sort((a, b) => b[1] - a[1] || a[0] - b[0])
      .slice(0, limit)
      .map(([id]) => this.catalog[id]!);
  }
}
