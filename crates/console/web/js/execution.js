// The execution page: summary, error banner, live diagram, table with a
// timeline, events, and the step panel.
import { h, put, clear, time, duration, arnName, statusBadge, toast, copy, download, shq, errorBox, tabs } from './dom.js';
import { sfn, getJson, getText, q } from './api.js';
import { jsonView, tryParse, parseLocated } from './json.js';
import { VList } from './vlist.js';
import { indexDefinition, ExecutionModel, details, ts, functionOf, requestIdOf, taskTokenOf } from './history.js';
import { go } from './main.js';

const VIEWS = [['graph', 'Graph'], ['table', 'Table'], ['events', 'Events'], ['definition', 'Definition']];

export function executionPage(root, params, [arn]) {
  const page = new ExecutionPage(root, arn, params);
  page.load();
  return page;
}

class ExecutionPage {
  constructor(root, arn, params) {
    this.root = root;
    this.arn = arn;
    this.params = params;
    this.source = null;
    this.renderQueued = false;
  }

  dispose() {
    if (this.source) this.source.close();
    this.source = null;
    clearTimeout(this.retryTimer);
  }

  /** Same page, other view/state/iteration: re-render without reloading. */
  update(params) {
    this.params = params;
    this.renderBody();
  }

  get selection() {
    const sel = {};
    for (const part of (this.params.get('it') || '').split(',')) {
      const at = part.lastIndexOf(':');
      if (at > 0) sel[decodeURIComponent(part.slice(0, at))] = Number(part.slice(at + 1));
    }
    return sel;
  }

  link(changes) {
    const p = new URLSearchParams(this.params);
    for (const [k, v] of Object.entries(changes)) {
      if (v === null || v === undefined || v === '') p.delete(k);
      else p.set(k, v);
    }
    return p;
  }

  /** Puts a search/filter text into the URL without a navigation (deep links keep it). */
  keepQuery(text) {
    this.params = this.link({ q: text });
    const qs = [...this.params].length ? `?${this.params}` : '';
    history.replaceState(null, '', `#/execution/${encodeURIComponent(this.arn)}${qs}`);
  }

  nav(changes, replace = false) {
    go(`/execution/${encodeURIComponent(this.arn)}`, this.link(changes), replace);
  }

  async load() {
    put(clear(this.root), h('p.loading', 'Loading execution…'));
    try {
      const [desc, machine] = await Promise.all([
        sfn('DescribeExecution', { executionArn: this.arn }),
        sfn('DescribeStateMachineForExecution', { executionArn: this.arn }),
      ]);
      this.desc = desc;
      this.machine = machine;
      this.definition = tryParse(machine.definition) || {};
      this.index = indexDefinition(this.definition);
      this.model = new ExecutionModel(this.index);
    } catch (e) {
      put(clear(this.root), errorBox(e, 'Cannot open this execution'));
      return;
    }
    this.build();
    this.listen();
    this.loadDiagram();
  }

  /** History events as they are written (the whole history first). */
  listen() {
    if (this.source) this.source.close();
    const url = `/_baton/console/live?${q({ arn: this.arn, after: this.model.lastId })}`;
    const source = new EventSource(url);
    this.source = source;
    source.addEventListener('history', (m) => {
      this.model.add(JSON.parse(m.data).events);
      this.queueRender();
    });
    source.addEventListener('end', async (m) => {
      source.close();
      Object.assign(this.desc, JSON.parse(m.data));
      this.liveDone = !this.redriving;
      this.queueRender();
    });
    source.addEventListener('error', (m) => {
      if (m.data) {
        source.close();
        this.root.prepend(errorBox({ message: JSON.parse(m.data).message }, 'Live updates stopped'));
      } else if (source.readyState === EventSource.CLOSED) {
        this.retryTimer = setTimeout(() => this.listen(), 1000);
      }
    });
  }

  queueRender() {
    if (this.renderQueued) return;
    this.renderQueued = true;
    requestAnimationFrame(() => {
      this.renderQueued = false;
      this.refresh();
    });
  }

  build() {
    const d = this.desc;
    const machineArn = d.stateMachineArn;
    this.head = h('div.pagehead');
    this.banner = h('div.bannerslot');
    this.summary = h('div.summary');
    this.callback = h('div.callbackslot');
    this.viewTabs = h('div.viewtabs');
    this.body = h('div.viewbody');
    put(clear(this.root), 
      h('nav.crumbs', { 'aria-label': 'Breadcrumb' },
        h('a', { href: '#/' }, 'State machines'), ' › ',
        h('a', { href: `#/machine/${encodeURIComponent(machineArn)}` }, arnName(machineArn)), ' › ',
        h('span', d.name)),
      this.head, this.banner, this.summary, this.callback, this.viewTabs, this.body);
    this.refresh();
  }

  /** Everything that depends on the history, re-drawn after new events. */
  refresh() {
    if (!this.model) return;
    // The history decides once it has the execution's end; until a redrive
    // we asked for shows up in it, the execution counts as running again.
    if (this.redriving && (this.model.redriveCount || 0) > this.redriveBase) this.redriving = false;
    let status = this.model.status === 'RUNNING' ? this.desc.status : this.model.status;
    if (this.redriving) status = 'RUNNING';
    else if (this.model.status !== 'RUNNING') this.desc.status = this.model.status;
    if (this.liveDone) status = this.desc.status;
    this.status = status;
    this.renderHead();
    this.renderBanner();
    this.renderSummary();
    this.renderCallback();
    if (this.diagramSvg) this.colourDiagram();
    this.renderBody(true);
  }

  renderHead() {
    const d = this.desc;
    const running = this.status === 'RUNNING';
    const startLink = `#/machine/${encodeURIComponent(d.stateMachineArn)}/start?from=${encodeURIComponent(this.arn)}`;
    put(clear(this.head), 
      h('div.titlebox', h('h1', d.name), statusBadge(this.status), running ? h('span.live', { title: 'Live: updates as the execution runs' }, '● live') : null),
      h('div.actions',
        h('a.button.primary', { href: startLink, 'data-testid': 'rerun' }, 'Re-run'),
        h('a.button', { href: `${startLink}&edit=1` }, 'Edit input & re-run'),
        running ? h('button.danger', { type: 'button', 'data-testid': 'stop', onclick: () => this.stop() }, 'Stop') : null,
        ['FAILED', 'TIMED_OUT', 'ABORTED'].includes(this.status) && !this.arn.includes(':express:')
          ? h('button', { type: 'button', 'data-testid': 'redrive', title: 'Continue from the unsuccessful states (RedriveExecution)', onclick: () => this.redrive() }, 'Redrive') : null,
        h('button', { type: 'button', title: 'The aws CLI command that starts this execution again', onclick: () => copy(this.cli(), 'aws CLI command copied') }, 'Copy CLI'),
        h('button', { type: 'button', onclick: () => this.exportJson() }, 'Export')));
  }

  cli() {
    const d = this.desc;
    return `aws stepfunctions start-execution --endpoint-url ${location.origin} --state-machine-arn ${shq(d.stateMachineArn)} --input ${shq(d.input ?? this.model.execution.input ?? '{}')}`;
  }

  exportJson() {
    download(`${this.desc.name}.json`, JSON.stringify({ execution: this.desc, definition: this.definition, events: this.model.events }, null, 2));
  }

  async redrive() {
    try {
      await sfn('RedriveExecution', { executionArn: this.arn });
      toast('Execution redriven');
      // Watch it again from where the history is.
      this.redriving = true;
      this.redriveBase = this.model.redriveCount || 0;
      this.liveDone = false;
      Object.assign(this.desc, { status: 'RUNNING', stopDate: undefined, error: undefined, cause: undefined, output: undefined });
      this.listen();
      this.refresh();
    } catch (e) {
      toast(`${e.code}: ${e.message}`, 'error');
    }
  }

  async stop() {
    if (!confirm(`Stop execution ${this.desc.name}?`)) return;
    try {
      await sfn('StopExecution', { executionArn: this.arn, error: 'Console.Stopped', cause: 'Stopped from the Baton console' });
      toast('Execution stopped');
    } catch (e) {
      toast(`${e.code}: ${e.message}`, 'error');
    }
  }

  renderBanner() {
    clear(this.banner);
    if (!['FAILED', 'TIMED_OUT', 'ABORTED'].includes(this.status)) return;
    const point = this.model.failurePoint();
    const error = this.desc.error || this.model.execution.error || (point && point.error);
    const cause = this.desc.cause || this.model.execution.cause || (point && point.cause);
    const causeValue = tryParse(cause);
    const body = h('div.alert.error.banner', { role: 'alert', 'data-testid': 'error-banner' },
      h('div.bannerhead',
        h('strong', `Execution ${this.status.toLowerCase().replace('_', ' ')}`),
        error ? h('code.errname', error) : null,
        point ? h('span.where', ' at ', h('b', point.run.name)) : null,
        point ? h('button.small', { type: 'button', 'data-testid': 'goto-failure', onclick: () => this.goToRun(point.run) }, 'Go to failing state') : null),
      cause ? (causeValue !== undefined && typeof causeValue === 'object' ? jsonView(causeValue, { title: 'Cause' }) : h('pre.cause', cause)) : null);
    if (point && point.error && error !== point.error) {
      put(body, h('p.sub', `The state ${point.run.name} failed with `, h('code', point.error), point.run.exited ? ' (caught).' : '.'));
    }
    put(this.banner, body);
  }

  goToRun(run) {
    const sel = this.selectionFor(run);
    this.nav({ view: this.params.get('view') === 'table' ? 'table' : 'graph', state: run.name, run: String(run.seq + 1), it: sel, tab: 'io' });
    setTimeout(() => {
      const node = this.diagramNode(run.name);
      if (node) node.focus();
    }, 50);
  }

  /** The `it` parameter that shows `run` (its Map iterations). */
  selectionFor(run) {
    if (!run.scope) return this.params.get('it') || null;
    return run.scope.split('/').map((seg) => {
      const at = seg.lastIndexOf('#');
      return `${encodeURIComponent(seg.slice(0, at))}:${seg.slice(at + 1)}`;
    }).join(',');
  }

  renderSummary() {
    const d = this.desc;
    const m = this.model;
    const start = d.startDate;
    const stop = d.stopDate || (m.status !== 'RUNNING' && m.execEvents.at(-1) ? m.execEvents.at(-1).timestamp : null);
    const took = stop ? (stop - start) * 1000 : Date.now() - start * 1000;
    const input = d.input ?? m.execution.input;
    const output = d.output ?? m.execution.output;
    put(clear(this.summary), 
      h('dl.facts',
        h('div', h('dt', 'Status'), h('dd', { 'data-testid': 'status' }, this.status)),
        h('div', h('dt', 'Started'), h('dd', time(start))),
        h('div', h('dt', 'Ended'), h('dd', stop ? time(stop) : '–')),
        h('div', h('dt', 'Duration'), h('dd', duration(took))),
        h('div', h('dt', 'State transitions'), h('dd', String(m.runs.length))),
        h('div', h('dt', 'Events'), h('dd', String(m.events.length))),
        h('div.wide', h('dt', 'ARN'), h('dd', h('code.arn', this.arn), ' ', h('button.small', { type: 'button', onclick: () => copy(this.arn, 'ARN copied') }, 'Copy')))),
      h('div.io2',
        jsonView(input ?? '', { title: 'Execution input' }),
        output !== undefined && output !== null ? jsonView(output, { title: 'Execution output' }) : h('div.jsonbox.none', h('div.jsonbar', h('span.jsontitle', 'Execution output')), h('p.muted', this.status === 'RUNNING' ? 'Not finished yet.' : 'No output.'))));
  }

  /** Tasks waiting for a callback or an activity worker: answer them from here. */
  renderCallback() {
    if (this.status !== 'RUNNING') {
      clear(this.callback);
      return;
    }
    const waiting = [];
    for (const run of this.model.runs) {
      if (run.exited || run.closed) continue;
      const sd = this.index.states.get(run.name);
      const attempt = run.attempts.at(-1);
      const token = (this.taken && this.taken.get(run.id)) || taskTokenOf(sd && sd.def, attempt);
      if (token) waiting.push([`${run.id}:${token}`, () => this.callbackForm(run, token)]);
      else if (attempt && !attempt.end && !attempt.started && attempt.scheduled.type === 'ActivityScheduled') {
        waiting.push([`${run.id}:activity`, () => this.activityForm(run, attempt)]);
      }
    }
    // Keep forms being typed into: rebuild only when the set of waits changed.
    const keys = waiting.map(([k]) => k).join('|');
    if (keys === this.callbackKeys) return;
    this.callbackKeys = keys;
    clear(this.callback);
    for (const [, make] of waiting) put(this.callback, make());
  }

  /** An activity task no worker took yet: take it as a worker, then answer it. */
  activityForm(run, attempt) {
    const msg = h('div.formmsg', { role: 'status' });
    const take = async () => {
      try {
        const task = await sfn('GetActivityTask', { activityArn: attempt.resource, workerName: 'baton-console' });
        if (!task.taskToken) {
          msg.replaceChildren(h('p.muted', 'Another worker took this task.'));
          return;
        }
        this.taken = this.taken || new Map();
        this.taken.set(run.id, task.taskToken);
        this.callbackKeys = null;
        this.renderCallback();
      } catch (e) {
        msg.replaceChildren(errorBox(e));
      }
    };
    return h('section.card.callback', { 'data-testid': 'activity' },
      h('h3', `Waiting for an activity worker: ${run.name}`),
      h('p.muted', 'Activity ', h('code.token', attempt.resource)),
      h('button.primary', { type: 'button', onclick: take }, 'Take the task as a worker'), msg);
  }

  callbackForm(run, token) {
    const output = h('textarea.code', { rows: 3, 'aria-label': 'Task output JSON', spellcheck: 'false' }, '{}');
    const error = h('input', { type: 'text', placeholder: 'Error', 'aria-label': 'Error name' });
    const cause = h('input', { type: 'text', placeholder: 'Cause', 'aria-label': 'Cause' });
    const msg = h('div.formmsg', { role: 'status' });
    const send = async (op, body) => {
      msg.textContent = '';
      try {
        await sfn(op, { taskToken: token, ...body });
        toast(`${op} sent`);
      } catch (e) {
        msg.replaceChildren(errorBox(e));
      }
    };
    return h('section.card.callback', { 'data-testid': 'callback' },
      h('h3', `Waiting for a callback: ${run.name}`),
      h('p.muted', 'Task token ', h('code.token', token), ' ', h('button.small', { type: 'button', onclick: () => copy(token, 'Token copied') }, 'Copy')),
      h('div.row3',
        h('div', h('label', 'Output (JSON)'), output,
          h('button.primary', { type: 'button', onclick: () => {
            const parsed = parseLocated(output.value);
            if (parsed.error) {
              msg.replaceChildren(errorBox({ message: `line ${parsed.error.line}, column ${parsed.error.column}: ${parsed.error.message}` }, 'Invalid JSON'));
              return;
            }
            send('SendTaskSuccess', { output: output.value });
          } }, 'Send success')),
        h('div', h('label', 'Failure'), error, cause,
          h('button.danger', { type: 'button', onclick: () => send('SendTaskFailure', { error: error.value || undefined, cause: cause.value || undefined }) }, 'Send failure')),
        h('div', h('label', 'Still working'), h('button', { type: 'button', onclick: () => send('SendTaskHeartbeat', {}) }, 'Send heartbeat'),
          h('button', { type: 'button', title: 'The aws CLI command that sends this output', onclick: () => copy(`aws stepfunctions send-task-success --endpoint-url ${location.origin} --task-token ${shq(token)} --task-output ${shq(output.value)}`, 'aws CLI command copied') }, 'Copy CLI'))),
      msg);
  }

  // ---- views ------------------------------------------------------------

  renderBody(fromRefresh) {
    if (!this.model) return;
    const view = this.params.get('view') || 'graph';
    put(clear(this.viewTabs), tabs(VIEWS, view, (id) => this.nav({ view: id, q: null })));
    if (fromRefresh && this.view === view && this.viewState) {
      this.viewState.refresh();
      return;
    }
    if (this.view !== view || !this.viewState) {
      this.view = view;
      clear(this.body);
      this.viewState = ({ graph: GraphView, table: TableView, events: EventsView, definition: DefinitionView }[view] || GraphView).create(this);
    } else {
      this.viewState.update();
    }
  }

  // ---- diagram -----------------------------------------------------------

  async loadDiagram() {
    try {
      const svg = await getText(`/_baton/console/diagram.svg?${q({ arn: this.arn })}`);
      const holder = h('div');
      holder.innerHTML = svg;
      this.diagramSvg = holder.querySelector('svg');
      if (!this.diagramSvg) throw new Error('the server sent no SVG');
      this.diagramSvg.setAttribute('role', 'group');
      this.diagramSvg.setAttribute('aria-label', `Diagram of ${arnName(this.desc.stateMachineArn)}`);
      this.colourDiagram();
    } catch (e) {
      this.diagramError = e;
    }
    if (this.viewState && this.viewState.diagramReady) this.viewState.diagramReady();
  }

  diagramNode(name) {
    if (!this.diagramSvg) return null;
    return [...this.diagramSvg.querySelectorAll('g.state[data-state]')].find((g) => g.dataset.state === name) || null;
  }

  colourDiagram() {
    const statuses = this.model.statuses(this.selection);
    const selected = this.params.get('state');
    for (const g of this.diagramSvg.querySelectorAll('g.state[data-state], g.container[data-state]')) {
      const name = g.dataset.state;
      if (name === '__start__' || name === '__end__') continue;
      const st = statuses.get(name);
      if (!st) continue;
      for (const c of [...g.classList]) if (c.startsWith('status-')) g.classList.remove(c);
      g.classList.add(`status-${st}`);
      g.dataset.status = st;
      g.classList.toggle('selected', name === selected && g.classList.contains('state'));
      if (g.classList.contains('state')) {
        const s = this.index.states.get(name);
        g.setAttribute('aria-label', `${name}, ${(s && s.type) || ''} state, ${st.replace('-', ' ')}`);
        const runs = this.model.runsFor(name, this.selection);
        const retries = runs.reduce((n, r) => n + Math.max(0, r.attempts.length - 1), 0);
        g.dataset.retries = String(retries);
        // The tooltip says how it went, with the error when there was one.
        const title = g.querySelector(':scope > title');
        if (title) {
          if (title.dataset.base === undefined) title.dataset.base = title.textContent;
          const f = runs.at(-1) && runs.at(-1).failures.at(-1);
          title.textContent = `${title.dataset.base}\n${st.replace('-', ' ')}${f && f.error ? `: ${f.error}` : ''}`;
          if (f && f.error) g.dataset.error = f.error;
        }
      }
    }
  }
}

// ---- graph view ------------------------------------------------------------

const GraphView = {
  create(page) {
    const canvas = h('div.canvas', { 'data-testid': 'diagram' });
    const iterBar = h('div.iterbar');
    const panel = h('aside.panel', { 'aria-label': 'Step details' });
    const zoom = { s: 1, x: 0, y: 0 };
    const wrap = h('div.graphwrap',
      h('div.graphcol',
        h('div.graphtools',
          h('button.small', { type: 'button', title: 'Zoom in (+)', onclick: () => setZoom(zoom.s * 1.2) }, '+'),
          h('button.small', { type: 'button', title: 'Zoom out (-)', onclick: () => setZoom(zoom.s / 1.2) }, '−'),
          h('button.small', { type: 'button', title: 'Fit (0)', onclick: () => fit() }, 'Fit'),
          h('span.legend', ...['running', 'succeeded', 'failed', 'caught', 'aborted', 'not-started'].map((s) => h(`span.key.status-${s}`, s.replace('-', ' ')))),
        ),
        iterBar, canvas),
      panel);
    put(page.body, wrap);
    const apply = () => {
      const svg = page.diagramSvg;
      if (svg) svg.style.transform = `translate(${zoom.x}px, ${zoom.y}px) scale(${zoom.s})`;
    };
    const setZoom = (s) => { zoom.s = Math.min(4, Math.max(0.2, s)); apply(); };
    // Fit the width, and grow the canvas to the diagram's height so the
    // text stays readable (the page scrolls; drag or zoom for the rest).
    const fit = () => {
      const svg = page.diagramSvg;
      if (!svg) return;
      const vb = svg.viewBox && svg.viewBox.baseVal;
      const w = (vb && vb.width) || svg.width.baseVal.value || 800;
      const hh = (vb && vb.height) || svg.height.baseVal.value || 600;
      svg.style.width = `${w}px`;
      svg.style.height = `${hh}px`;
      const cw = canvas.clientWidth - 32;
      zoom.s = Math.min(1.2, cw / w);
      canvas.style.height = `${Math.round(Math.min(Math.max(hh * zoom.s + 32, 420), 1400))}px`;
      const ch = canvas.clientHeight - 32;
      if (hh * zoom.s > ch) zoom.s = ch / hh;
      zoom.x = Math.max(16, (cw - w * zoom.s) / 2 + 16);
      zoom.y = 16;
      apply();
    };
    let drag = null;
    canvas.addEventListener('pointerdown', (e) => {
      if (e.target.closest('g.state')) return;
      drag = { x: e.clientX - zoom.x, y: e.clientY - zoom.y };
      canvas.setPointerCapture(e.pointerId);
    });
    canvas.addEventListener('pointermove', (e) => {
      if (!drag) return;
      zoom.x = e.clientX - drag.x;
      zoom.y = e.clientY - drag.y;
      apply();
    });
    canvas.addEventListener('pointerup', () => (drag = null));
    canvas.addEventListener('wheel', (e) => {
      if (!e.ctrlKey && !e.metaKey) return;
      e.preventDefault();
      setZoom(zoom.s * (e.deltaY < 0 ? 1.1 : 1 / 1.1));
    }, { passive: false });
    canvas.addEventListener('click', (e) => {
      const g = e.target.closest('g.state[data-state]');
      if (g && !g.dataset.state.startsWith('__')) page.nav({ state: g.dataset.state, run: null });
    });
    canvas.addEventListener('keydown', (e) => {
      const g = e.target.closest && e.target.closest('g.state[data-state]');
      if (e.key === '+' || e.key === '=') return setZoom(zoom.s * 1.2);
      if (e.key === '-') return setZoom(zoom.s / 1.2);
      if (e.key === '0') return fit();
      if (!g) return;
      const nodes = [...canvas.querySelectorAll('g.state[data-state]')].filter((n) => !n.dataset.state.startsWith('__'));
      const i = nodes.indexOf(g);
      if (e.key === 'Enter' || e.key === ' ') {
        e.preventDefault();
        page.nav({ state: g.dataset.state, run: null });
      } else if (['ArrowDown', 'ArrowRight', 'j'].includes(e.key)) {
        e.preventDefault();
        (nodes[i + 1] || nodes[0]).focus();
      } else if (['ArrowUp', 'ArrowLeft', 'k'].includes(e.key)) {
        e.preventDefault();
        (nodes[i - 1] || nodes.at(-1)).focus();
      }
    });
    const view = {
      diagramReady() {
        clear(canvas);
        if (page.diagramSvg) {
          put(canvas, page.diagramSvg);
          page.diagramSvg.style.transformOrigin = '0 0';
          requestAnimationFrame(fit);
        } else {
          put(canvas, errorBox(page.diagramError || 'no diagram', 'The diagram cannot be drawn'));
        }
      },
      refresh() {
        renderIterBar(page, iterBar);
        renderPanel(page, panel);
      },
      update() {
        if (page.diagramSvg) page.colourDiagram();
        view.refresh();
      },
    };
    if (page.diagramSvg || page.diagramError) view.diagramReady();
    else put(canvas, h('p.loading', 'Drawing…'));
    view.refresh();
    return view;
  },
};

/** Pickers for the iteration shown of each Map state (its states inside show that iteration). */
function renderIterBar(page, bar) {
  clear(bar);
  const sel = page.selection;
  for (const [name, s] of page.index.states) {
    if (s.type !== 'Map') continue;
    const scope = page.model.scopeFor(name, sel);
    if (scope === null) continue;
    const run = page.model.runsOf(scope, name).at(-1);
    if (!run || !run.iterations.length) continue;
    put(bar, iterationPicker(page, name, run));
  }
}

function iterationPicker(page, name, run) {
  const its = run.iterations;
  const current = name in page.selection ? page.selection[name] : page.model.defaultIteration(run);
  const setIt = (i) => {
    if (i < 0 || i >= its.length) return;
    const sel = { ...page.selection, [name]: i };
    const value = Object.entries(sel).map(([k, v]) => `${encodeURIComponent(k)}:${v}`).join(',');
    page.nav({ it: value });
  };
  const counts = {};
  for (const it of its) if (it) counts[it.status] = (counts[it.status] || 0) + 1;
  const input = h('input.iterinput', { type: 'number', min: 0, max: its.length - 1, value: current, 'aria-label': `Iteration of ${name}` });
  input.addEventListener('change', () => setIt(Number(input.value)));
  const failed = its.filter((it) => it && (it.status === 'FAILED' || it.status === 'ABORTED')).map((it) => it.index);
  return h('div.iterpicker', { 'data-map': name },
    h('span', 'Map ', h('b', name), ': iteration '),
    h('button.small', { type: 'button', title: 'Previous iteration ([)', 'data-key': '[', onclick: () => setIt(current - 1) }, '‹'),
    input,
    h('button.small', { type: 'button', title: 'Next iteration (])', 'data-key': ']', onclick: () => setIt(current + 1) }, '›'),
    h('span.muted', ` of ${its.length} · `, Object.entries(counts).map(([k, v]) => `${v} ${k.toLowerCase()}`).join(', ')),
    failed.length ? h('button.small', { type: 'button', onclick: () => setIt(failed.find((i) => i > current) ?? failed[0]) }, 'Next failed') : null);
}

// ---- step panel -------------------------------------------------------------

const PANEL_TABS = [['io', 'Input & output'], ['details', 'Details'], ['definition', 'Definition'], ['retries', 'Retries'], ['events', 'Events'], ['logs', 'Logs']];

function renderPanel(page, panel) {
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

// ---- table view -------------------------------------------------------------

const TableView = {
  create(page) {
    const filter = h('input.search', { type: 'search', placeholder: 'Filter by name, type or status  ( / )', 'aria-label': 'Filter states', value: page.params.get('q') || '' });
    const count = h('span.muted');
    const panel = h('aside.panel', { 'aria-label': 'Step details' });
    const header = h('div.trow.thead', ['Name', 'Type', 'Status', 'Resource', 'Started after', 'Duration', 'Timeline'].map((c) => h('span', c)));
    const list = new VList({
      rowHeight: 34,
      fit: true,
      label: 'States run',
      render: (r) => tableRow(page, r),
      onpick: (r) => page.nav({ state: r.name, it: page.selectionFor(r), run: String(r.seq + 1) }),
    });
    list.el.classList.add('tall');
    filter.addEventListener('input', () => { page.keepQuery(filter.value); view.refresh(); });
    put(page.body, h('div.graphwrap', h('div.graphcol', h('div.toolbar', filter, count), h('div.table', header, list.el)), panel));
    const view = {
      refresh() {
        const f = filter.value.trim().toLowerCase();
        const rows = page.model.runs.filter((r) => !f || `${r.name} ${r.type} ${page.model.runStatus(r)} ${r.scope}`.toLowerCase().includes(f));
        count.textContent = `${rows.length} of ${page.model.runs.length} state runs`;
        list.set(rows);
        renderPanel(page, panel);
      },
      update() { view.refresh(); },
    };
    view.refresh();
    return view;
  },
};

function tableRow(page, r) {
  const m = page.model;
  const start = ts(m.events[0]);
  const end = m.status === 'RUNNING' ? Math.max(ts(m.events.at(-1)), Date.now()) : ts(m.events.at(-1));
  const span = Math.max(1, end - start);
  const a = ts(r.entered) - start;
  const b = (r.exited ? ts(r.exited) : ts(r.events.at(-1))) - start;
  const st = m.runStatus(r);
  const depth = r.scope ? r.scope.split('/').length : 0;
  const s = page.index.states.get(r.name);
  const nested = depth + (s && s.parent && page.index.states.get(s.parent).type === 'Parallel' ? 1 : 0);
  const bar = h('span.tl', h(`span.bar.status-${st}`, { style: `left:${(a / span) * 100}%;width:${Math.max(0.5, ((b - a) / span) * 100)}%` }));
  for (const at of r.attempts.slice(0, -1)) {
    const x = ts(at.scheduled) - start;
    const y = (ts(at.end) ?? x) - start;
    put(bar, h('span.bar.retry', { style: `left:${(x / span) * 100}%;width:${Math.max(0.3, ((y - x) / span) * 100)}%`, title: 'failed attempt' }));
  }
  const iter = r.scope ? r.scope.split('/').at(-1).replace(/^.*#/, '#') : '';
  const res = (s && s.def.Resource) || '';
  const selected = page.params.get('state') === r.name;
  return h(`div.trow${selected ? '.sel' : ''}`,
    h('span.name', { style: `padding-left:${nested * 14 + 6}px` }, r.name, iter ? h('span.muted', ` ${iter}`) : null, r.seq ? h('span.muted', ` (run ${r.seq + 1})`) : null),
    h('span', r.type),
    h('span', h(`span.badge.status-${st}`, st.replace('-', ' '))),
    h('span.res', { title: res }, res.split(':').pop()),
    h('span', duration(a)),
    h('span', r.exited ? duration(b - a) : '–'),
    bar);
}

// ---- events view -------------------------------------------------------------

const EventsView = {
  create(page) {
    const search = h('input.search', { type: 'search', placeholder: 'Search events (type, state, error, data)  ( / )', 'aria-label': 'Search events', value: page.params.get('q') || '' });
    const count = h('span.muted', { 'data-testid': 'event-count' });
    const detail = h('aside.panel.open', { 'aria-label': 'Event details' }, h('p.muted.hint', 'Select an event to see its details.'));
    const start = () => ts(page.model.events[0]);
    const list = new VList({
      rowHeight: 30,
      fit: true,
      label: 'History events',
      render: (e) => h(`div.erow${/Failed|TimedOut|Aborted/.test(e.type) ? '.bad' : ''}`,
        h('span.num', String(e.id)), h('span.etype', e.type), h('span.name', details(e).name || details(e).error || ''),
        h('span.muted', time(e.timestamp)), h('span.muted', `+${duration(ts(e) - start())}`)),
      onpick: (e) => detail.replaceChildren(h('h2', `#${e.id} ${e.type}`), jsonView(e, { title: 'Event' })),
    });
    list.el.classList.add('tall');
    let timer;
    search.addEventListener('input', () => {
      clearTimeout(timer);
      timer = setTimeout(() => { page.keepQuery(search.value); view.refresh(); }, 120);
    });
    const dl = () => download(`${page.desc.name}-history.json`, JSON.stringify({ events: page.model.events }, null, 2));
    put(page.body, h('div.graphwrap', h('div.graphcol',
      h('div.toolbar', search, count, h('button', { type: 'button', 'data-testid': 'download-events', onclick: dl }, 'Download JSON')),
      list.el), detail));
    let texts = [];
    const view = {
      refresh() {
        const evs = page.model.events;
        // Lower-cased text of each event, built once per event.
        for (let i = texts.length; i < evs.length; i++) texts.push(JSON.stringify(evs[i]).toLowerCase());
        const f = search.value.trim().toLowerCase();
        const rows = f ? evs.filter((_, i) => texts[i].includes(f)) : evs;
        count.textContent = f ? `${rows.length} of ${evs.length} events` : `${evs.length} events`;
        list.set(rows);
      },
      update() { view.refresh(); },
    };
    view.refresh();
    return view;
  },
};

const DefinitionView = {
  create(page) {
    put(page.body, jsonView(page.definition, { title: 'Definition (the one this execution runs)' }));
    return { refresh() {}, update() {} };
  },
};

