// Map Runs on the execution page: each Distributed Map's progress
// (DescribeMapRun) and its child executions (ListExecutions with mapRunArn),
// which open as execution pages of their own.
import { h, put, clear, time, duration, statusBadge } from './dom.js';
import { sfn } from './api.js';

const CHILDREN_SHOWN = 50;

/** How often a running execution's Map Runs are polled, at most. */
const POLL_MS = 1000;

export class MapRunsSection {
  constructor(executionArn) {
    this.executionArn = executionArn;
    this.el = h('section.mapruns', { 'data-testid': 'map-runs', hidden: true });
    this.fetchedAt = 0;
    this.pending = null;
  }

  /** Called after each render; fetches again when something may have changed. */
  update(hasMapRuns, running) {
    if (!hasMapRuns) return;
    const due = Date.now() - this.fetchedAt >= POLL_MS;
    if (this.pending || (!due && running) || (!running && this.final)) return;
    if (!running) this.final = true;
    this.pending = this.fetch()
      .catch((e) => put(clear(this.el), h('p.muted', `Map Runs unavailable: ${e.message}`)))
      .finally(() => {
        this.pending = null;
        this.fetchedAt = Date.now();
      });
  }

  async fetch() {
    const { mapRuns } = await sfn('ListMapRuns', { executionArn: this.executionArn });
    const runs = await Promise.all(mapRuns.map(async (r) => {
      const [desc, children] = await Promise.all([
        sfn('DescribeMapRun', { mapRunArn: r.mapRunArn }),
        sfn('ListExecutions', { mapRunArn: r.mapRunArn, maxResults: CHILDREN_SHOWN }),
      ]);
      return { run: r, desc, children: children.executions, more: Boolean(children.nextToken) };
    }));
    this.render(runs);
  }

  render(runs) {
    this.el.hidden = runs.length === 0;
    put(clear(this.el), h('h2', 'Map Runs'), runs.map((r) => this.runBox(r)));
  }

  runBox({ run, desc, children, more }) {
    const label = run.stateMachineArn.split('/').slice(1).join('/');
    const items = desc.itemCounts;
    const counts = [['succeeded', 'succeeded'], ['failed', 'failed'], ['aborted', 'aborted'], ['running', 'running'], ['pending', 'pending']]
      .filter(([k]) => items[k] > 0 || k === 'succeeded')
      .map(([k, text]) => `${items[k]} ${text}`).join(' · ');
    const limit = desc.maxConcurrency ? `at most ${desc.maxConcurrency} at once` : 'no concurrency limit';
    return h('div.maprun', { 'data-maprun': run.mapRunArn },
      h('div.mapruntitle', h('strong', label), statusBadge(desc.status),
        h('span.muted', `${counts} of ${items.total} items · ${limit}`)),
      h('table.grid',
        h('thead', h('tr', h('th', 'Child execution'), h('th', 'Status'), h('th', 'Started'), h('th.num', 'Duration'))),
        h('tbody', children.map((c) => h('tr',
          h('td', h('a', { href: `#/execution/${encodeURIComponent(c.executionArn)}` }, c.name)),
          h('td', statusBadge(c.status)),
          h('td', time(c.startDate)),
          h('td.num', c.stopDate ? duration((c.stopDate - c.startDate) * 1000) : '–'))))),
      more ? h('p.muted', `The ${CHILDREN_SHOWN} newest of ${desc.executionCounts.total} child executions.`) : null);
  }
}
