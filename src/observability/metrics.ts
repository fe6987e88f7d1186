import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { QueueCounts } from '../queue/types.js';

export type TurnOutcome = 'answered' | 'failed';

/** Every Prometheus series the bot exports, on a registry of its own. */
export class BotMetrics {
  readonly registry = new Registry();

  readonly turns = new Counter({ name: 'mcp_bot_turns_total', help: 'Turns finished, by platform and outcome', labelNames: ['platform', 'outcome'] as const, registers: [this.registry] });
  readonly turnDuration = new Histogram({
    name: 'mcp_bot_turn_duration_seconds',
    help: 'Time from a message to its answer, by platform',
    labelNames: ['platform'] as const,
    buckets: [0.25, 0.5, 1, 2, 5, 10, 20, 40, 80],
    registers: [this.registry],
  });
  readonly llmDuration = new Histogram({ name: 'mcp_bot_llm_request_duration_seconds', help: 'LLM requests, retries included', buckets: [0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60], registers: [this.registry] });
  readonly llmErrors = new Counter({ name: 'mcp_bot_llm_errors_total', help: 'LLM requests that failed after retries, by kind', labelNames: ['kind'] as const, registers: [this.registry] });
  readonly toolCalls = new Counter({ name: 'mcp_bot_tool_calls_total', help: 'Tool calls, by server, tool and outcome', labelNames: ['server', 'tool', 'outcome'] as const, registers: [this.registry] });
  readonly toolDuration = new Histogram({
    name: 'mcp_bot_tool_call_duration_seconds',
    help: 'Tool call time, by server and tool',
    labelNames: ['server', 'tool'] as const,
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
    registers: [this.registry],
  });
  readonly confirmations = new Counter({
    name: 'mcp_bot_tool_confirmations_total',
    help: 'Questions before tools that ask first, by server, tool and outcome',
    labelNames: ['server', 'tool', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly feedback = new Counter({ name: 'mcp_bot_feedback_total', help: 'Presses on the feedback buttons under answers, by platform and value', labelNames: ['platform', 'value'] as const, registers: [this.registry] });
  readonly serverRestarts = new Counter({ name: 'mcp_bot_mcp_server_restarts_total', help: 'MCP server restarts and reconnects, by server', labelNames: ['server'] as const, registers: [this.registry] });

  readonly jobWait = new Histogram({
    name: 'mcp_bot_turn_queue_wait_seconds',
    help: 'Time a message waited in the turn queue before its turn started, by platform',
    labelNames: ['platform'] as const,
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60],
    registers: [this.registry],
  });

  /** Where the queue gauges read from (all processes' jobs on a shared queue); set once the queue exists. */
  queueCounts: () => Promise<QueueCounts> = async () => ({ waiting: 0, active: 0, stalled: 0 });
  /** Connections of per-person servers open in this process; set once the pool exists. */
  personalConnections: () => number = () => 0;

  constructor() {
    const counts = () => this.queueCounts();
    // Depth is a few series, not one per thread: thread keys are unbounded and would explode cardinality.
    new Gauge({
      name: 'mcp_bot_queued_turns',
      help: 'Turns waiting or running, all threads together (all processes, on a shared queue), by state',
      labelNames: ['state'] as const,
      registers: [this.registry],
      async collect() {
        const { waiting, active, stalled } = await counts();
        this.set({ state: 'waiting' }, waiting);
        this.set({ state: 'active' }, active);
        this.set({ state: 'stalled' }, stalled);
      },
    });
    const personal = () => this.personalConnections();
    new Gauge({
      name: 'mcp_bot_personal_connections',
      help: 'Connections of per-person servers ("perUser") open in this process, all servers and people together (at most MCP_USER_CONNECTIONS_MAX)',
      registers: [this.registry],
      collect() {
        this.set(personal());
      },
    });
    collectDefaultMetrics({ register: this.registry, prefix: 'mcp_bot_' });
  }

  jobWaited(platform: string, seconds: number): void {
    this.jobWait.observe({ platform }, seconds);
  }

  /** `value`: `positive` or `negative`, as the platform's buttons send it. */
  feedbackGiven(platform: string, value: string): void {
    this.feedback.inc({ platform, value });
  }

  confirmationEnded(server: string, tool: string, outcome: string): void {
    this.confirmations.inc({ server, tool, outcome });
  }

  /** The platform is the first part of a thread key (`discord:…`, `slack:…`, `console:…`). */
  turnFinished(threadKey: string, outcome: TurnOutcome, seconds: number): void {
    const platform = threadKey.split(':')[0] ?? 'unknown';
    this.turns.inc({ platform, outcome });
    this.turnDuration.observe({ platform }, seconds);
  }
}
