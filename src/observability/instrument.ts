import { LlmError, type ChatModel } from '../llm/types.js';
import type { McpPool } from '../mcp/index.js';
import type { PersonalAccounts, ToolOutcome, ToolProvider } from '../mcp/types.js';
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
    callTool: (name, args, options) => measuredCall(metrics, name, () => tools.callTool(name, args, options)),
  };
}

/** Per-person servers' calls, counted as every other tool call is (the person is not a label: too many values). */
export function measuredAccounts(accounts: PersonalAccounts, metrics: BotMetrics): PersonalAccounts {
  return {
    servers: () => accounts.servers(),
    catalogFor: (person, shared, servers) => accounts.catalogFor(person, shared, servers),
    offerLinks: (person, servers) => accounts.offerLinks(person, servers),
    isConnected: (person, server) => accounts.isConnected(person, server),
    connect: (person, server) => accounts.connect(person, server),
    disconnect: (person, server) => accounts.disconnect(person, server),
    cancelTask: (person, server, taskId) => accounts.cancelTask(person, server, taskId),
    callTool: (person, server, toolName, args, context) => measuredCall(metrics, toolName, () => accounts.callTool(person, server, toolName, args, context)),
  };
}

async function measuredCall(metrics: BotMetrics, name: string, call: () => Promise<ToolOutcome>): Promise<ToolOutcome> {
  const started = performance.now();
  const outcome = await call();
  const labels = { server: outcome.server || 'none', tool: outcome.tool || name };
  metrics.toolCalls.inc({ ...labels, outcome: outcome.ok ? 'ok' : 'error' });
  metrics.toolDuration.observe(labels, (performance.now() - started) / 1000);
  return outcome;
}

/** Counts every time a server goes down and is being restarted or reconnected. */
export function countRestarts(pool: McpPool, metrics: BotMetrics): void {
  pool.onServerEvent((event) => {
    if (event.type === 'restarting') metrics.serverRestarts.inc({ server: event.server });
  });
}
