/** Everything the engine knows about a message: no platform objects cross this line. */
export interface Author {
  id: string;
  name: string;
}

export interface IncomingMessage {
  /** `platform:workspace-or-guild:channel:thread`; one history and one queue per key. */
  threadKey: string;
  author: Author;
  text: string;
}

export type TurnProgress = { type: 'tool'; tool: string; server: string; step: number };

export interface ImageAttachment {
  data: Buffer;
  mimeType: string;
  filename: string;
}

export interface FinalAnswer {
  text: string;
  /** Images tools returned during the turn, for the adapter to attach. */
  images: ImageAttachment[];
}

/** How an adapter receives one turn's output; each platform implements it for one thread. */
export interface Reply {
  progress(event: TurnProgress): Promise<void>;
  final(answer: FinalAnswer): Promise<void>;
  /** A short, user-facing sentence; the details are in the logs. */
  error(message: string): Promise<void>;
}

export interface ServerTools {
  server: string;
  state: string;
  tools: { name: string; description: string }[];
}
