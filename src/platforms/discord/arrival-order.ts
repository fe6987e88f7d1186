/**
 * Hands the messages of one channel over in the order they arrived, even when deciding about one
 * takes a lookup (see routeMessage) and a later one is decided at once: a thread's line in the turn
 * queue is only as ordered as the messages put into it.
 */
export class ArrivalOrder {
  /** Per channel, the hand-over of its latest message still waiting for a decision. */
  private readonly waiting = new Map<string, Promise<void>>();

  /**
   * Calls `take` with the decision once every earlier message of `channelId` was handed over;
   * synchronously, before this returns, when nothing there is waiting and the decision is not a
   * promise. Resolves when what `take` started ends; rejects when the decision does.
   */
  next<T>(channelId: string, decision: T | Promise<T>, take: (decided: T) => Promise<void>): Promise<void> {
    const before = this.waiting.get(channelId);
    if (!before && !(decision instanceof Promise)) return take(decision);
    let taken: Promise<void> = Promise.resolve();
    const handedOver = (async () => {
      await before;
      const decided = await decision;
      taken = take(decided);
    })();
    const settled = handedOver.catch(() => undefined);
    this.waiting.set(channelId, settled);
    void settled.then(() => {
      if (this.waiting.get(channelId) === settled) this.waiting.delete(channelId);
    });
    return handedOver.then(() => taken);
  }
}
