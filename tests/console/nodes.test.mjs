// The console's Nodes table for Batons sharing one PostgreSQL database
// (BATON_TEST_POSTGRES, by default the machine's local server): which node
// is live, which was fenced, how much each runs, seen from each of them.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chromium } from 'playwright-core';
import { ROLE, startBaton } from './server.mjs';

const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const PG = process.env.BATON_TEST_POSTGRES || 'host=127.0.0.1 user=postgres dbname=test';
const SCHEMA = `baton_console_${process.pid}`;

let a;
let b;
let browser;
let page;

before(async () => {
  const shared = ['--database', PG, '--database-schema', SCHEMA, '--node-lease', '1.5'];
  a = await startBaton([...shared, '--node-id', 'node-a']);
  b = await startBaton([...shared, '--node-id', 'node-b']);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS, headless: true });
  page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  page.on('pageerror', (e) => console.error('page error:', e));
});

after(async () => {
  if (browser) await browser.close();
  for (const n of [a, b]) if (n) await n.stop().catch(() => {});
  try {
    execFileSync('psql', [PG, '-qc', `DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`], { stdio: 'ignore' });
  } catch {
    /* psql missing: the schema stays behind */
  }
});

const row = (id) => `section.nodes tr[data-node="${id}"]`;
const cell = async (id, n) => (await page.textContent(`${row(id)} td:nth-child(${n})`)).trim();

test('each node lists both, what each runs, and a dead node as fenced once taken over', async () => {
  const waits = JSON.stringify({ StartAt: 'W', States: { W: { Type: 'Wait', Seconds: 3600, End: true } } });
  const { stateMachineArn } = await a.sfn('CreateStateMachine', { name: 'Long', definition: waits, roleArn: ROLE });
  for (const name of ['one', 'two']) await a.sfn('StartExecution', { stateMachineArn, name });

  await page.goto(`${a.url}/#/`);
  await page.waitForSelector(row('node-b'));
  assert.match(await cell('node-a', 1), /this node/);
  assert.equal(await cell('node-a', 4), '2');
  assert.equal(await cell('node-b', 4), '0');
  assert.equal(await cell('node-b', 3), 'live');

  // A dies; B fences it and runs its executions. B's console says so.
  await a.kill();
  a = null;
  await page.goto(`${b.url}/#/`);
  await page.waitForFunction(
    (sel) => document.querySelector(sel)?.textContent.includes('fenced'),
    `section.nodes tr[data-node="node-a"]`,
    { timeout: 15000 },
  );
  await page.waitForFunction(
    (sel) => document.querySelector(sel)?.textContent.trim() === '2',
    `section.nodes tr[data-node="node-b"] td:nth-child(4)`,
    { timeout: 15000 },
  );
  assert.match(await cell('node-b', 1), /this node/);
});

test('a server with a store of its own shows no Nodes table', async () => {
  const solo = await startBaton();
  try {
    await page.goto(`${solo.url}/#/`);
    await page.waitForSelector('.empty, table.machines');
    assert.equal(await page.locator('section.nodes tr').count(), 0);
  } finally {
    await solo.stop();
  }
});
