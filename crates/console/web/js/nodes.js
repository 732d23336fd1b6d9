// The nodes sharing this Baton's database (`baton serve --database`): which
// are live, which were fenced, how many executions each runs. Absent for a
// server with a store of its own.
import { h, put, clear } from './dom.js';
import { getJson } from './api.js';

export function nodesSection() {
  const el = h('section.nodes');
  const load = async () => {
    let listed;
    try {
      listed = await getJson('/_baton/console/nodes');
    } catch {
      return; // the list of machines above reports a server that is down
    }
    if (!listed.nodes.length) {
      clear(el);
      return;
    }
    const state = (n) => {
      if (n.fenced) return h('span.badge.status-aborted', 'fenced');
      if (!n.live) return h('span.badge.status-timed-out', 'silent');
      return h('span.badge.status-succeeded', 'live');
    };
    put(clear(el),
      h('h2', 'Nodes'),
      h('p.muted', `Sharing one database; a node silent for ${listed.leaseMs / 1000} s is fenced and the others take its executions over.`),
      h('table.grid', h('thead', h('tr', h('th', 'Node'), h('th', 'URL'), h('th', 'State'), h('th.num', 'Running'), h('th.num', 'Last heartbeat'))),
        h('tbody', listed.nodes.map((n) => h('tr', { 'data-node': n.id },
          h('td', n.id, n.self ? h('span.muted', ' (this node)') : null),
          h('td', n.url ? h('code', n.url) : h('span.muted', '—')),
          h('td', state(n)),
          h('td.num', String(n.running)),
          h('td.num', `${(n.silentForMs / 1000).toFixed(1)} s ago`))))));
  };
  return { el, load };
}
