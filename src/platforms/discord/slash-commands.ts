import {
  ApplicationIntegrationType,
  InteractionContextType,
  MessageFlags,
  SlashCommandBuilder,
  type AutocompleteInteraction,
  type ChatInputCommandInteraction,
  type RESTPostAPIChatInputApplicationCommandsJSONBody,
} from 'discord.js';
import type { Asker } from '../../access/index.js';
import { ACCESS_DENIED_MESSAGE, connectResultText, disconnectText, type ConversationEngine } from '../../engine/index.js';
import type { Logger } from '../../logging/logger.js';
import { runReloadCommand, type ServersReload } from '../../reload/index.js';
import { conversationHere } from './interaction-conversations.js';
import { toolListMessages } from './tool-embeds.js';

// Discord's limits for autocomplete: 25 choices, 100 characters per name and value.
const AUTOCOMPLETE_CHOICES = 25;
const CHOICE_LENGTH = 100;

/**
 * A command people can use wherever the app is: installed to a server (guild install) or to their own
 * account (user install, which brings it to DMs and servers the bot is not in), in servers, in the DM
 * with the bot and in other DMs and group DMs (Discord's `integration_types` and `contexts`).
 */
const everywhere = (name: string, description: string) =>
  new SlashCommandBuilder()
    .setName(name)
    .setDescription(description)
    .setIntegrationTypes(ApplicationIntegrationType.GuildInstall, ApplicationIntegrationType.UserInstall)
    .setContexts(InteractionContextType.Guild, InteractionContextType.BotDM, InteractionContextType.PrivateChannel);

export function commandDefinitions(): RESTPostAPIChatInputApplicationCommandsJSONBody[] {
  return [
    everywhere('ask', 'Ask me something; I answer here')
      .addStringOption((option) => option.setName('question').setDescription('Your question').setRequired(true))
      .toJSON(),
    everywhere('tools', 'List the tools I can use, by MCP server')
      .addStringOption((option) => option.setName('server').setDescription('Only this server').setAutocomplete(true))
      .toJSON(),
    everywhere('connect', 'Connect your own account on a server that takes one; only you see the link')
      .addStringOption((option) => option.setName('server').setDescription('The server').setRequired(true).setAutocomplete(true))
      .toJSON(),
    everywhere('disconnect', 'Disconnect your own account from a server: I forget your tokens for it')
      .addStringOption((option) => option.setName('server').setDescription('The server').setRequired(true).setAutocomplete(true))
      .toJSON(),
    everywhere('reset', 'Forget the conversation in this thread or DM').toJSON(),
    everywhere('prompt', 'Use a prompt an MCP server offers; I answer here')
      .addStringOption((option) => option.setName('name').setDescription('The prompt').setRequired(true).setAutocomplete(true))
      .toJSON(),
    everywhere('reload', 'Read the MCP servers file again (bot admins only)').toJSON(),
  ];
}

/**
 * `/tools`, `/connect`, `/disconnect`, `/reset` and `/reload`: always deferred first, privately, so
 * Discord's 3-second window is never missed and nobody else sees the answer (a connect link above all).
 */
export class SlashCommands {
  /** `reload`: what `/reload` runs; without it the command says the bot cannot reload. */
  constructor(
    private readonly engine: ConversationEngine,
    private readonly log: Logger,
    private readonly reload?: ServersReload,
  ) {}

  async run(interaction: ChatInputCommandInteraction, asker: Asker): Promise<void> {
    await interaction.deferReply({ flags: MessageFlags.Ephemeral });
    // For the admins in ADMIN_USERS, whether or not ALLOWED_* admits them.
    if (interaction.commandName === 'reload') {
      await interaction.editReply(await runReloadCommand(this.reload, asker, `discord:${asker.userId}`));
      return;
    }
    if (!this.engine.admits(asker)) {
      await interaction.editReply(ACCESS_DENIED_MESSAGE);
      return;
    }
    if (interaction.commandName === 'tools') return this.tools(interaction, asker);
    if (interaction.commandName === 'connect') return this.connect(interaction, asker);
    if (interaction.commandName === 'disconnect') return this.disconnect(interaction, asker);
    if (interaction.commandName === 'reset') return this.reset(interaction);
    await interaction.editReply(`I don't know the command /${interaction.commandName}.`);
  }

  /** Server names for `server`: every server for /tools, those that take the asker's own account for /connect and /disconnect. */
  async autocomplete(interaction: AutocompleteInteraction, asker: Asker): Promise<void> {
    const typed = interaction.options.getFocused().toLowerCase();
    const names = interaction.commandName === 'tools' ? this.engine.serverNames(asker) : this.engine.personalServers(asker);
    const servers = names.filter((server) => server.length <= CHOICE_LENGTH && server.toLowerCase().includes(typed));
    await interaction.respond(servers.slice(0, AUTOCOMPLETE_CHOICES).map((server) => ({ name: server, value: server })));
  }

  private async tools(interaction: ChatInputCommandInteraction, asker: Asker): Promise<void> {
    const server = interaction.options.getString('server') ?? undefined;
    const servers = await this.engine.listTools(asker, server);
    if (servers.length === 0) {
      await interaction.editReply(server ? `No MCP server is named \`${server}\`.` : 'No MCP servers are configured.');
      return;
    }
    const [first = [], ...more] = toolListMessages(servers);
    await interaction.editReply({ embeds: first });
    for (const embeds of more) await interaction.followUp({ embeds, flags: MessageFlags.Ephemeral });
  }

  /** A link that connects the asker's own account, in the private reply: nobody else may follow it. */
  private async connect(interaction: ChatInputCommandInteraction, asker: Asker): Promise<void> {
    const server = interaction.options.getString('server', true);
    const result = await this.engine.connectAccount(asker, server);
    this.log.info({ server, user: asker.userId, result: result.kind }, '/connect');
    await interaction.editReply(connectResultText(result, server));
  }

  private async disconnect(interaction: ChatInputCommandInteraction, asker: Asker): Promise<void> {
    const server = interaction.options.getString('server', true);
    const had = await this.engine.disconnectAccount(asker, server);
    this.log.info({ server, user: asker.userId, had }, '/disconnect');
    await interaction.editReply(disconnectText(had, server, this.engine.personalServers(asker)));
  }

  private async reset(interaction: ChatInputCommandInteraction): Promise<void> {
    const threadKey = conversationHere(interaction);
    if (!threadKey) {
      await interaction.editReply('Use /reset inside a thread where I answered, or in a DM with me.');
      return;
    }
    await this.engine.reset(threadKey);
    this.log.info({ threadKey, user: interaction.user.id }, 'history reset by command');
    await interaction.editReply('Done: I have forgotten this conversation.');
  }
}
