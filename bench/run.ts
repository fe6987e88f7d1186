/**
 * `npm run bench`: the engine's own cost, each figure a ratio against a baseline measured in the same
 * run or a percentile over many repetitions. BENCH_QUICK=1 for a short run. Writes bench/results.json.
 */
import { writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { measureConcurrency } from './concurrency.js';
import { measureDiscordFirstText } from './discord-first-text.js';
import { measureEndToEndTurns } from './e2e-turn.js';
import { measureFirstAnswer } from './first-answer.js';
import { round } from './measure.js';
import { measureMemory } from './memory.js';
import { measureOverhead } from './overhead.js';
import { measureParser } from './parser.js';
import { measureProcessMemory } from './process-memory.js';
import { measureSlackFirstText } from './slack-first-text.js';
import { measureStartup } from './startup.js';
import { measureStoreOps } from './store-ops.js';
import { measureStreamOverhead } from './stream-overhead.js';
import { measureToolChoice } from './tool-choice.js';

const quick = process.env.BENCH_QUICK === '1';
const size = quick
  ? { turns: 200, poolCalls: 500, threads: 100, startupRounds: 1, memoryThreads: 2_000, storeMs: 500, e2eQuestions: 50, streamQuestions: 10 }
  : { turns: 1_000, poolCalls: 2_000, threads: 100, startupRounds: 3, memoryThreads: 10_000, storeMs: 2_000, e2eQuestions: 200, streamQuestions: 30 };

interface Row {
  key: string;
  value: number | boolean | null;
  target?: string;
  ok?: boolean;
}

function log(step: string): void {
  process.stderr.write(`bench: ${step}…\n`);
}

async function main(): Promise<void> {
  const started = Date.now();
  log(`${size.e2eQuestions} questions through npm start against the same work done directly`);
  const e2e = await measureEndToEndTurns(size.e2eQuestions);
  log(`${size.streamQuestions} streamed answers through npm start against the same answers whole`);
  const streaming = await measureStreamOverhead(size.streamQuestions, 2);
  log('50 streamed answers on the fake Slack: first text after the model\'s first chunk');
  const slackFirstText = await measureSlackFirstText(50);
  log('50 streamed answers on the fake Discord: first text after the model\'s first chunk');
  const discordFirstText = await measureDiscordFirstText(50);
  log('engine overhead and pool call cost');
  const overhead = await measureOverhead(size.turns, size.poolCalls);
  log(`${size.threads} threads at once`);
  const concurrency = await measureConcurrency(size.threads);
  log('parallel start-up');
  const startup = await measureStartup(size.startupRounds);
  log('npm start to the first answer');
  const firstAnswer = await measureFirstAnswer(size.startupRounds + 2);
  log(`memory over ${size.memoryThreads} threads × 10 messages`);
  const memory = await measureMemory(size.memoryThreads);
  log(`the bot process on Discord: idle, then ${size.threads} threads at once`);
  const processMemory = await measureProcessMemory(size.threads);
  log('store operations');
  const store = await measureStoreOps(size.storeMs);
  log('tool-call parser');
  const parser = measureParser();
  log('tools offered from a catalog of 200');
  const toolChoice = await measureToolChoice();

  const rows: Row[] = [
    { key: 'e2e_turn_ratio', value: round(e2e.e2e_turn_ratio), target: '≤ 1.10', ok: e2e.e2e_turn_ratio <= 1.1 },
    { key: 'e2e_bot_ms_per_turn', value: round(e2e.bot_ms_per_turn, 2) },
    { key: 'e2e_raw_ms_per_turn', value: round(e2e.raw_ms_per_turn, 2) },
    { key: 'stream_overhead_ratio', value: round(streaming.stream_overhead_ratio), target: '≤ 1.05', ok: streaming.stream_overhead_ratio <= 1.05 },
    { key: 'stream_streamed_ms_per_turn', value: round(streaming.streamed_ms_per_turn, 1) },
    { key: 'stream_whole_ms_per_turn', value: round(streaming.whole_ms_per_turn, 1) },
    { key: 'first_text_ms_p50_slack', value: round(slackFirstText.first_text_ms_p50_slack, 1), target: '≤ 250', ok: slackFirstText.first_text_ms_p50_slack <= 250 },
    { key: 'first_text_ms_p50_discord', value: round(discordFirstText.first_text_ms_p50_discord, 1), target: '≤ 250', ok: discordFirstText.first_text_ms_p50_discord <= 250 },
    { key: 'overhead_p50_ms', value: round(overhead.overhead_p50_ms), target: '≤ 1', ok: overhead.overhead_p50_ms <= 1 },
    { key: 'overhead_p99_ms', value: round(overhead.overhead_p99_ms), target: '≤ 5', ok: overhead.overhead_p99_ms <= 5 },
    { key: 'pool_call_ratio', value: round(overhead.pool_call_ratio), target: '≤ 1.10', ok: overhead.pool_call_ratio <= 1.1 },
    { key: 'concurrency_ratio', value: round(concurrency.concurrency_ratio), target: '≤ 1.10', ok: concurrency.concurrency_ratio <= 1.1 },
    { key: 'ordering_ok', value: concurrency.ordering_ok, target: 'true', ok: concurrency.ordering_ok },
    { key: 'startup_ratio', value: round(startup.startup_ratio), target: '≤ 1.15', ok: startup.startup_ratio <= 1.15 },
    { key: 'startup_ready_ms', value: Math.round(startup.startup_ready_ms), target: `≤ ${Math.round(startup.slowest_server_ms * 1.15 + 150)} (slowest server alone × 1.15 + 150)`, ok: startup.startup_ready_ms <= startup.slowest_server_ms * 1.15 + 150 },
    { key: 'slowest_server_ms', value: Math.round(startup.slowest_server_ms) },
    { key: 'startup_first_answer_ms', value: Math.round(firstAnswer.startup_first_answer_ms), target: '≤ 1000', ok: firstAnswer.startup_first_answer_ms <= 1_000 },
    { key: 'rss_mb_idle', value: round(processMemory.rss_mb_idle, 1), target: '≤ 120', ok: processMemory.rss_mb_idle <= 120 },
    { key: 'rss_mb_100_threads', value: round(processMemory.rss_mb_threads, 1), target: `≤ ${round(processMemory.rss_mb_idle + 40, 1)} (idle + 40)`, ok: processMemory.rss_mb_threads <= processMemory.rss_mb_idle + 40 },
    { key: 'rss_growth_mb_10k_threads', value: round(memory.rss_growth_mb, 1), target: `≤ 30${memory.threads !== 10_000 ? ` (${memory.threads} threads)` : ''}`, ok: memory.rss_growth_mb <= 30 },
    ...Object.entries(store).map(([backend, value]) => ({ key: `store_ops_per_s_${backend}`, value: value === null ? null : Math.round(value) })),
    { key: 'parse_us_p50', value: round(parser.parse_us_p50, 2) },
    { key: 'tool_prompt_chars_200_tools_json', value: toolChoice.prompt_chars_json, target: '≤ 12000', ok: toolChoice.prompt_chars_json <= 12_000 },
    { key: 'tool_prompt_chars_200_tools_native', value: toolChoice.prompt_chars_native, target: '≤ 12000', ok: toolChoice.prompt_chars_native <= 12_000 },
    { key: 'tool_recall_at_k', value: round(toolChoice.recall_first_call), target: `≥ 0.95 (${toolChoice.questions} questions)`, ok: toolChoice.recall_first_call >= 0.95 },
    { key: 'tool_reach_within_two_steps', value: round(toolChoice.reach_within_two_steps), target: '= 1.0', ok: toolChoice.reach_within_two_steps === 1 },
  ];

  const width = Math.max(...rows.map((row) => row.key.length));
  process.stdout.write(`\n${'figure'.padEnd(width)}  ${'value'.padStart(10)}  target\n`);
  for (const row of rows) {
    const value = row.value === null ? 'not run' : String(row.value);
    const verdict = row.ok === undefined ? '' : row.ok ? '  ok' : '  MISSED';
    process.stdout.write(`${row.key.padEnd(width)}  ${value.padStart(10)}  ${row.target ?? ''}${verdict}\n`);
  }
  const cores = availableParallelism();
  process.stdout.write(`\n${quick ? 'quick' : 'full'} run, ${cores} cores, Node ${process.version}, ${Math.round((Date.now() - started) / 1000)} s\n`);

  const results = Object.fromEntries(rows.map((row) => [row.key, row.value]));
  await writeFile(path.join(import.meta.dirname, 'results.json'), `${JSON.stringify({ ...results, memory_threads: memory.threads, quick, cores, node: process.version }, null, 2)}\n`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
