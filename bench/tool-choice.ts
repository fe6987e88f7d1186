import type { ChatMessage } from '../src/llm/types.js';
import { McpPool } from '../src/mcp/index.js';
import { ModelRequests } from '../src/engine/model-request.js';
import { JsonToolProtocol } from '../src/engine/json-protocol.js';
import { NativeToolProtocol } from '../src/engine/native-protocol.js';
import { searchWords } from '../test/fakes/tool-seeking-model.js';
import { manyToolsServerConfig } from '../test/fixtures/index.js';
import { loadQuestions } from '../test/fixtures/many-tools/corpus.js';
import { TEST_ENGINE_SETTINGS } from '../test/helpers/engine-harness.js';
import { logger } from './setup.js';

export interface ToolChoiceFigures {
  /** Largest system prompt + tool definitions of a first request, over every corpus question. */
  prompt_chars_json: number;
  prompt_chars_native: number;
  /** Share of the corpus questions whose tool is offered on the first request. */
  recall_first_call: number;
  /** Share reached within two steps by a model that calls find_tools with words of the tool's description when it is not offered. */
  reach_within_two_steps: number;
  questions: number;
}

/**
 * Which tools the bot offers for 200 tools of published servers (the many-tools fixture, through the
 * real pool), against a corpus of questions written for real tools in other words than their names.
 * Ranked by words alone: no embeddings model (LLM_EMBEDDING_MODEL) runs here.
 */
export async function measureToolChoice(): Promise<ToolChoiceFigures> {
  const pool = await McpPool.start({ configPath: 'bench', servers: [manyToolsServerConfig('many')], startupTimeoutMs: 30_000, defaultToolTimeoutMs: 10_000 }, logger);
  try {
    const catalog = pool.tools();
    const questions = loadQuestions();
    const figures = { prompt_chars_json: 0, prompt_chars_native: 0, recall_first_call: 0, reach_within_two_steps: 0, questions: questions.length };
    for (const [mode, protocol] of [['json', new JsonToolProtocol()], ['native', new NativeToolProtocol()]] as const) {
      const requests = new ModelRequests(protocol, { ...TEST_ENGINE_SETTINGS, toolMode: mode });
      for (const question of questions) {
        const tools = requests.turnTools(catalog, question.question, []);
        const turn: ChatMessage[] = [{ role: 'user', content: question.question }];
        const request = await requests.next(tools, [], turn, false, logger);
        const chars = String(request.messages[0]?.content ?? '').length + (request.options.tools ? JSON.stringify(request.options.tools).length : 0);
        if (mode === 'json') figures.prompt_chars_json = Math.max(figures.prompt_chars_json, chars);
        else figures.prompt_chars_native = Math.max(figures.prompt_chars_native, chars);
        if (mode !== 'json') continue;
        const target = catalog.find((tool) => tool.server === 'many' && tool.toolName.endsWith(question.tool) && (tool.toolName === question.tool || tool.toolName === `${question.server}_${question.tool}`));
        if (!target) throw new Error(`no tool ${question.server}/${question.tool} in the fixture`);
        const offered = tools.current().tools.some((tool) => tool.name === target.name);
        if (offered) figures.recall_first_call += 1;
        if (offered || tools.find(searchWords(target)).some((tool) => tool.name === target.name)) figures.reach_within_two_steps += 1;
      }
    }
    figures.recall_first_call /= questions.length;
    figures.reach_within_two_steps /= questions.length;
    return figures;
  } finally {
    await pool.close();
  }
}
