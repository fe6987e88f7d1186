import type { App, Receiver, ReceiverEvent } from '@slack/bolt';

/** A listener's way to say an event was not taken: Slack must not see it acknowledged, so it redelivers. */
export class EventNotTakenError extends Error {
  constructor(cause: unknown) {
    super('the event could not be put on the turn queue', { cause });
    this.name = 'EventNotTakenError';
  }
}

/**
 * Bolt acknowledges an Events API request before its listeners run (App.processEvent), so an event
 * acknowledged by a process that died before queueing it would be lost: Slack redelivers only what
 * was not acknowledged. This wraps Bolt's own receiver (HTTP or Socket Mode) and holds an event's
 * acknowledgement until its listeners have run — the bot's listener only puts the message on the
 * turn queue, well within Slack's 3 s — and drops it when a listener throws EventNotTakenError.
 * Commands and actions are acknowledged when their listener says, as before.
 */
export function ackEventsAfterListeners(inner: Receiver): Receiver {
  return {
    init(app: App) {
      inner.init({ processEvent: (event: ReceiverEvent) => processHoldingAck(app, event) } as unknown as App);
    },
    start: (...args: unknown[]) => inner.start(...args),
    stop: (...args: unknown[]) => inner.stop(...args),
  };
}

async function processHoldingAck(app: App, event: ReceiverEvent): Promise<void> {
  if (event.body.type !== 'event_callback') return app.processEvent(event);
  let held: { response: unknown } | undefined;
  let notTaken: unknown;
  await app.processEvent({ ...event, ack: async (response?: unknown) => void (held = { response }) }).catch((error: unknown) => {
    if (!(error instanceof EventNotTakenError)) throw error;
    notTaken = error;
  });
  // Unacknowledged, Slack redelivers it (HTTP: the receiver answers 500; Socket Mode: no ack is sent).
  if (notTaken) throw notTaken;
  await event.ack(held?.response);
}
