/** A chat platform the bot is reachable on. */
export interface PlatformAdapter {
  readonly platform: string;
  start(): Promise<void>;
  /** Stop taking new messages, let in-flight turns finish (bounded), then disconnect. */
  stop(): Promise<void>;
}
