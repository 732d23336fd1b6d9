// The execution page: summary, error banner, live diagram, table with a
// timeline, events, and the step panel.
import { h, put, clear, time, duration, arnName, statusBadge, toast, copy, download, shq, errorBox, tabs } from './dom.js';
import { sfn, getText, q } from './api.js';
import { jsonView, tryParse, parseLocated } from './json.js';
import { GraphView, TableView, EventsView, DefinitionView } from './views.js';
import { indexDefinition, ExecutionModel, taskTokenOf } from './history.js';
import { go } from './main.js';
import { MapRunsSection } from './mapruns.js';

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
    // A Map Run child runs the labelled machine `…:stateMachine:<name>/<label>`.
    const machineArn = d.stateMachineArn.split('/')[0];
    this.mapRuns = new MapRunsSection(this.arn);
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
        d.mapRunArn ? [h('a', { href: '#', 'data-testid': 'parent-link', onclick: (ev) => this.openParent(ev) }, 'Map Run'), ' › '] : null,
        h('span', d.name)),
      this.head, this.banner, this.summary, this.mapRuns.el, this.callback, this.viewTabs, this.body);
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
    this.mapRuns.update(this.model.events.some((e) => e.type === 'MapRunStarted'), status === 'RUNNING');
    if (this.diagramSvg) this.colourDiagram();
    this.renderBody(true);
  }

  renderHead() {
    const d = this.desc;
    const running = this.status === 'RUNNING';
    // A Map Run child is started and redriven through its parent (stopping
    // one aborts it alone).
    const child = Boolean(d.mapRunArn);
    const startLink = `#/machine/${encodeURIComponent(d.stateMachineArn)}/start?from=${encodeURIComponent(this.arn)}`;
    put(clear(this.head), 
      h('div.titlebox', h('h1', d.name), statusBadge(this.status), running ? h('span.live', { title: 'Live: updates as the execution runs' }, '● live') : null),
      h('div.actions',
        child ? null : h('a.button.primary', { href: startLink, 'data-testid': 'rerun' }, 'Re-run'),
        child ? null : h('a.button', { href: `${startLink}&edit=1` }, 'Edit input & re-run'),
        running ? h('button.danger', { type: 'button', 'data-testid': 'stop', onclick: () => this.stop() }, 'Stop') : null,
        ['FAILED', 'TIMED_OUT', 'ABORTED'].includes(this.status) && !this.arn.includes(':express:') && !child
          ? h('button', { type: 'button', 'data-testid': 'redrive', title: 'Continue from the unsuccessful states (RedriveExecution)', onclick: () => this.redrive() }, 'Redrive') : null,
        child ? null : h('button', { type: 'button', title: 'The aws CLI command that starts this execution again', onclick: () => copy(this.cli(), 'aws CLI command copied') }, 'Copy CLI'),
        h('button', { type: 'button', onclick: () => this.exportJson() }, 'Export')));
  }

  /** A Map Run child: opens the execution that started its Map Run. */
  async openParent(ev) {
    ev.preventDefault();
    try {
      const run = await sfn('DescribeMapRun', { mapRunArn: this.desc.mapRunArn });
      go(`/execution/${encodeURIComponent(run.executionArn)}`, new URLSearchParams());
    } catch (e) {
      toast(`${e.code}: ${e.message}`, 'error');
    }
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
