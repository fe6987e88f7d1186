import type { types } from '@slack/bolt';
import type { ToolStep, TurnEvent } from '../../engine/index.js';

type ToolEvent = Extract<TurnEvent, { type: 'tool-planned' | 'tool-started' | 'tool-progress' | 'tool-finished' }>;

/** Slack's limit for a task card's details and output. */
const FIELD_LIMIT = 256;

/** One card per call: two calls of one tool are two cards. */
export const taskId = (step: ToolStep) => `tool-${step.step}`;

/**
 * A tool call's state as a `task_update` stream chunk (Slack's task card): pending once the model
 * asked for it, in progress when it starts (with what it reports meanwhile), complete or failed when
 * it ends, its server named.
 */
export function taskUpdate(event: ToolEvent): Omit<types.TaskUpdateChunk, 'type'> {
  const card = { id: taskId(event), title: `Using ${event.tool}`, details: `on ${event.server}` };
  switch (event.type) {
    case 'tool-planned':
      return { ...card, status: 'pending' };
    case 'tool-started':
      return { ...card, status: 'in_progress' };
    case 'tool-progress':
      return { ...card, status: 'in_progress', details: `on ${event.server}: ${event.detail}`.slice(0, FIELD_LIMIT) };
    case 'tool-finished':
      return event.ok ? { ...card, title: `Used ${event.tool}`, status: 'complete' } : { ...card, title: `${event.tool} failed`, status: 'error' };
  }
}
