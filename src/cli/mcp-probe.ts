/**
 * `npm run -s mcp-probe -- <server-url>`: connects to one MCP server through the bot's own pool (the
 * same connection, OAuth and elicitation code), lists its tools, calls each once with arguments built
 * from its schema, and exits 0 when all of it worked. The conformance suite drives it; operators can
 * use it to check a server before adding it to servers_config.json.
 */
import type { ElicitRequest, ElicitResult } from '@modelcontextprotocol/client';
import { parseServer } from '../config/index.js';
import { createLogger } from '../logging/logger.js';
import { McpPool } from '../mcp/index.js';
import type { JsonSchema } from '../mcp/types.js';
import { authForScenario } from './conformance-context.js';
import { sampleObject } from './sample-arguments.js';

const SERVER = 'probe';
const TIMEOUT_MS = 20_000;

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** Accepts every form with the defaults its schema gives (the server fills in what is left), and every page to open as opened. */
async function acceptDefaults(request: ElicitRequest['params']): Promise<ElicitResult> {
  say(`elicitation: ${request.message}`);
  if (request.mode === 'url') return { action: 'accept' };
  return { action: 'accept', content: sampleObject({ ...(request.requestedSchema as JsonSchema), required: [] }) as ElicitResult['content'] };
}

async function probe(url: string): Promise<boolean> {
  const logger = createLogger(process.env.LOG_LEVEL ?? 'warn');
  const entry = { url, auth: authForScenario(process.env.MCP_CONFORMANCE_SCENARIO, process.env.MCP_CONFORMANCE_CONTEXT) };
  const config = parseServer('probe', SERVER, entry, process.env);
  const settings = { configPath: 'probe', servers: [config], startupTimeoutMs: TIMEOUT_MS, defaultToolTimeoutMs: TIMEOUT_MS };
  // Assigned before any link can be followed: start-up hands links over asynchronously.
  let pool: McpPool | undefined = undefined;
  pool = await McpPool.start(settings, logger, {
    oauth: {
      // A test authorization server approves at once and redirects with a code; a real one wants a person.
      showAuthorizationLink: (_server, link) => void followAuthorizationLink(link).then((code) => (code ? pool?.completeAuthorization(link.searchParams.get('state') ?? '', code) : undefined)),
    },
  });
  try {
    if (pool.serverStates()[SERVER] === 'needs-authorization') await settled(pool);
    const state = pool.serverStates()[SERVER];
    const tools = pool.tools();
    say(`server ${state}, ${tools.length} tools`);
    if (state !== 'ready') return false;
    let ok = true;
    for (const tool of tools) {
      const outcome = await pool.callTool(tool.name, sampleObject(tool.inputSchema), { elicit: acceptDefaults });
      say(`${tool.name}: ${outcome.ok ? 'ok' : 'error'}: ${outcome.text.slice(0, 200)}`);
      ok &&= outcome.ok;
    }
    return ok;
  } finally {
    await pool.close();
  }
}

/** Waits for the server to leave `needs-authorization`, one way or the other. */
function settled(pool: McpPool): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, TIMEOUT_MS);
    const stop = pool.onServerEvent((event) => {
      if (event.type !== 'ready' && event.type !== 'failed') return;
      clearTimeout(timer);
      stop();
      resolve();
    });
  });
}

/** Follows an authorization link as a browser would, up to the redirect back to the bot; its `code`, if any. */
async function followAuthorizationLink(link: URL): Promise<string | undefined> {
  const response = await fetch(link, { redirect: 'manual' });
  const location = response.headers.get('location');
  const code = location ? new URL(location, link).searchParams.get('code') : null;
  if (!code) say(`authorization needs a person: open ${link.href}`);
  return code ?? undefined;
}

const url = process.argv[2];
if (!url) {
  process.stderr.write('usage: npm run -s mcp-probe -- <server-url>\n');
  process.exit(2);
}
probe(url).then(
  (ok) => process.exit(ok ? 0 : 1),
  (error: unknown) => {
    process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
