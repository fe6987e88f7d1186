/**
 * Context windows of hosted models whose served window is known from their providers' model pages.
 * Local models are left out on purpose: Ollama and llama.cpp serve whatever `num_ctx` / `--ctx-size`
 * the operator chose (often 4,096–8,192), whatever the model could take, so LLM_CONTEXT_TOKENS must
 * say it.
 */
const KNOWN_WINDOWS: readonly (readonly [prefix: string, tokens: number])[] = [
  ['gpt-4.1', 1_047_576],
  ['gpt-5', 400_000],
  ['gpt-4o', 128_000],
  ['gpt-4-turbo', 128_000],
  ['gpt-3.5-turbo', 16_385],
  ['o1', 200_000],
  ['o3', 200_000],
  ['o4-mini', 200_000],
];

/** The context window, in tokens, of a model known by name (an `openai/` style prefix is ignored); undefined when unknown. */
export function knownContextWindow(model: string): number | undefined {
  const name = model.slice(model.lastIndexOf('/') + 1).toLowerCase();
  return KNOWN_WINDOWS.find(([prefix]) => name.startsWith(prefix))?.[1];
}
