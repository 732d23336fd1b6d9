// The execution page's views: the live diagram, the table with its
// timeline, the events list, and the definition.
import { h, put, clear, time, duration, download, errorBox } from './dom.js';
import { jsonView } from './json.js';
import { VList } from './vlist.js';
import { details, ts } from './history.js';
import { renderPanel } from './panel.js';

// ---- graph view ------------------------------------------------------------

export const GraphView = {
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

// ---- table view -------------------------------------------------------------

export const TableView = {
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

export const EventsView = {
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

export const DefinitionView = {
  create(page) {
    put(page.body, jsonView(page.definition, { title: 'Definition (the one this execution runs)' }));
    return { refresh() {}, update() {} };
  },
};
