// Turns an execution's history into what the pages show: one "run" per
// state entry (with its attempts, failures and events), Map iterations and
// the execution's own outcome. Events are added incrementally (live
// updates), each in O(1), so a 25,000-event history is cheap.
//
// Scope: a state inside a Map runs once per iteration, so a run's key is
// its scope ("" at the top, "M#3" in iteration 3 of Map M, "M#3/N#0" when
// nested) plus its name. An event's scope and owning run follow its
// previousEventId chain; a MapIterationStarted opens a child scope.

/** Walks a definition: every state's definition, type and containers. */
export function indexDefinition(def) {
  const states = new Map();
  const order = [];
  const walk = (machine, parent, maps, branch) => {
    if (!machine || typeof machine.States !== 'object') return;
    const names = flowOrder(machine);
    for (const name of names) {
      const sd = machine.States[name] || {};
      states.set(name, { name, def: sd, type: sd.Type, parent, maps, branch });
      order.push(name);
      if (sd.Type === 'Parallel') {
        (sd.Branches || []).forEach((b, i) => walk(b, name, maps, i));
      } else if (sd.Type === 'Map') {
        walk(sd.ItemProcessor || sd.Iterator, name, [...maps, name], 0);
      }
    }
  };
  walk(def, null, [], 0);
  return { states, order, def };
}

/** State names of one machine/branch in flow order from StartAt (then the unreachable ones). */
function flowOrder(machine) {
  const seen = new Set();
  const out = [];
  const stack = [machine.StartAt];
  while (stack.length) {
    const n = stack.shift();
    if (!n || seen.has(n) || !machine.States[n]) continue;
    seen.add(n);
    out.push(n);
    const s = machine.States[n];
    const next = [s.Next, ...(s.Choices || []).map((c) => c.Next), s.Default, ...(s.Catch || []).map((c) => c.Next)];
    stack.push(...next.filter(Boolean));
  }
  for (const n of Object.keys(machine.States)) if (!seen.has(n)) out.push(n);
  return out;
}

export function details(e) {
  for (const k in e) if (k.endsWith('EventDetails')) return e[k];
  return {};
}

const SCHEDULED = /(TaskScheduled|LambdaFunctionScheduled|ActivityScheduled)$/;
const STARTED = /(TaskStarted|LambdaFunctionStarted|ActivityStarted|TaskSubmitted)$/;
const SUCCEEDED = /(TaskSucceeded|LambdaFunctionSucceeded|ActivitySucceeded)$/;
const FAILED = /(TaskFailed|TaskTimedOut|TaskStartFailed|TaskSubmitFailed|LambdaFunctionFailed|LambdaFunctionTimedOut|LambdaFunctionStartFailed|LambdaFunctionScheduleFailed|ActivityFailed|ActivityTimedOut|ActivityScheduleFailed|ParallelStateFailed|MapStateFailed|EvaluationFailed)$/;

const key = (scope, name) => `${scope}\u0001${name}`;
const parentScope = (scope) => scope.slice(0, Math.max(0, scope.lastIndexOf('/')));

export class ExecutionModel {
  constructor(index) {
    this.index = index;
    this.events = [];
    this.info = new Map(); // event id -> {scope, run}
    this.runs = [];
    this.byKey = new Map(); // scope+name -> runs (oldest first)
    this.execEvents = [];
    this.status = 'RUNNING';
    this.execution = {};
    this.lastId = 0;
    this.version = 0;
  }

  add(events) {
    for (const e of events) {
      if (e.id <= this.lastId) continue;
      this.lastId = e.id;
      this.events.push(e);
      this.process(e);
    }
    this.version++;
  }

  runsOf(scope, name) {
    return this.byKey.get(key(scope, name)) || [];
  }

  process(e) {
    const t = e.type;
    const d = details(e);
    const prev = this.info.get(e.previousEventId) || { scope: '', run: null };
    let { scope, run } = prev;
    if (t === 'MapIterationStarted') {
      const mapRun = run;
      const child = `${scope ? `${scope}/` : ''}${d.name}#${d.index}`;
      if (mapRun) {
        mapRun.iterations[d.index] = { index: d.index, status: 'RUNNING', start: e, end: null, scope: child };
        mapRun.events.push(e);
      }
      this.info.set(e.id, { scope: child, run: null });
      return;
    }
    if (/^MapIteration(Succeeded|Failed|Aborted)$/.test(t)) {
      const seg = `${d.name}#${d.index}`;
      const at = scope.lastIndexOf(seg);
      const outer = at >= 0 ? scope.slice(0, Math.max(0, at - 1)) : scope;
      const mapRun = this.runsOf(outer, d.name).at(-1);
      if (mapRun) {
        const it = mapRun.iterations[d.index];
        if (it) {
          it.status = t.replace('MapIteration', '').toUpperCase();
          it.end = e;
          if (d.error) it.failure = { error: d.error, cause: d.cause };
        }
        mapRun.events.push(e);
      }
      this.info.set(e.id, { scope: outer, run: mapRun || null });
      return;
    }
    if (t.endsWith('StateEntered')) {
      const r = {
        id: e.id, name: d.name, type: t.slice(0, -'StateEntered'.length), scope,
        entered: e, exited: null, input: d.input, output: undefined,
        attempts: [], failures: [], lastOutcome: null, events: [e], iterations: [],
        container: this.containerOf(d.name, scope),
        seq: this.runsOf(scope, d.name).length,
      };
      this.runs.push(r);
      const k = key(scope, d.name);
      if (!this.byKey.has(k)) this.byKey.set(k, []);
      this.byKey.get(k).push(r);
      this.info.set(e.id, { scope, run: r });
      return;
    }
    if (t.endsWith('StateExited')) {
      const r = this.runsOf(scope, d.name).at(-1) || run;
      if (r) {
        r.exited = e;
        r.output = d.output;
        r.events.push(e);
      }
      this.info.set(e.id, { scope, run: r ? r.container : null });
      return;
    }
    if (t.startsWith('Execution')) {
      this.execEvents.push(e);
      if (t === 'ExecutionStarted') this.execution.input = d.input;
      else if (t === 'ExecutionSucceeded') { this.status = 'SUCCEEDED'; this.execution.output = d.output; }
      else if (t === 'ExecutionFailed') { this.status = 'FAILED'; Object.assign(this.execution, { error: d.error, cause: d.cause }); }
      else if (t === 'ExecutionTimedOut') { this.status = 'TIMED_OUT'; Object.assign(this.execution, { error: d.error, cause: d.cause }); }
      else if (t === 'ExecutionAborted') { this.status = 'ABORTED'; Object.assign(this.execution, { error: d.error, cause: d.cause }); }
      else if (t === 'ExecutionRedriven') {
        // What was unfinished stays as it ended; the redrive runs those states again.
        for (const r of this.runs) if (!r.exited && !r.closed) r.closed = this.runStatus(r);
        this.status = 'RUNNING';
        this.redriveCount = d.redriveCount;
        delete this.execution.error;
        delete this.execution.cause;
        delete this.execution.output;
      }
      this.info.set(e.id, { scope, run });
      return;
    }
    // A Parallel's or Map's own events follow the event that ended a branch
    // or iteration: they belong to the container's run, not that child's.
    const own = /^(Parallel|Map)State(Started|Succeeded|Failed|Aborted)$/.exec(t);
    if (own) {
      while (run && run.type !== own[1]) run = run.container;
    }
    this.info.set(e.id, { scope, run });
    if (!run) {
      this.execEvents.push(e);
      return;
    }
    run.events.push(e);
    if (own && own[2] !== 'Succeeded') this.closeChildren(run);
    if (own) {
      // Each start of a container is an attempt (its Retry re-runs it whole).
      if (own[2] === 'Started') run.attempts.push({ scheduled: e, started: e, end: null, status: 'RUNNING' });
      else {
        const a = run.attempts.at(-1);
        if (a && !a.end) { a.end = e; a.status = own[2].toUpperCase(); a.error = d.error; a.cause = d.cause; }
      }
    }
    if (SCHEDULED.test(t)) {
      run.attempts.push({ scheduled: e, started: null, end: null, status: 'RUNNING', resource: d.resource, resourceType: d.resourceType, parameters: d.parameters ?? d.input });
    } else if (STARTED.test(t)) {
      const a = run.attempts.at(-1);
      if (a) a.started = a.started || e;
    } else if (SUCCEEDED.test(t)) {
      const a = run.attempts.at(-1);
      if (a) { a.end = e; a.status = 'SUCCEEDED'; a.output = d.output; }
      run.lastOutcome = 'ok';
    } else if (FAILED.test(t)) {
      const a = run.attempts.at(-1);
      if (a && !a.end) { a.end = e; a.status = /TimedOut$/.test(t) ? 'TIMED_OUT' : 'FAILED'; a.error = d.error; a.cause = d.cause; }
      run.failures.push({ event: e, error: d.error, cause: d.cause });
      run.lastOutcome = 'fail';
    } else if (/^(Parallel|Map)StateSucceeded$/.test(t)) {
      run.lastOutcome = 'ok';
    }
  }

  /** A container failed, was aborted or restarts: its unfinished children are over. */
  closeChildren(container) {
    for (let i = this.runs.length - 1; i >= 0 && this.runs[i].id > container.id; i--) {
      const r = this.runs[i];
      if (r.exited || r.closed) continue;
      let c = r.container;
      while (c && c !== container) c = c.container;
      if (c) r.closed = r.lastOutcome === 'fail' || r.type === 'Fail' ? 'failed' : 'aborted';
    }
  }

  /** The open Parallel/Map run that a state entered in `scope` belongs to. */
  containerOf(name, scope) {
    const s = this.index.states.get(name);
    if (!s || !s.parent) return null;
    const p = this.index.states.get(s.parent);
    const where = p && p.type === 'Map' ? parentScope(scope) : scope;
    return this.runsOf(where, s.parent).at(-1) || null;
  }

  /** succeeded | caught | failed | running | aborted | retrying */
  runStatus(r) {
    if (r.exited) return r.lastOutcome === 'fail' ? 'caught' : 'succeeded';
    if (r.closed) return r.closed;
    if (this.status === 'RUNNING') {
      const a = r.attempts.at(-1);
      return a && a.end && a.status !== 'SUCCEEDED' ? 'retrying' : 'running';
    }
    if (this.status === 'ABORTED') return 'aborted';
    if (r.lastOutcome === 'fail' || r.type === 'Fail') return 'failed';
    return r.type === 'Map' || r.type === 'Parallel' ? 'failed' : 'aborted';
  }

  /** The scope a state's runs live in, given the chosen Map iterations. */
  scopeFor(name, selection = {}) {
    const s = this.index.states.get(name);
    let scope = '';
    for (const m of (s && s.maps) || []) {
      const mapRun = this.runsOf(scope, m).at(-1);
      if (!mapRun) return null;
      const i = m in selection ? selection[m] : this.defaultIteration(mapRun);
      if (i === undefined || i === null) return null;
      scope = `${scope ? `${scope}/` : ''}${m}#${i}`;
    }
    return scope;
  }

  /** The iteration shown when none is chosen: the first failed one, else the newest. */
  defaultIteration(mapRun) {
    const its = mapRun.iterations;
    let last;
    for (const it of its) {
      if (!it) continue;
      if (it.status === 'FAILED' || it.status === 'ABORTED') return it.index;
      last = it.index;
    }
    return last;
  }

  runsFor(name, selection) {
    const scope = this.scopeFor(name, selection);
    return scope === null ? [] : this.runsOf(scope, name);
  }

  /** Status of each state of the definition (latest run in the chosen iterations). */
  statuses(selection) {
    const out = new Map();
    for (const name of this.index.order) {
      const r = this.runsFor(name, selection).at(-1);
      out.set(name, r ? this.runStatus(r) : 'not-started');
    }
    return out;
  }

  /** Where the execution went wrong: the newest failure event, with its run. */
  failurePoint() {
    for (let i = this.runs.length - 1; i >= 0; i--) {
      const r = this.runs[i];
      const f = r.failures.at(-1);
      if (f && !/^(Parallel|Map)State/.test(f.event.type)) return { run: r, ...f };
    }
    for (let i = this.runs.length - 1; i >= 0; i--) {
      const r = this.runs[i];
      if (r.failures.length) return { run: r, ...r.failures.at(-1) };
    }
    const fail = [...this.runs].reverse().find((r) => r.type === 'Fail');
    return fail ? { run: fail, error: this.execution.error, cause: this.execution.cause } : null;
  }
}

/** Milliseconds since the epoch of an event. */
export const ts = (e) => (e ? Math.round(e.timestamp * 1000) : undefined);

/** The Lambda function behind a Task, from its definition or its scheduled attempt. */
export function functionOf(stateDef, attempt) {
  const res = (attempt && attempt.resource) || (stateDef && stateDef.Resource) || '';
  if (/^arn:aws:lambda:[^:]*:[^:]*:function:/.test(res)) return res.split(':')[6];
  if (/lambda:invoke/.test(res) || (attempt && attempt.resourceType === 'lambda')) {
    let p = attempt && attempt.parameters;
    try { if (typeof p === 'string') p = JSON.parse(p); } catch { p = null; }
    const fn = (p && p.FunctionName) || (stateDef && stateDef.Parameters && (stateDef.Parameters.FunctionName || stateDef.Parameters.FunctionName));
    if (typeof fn === 'string') return fn.includes(':') ? fn.split(':')[fn.startsWith('arn:') ? 6 : 0] : fn;
  }
  return null;
}

/** The Lambda request id of an attempt, when its output or error says it. */
export function requestIdOf(attempt) {
  for (const text of [attempt.output, attempt.cause]) {
    if (typeof text !== 'string') continue;
    try {
      const v = JSON.parse(text);
      const id = (v && (v.requestId || (v.SdkResponseMetadata && v.SdkResponseMetadata.RequestId)));
      if (typeof id === 'string') return id;
    } catch { /* not JSON */ }
  }
  return null;
}

/** A task token this state waits on (from `$$.Task.Token` in its parameters). */
export function taskTokenOf(stateDef, attempt) {
  if (!attempt || attempt.end) return null;
  const res = (stateDef && stateDef.Resource) || '';
  if (!/\.waitForTaskToken$/.test(res)) return null;
  let params = attempt.parameters;
  try { if (typeof params === 'string') params = JSON.parse(params); } catch { return null; }
  const paths = [];
  const find = (tmpl, path) => {
    if (!tmpl || typeof tmpl !== 'object') return;
    for (const [k, v] of Object.entries(tmpl)) {
      if (k.endsWith('.$') && v === '$$.Task.Token') paths.push([...path, k.slice(0, -2)]);
      else if (typeof v === 'string' && /\$states\.context\.Task\.Token/.test(v)) paths.push([...path, k]);
      else find(v, [...path, k]);
    }
  };
  find(stateDef.Parameters || stateDef.Arguments, []);
  for (const p of paths) {
    let v = params;
    for (const k of p) v = v && v[k];
    if (typeof v === 'string') return v;
  }
  return null;
}
