import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manyToolsServerConfig } from '../fixtures/index.js';
import { avoidsToolName, loadCatalog, loadQuestions, nameWordsIn, wordsOf } from '../fixtures/many-tools/corpus.js';
import { startPool, type PoolUnderTest } from './pool-helpers.js';

const catalog = loadCatalog();
const questions = loadQuestions();
const serverNames = Object.keys(catalog.servers);
const catalogTools = Object.entries(catalog.servers).flatMap(([server, tools]) => tools.map((tool) => ({ server, ...tool })));

describe('the many-tools catalog', () => {
  it('holds 200 tools of 27 published servers', () => {
    expect(catalogTools).toHaveLength(200);
    expect(serverNames).toHaveLength(27);
  });

  it("names each tool once within its server, and some names are shared between servers, as real catalogs' are", () => {
    for (const [server, tools] of Object.entries(catalog.servers)) {
      expect(new Set(tools.map((tool) => tool.name)).size, server).toBe(tools.length);
    }
    const shared = new Set(catalogTools.map((tool) => tool.name).filter((name, index, names) => names.indexOf(name) !== index));
    expect([...shared]).toEqual(expect.arrayContaining(['create_branch', 'push_files', 'fork_repository', 'search_repositories', 'get_file_contents']));
  });

  it('describes every tool and gives it an object input schema whose required arguments are among its properties', () => {
    for (const tool of catalogTools) {
      const where = `${tool.server}/${tool.name}`;
      expect(tool.description.length, where).toBeGreaterThan(0);
      expect(tool.description.length, where).toBeLessThanOrEqual(700);
      expect(tool.inputSchema.type, where).toBe('object');
      const properties = Object.keys(tool.inputSchema.properties ?? {});
      for (const required of tool.inputSchema.required ?? []) expect(properties, where).toContain(required);
    }
  });
});

describe('the questions asked of the many-tools catalog', () => {
  it('are at least 120, over at least 25 servers, at most 8 for one tool', () => {
    expect(questions.length).toBeGreaterThanOrEqual(120);
    expect(new Set(questions.map((question) => question.server)).size).toBeGreaterThanOrEqual(25);
    const perTool = new Map<string, number>();
    for (const { server, tool } of questions) perTool.set(`${server}/${tool}`, (perTool.get(`${server}/${tool}`) ?? 0) + 1);
    expect([...perTool].filter(([, count]) => count > 8)).toEqual([]);
  });

  it('each ask for a tool the catalog has', () => {
    const missing = questions.filter(({ server, tool }) => !catalog.servers[server]?.some((candidate) => candidate.name === tool));
    expect(missing).toEqual([]);
  });

  it("each say what they want in words other than the tool's name", () => {
    const byName = questions
      .filter(({ question, tool }) => !avoidsToolName(question, tool))
      .map(({ question, tool }) => ({ question, tool, nameWords: nameWordsIn(question, tool) }));
    expect(byName).toEqual([]);
  });

  it('are no two the same', () => {
    expect(new Set(questions.map(({ question }) => question.toLowerCase())).size).toBe(questions.length);
  });
});

describe('telling a question asked by the tool name from one asked in its own words', () => {
  it('splits names on underscores, dashes and camelCase', () => {
    expect(wordsOf('create_or_update_file')).toEqual(['create', 'or', 'update', 'file']);
    expect(wordsOf('trigger-long-running-operation')).toEqual(['trigger', 'long', 'running', 'operation']);
    expect(wordsOf('getUserIssues')).toEqual(['get', 'user', 'issues']);
  });

  it('refuses a question that uses two words of the name, plural or not', () => {
    expect(avoidsToolName('list commits on main', 'list_commits')).toBe(false);
    expect(avoidsToolName('which branches did we list?', 'list_branch')).toBe(false);
  });

  it('allows one word of a longer name, and none of a one-word name', () => {
    expect(avoidsToolName('what changed on main this week?', 'list_commits')).toBe(true);
    expect(avoidsToolName('which branches exist in acme/api?', 'list_branches')).toBe(true);
    expect(avoidsToolName('fetch me that page', 'fetch')).toBe(false);
  });
});

describe('the many-tools fixture server, all 200 tools as one server', () => {
  let under: PoolUnderTest;

  beforeAll(async () => {
    under = await startPool([manyToolsServerConfig('many')]);
  });
  afterAll(async () => {
    await under?.pool.close();
  });

  it('lists all 200 tools, prefixing the names that two servers share', () => {
    const tools = under.pool.tools();
    expect(tools).toHaveLength(200);
    expect(new Set(tools.map((tool) => tool.name)).size).toBe(200);
    expect(tools.map((tool) => tool.name)).toEqual(expect.arrayContaining(['list_commits', 'github_create_branch', 'gitlab_create_branch', 'slack_post_message']));
  });

  it('keeps the published descriptions and schemas', () => {
    const listCommits = under.pool.tools().find((tool) => tool.name === 'list_commits');
    const published = catalog.servers.github?.find((tool) => tool.name === 'list_commits');
    expect(listCommits).toMatchObject({ server: 'many', description: published?.description, inputSchema: published?.inputSchema });
  });

  it('answers a call with the server, the tool and the arguments', async () => {
    expect(await under.pool.callTool('gitlab_create_branch', { project_id: '4521', branch: 'hotfix' })).toMatchObject({
      ok: true,
      text: 'gitlab/create_branch called with {"project_id":"4521","branch":"hotfix"}',
    });
  });
});

describe('the many-tools fixture server, one process per catalog server', () => {
  let under: PoolUnderTest;

  beforeAll(async () => {
    under = await startPool(serverNames.map((server) => manyToolsServerConfig(server, [server])));
  });
  afterAll(async () => {
    await under?.pool.close();
  });

  it('gives the bot the 200 tools of 27 servers', () => {
    expect(Object.values(under.pool.serverStates()).filter((state) => state === 'ready')).toHaveLength(27);
    expect(under.pool.tools()).toHaveLength(200);
    expect(new Set(under.pool.tools().map((tool) => tool.server))).toEqual(new Set(serverNames));
  });

  it('routes a call to the server whose tool was named', async () => {
    const github = under.pool.tools().find((tool) => tool.server === 'github' && tool.toolName === 'create_branch');
    expect(github?.name).toBe('github_create_branch');
    expect(await under.pool.callTool('github_create_branch', { owner: 'acme', repo: 'api', branch: 'release/2.4' })).toMatchObject({
      ok: true,
      server: 'github',
      text: 'github/create_branch called with {"owner":"acme","repo":"api","branch":"release/2.4"}',
    });
  });
});
