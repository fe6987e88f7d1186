import { z } from 'zod';
import type { TurnJob } from '../../queue/types.js';
import { discordPersonId } from './askers.js';

/** Discord ids hold the time they were made: ms since 2015-01-01 in their top 42 bits. */
const DISCORD_EPOCH_MS = 1_420_070_400_000n;

/** When Discord says a message or interaction with this id was sent (ms since the epoch). */
export function snowflakeTime(id: string): number {
  return Number((BigInt(id) >> 22n) + DISCORD_EPOCH_MS);
}

const attachment = z.object({ name: z.string(), url: z.string(), size: z.number(), contentType: z.string() });

/**
 * Where a turn's answer goes, posted through REST (or the interaction's webhook) by whichever process runs it:
 * - `here`: the channel, thread or DM it was said in; `forum-post` too, and the bot joins that post;
 * - `reply`: a Discord reply to the message, in its channel;
 * - `new-thread`: a thread started on the message (`channelType` for the log when Discord refuses);
 * - `interaction`: the replies of a deferred `/ask` or `/prompt`, through its webhook for the token's 15 minutes;
 *   `maxPosts` is the reply and follow-ups a user-installed app may post where it is not in the server.
 */
const answerPlace = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('here') }),
  z.object({ kind: z.literal('forum-post') }),
  z.object({ kind: z.literal('reply') }),
  z.object({ kind: z.literal('new-thread'), channelType: z.number() }),
  z.object({ kind: z.literal('interaction'), applicationId: z.string(), token: z.string(), maxPosts: z.number().nullable() }),
]);

/**
 * A message (or `/ask`, `/prompt`) accepted for the bot, as plain JSON: everything a process needs to
 * rebuild the engine's message and post the answer, without the guild in its cache (it may be on
 * another process's shard).
 */
const discordTurn = z.object({
  /** Null in DMs and group DMs. */
  guildId: z.string().nullable(),
  /** Where it was said: the channel, thread or DM. */
  channelId: z.string(),
  /** The message's id, or the interaction's. */
  messageId: z.string(),
  /** Who asked and where, as access lists see it (a thread counts as its channel). */
  asker: z
    .object({ userId: z.string(), personId: z.string().optional(), roleIds: z.array(z.string()), channelId: z.string(), direct: z.boolean() })
    // Jobs queued by a process from before per-person accounts carry no personId; it follows from the user id.
    .transform((asker) => ({ ...asker, personId: asker.personId ?? discordPersonId(asker.userId) })),
  /** As the guild shows them (nickname first). */
  authorName: z.string(),
  text: z.string(),
  files: z.array(attachment),
  /** A `/prompt` to fill in with `args` when the turn runs: its text becomes the question. */
  prompt: z.object({ id: z.string(), args: z.record(z.string(), z.string()) }).optional(),
  answer: answerPlace,
});

export type DiscordTurn = z.infer<typeof discordTurn>;
export type DiscordAttachment = z.infer<typeof attachment>;

/** The queue's job for a turn: one per Discord message or interaction (a gateway replay is a duplicate), in the order Discord sent them. */
export function turnJob(threadKey: string, turn: DiscordTurn): TurnJob {
  const source = turn.answer.kind === 'interaction' ? 'discord-interaction' : 'discord-message';
  return { id: `${source}:${turn.messageId}`, threadKey, orderMs: snowflakeTime(turn.messageId), platform: 'discord', data: turn };
}

/**
 * The turn a job carries.
 * @throws Error naming what does not fit, for a job this version of the bot cannot read (one queued by another version)
 */
export function readTurn(job: TurnJob): DiscordTurn {
  const read = discordTurn.safeParse(job.data);
  if (!read.success) throw new Error(`Discord job ${job.id} cannot be read: ${read.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`);
  return read.data;
}
