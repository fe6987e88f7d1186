import type { TextEmbedder } from '../../llm/embeddings.js';
import type { Logger } from '../../logging/logger.js';
import type { CatalogTool } from '../../mcp/types.js';

/** After a failure the endpoint is left alone this long, so an outage costs each turn nothing, and is logged once. */
const PAUSE_AFTER_FAILURE_MS = 60_000;

/** What a tool's vector stands for: its name, what it does and the names of its arguments. */
function toolText(tool: CatalogTool): string {
  const args = Object.keys(tool.inputSchema.properties ?? {});
  return `${tool.name}: ${tool.description}${args.length > 0 ? `\nArguments: ${args.join(', ')}` : ''}`;
}

/** Scaled to length 1, so that the dot product of two is their cosine similarity. */
function unit(vector: number[]): number[] {
  const length = Math.hypot(...vector) || 1;
  return vector.map((value) => value / length);
}

function dot(a: number[], b: number[]): number {
  let sum = 0;
  for (let index = 0; index < Math.min(a.length, b.length); index += 1) sum += a[index]! * b[index]!;
  return sum;
}

/**
 * Ranks tools by meaning through the operator's embeddings model. Each tool is embedded once, on the
 * first turn that ranks it (kept per tool, so the catalogs of askers with different access share the
 * work); each ranking embeds its query once.
 */
export class ToolEmbeddings {
  private readonly vectors = new WeakMap<CatalogTool, Promise<number[]>>();
  private pausedUntil = 0;

  constructor(private readonly embedder: TextEmbedder) {}

  /**
   * `catalog`, closest in meaning to `query` first; undefined when the endpoint failed (logged once on
   * `log` as a warning, then not asked again for a minute) or `query` is blank. Never throws.
   */
  async rank(catalog: readonly CatalogTool[], query: string, log: Logger): Promise<CatalogTool[] | undefined> {
    if (query.trim() === '' || Date.now() < this.pausedUntil) return undefined;
    try {
      const [toolVectors, [queryVector]] = await Promise.all([this.toolVectors(catalog), this.embedder.embed([query])]);
      const target = unit(queryVector!);
      const similarity = new Map(catalog.map((tool, index) => [tool, dot(toolVectors[index]!, target)]));
      return [...catalog].sort((a, b) => similarity.get(b)! - similarity.get(a)!);
    } catch (error) {
      this.pausedUntil = Date.now() + PAUSE_AFTER_FAILURE_MS;
      log.warn(
        { err: error instanceof Error ? error.message : String(error), embeddingModel: this.embedder.model, retryInS: PAUSE_AFTER_FAILURE_MS / 1000 },
        'tool embeddings failed; tools are ranked by their words alone until the endpoint answers again (check LLM_EMBEDDING_MODEL)',
      );
      return undefined;
    }
  }

  /** The unit vectors of `catalog`, in its order: the tools not embedded yet in one batched call, the others from before. */
  private toolVectors(catalog: readonly CatalogTool[]): Promise<number[][]> {
    const missing = catalog.filter((tool) => !this.vectors.has(tool));
    if (missing.length > 0) {
      const embedded = this.embedder.embed(missing.map(toolText));
      // A failed call is forgotten, so a later turn asks again.
      embedded.catch(() => missing.forEach((tool) => this.vectors.delete(tool)));
      missing.forEach((tool, index) => this.vectors.set(tool, embedded.then((vectors) => unit(vectors[index]!))));
    }
    return Promise.all(catalog.map((tool) => this.vectors.get(tool)!));
  }
}
