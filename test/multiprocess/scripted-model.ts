import { toolResultText, type LlmRequest, type LlmScript } from '../fakes/fake-llm.js';
import type { PlannedMessage } from './traffic-plan.js';

/** A message id as the people's messages and the model's answers carry it. */
export const MESSAGE_ID = /\b(t\d+m\d+)\b/;
/** How an answer says which message it answers: the fake model ends no other text this way. */
export const ANSWER_MARK = /reply to (t\d+m\d+) ok/g;

/** One request the model got for a message, and from which process (its API key). */
export interface ModelCall {
  id: string;
  process: string;
  at: number;
  /** `ask-tool`: the model answered with a tool call; `answer`: with the final text. */
  answered: 'ask-tool' | 'answer';
  /** The tool result the request fed back, for a request after a tool call. */
  toolResult?: string;
}

/**
 * The fake model's side of the run: answers each message's turn after 50–500 ms, first with a tool
 * call where the plan says so (`slow`, or `add`, which asks the person first), then with
 * `reply to <id> ok` and the tool result's last line. Each process uses its own API key (its name),
 * so every request is known to come from one process.
 */
export class ScriptedModel {
  readonly calls: ModelCall[] = [];
  /** Tool calls asked for and not yet fed back, by process: a process holding one was mid-tool. */
  private readonly toolsInFlight = new Map<string, Set<string>>();

  constructor(private readonly messages: Map<string, PlannedMessage>) {}

  readonly script: LlmScript = (request) => {
    const delayMs = 50 + Math.round(Math.random() * 450);
    const process = processOf(request);
    const id = MESSAGE_ID.exec(request.lastUserText)?.[1];
    const message = id === undefined ? undefined : this.messages.get(id);
    if (!message) return { delayMs, answer: 'I cannot tell which message this is.' };
    const result = toolResultText(request);
    const inFlight = this.toolsInFlight.get(process) ?? new Set<string>();
    this.toolsInFlight.set(process, inFlight);
    if (result === undefined && message.kind !== 'text') {
      this.calls.push({ id: message.id, process, at: Date.now(), answered: 'ask-tool' });
      if (message.kind === 'tool') inFlight.add(message.id);
      const toolCall = message.kind === 'tool' ? { tool: 'slow', arguments: { ms: message.toolMs } } : { tool: 'add', arguments: { ...message.add } };
      return { delayMs, answer: { toolCall } };
    }
    inFlight.delete(message.id);
    this.calls.push({ id: message.id, process, at: Date.now(), answered: 'answer', ...(result === undefined ? {} : { toolResult: result }) });
    const tool = message.kind === 'tool' ? 'slow' : 'add';
    return { delayMs, answer: `reply to ${message.id} ok${result === undefined ? '' : ` after ${tool}: ${lastLine(result)}`}` };
  };

  /** The process that last asked the model about `id`'s turn (the one running it then). */
  lastProcessFor(id: string): string | undefined {
    return this.calls.findLast((call) => call.id === id)?.process;
  }

  /** Processes with a `slow` call they were told to make and have not fed back, most first. */
  processesMidTool(): { process: string; ids: string[] }[] {
    return [...this.toolsInFlight]
      .map(([process, ids]) => ({ process, ids: [...ids] }))
      .filter((entry) => entry.ids.length > 0)
      .sort((a, b) => b.ids.length - a.ids.length);
  }

  callsFor(id: string): ModelCall[] {
    return this.calls.filter((call) => call.id === id);
  }
}

function processOf(request: LlmRequest): string {
  return (request.authorization ?? '').replace(/^Bearer /, '');
}

export function lastLine(text: string): string {
  return text.trim().split('\n').at(-1)?.trim() ?? '';
}
