import { LlmError, type ChatModel } from '../llm/types.js';
import type { McpPool } from '../mcp/index.js';
import type { ToolProvider } from '../mcp/types.js';
import type { BotMetrics } from './metrics.js';

/** The same model, timed and counted. */
export function measuredChatModel(model: ChatModel, metrics: BotMetrics): ChatModel {
  return {
    model: model.model,
    async complete(messages, options) {
      const stop = metrics.llmDuration.startTimer();
      try {
        return await model.complete(messages, options);
      } catch (error) {
        metrics.llmErrors.inc({ kind: error instanceof LlmError ? error.kind : 'other' });
        throw error;
      } finally {
        stop();
      }
    },
  };
}

/** The same tools, each call timed and counted by server, tool and outcome. */
export function measuredTools(tools: ToolProvider, metrics: BotMetrics): ToolProvider {
  return {
    tools: () => tools.tools(),
    serverStates: () => tools.serverStates(),
    ...(tools.cancelTask ? { cancelTask: tools.cancelTask.bind(tools) } : {}),
    async callTool(name, args, options) {
      const started = performance.now();
      const outcome = await tools.callTool(name, args, options);
      const labels = { server: outcome.server || 'none', tool: outcome.tool || name };
      metrics.toolCalls.inc({ ...labels, outcome: outcome.ok ? 'ok' : 'error' });
      metrics.toolDuration.observe(labels, (performance.now() - started) / 1000);
      return outcome;
    },
  };
}

/** Counts every time a server goes down and is being restarted or reconnected. */
export function countRestarts(pool: McpPool, metrics: BotMetrics): void {
  pool.onServerEvent((event) => {
    if (event.type === 'restarting') metrics.serverRestarts.inc({ server: event.server });
  });
}
