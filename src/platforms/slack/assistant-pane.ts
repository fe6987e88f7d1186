import { slackPersonId } from './slash-commands.js';
import { Assistant } from '@slack/bolt';
import type { ConversationEngine, ServerTools } from '../../engine/index.js';
import type { Logger } from '../../logging/logger.js';
import type { SlackMessageEvent } from './message-router.js';
import { failureFields } from './slack-failures.js';

/** Slack shows at most four suggested prompts. */
const MAX_PROMPTS = 4;
/** A prompt's title is one short line on a button. */
const TITLE_LIMIT = 40;
/** A thread's title is a short line in the pane's history. */
const THREAD_TITLE_LIMIT = 60;

/** What a turn in an assistant thread may do to the pane: its "is thinking…" status, and its title. */
export interface AssistantThread {
  setStatus(status: string): Promise<unknown>;
  setTitle(title: string): Promise<unknown>;
}

/** What the assistant pane needs: its suggested prompts, the engine, and where its messages go. */
export interface AssistantPaneOptions {
  /** SLACK_SUGGESTED_PROMPTS; empty: made from the tools. */
  prompts: string[];
  engine: ConversationEngine;
  log: Logger;
  /** A person's message in an assistant thread, answered as any DM is. */
  onMessage(event: SlackMessageEvent, teamId: string, thread: AssistantThread): Promise<void>;
}

/**
 * Bolt's Assistant for the pane Slack gives AI apps: when someone opens it, the suggested prompts;
 * their messages there go to the bot's usual handler, with the pane's status and title to set.
 * (Bolt routes DM thread messages here, not to `app.event('message')`.)
 */
export function assistantPane({ prompts, engine, log, onMessage }: AssistantPaneOptions): Assistant {
  return new Assistant({
    threadStarted: async ({ event, context, setSuggestedPrompts }) => {
      const { user_id: userId, channel_id: channelId } = event.assistant_thread;
      const asker = { userId, personId: slackPersonId(context.teamId ?? '', userId), roleIds: [], channelId, direct: true };
      const offered = prompts.length > 0 ? prompts.map((text) => ({ title: shortened(text, TITLE_LIMIT), message: text })) : toolPrompts(await engine.listTools(asker));
      if (offered.length === 0) return;
      await setSuggestedPrompts({ prompts: offered.slice(0, MAX_PROMPTS), title: 'Try asking me' }).catch((error: unknown) =>
        log.warn({ ...failureFields(error), channel: channelId }, 'suggested prompts not set'),
      );
    },
    userMessage: async ({ message, body, setStatus, setTitle }) => {
      await onMessage(message as SlackMessageEvent, body.team_id, { setStatus: (status) => setStatus(status), setTitle });
    },
  });
}

/** The pane's title for a thread: its first question, in one short line. */
export function threadTitle(question: string): string {
  return shortened(question.replace(/\s+/g, ' ').trim(), THREAD_TITLE_LIMIT);
}

/** One prompt per tool, from the first tools of the servers that are up: the description's first sentence. */
function toolPrompts(servers: ServerTools[]): { title: string; message: string }[] {
  return servers
    .filter((server) => server.state === 'ready')
    .flatMap((server) => server.tools)
    .filter((tool) => tool.description.trim() !== '' && !tool.asksFirst)
    .slice(0, MAX_PROMPTS)
    .map((tool) => {
      const sentence = firstSentence(tool.description);
      return { title: shortened(sentence, TITLE_LIMIT), message: `${sentence.replace(/\.$/, '')} (with \`${tool.name}\`)` };
    });
}

function firstSentence(text: string): string {
  const line = text.trim().split('\n')[0] ?? '';
  return line.match(/^.*?[.!?](?=\s|$)/)?.[0] ?? line;
}

function shortened(text: string, limit: number): string {
  return text.length <= limit ? text : `${text.slice(0, limit - 1).trimEnd()}…`;
}
