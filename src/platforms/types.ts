import type { TurnJob, TurnLease } from '../queue/types.js';

/** A chat platform the bot is reachable on. */
export interface PlatformAdapter {
  readonly platform: string;
  start(): Promise<void>;
  /** True while the platform can reach the bot (for the health check). */
  connected(): boolean;
  /** Stop taking new messages, let in-flight turns finish (bounded), then disconnect. */
  stop(): Promise<void>;
  /** A direct message from the bot to a person by platform id; false when they cannot be reached here. */
  sendDirectMessage?(userId: string, text: string): Promise<boolean>;
  /** A line from the bot in a conversation of this platform, by its thread key; false when it cannot be posted there. */
  postToThread?(threadKey: string, text: string): Promise<boolean>;
  /**
   * Runs a turn job this platform queued, on whichever process the queue gives it to: rebuilds the
   * message and its reply target from `job.data` alone and hands the turn to the engine with `lease`.
   */
  runJob?(job: TurnJob, lease: TurnLease): Promise<void>;
}
