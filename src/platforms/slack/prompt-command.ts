import type { App, types } from '@slack/bolt';
import type { Asker } from '../../access/index.js';
import { ACCESS_DENIED_MESSAGE, PromptError, promptFields, promptId, type ConversationEngine, type IncomingFile } from '../../engine/index.js';
import type { Logger } from '../../logging/logger.js';
import type { ServerPrompt } from '../../mcp/index.js';
import { blockId, enteredValues, inputBlocks, type StateValue } from './elicitation-blocks.js';
import { failureFields } from './slack-failures.js';
import { commandAsker } from './slash-commands.js';

const PICK = 'prompt_pick';
const FILL = 'prompt_fill';
const CHOICE_BLOCK = 'prompt';
const CHOICE = 'choice';
// Slack's limits: 24 characters for a modal's title, 75 for an option's text, 100 options in a select.
const TITLE_LENGTH = 24;
const OPTION_TEXT = 75;
const OPTIONS = 100;

const clip = (text: string, length: number) => (text.length <= length ? text : `${text.slice(0, length - 1)}…`);
const plain = (text: string, length = OPTION_TEXT) => ({ type: 'plain_text' as const, text: clip(text, length) });

/** A filled prompt, ready to be asked where the command was run. */
export interface PromptTurn {
  teamId: string;
  channel: string;
  asker: Asker;
  prompt: ServerPrompt;
  question: { text: string; files: IncomingFile[] };
}

/** Where the command was run, carried through the modals (a view's `private_metadata`). */
interface Origin {
  teamId: string;
  channel: string;
}

/** The picker: one select of the prompts the asker may use. */
function pickView(prompts: ServerPrompt[], origin: Origin): types.ModalView {
  const options = prompts.slice(0, OPTIONS).map((prompt) => ({ text: plain(prompt.title ? `${promptId(prompt)} — ${prompt.title}` : promptId(prompt)), value: promptId(prompt) }));
  return {
    type: 'modal',
    callback_id: PICK,
    private_metadata: JSON.stringify(origin),
    title: plain('Use a prompt', TITLE_LENGTH),
    submit: plain('Next'),
    close: plain('Cancel'),
    blocks: [{ type: 'input', block_id: CHOICE_BLOCK, label: plain('Prompt'), element: { type: 'static_select', action_id: CHOICE, options } }],
  };
}

/** The prompt's arguments as inputs, below what it does; the prompt's id rides along with where it was asked. */
function fillView(prompt: ServerPrompt, origin: Origin): types.ModalView {
  const about: types.KnownBlock[] = prompt.description ? [{ type: 'section', text: { type: 'plain_text', text: prompt.description } }] : [];
  return {
    type: 'modal',
    callback_id: FILL,
    private_metadata: JSON.stringify({ ...origin, prompt: promptId(prompt) }),
    title: plain(prompt.title ?? prompt.name, TITLE_LENGTH),
    submit: plain('Ask'),
    close: plain('Cancel'),
    blocks: [...about, ...inputBlocks(promptFields(prompt))],
  };
}

/**
 * `/prompt [server/name]`: opens a modal (views.open with the command's trigger_id, which Slack honours
 * for 3 seconds) that picks one of the servers' prompts the asker may use, then asks for its arguments
 * in a second view, or goes straight to the arguments when the command names the prompt. A submitted
 * form with a required argument empty stays open with the error under the input. The filled prompt
 * goes to `startTurn`, which asks it where the command was run.
 */
export function registerPromptCommand(app: App, engine: ConversationEngine, log: Logger, startTurn: (turn: PromptTurn) => void): void {
  // The views close on an acknowledgement without a body; the turn starts after.
  const start = async (origin: Origin, userId: string, prompt: ServerPrompt, args: Record<string, string>) => {
    const asker = commandAsker({ user_id: userId, channel_id: origin.channel, team_id: origin.teamId });
    try {
      const question = await engine.prompts.question(asker, prompt, args);
      startTurn({ ...origin, asker, prompt, question });
    } catch (error) {
      if (!(error instanceof PromptError)) throw error;
      await app.client.chat.postEphemeral({ channel: origin.channel, user: userId, text: error.message }).catch((failed: unknown) => log.warn(failureFields(failed), 'prompt failure could not be told'));
    }
  };

  app.command('/prompt', async ({ command, ack, client, respond }) => {
    await ack();
    const asker = commandAsker(command);
    if (!engine.admits(asker)) return void (await respond({ response_type: 'ephemeral', text: ACCESS_DENIED_MESSAGE }));
    const prompts = engine.prompts.list(asker);
    if (prompts.length === 0) return void (await respond({ response_type: 'ephemeral', text: 'No MCP server offers prompts.' }));
    const origin: Origin = { teamId: command.team_id, channel: command.channel_id };
    const named = command.text.trim() ? engine.prompts.find(asker, command.text.trim()) : undefined;
    if (named && named.arguments.length === 0) return start(origin, asker.userId, named, {});
    const view = named ? fillView(named, origin) : pickView(prompts, origin);
    await client.views.open({ trigger_id: command.trigger_id, view }).catch((error: unknown) => log.warn({ user: asker.userId, ...failureFields(error) }, 'prompt picker could not be opened'));
  });

  app.view(PICK, async ({ ack, view, body }) => {
    const origin = JSON.parse(view.private_metadata) as Origin;
    const chosen = (view.state.values[CHOICE_BLOCK]?.[CHOICE] as StateValue | undefined)?.selected_option?.value ?? '';
    const prompt = engine.prompts.find(commandAsker({ user_id: body.user.id, channel_id: origin.channel, team_id: origin.teamId }), chosen);
    if (!prompt) return void (await ack({ response_action: 'errors', errors: { [CHOICE_BLOCK]: 'That prompt is no longer offered.' } }));
    if (prompt.arguments.length > 0) return void (await ack({ response_action: 'update', view: fillView(prompt, origin) }));
    await ack();
    await start(origin, body.user.id, prompt, {});
  });

  app.view(FILL, async ({ ack, view, body }) => {
    const origin = JSON.parse(view.private_metadata) as Origin & { prompt: string };
    const prompt = engine.prompts.find(commandAsker({ user_id: body.user.id, channel_id: origin.channel, team_id: origin.teamId }), origin.prompt);
    if (!prompt) return void (await ack());
    const fields = promptFields(prompt);
    const read = engine.prompts.readArguments(prompt, enteredValues(fields, view.state.values as Record<string, Record<string, StateValue>>));
    // Slack shows an error under one input; the first field's is where a person starts reading.
    if (!read.ok) return void (await ack({ response_action: 'errors', errors: { [blockId(fields[0]!)]: read.message } }));
    await ack();
    await start(origin, body.user.id, prompt, read.args);
  });
}
