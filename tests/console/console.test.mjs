// Browser tests of the console: Playwright driving Debian's Chromium
// against a real `baton serve --in-memory` with the seed's Lottery machine
// and its Python functions.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { chromium } from 'playwright-core';
import { ROOT, ROLE, startBaton, deployLottery, waitClosed } from './server.mjs';

const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
// The flags that work on this machine (see the environment notes): no
// sandbox as root, and no background traffic to Google's hosts.
const FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const ARTIFACTS = process.env.CONSOLE_ARTIFACTS || path.join(process.env.CARGO_TARGET_DIR || path.join(ROOT, 'target'), 'console-artifacts');
const DOCS = process.env.BATON_DOCS_SCREENSHOTS === '1';

let baton;
let browser;
let lottery;
let page;
let goodArn;

const shot = async (p, name) => {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  await p.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
};
const node = (name) => `g.state[data-state="${name}"]`;
const hash = (route) => `${baton.url}/#${route}`;

before(async () => {
  baton = await startBaton();
  lottery = await deployLottery(baton);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS, headless: true });
  const context = await browser.newContext({ viewport: { width: 1440, height: 960 } });
  page = await context.newPage();
  page.on('pageerror', (e) => console.error('page error:', e));
});

after(async () => {
  if (browser) await browser.close();
  if (baton) await baton.stop();
});

test('the home page paints fast and lists the Lottery machine', async () => {
  await page.goto(hash('/'));
  await page.waitForSelector('tr[data-machine="Lottery"]');
  const fcp = await page.evaluate(() => performance.getEntriesByName('first-contentful-paint')[0]?.startTime);
  console.log(`first contentful paint: ${fcp?.toFixed(1)} ms`);
  assert.ok(fcp > 0, 'the browser reports a first paint');
  assert.match(await page.textContent('tr[data-machine="Lottery"]'), /STANDARD/);
  await shot(page, 'machines');
});

test('an execution started from the console changes colour live, state by state', async () => {
  await page.goto(hash(`/machine/${encodeURIComponent(lottery)}/start`));
  const editor = page.locator('[data-testid=input-editor]');
  await editor.fill('{"input": 2}');
  await page.click('[data-testid=start]');
  await page.waitForURL(/#\/execution\//);
  goodArn = decodeURIComponent(page.url().split('#/execution/')[1].split('?')[0]);
  // The first Task is seen running, then succeeded, without a reload.
  await page.waitForSelector(`${node('Input Lottery Winners')}.status-running`, { timeout: 20000 });
  await page.waitForSelector(`${node('Input Lottery Winners')}.status-succeeded`, { timeout: 20000 });
  await page.waitForSelector(`${node('Validate Winners')}.status-succeeded`, { timeout: 30000 });
  await waitClosed(baton, goodArn);
  await page.waitForSelector('[data-testid=status]:not(:text("RUNNING"))');
  await shot(page, 'execution-live');
});

test('the diagram has every state and edge, the Choice loop and the Parallel container', async () => {
  const def = JSON.parse(fs.readFileSync(path.join(ROOT, 'examples/lottery/lottery.asl.json'), 'utf8'));
  const names = [];
  const walk = (m) => {
    for (const [n, s] of Object.entries(m.States)) {
      names.push(n);
      (s.Branches || []).forEach(walk);
    }
  };
  walk(def);
  for (const n of names) assert.equal(await page.locator(`.canvas ${node(n)}`).count(), 1, `state ${n} drawn`);
  assert.ok(await page.locator('.canvas g.edge[data-from="Is Winner In Past Draw"][data-to="Random Select Winners"]').count() >= 1, 'the loop back edge');
  assert.equal(await page.locator('.canvas g.container[data-state="Send SNS and Record In Dynamodb"]').count(), 1);
  const label = await page.getAttribute(node('Validate Winners'), 'aria-label');
  assert.match(label, /Validate Winners, Task state, succeeded/);
});

test('clicking Validate Winners shows its input and output', async () => {
  await page.click(node('Validate Winners'));
  await page.waitForSelector('[data-testid=panel-title]:text("Validate Winners")');
  const io = await page.textContent('[data-testid=panel-io]');
  assert.match(io, /winner_details/);
  assert.match(io, /"status"/);
  assert.match(page.url(), /state=Validate\+Winners|state=Validate%20Winners/);
  await page.evaluate(() => { document.getElementById('toast').className = ''; });
  await page.waitForTimeout(300);
  await shot(page, 'validate-winners');
  if (DOCS) await page.screenshot({ path: path.join(ROOT, 'docs/console-light.png'), fullPage: true });
  await page.evaluate(() => { document.documentElement.dataset.theme = 'dark'; });
  await page.waitForTimeout(300);
  await shot(page, 'validate-winners-dark');
  if (DOCS) await page.screenshot({ path: path.join(ROOT, 'docs/console-dark.png'), fullPage: true });
  await page.evaluate(() => { document.documentElement.dataset.theme = 'light'; });
});

test('deep links restore the view: the same URL in a new page shows the same state', async () => {
  const url = page.url();
  const other = await page.context().newPage();
  await other.goto(url);
  await other.waitForSelector('[data-testid=panel-title]:text("Validate Winners")');
  assert.match(await other.textContent('[data-testid=panel-io]'), /winner_details/);
  await other.close();
});

test('a failed draw shows CustomError on Input Lottery Winners, with the function\'s log', async () => {
  const { executionArn } = await baton.sfn('StartExecution', { stateMachineArn: lottery, input: '{"input": 2, "exception": 1}' });
  await waitClosed(baton, executionArn);
  await page.goto(hash(`/execution/${encodeURIComponent(executionArn)}`));
  // The banner names the error once the history has streamed in.
  const banner = page.locator('[data-testid=error-banner]:has-text("CustomError")');
  await banner.waitFor();
  assert.match(await banner.textContent(), /CustomError/);
  assert.match(await banner.textContent(), /An error occurred!!/);
  await page.click('[data-testid=goto-failure]');
  await page.waitForSelector('[data-testid=panel-title]:text("Input Lottery Winners")');
  assert.match(await page.textContent('[data-testid=step-error]'), /CustomError/);
  // The failing invocation's log sits right under the error...
  await page.waitForSelector('[data-testid=panel-io] [data-testid=log-lines]:has-text("raising CustomError")');
  assert.match(await page.getAttribute(node('Input Lottery Winners'), 'data-error'), /CustomError/);
  await page.waitForSelector(`${node('Input Lottery Winners')}.status-caught`);
  assert.equal(await page.getAttribute(node('Failed'), 'data-status'), 'failed');
  // ...and the Logs tab has every attempt's.
  await page.click('.panel .tab[data-tab=logs]');
  const log = page.locator('[data-testid=log-lines]').first();
  await log.waitFor();
  const text = await log.textContent();
  assert.match(text, /Input asked for a failure: raising CustomError/);
  assert.match(text, /START RequestId/);
  await shot(page, 'failed-execution');
});

test('invalid JSON input shows a located error and starts nothing', async () => {
  const before = (await baton.sfn('ListExecutions', { stateMachineArn: lottery })).executions.length;
  await page.goto(hash(`/machine/${encodeURIComponent(lottery)}/start`));
  await page.locator('[data-testid=input-editor]').fill('{\n  "input": 2,\n  "oops"\n}');
  await page.click('[data-testid=start]');
  const err = page.locator('[data-testid=json-error]');
  await err.waitFor();
  assert.match(await err.textContent(), /line 3, column 9/);
  assert.match(page.url(), /\/start/);
  const after = (await baton.sfn('ListExecutions', { stateMachineArn: lottery })).executions.length;
  assert.equal(after, before);
});

test('a definition that does not validate shows where, and nothing is created', async () => {
  await page.goto(hash('/new'));
  await page.fill('#sm-name', 'Broken');
  await page.locator('[data-testid=definition-editor]').fill(JSON.stringify({ StartAt: 'A', States: { A: { Type: 'Pass', Next: 'Nowhere' } } }, null, 2));
  await page.click('[data-testid=save]');
  const errs = page.locator('[data-testid=validation-errors]');
  await errs.waitFor();
  assert.match(await errs.textContent(), /Nowhere/);
  // The location takes the reader to the place in the definition.
  await errs.locator('button.linkish').first().click();
  const selected = await page.evaluate(() => {
    const t = document.querySelector('[data-testid=definition-editor]');
    return t.value.slice(t.selectionStart, t.selectionEnd);
  });
  assert.match(selected, /^"Next"\s*:$/);
  const { stateMachines } = await baton.sfn('ListStateMachines', {});
  assert.deepEqual(stateMachines.map((m) => m.name), ['Lottery']);
  await shot(page, 'invalid-definition');
  // Fixed, it validates and the preview draws it.
  await page.locator('[data-testid=definition-editor]').fill(JSON.stringify({ StartAt: 'A', States: { A: { Type: 'Pass', End: true } } }));
  await page.click('[data-testid=validate]');
  await page.waitForSelector('[data-testid=preview] g.state[data-state="A"]');
});

test('table and events views: timeline rows, search, JSON download', async () => {
  await page.goto(hash(`/execution/${encodeURIComponent(goodArn)}?view=table`));
  await page.waitForSelector('.trow .tl .bar');
  assert.ok(await page.locator('.vrow').count() >= 5);
  await shot(page, 'table-view');
  await page.goto(hash(`/execution/${encodeURIComponent(goodArn)}?view=events`));
  await page.waitForSelector('.erow');
  await page.fill('input[type=search]', 'LambdaFunctionSucceeded');
  await page.waitForFunction(() => /of \d+ events/.test(document.querySelector('[data-testid=event-count]').textContent));
  const rows = await page.locator('.erow .etype').allTextContents();
  assert.ok(rows.length > 0 && rows.every((t) => t === 'LambdaFunctionSucceeded'), rows.join(','));
  // The search is part of the link: reloading it shows the same rows.
  assert.match(page.url(), /q=LambdaFunctionSucceeded/);
  await page.reload();
  await page.waitForFunction(() => /of \d+ events/.test(document.querySelector('[data-testid=event-count]')?.textContent || ''));
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=download-events]')]);
  const file = await download.path();
  const saved = JSON.parse(fs.readFileSync(file, 'utf8'));
  assert.equal(saved.events[0].type, 'ExecutionStarted');
});

test('keyboard: diagram nodes take focus and Enter opens the step', async () => {
  await page.goto(hash(`/execution/${encodeURIComponent(goodArn)}`));
  await page.waitForSelector(`${node('Random Select Winners')}.status-succeeded`);
  await page.focus(node('Random Select Winners'));
  await page.keyboard.press('Enter');
  await page.waitForSelector('[data-testid=panel-title]:text("Random Select Winners")');
  await page.keyboard.press('Escape');
  await page.waitForFunction(() => !document.querySelector('[data-testid=panel-title]'));
  await page.keyboard.press('d');
  assert.ok(['dark', 'light'].includes(await page.evaluate(() => document.documentElement.dataset.theme)));
});

test('answering a waiting task token and an activity from the console', async () => {
  const { activityArn } = await baton.sfn('CreateActivity', { name: 'Approve' });
  const def = {
    StartAt: 'Ask',
    States: {
      Ask: {
        Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
        Parameters: { FunctionName: 'Lottery-RecordWinners', Payload: { 'token.$': '$$.Task.Token' } },
        Next: 'Approve',
      },
      Approve: { Type: 'Task', Resource: activityArn, End: true },
    },
  };
  const { stateMachineArn } = await baton.sfn('CreateStateMachine', { name: 'Callback', definition: JSON.stringify(def), roleArn: ROLE });
  const { executionArn } = await baton.sfn('StartExecution', { stateMachineArn, input: '{}' });
  await page.goto(hash(`/execution/${encodeURIComponent(executionArn)}`));
  const form = page.locator('[data-testid=callback]');
  await form.waitFor({ timeout: 20000 });
  await form.locator('textarea').fill('{"approved": tru}');
  await form.locator('button:text("Send success")').click();
  await page.waitForSelector('[data-testid=callback] >> text=/line 1, column/');
  await form.locator('textarea').fill('{"approved": true}');
  await form.locator('button:text("Send success")').click();
  const activity = page.locator('[data-testid=activity]');
  await activity.waitFor({ timeout: 20000 });
  await activity.locator('button').click();
  const answer = page.locator('[data-testid=callback]');
  await answer.waitFor();
  await answer.locator('textarea').fill('{"done": 1}');
  await answer.locator('button:text("Send success")').click();
  const d = await waitClosed(baton, executionArn);
  assert.equal(d.status, 'SUCCEEDED');
  assert.deepEqual(JSON.parse(d.output), { done: 1 });
  await page.waitForSelector('[data-testid=status]:text("SUCCEEDED")');
});

test('re-run prefills the input; stop ends a running execution; copy gives the aws command', async () => {
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: baton.url });
  const { executions } = await baton.sfn('ListExecutions', { stateMachineArn: lottery, statusFilter: 'FAILED' });
  const failed = [];
  for (const e of executions) {
    const d = await baton.sfn('DescribeExecution', { executionArn: e.executionArn });
    if (d.input.includes('exception')) failed.push(e.executionArn);
  }
  await page.goto(hash(`/execution/${encodeURIComponent(failed[0])}`));
  await page.click('[data-testid=rerun]');
  await page.waitForURL(/\/start\?from=/);
  const editor = page.locator('[data-testid=input-editor]');
  await page.waitForFunction(() => /exception/.test(document.querySelector('[data-testid=input-editor]')?.value || ''));
  assert.deepEqual(JSON.parse(await editor.inputValue()), { input: 2, exception: 1 });

  const def = { StartAt: 'Nap', States: { Nap: { Type: 'Wait', Seconds: 600, End: true } } };
  const { stateMachineArn } = await baton.sfn('CreateStateMachine', { name: 'Sleepy', definition: JSON.stringify(def), roleArn: ROLE });
  const { executionArn } = await baton.sfn('StartExecution', { stateMachineArn, input: '{"why": "testing"}' });
  await page.goto(hash(`/execution/${encodeURIComponent(executionArn)}`));
  await page.waitForSelector(`${node('Nap')}.status-running`);
  await page.click('button:text("Copy CLI")');
  const cli = await page.evaluate(() => navigator.clipboard.readText());
  assert.match(cli, /^aws stepfunctions start-execution --endpoint-url http:\/\/127\.0\.0\.1:\d+ --state-machine-arn '.*:stateMachine:Sleepy' --input '\{"why": ?"testing"\}'$/);
  page.once('dialog', (d) => d.accept());
  await page.click('[data-testid=stop]');
  await page.waitForSelector('[data-testid=status]:text("ABORTED")');
  await page.waitForSelector(`${node('Nap')}.status-aborted`);
  assert.equal((await baton.sfn('DescribeExecution', { executionArn })).status, 'ABORTED');
});

test('redrive continues a failed execution from its failed state, live', async () => {
  await baton.lambda('POST', '/2015-03-31/functions', {
    FunctionName: 'Flaky', Runtime: 'python3.12', Role: ROLE, Handler: 'flaky.lambda_handler', Timeout: 30,
    Code: { S3Bucket: 'hot-reload', S3Key: path.join(ROOT, 'tests/console/fixtures/lottery') },
  });
  const def = {
    StartAt: 'Prepare',
    States: {
      Prepare: { Type: 'Pass', Next: 'Flaky' },
      Flaky: { Type: 'Task', Resource: 'arn:aws:lambda:us-east-1:123456789012:function:Flaky', End: true },
    },
  };
  const { stateMachineArn } = await baton.sfn('CreateStateMachine', { name: 'Redrivable', definition: JSON.stringify(def), roleArn: ROLE });
  const flag = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'baton-flag-')), 'ready');
  const { executionArn } = await baton.sfn('StartExecution', { stateMachineArn, input: JSON.stringify({ flag }) });
  assert.equal((await waitClosed(baton, executionArn)).status, 'FAILED');
  await page.goto(hash(`/execution/${encodeURIComponent(executionArn)}`));
  await page.waitForSelector(`${node('Flaky')}.status-failed`);
  fs.writeFileSync(flag, 'yes');
  await page.click('[data-testid=redrive]');
  await page.waitForSelector(`${node('Flaky')}.status-succeeded`, { timeout: 30000 });
  await page.waitForSelector('[data-testid=status]:text("SUCCEEDED")');
  assert.equal((await baton.sfn('DescribeExecution', { executionArn })).status, 'SUCCEEDED');
  // The first, failed run is still there to read.
  await page.click(node('Flaky'));
  await page.waitForSelector('.runpicker >> text=Run 2 of 2');
  assert.equal(await page.getAttribute(node('Prepare'), 'data-status'), 'succeeded');
  fs.rmSync(path.dirname(flag), { recursive: true, force: true });
});

test('an Express machine runs synchronously from the start page', async () => {
  const def = { StartAt: 'Echo', States: { Echo: { Type: 'Pass', Parameters: { 'got.$': '$.x' }, End: true } } };
  const { stateMachineArn } = await baton.sfn('CreateStateMachine', { name: 'Quick', type: 'EXPRESS', definition: JSON.stringify(def), roleArn: ROLE });
  await page.goto(hash(`/machine/${encodeURIComponent(stateMachineArn)}/start`));
  await page.locator('[data-testid=input-editor]').fill('{"x": 42}');
  await page.click('[data-testid=start]');
  const result = page.locator('[data-testid=sync-result]');
  await result.waitFor();
  assert.match(await result.textContent(), /SUCCEEDED/);
  assert.match(await result.textContent(), /"got": 42/);
});

test('a 25,000-event history loads with a virtualised list', async () => {
  const def = {
    StartAt: 'Init',
    States: {
      Init: { Type: 'Pass', Result: 0, ResultPath: '$.n', Next: 'Inc' },
      Inc: { Type: 'Pass', Parameters: { 'n.$': 'States.MathAdd($.n, 1)' }, Next: 'Again' },
      Again: { Type: 'Choice', Choices: [{ Variable: '$.n', NumericLessThan: 100000, Next: 'Inc' }], Default: 'Done' },
      Done: { Type: 'Succeed' },
    },
  };
  const { stateMachineArn } = await baton.sfn('CreateStateMachine', { name: 'Spin', definition: JSON.stringify(def), roleArn: ROLE });
  const { executionArn } = await baton.sfn('StartExecution', { stateMachineArn, input: '{}' });
  await waitClosed(baton, executionArn);
  await page.goto(hash(`/execution/${encodeURIComponent(executionArn)}?view=events`));
  await page.waitForFunction(() => document.querySelector('[data-testid=event-count]')?.textContent === '25000 events', null, { timeout: 60000 });
  assert.ok(await page.locator('.erow').count() < 200, 'only the rows in view are in the DOM');
  await page.locator('.vlist').evaluate((el) => { el.scrollTop = el.scrollHeight; });
  await page.waitForSelector('.erow >> text=ExecutionFailed');
  await shot(page, 'events-25000');
});

test('a 1,000-iteration Map: pick any iteration and read its step', async () => {
  const def = {
    StartAt: 'Each',
    States: {
      Each: { Type: 'Map', ItemsPath: '$.items', ItemProcessor: { ProcessorConfig: { Mode: 'INLINE' }, StartAt: 'Square', States: { Square: { Type: 'Pass', Parameters: { 'v.$': '$' }, End: true } } }, End: true },
    },
  };
  const { stateMachineArn } = await baton.sfn('CreateStateMachine', { name: 'Thousand', definition: JSON.stringify(def), roleArn: ROLE });
  const items = Array.from({ length: 1000 }, (_, i) => i);
  const { executionArn } = await baton.sfn('StartExecution', { stateMachineArn, input: JSON.stringify({ items }) });
  await waitClosed(baton, executionArn);
  await page.goto(hash(`/execution/${encodeURIComponent(executionArn)}?state=Square&it=Each:737`));
  await page.waitForSelector('.iterpicker >> text=of 1000');
  await page.waitForSelector('[data-testid=panel-title]:text("Square")');
  await page.waitForFunction(() => /"v": 737/.test(document.querySelector('[data-testid=panel-io]')?.textContent || ''));
  await page.click('.iterpicker button[data-key="]"]');
  await page.waitForFunction(() => /"v": 738/.test(document.querySelector('[data-testid=panel-io]')?.textContent || ''));
  await shot(page, 'map-1000');
});

test('a Distributed Map shows its Map Run live, and each child opens as an execution', async () => {
  const { activityArn } = await baton.sfn('CreateActivity', { name: 'row' });
  const def = {
    StartAt: 'Rows',
    States: {
      Rows: {
        Type: 'Map', Label: 'Rows', MaxConcurrency: 1, End: true,
        ItemProcessor: { ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' }, StartAt: 'Work', States: { Work: { Type: 'Task', Resource: activityArn, End: true } } },
      },
    },
  };
  const { stateMachineArn } = await baton.sfn('CreateStateMachine', { name: 'Fanout', definition: JSON.stringify(def), roleArn: ROLE });
  const { executionArn } = await baton.sfn('StartExecution', { stateMachineArn, input: '[1, 2, 3]' });
  await page.goto(hash(`/execution/${encodeURIComponent(executionArn)}`));
  const section = page.locator('[data-testid=map-runs]');
  await section.locator('text=1 running').waitFor();
  assert.match(await section.textContent(), /2 pending of 3 items/);
  assert.match(await section.textContent(), /at most 1 at once/);
  for (let i = 0; i < 3; i++) {
    const task = await baton.sfn('GetActivityTask', { activityArn });
    await baton.sfn('SendTaskSuccess', { taskToken: task.taskToken, output: task.input });
  }
  await waitClosed(baton, executionArn);
  await section.locator('text=3 succeeded').waitFor({ timeout: 20000 });
  assert.equal(await section.locator('tbody tr').count(), 3);
  await shot(page, 'map-run');
  await section.locator('tbody tr a').first().click();
  await page.waitForSelector(`${node('Work')}.status-succeeded`);
  assert.equal(await page.locator('[data-testid=rerun]').count(), 0, 'a child is re-run through its parent');
  await page.click('[data-testid=parent-link]');
  await page.waitForURL((u) => u.hash.includes(encodeURIComponent(executionArn)));
  await section.locator('text=3 succeeded').waitFor();
});

test('functions, tables and mailbox pages', async () => {
  await page.goto(hash('/functions'));
  await page.waitForSelector('text=Lottery-InputWinners');
  await page.goto(hash('/function/Lottery-InputWinners'));
  const log = page.locator('[data-testid=log-lines]');
  await log.waitFor();
  assert.match(await log.textContent(), /Drawing 2 winners/);
  await shot(page, 'function-log');
  await baton.ddb('CreateTable', {
    TableName: 'Winners', BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }], KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
  });
  await baton.ddb('PutItem', { TableName: 'Winners', Item: { id: { S: 'w1' }, name: { S: 'Alice' }, serial: { N: '3' } } });
  await page.goto(hash('/tables'));
  await page.click('a:text("Winners")');
  await page.waitForSelector('.vrow.itemrow >> text=w1');
  await page.click('.vrow.itemrow');
  await page.waitForSelector('.panel >> text=Alice');
  await shot(page, 'table-items');
  assert.match(await page.textContent('.panel'), /"serial": 3/);
  await page.goto(hash('/mailbox'));
  await page.waitForSelector('main >> text=Lottery-Notification');
  await page.waitForSelector('.mail >> text=winners@example.com');
  assert.match(await page.textContent('.mail'), /ConfirmSubscription/);
  await shot(page, 'mailbox');
  // The confirmation link (AWS's GET form on Baton's port) confirms the subscriber.
  const [popup] = await Promise.all([page.waitForEvent('popup'), page.click('.mail a[href*="ConfirmSubscription"]')]);
  await popup.waitForLoadState();
  assert.match(await popup.content(), /ConfirmSubscriptionResponse/);
  await popup.close();
  await page.reload();
  await page.waitForSelector('main >> text=/:Lottery-Notification:[0-9a-f-]{36}/');
  await page.goto(hash('/'));
  await page.waitForSelector('tr[data-machine="Lottery"] a >> text=/ago/');
  await shot(page, 'machines-after');
  await page.goto(hash(`/machine/${encodeURIComponent(lottery)}`));
  await page.waitForSelector('.exrow[data-execution]');
  await page.waitForSelector('[data-testid=diagram] g.state[data-state="Validate Winners"]');
  await shot(page, 'executions');
});
