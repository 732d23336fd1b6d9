// The page's history model (crates/console/web/js/history.js, plain ES, no
// DOM) over histories that `baton run --history` records.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import fs from 'node:fs';
import os from 'node:os';
import { ROOT, batonBinary } from './server.mjs';
import { indexDefinition, ExecutionModel, taskTokenOf, functionOf, requestIdOf } from '../../crates/console/web/js/history.js';

function history(def, args = []) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'baton-history-'));
  const file = path.join(dir, 'm.json');
  fs.writeFileSync(file, typeof def === 'string' ? def : JSON.stringify(def));
  let out;
  try {
    out = execFileSync(batonBinary(), ['run', file, '--history', ...args], { stdio: ['ignore', 'pipe', 'ignore'] });
  } catch (e) {
    out = e.stdout; // a failed execution exits 1 and still prints its history
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return JSON.parse(out).events;
}

function model(def, args) {
  const definition = typeof def === 'string' ? JSON.parse(def) : def;
  const m = new ExecutionModel(indexDefinition(definition));
  const events = history(def, args);
  // Fed in uneven batches, as the live stream delivers them.
  for (let i = 0; i < events.length; i += 7) m.add(events.slice(i, i + 7));
  return m;
}

const lottery = fs.readFileSync(path.join(ROOT, 'examples/lottery/lottery.asl.json'), 'utf8');
const mock = path.join(ROOT, 'examples/lottery/mock.json');

test('the Lottery redraw: the Choice loop gives Random Select Winners two runs', () => {
  const m = model(lottery, ['--input', '{"input": 2}', '--mock', `${mock}#RedrawOnce`]);
  assert.equal(m.status, 'SUCCEEDED');
  assert.equal(m.runsFor('Random Select Winners', {}).length, 2);
  const s = m.statuses({});
  for (const n of ['Input Lottery Winners', 'Validate Winners', 'Notify Winners', 'Record Winner Queue', 'Send SNS and Record In Dynamodb']) {
    assert.equal(s.get(n), 'succeeded', n);
  }
  assert.equal(s.get('Failed'), 'not-started');
  const validate = m.runsFor('Validate Winners', {}).at(-1);
  assert.match(validate.input, /winner_details/);
  assert.match(validate.output, /body/);
  assert.equal(validate.attempts.length, 1);
  assert.equal(validate.attempts[0].status, 'SUCCEEDED');
  // Both branch states belong to the Parallel's run.
  const par = m.runsFor('Send SNS and Record In Dynamodb', {}).at(-1);
  assert.equal(m.runsFor('Notify Winners', {}).at(-1).container, par);
  assert.ok(par.events.some((e) => e.type === 'ParallelStateSucceeded'));
});

test('a caught CustomError: the Task is caught, the Fail state failed, and the failure point is the Task', () => {
  const m = model(lottery, ['--input', '{"input": 2}', '--mock', `${mock}#CustomError`]);
  assert.equal(m.status, 'FAILED');
  const s = m.statuses({});
  assert.equal(s.get('Input Lottery Winners'), 'caught');
  assert.equal(s.get('Failed'), 'failed');
  const p = m.failurePoint();
  assert.equal(p.run.name, 'Input Lottery Winners');
  assert.equal(p.error, 'CustomError');
  assert.equal(functionOf(p.run.attempts[0] && { Resource: p.run.attempts[0].resource }, p.run.attempts[0]), 'Lottery-InputWinners');
  assert.equal(requestIdOf(p.run.attempts[0]), '00000000-0000-0000-0000-000000000003');
});

test('Map iterations are scopes: each iteration\'s runs, statuses and the default pick', () => {
  const def = {
    StartAt: 'Each',
    States: {
      Each: {
        Type: 'Map', ItemsPath: '$.items',
        ItemProcessor: { ProcessorConfig: { Mode: 'INLINE' }, StartAt: 'Check', States: {
          Check: { Type: 'Choice', Choices: [{ Variable: '$', NumericEquals: 3, Next: 'Boom' }], Default: 'Fine' },
          Fine: { Type: 'Pass', End: true },
          Boom: { Type: 'Fail', Error: 'Three', Cause: 'three is bad' },
        } },
        End: true,
      },
    },
  };
  const m = model(def, ['--input', JSON.stringify({ items: [0, 1, 2, 3, 4] })]);
  assert.equal(m.status, 'FAILED');
  const map = m.runsFor('Each', {}).at(-1);
  assert.equal(map.iterations[0].status, 'SUCCEEDED');
  assert.equal(map.iterations[3].status, 'FAILED');
  // Without a choice, the first failed iteration is shown.
  assert.equal(m.defaultIteration(map), 3);
  assert.equal(m.statuses({}).get('Boom'), 'failed');
  assert.equal(m.statuses({ Each: 1 }).get('Boom'), 'not-started');
  assert.equal(m.statuses({ Each: 1 }).get('Fine'), 'succeeded');
  assert.equal(m.runsFor('Check', { Each: 2 })[0].input, '2');
  assert.equal(m.statuses({}).get('Each'), 'failed');
});

test('a Parallel retried after a branch failed: attempts, aborted siblings, caught', () => {
  const def = {
    StartAt: 'Both',
    States: {
      Both: {
        Type: 'Parallel',
        Retry: [{ ErrorEquals: ['States.ALL'], IntervalSeconds: 1, MaxAttempts: 1 }],
        Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Handled' }],
        Branches: [
          { StartAt: 'Slow', States: { Slow: { Type: 'Wait', Seconds: 5, End: true } } },
          { StartAt: 'Bad', States: { Bad: { Type: 'Fail', Error: 'Nope' } } },
        ],
        End: true,
      },
      Handled: { Type: 'Pass', End: true },
    },
  };
  const m = model(def);
  assert.equal(m.status, 'SUCCEEDED');
  const both = m.runsFor('Both', {}).at(-1);
  assert.equal(both.attempts.length, 2);
  assert.equal(m.runStatus(both), 'caught');
  assert.equal(m.runStatus(m.runsFor('Slow', {}).at(-1)), 'aborted');
  assert.equal(m.statuses({}).get('Handled'), 'succeeded');
});

test('the task token a waiting task exposes, from its resolved parameters', () => {
  const def = { Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken', Parameters: { FunctionName: 'f', Payload: { 'token.$': '$$.Task.Token', x: 1 } } };
  const attempt = { end: null, parameters: JSON.stringify({ FunctionName: 'f', Payload: { token: 'TOKEN-1', x: 1 } }) };
  assert.equal(taskTokenOf(def, attempt), 'TOKEN-1');
  assert.equal(taskTokenOf(def, { ...attempt, end: {} }), null);
  assert.equal(taskTokenOf({ Resource: 'arn:aws:states:::lambda:invoke' }, attempt), null);
  assert.equal(functionOf(def, { resourceType: 'lambda', parameters: attempt.parameters }), 'f');
});
