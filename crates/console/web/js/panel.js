// The step panel: one state's input and output, details, definition,
// retries, events and its function's log lines, for the chosen run.
import { h, put, clear, time, duration, errorBox, tabs } from './dom.js';
import { getJson, q } from './api.js';
import { jsonView, tryParse } from './json.js';
import { VList } from './vlist.js';
import { ts, functionOf, requestIdOf } from './history.js';

const PANEL_TABS = [['io', 'Input & output'], ['details', 'Details'], ['definition', 'Definition'], ['retries', 'Retries'], ['events', 'Events'], ['logs', 'Logs']];

export function renderPanel(page, panel) {
  const name = page.params.get('state');
  // Live updates redraw the panel only when what it shows changed, so a
  // reader's scroll position and open details survive new events elsewhere.
  const runs0 = name ? page.model.runsFor(name, page.selection) : [];
  const last = runs0.at(-1);
  const sig = [name, page.params.get('run'), page.params.get('tab'), page.params.get('it'), runs0.length,
    last ? last.events.length : 0, last ? page.model.runStatus(last) : ''].join('|');
  if (panel.dataset.sig === sig) return;
  panel.dataset.sig = sig;
  panel.classList.toggle('open', !!name);
  clear(panel);
  if (!name) {
    put(panel, h('p.muted.hint', 'Select a state (click it, or Tab to it and press Enter) to see its input, output, retries, events and logs.'));
    return;
  }
  const s = page.index.states.get(name);
  const runs = page.model.runsFor(name, page.selection);
  const n = Math.min(Number(page.params.get('run')) || runs.length, runs.length);
  const run = runs[n - 1];
  const status = run ? page.model.runStatus(run) : 'not-started';
  const tab = page.params.get('tab') || 'io';
  const fn = s && functionOf(s.def, run && run.attempts.at(-1));
  const available = PANEL_TABS.filter(([id]) => id !== 'logs' || fn).filter(([id]) => id !== 'retries' || (s && s.def.Retry) || (run && run.attempts.length > 1));
  put(panel, 
    h('div.panelhead',
      h('h2', { 'data-testid': 'panel-title' }, name),
      h('span.muted', (s && s.type) || ''),
      h(`span.badge.status-${status}`, { 'data-testid': 'panel-status' }, status.replace('-', ' ')),
      h('button.small.close', { type: 'button', 'aria-label': 'Close step details (Esc)', onclick: () => page.nav({ state: null, run: null, tab: null }) }, '×')),
    runs.length > 1 ? h('div.runpicker',
      h('button.small', { type: 'button', onclick: () => page.nav({ run: String(Math.max(1, n - 1)) }) }, '‹'),
      h('span', `Run ${n} of ${runs.length}`),
      h('button.small', { type: 'button', onclick: () => page.nav({ run: String(Math.min(runs.length, n + 1)) }) }, '›')) : null,
    tabs(available, tab, (id) => page.nav({ tab: id })),
  );
  const body = h('div.panelbody', { 'data-testid': `panel-${tab}` });
  put(panel, body);
  if (tab === 'definition') return put(body, jsonView(s ? s.def : {}, { title: 'State definition' }));
  if (!run) {
    put(body, h('p.muted', page.model.scopeFor(name, page.selection) === null ? 'This state has not run in the chosen iteration.' : 'This state has not run (yet).'));
    return;
  }
  if (tab === 'io') return put(body, ioTab(page, run, status));
  if (tab === 'details') return put(body, detailsTab(page, run, s, status));
  if (tab === 'retries') return put(body, retriesTab(page, run));
  if (tab === 'events') return put(body, eventList(page, run.events));
  if (tab === 'logs') return logsTab(page, run, s, fn, body);
}

function ioTab(page, run, status) {
  const f = run.failures.at(-1);
  const failedHere = f && (status === 'failed' || status === 'caught' || status === 'retrying');
  const s = page.index.states.get(run.name);
  const fn = s && functionOf(s.def, run.attempts.at(-1));
  let log = null;
  if (failedHere && fn) {
    // The failing invocation's log right under its error: the first thing to read.
    log = h('div.steplog', h('p.loading', 'Reading the function\'s log…'));
    attemptLog(fn, run.attempts.at(-1)).then((invs) => {
      log.replaceChildren(h('h3', `Log of ${fn}`), ...(invs.length ? invs.map((inv) => h('pre.log', { 'data-testid': 'log-lines' }, inv.lines.join('\n'))) : [h('p.muted', 'No log lines kept for this attempt.')]));
    }, (e) => log.replaceChildren(errorBox(e, 'Cannot read the log')));
  }
  return h('div.io',
    failedHere ? h('div.alert.error', { 'data-testid': 'step-error' },
      h('strong', status === 'caught' ? 'Error (caught)' : 'Error'), ' ', h('code.errname', f.error || '(none)'),
      f.cause ? jsonView(tryParse(f.cause) ?? f.cause, { title: 'Cause' }) : null) : null,
    log,
    jsonView(run.input ?? '', { title: 'Input', label: 'State input' }),
    run.exited ? jsonView(run.output ?? '', { title: 'Output', label: 'State output' }) : h('p.muted', status === 'running' ? 'Running: no output yet.' : 'No output.'));
}

function detailsTab(page, run, s, status) {
  const start = ts(run.entered);
  const end = ts(run.exited || run.events.at(-1));
  const exStart = ts(page.model.events[0]);
  const rows = [
    ['Type', run.type],
    ['Status', status],
    ['Entered', time(run.entered.timestamp)],
    ['Started after', duration(start - exStart)],
    ['Duration', run.exited ? duration(end - start) : '–'],
    ['Attempts', String(run.attempts.length || (run.type === 'Task' ? 0 : '–'))],
  ];
  const res = s && s.def.Resource;
  if (res) rows.push(['Resource', res]);
  if (s && s.def.TimeoutSeconds) rows.push(['Timeout', `${s.def.TimeoutSeconds} s`]);
  if (s && s.def.HeartbeatSeconds) rows.push(['Heartbeat', `${s.def.HeartbeatSeconds} s`]);
  const fn = functionOf(s && s.def, run.attempts.at(-1));
  const out = h('div', h('dl.kv', rows.map(([k, v]) => h('div', h('dt', k), h('dd', v)))));
  if (fn) put(out, h('p', h('a', { href: `#/function/${encodeURIComponent(fn)}` }, `Function ${fn}`)));
  if (run.type === 'Map') {
    const counts = {};
    for (const it of run.iterations) if (it) counts[it.status] = (counts[it.status] || 0) + 1;
    put(out, h('h3', `Iterations (${run.iterations.length})`), h('p', Object.entries(counts).map(([k, v]) => `${k}: ${v}`).join(' · ') || 'none'),
      iterationList(page, run));
  }
  if (run.type === 'Parallel') {
    const branches = (s.def.Branches || []).map((b, i) => h('li', `Branch ${i + 1}: `, ...Object.keys(b.States || {}).map((n) => h('button.linkish', { type: 'button', onclick: () => page.nav({ state: n, run: null }) }, n))));
    put(out, h('h3', 'Branches'), h('ul.branches', branches));
  }
  return out;
}

/** Every iteration of a Map run, virtualised (1,000 iterations stay quick). */
function iterationList(page, run) {
  const list = new VList({
    rowHeight: 30,
    label: `Iterations of ${run.name}`,
    render: (it, i) => h('div.irow', h('span.num', `#${i}`), it ? h(`span.badge.status-${it.status.toLowerCase()}`, it.status) : h('span.muted', 'not started'),
      it && it.end ? h('span.muted', duration(ts(it.end) - ts(it.start))) : null),
    onpick: (it, i) => {
      const sel = { ...page.selection, [run.name]: i };
      page.nav({ it: Object.entries(sel).map(([k, v]) => `${encodeURIComponent(k)}:${v}`).join(','), state: firstInner(page, run.name), run: null });
    },
  });
  list.el.classList.add('short');
  list.set(run.iterations.length ? Array.from(run.iterations, (x) => x || null) : []);
  return list.el;
}

function firstInner(page, mapName) {
  const s = page.index.states.get(mapName);
  const proc = s && (s.def.ItemProcessor || s.def.Iterator);
  return (proc && proc.StartAt) || mapName;
}

function retriesTab(page, run) {
  const s = page.index.states.get(run.name);
  const rows = run.attempts.map((a, i) => h('tr',
    h('td', i === 0 ? 'Initial attempt' : `Retry ${i}`),
    h('td', h(`span.badge.status-${a.status.toLowerCase().replace('_', '-')}`, a.status)),
    h('td', time(a.scheduled.timestamp)),
    h('td', a.end ? duration(ts(a.end) - ts(a.scheduled)) : '–'),
    h('td', a.error ? h('code', a.error) : ''),
    h('td.cause', a.cause ? String(a.cause).slice(0, 300) : '')));
  return h('div',
    s && s.def.Retry ? jsonView(s.def.Retry, { title: 'Retry policy' }) : null,
    rows.length ? h('table.grid', h('thead', h('tr', ['Attempt', 'Status', 'Scheduled', 'Duration', 'Error', 'Cause'].map((c) => h('th', c)))), h('tbody', rows)) : h('p.muted', 'No task attempts.'));
}

/** The invocations behind one attempt: by request id when known, else its time window. */
async function attemptLog(fn, a) {
  if (!a) return [];
  const from = ts(a.scheduled);
  const to = ts(a.end) ?? Date.now();
  const requestId = requestIdOf(a);
  const res = await getJson(`/_baton/console/logs?${q({ function: fn, from, to, requestId })}`);
  const invs = res.invocations;
  return !requestId && invs.length > 1 ? invs.slice(-1) : invs;
}

async function logsTab(page, run, s, fn, body) {
  put(body, h('p.loading', `Reading the log of ${fn}…`));
  const blocks = [];
  try {
    for (const [i, a] of run.attempts.entries()) {
      const invs = await attemptLog(fn, a);
      blocks.push(h('section.logblock',
        h('h3', run.attempts.length > 1 ? (i === 0 ? 'Initial attempt' : `Retry ${i}`) : 'Invocation', ' ', h(`span.badge.status-${a.status.toLowerCase().replace('_', '-')}`, a.status)),
        invs.length ? invs.map((inv) => h('pre.log', { 'data-testid': 'log-lines' }, inv.lines.join('\n'))) : h('p.muted', a.end ? 'No log lines kept for this attempt.' : 'Still running.')));
    }
    if (!run.attempts.length) blocks.push(h('p.muted', 'No invocation yet.'));
  } catch (e) {
    blocks.push(errorBox(e, 'Cannot read the log'));
  }
  body.replaceChildren(h('p', h('a', { href: `#/function/${encodeURIComponent(fn)}` }, `All logs of ${fn}`)), ...blocks);
}

const EVENT_LIMIT = 200;

/** A state's events, each opening to its JSON (built when opened). */
function eventList(page, events) {
  const exStart = ts(page.model.events[0]);
  const shown = events.slice(0, EVENT_LIMIT);
  return h('div.evsmall', shown.map((e) => {
    const d = h('details.ev',
      h('summary', h('span.num', String(e.id)), h(`span.etype${/Failed|TimedOut|Aborted/.test(e.type) ? '.bad' : ''}`, e.type), h('span.muted', `+${duration(ts(e) - exStart)}`)));
    d.addEventListener('toggle', () => {
      if (d.open && d.children.length === 1) put(d, jsonView(e));
    }, { once: false });
    return d;
  }), events.length > shown.length ? h('p.muted', `${events.length - shown.length} more: `,
    h('a', { href: `#/execution/${encodeURIComponent(page.arn)}?view=events` }, 'see the Events view')) : null);
}
