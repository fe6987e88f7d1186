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
}
