// A real `baton serve --in-memory` on a free port, plus the AWS calls the
// tests use to set it up (the same wire calls an SDK makes).
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import fs from 'node:fs';
import os from 'node:os';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const ROLE = 'arn:aws:iam::123456789012:role/console-tests';

export function batonBinary() {
  if (process.env.BATON_BIN) return process.env.BATON_BIN;
  const target = process.env.CARGO_TARGET_DIR || path.join(ROOT, 'target');
  return path.join(target, 'release', 'baton');
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

export async function startBaton(extra = []) {
  const bin = batonBinary();
  if (!fs.existsSync(bin)) throw new Error(`no baton binary at ${bin} (cargo build --release -p baton, or set BATON_BIN)`);
  const port = await freePort();
  // With --database the executions live in PostgreSQL, and the rest in a
  // data directory of the server's own.
  const store = extra.includes('--database')
    ? ['--data-dir', fs.mkdtempSync(path.join(os.tmpdir(), 'baton-console-'))]
    : ['--in-memory'];
  const proc = spawn(bin, ['serve', ...store, '--port', String(port), ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  proc.stderr.on('data', (d) => (stderr += d));
  await new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`baton did not start: ${out} ${stderr}`)), 20000);
    proc.stdout.on('data', (d) => {
      out += d;
      if (out.includes('ready')) { clearTimeout(timer); resolve(); }
    });
    proc.on('exit', (code) => { clearTimeout(timer); reject(new Error(`baton exited ${code}: ${stderr}`)); });
  });
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    stop: () => new Promise((resolve) => { proc.once('exit', resolve); proc.kill('SIGTERM'); }),
    kill: () => new Promise((resolve) => { proc.once('exit', resolve); proc.kill('SIGKILL'); }),
    sfn: (op, body) => awsJson(url, 'AWSStepFunctions', op, body),
    ddb: (op, body) => awsJson(url, 'DynamoDB_20120810', op, body),
    lambda: (method, p, body) => rest(url, method, p, body),
    sns: (action, params) => query(url, action, params),
  };
}

async function awsJson(url, target, op, body) {
  const res = await fetch(`${url}/`, {
    method: 'POST',
    headers: { 'X-Amz-Target': `${target}.${op}`, 'Content-Type': 'application/x-amz-json-1.0' },
    body: JSON.stringify(body || {}),
  });
  const json = await res.json();
  if (!res.ok) throw new Error(`${op}: ${JSON.stringify(json)}`);
  return json;
}

/** An SNS query-API call (form POST); returns the XML text. */
async function query(url, action, params) {
  const res = await fetch(`${url}/`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ Action: action, Version: '2010-03-31', ...params }),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${action}: ${res.status} ${text}`);
  return text;
}

async function rest(url, method, p, body) {
  const res = await fetch(`${url}${p}`, { method, headers: { 'Content-Type': 'application/json' }, body: body && JSON.stringify(body) });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${p}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

/** The seed's Lottery machine with its four Python functions (run from the fixture folder). */
export async function deployLottery(baton) {
  const folder = path.join(ROOT, 'tests/console/fixtures/lottery');
  const fns = {
    'Lottery-InputWinners': 'input_winners.lambda_handler',
    'Lottery-RandomSelectWinners': 'random_select_winners.lambda_handler',
    'Lottery-ValidateWinners': 'validate_winners.lambda_handler',
    'Lottery-RecordWinners': 'record_winners.lambda_handler',
  };
  for (const [name, handler] of Object.entries(fns)) {
    await baton.lambda('POST', '/2015-03-31/functions', {
      FunctionName: name, Runtime: 'python3.12', Role: ROLE, Handler: handler, Timeout: 30,
      Code: { S3Bucket: 'hot-reload', S3Key: folder },
    });
  }
  // The topic "Notify Winners" publishes to, with an e-mail subscriber (its
  // confirmation request lands in the mailbox).
  const topic = /<TopicArn>([^<]+)<\/TopicArn>/.exec(await baton.sns('CreateTopic', { Name: 'Lottery-Notification' }))[1];
  await baton.sns('Subscribe', { TopicArn: topic, Protocol: 'email', Endpoint: 'winners@example.com' });
  const definition = fs.readFileSync(path.join(ROOT, 'examples/lottery/lottery.asl.json'), 'utf8');
  const { stateMachineArn } = await baton.sfn('CreateStateMachine', { name: 'Lottery', definition, roleArn: ROLE });
  return stateMachineArn;
}

export async function waitFor(check, what, timeoutMs = 30000) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function waitClosed(baton, executionArn) {
  return waitFor(async () => {
    const d = await baton.sfn('DescribeExecution', { executionArn });
    return d.status !== 'RUNNING' && d;
  }, `execution ${executionArn} to close`, 60000);
}
