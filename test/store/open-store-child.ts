// Run as its own process by store.test.ts: tries to open each store URL given as an argument, prints
// one JSON line per outcome and a last `{"done":true}` listing the timers still armed, then ends
// without process.exit, so the parent sees whether whatever a failed open left behind keeps it alive.
import { openStore } from '../../src/store/index.js';
import { testLogger } from '../helpers/logger.js';

await Promise.all(
  process.argv.slice(2).map(async (url) => {
    try {
      const store = await openStore({ url, historyTtlMs: 1000 }, testLogger());
      await store.close();
      console.log(JSON.stringify({ url, opened: true }));
    } catch (error) {
      console.log(JSON.stringify({ url, name: (error as Error).name, message: (error as Error).message }));
    }
  }),
);
// A deadline, a reconnect back-off or a pool's idle timer left armed would hold the process open until it fires.
console.log(JSON.stringify({ done: true, timers: process.getActiveResourcesInfo().filter((resource) => resource === 'Timeout').length }));
