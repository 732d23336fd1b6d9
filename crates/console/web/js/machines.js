// State machines: the list, one machine with its executions, starting an
// execution, and creating or editing a definition.
import { h, put, clear, time, shortTime, ago, arnName, statusBadge, toast, copy, shq, errorBox, tabs } from './dom.js';
import { sfn, getJson, getText, q } from './api.js';
import { jsonView, parseLocated, pretty, tryParse } from './json.js';
import { VList } from './vlist.js';
import { go } from './main.js';
import { nodesSection } from './nodes.js';

const STATUSES = ['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'];

export function machinesPage(root) {
  const body = h('div');
  const nodes = nodesSection();
  put(clear(root), 
    h('div.pagehead', h('div.titlebox', h('h1', 'State machines')),
      h('div.actions', h('a.button.primary', { href: '#/new' }, 'Create state machine'))),
    body, nodes.el);
  let timer;
  let first = true;
  const load = async () => {
    nodes.load();
    try {
      const { stateMachines } = await getJson('/_baton/console/machines');
      render(stateMachines);
    } catch (e) {
      put(clear(body), errorBox(e, 'Cannot list state machines'));
    }
    timer = setTimeout(load, 3000);
  };
  const render = (machines) => {
    if (!machines.length) {
      put(clear(body), h('div.empty',
        h('p', 'No state machines yet.'),
        h('p', h('a.button.primary', { href: '#/new' }, 'Create one'), ' or deploy one with ',
          h('code', `aws stepfunctions create-state-machine --endpoint-url ${location.origin} --name … --definition file://… --role-arn arn:aws:iam::123456789012:role/x`))));
      return;
    }
    const table = h('table.grid.machines', h('thead', h('tr', h('th', 'Name'), h('th', 'Type'), ['Running', 'Succeeded', 'Failed', 'Other'].map((c) => h('th.num', c)), h('th', 'Last run'))),
      h('tbody', machines.map((m) => {
        const c = m.counts || {};
        const last = m.lastExecution;
        const link = `#/machine/${encodeURIComponent(m.stateMachineArn)}`;
        return h('tr', { 'data-machine': m.name },
          h('td', h('a', { href: link }, m.name)),
          h('td', m.type),
          h('td.num', count(link, 'RUNNING', c.RUNNING)),
          h('td.num', count(link, 'SUCCEEDED', c.SUCCEEDED)),
          h('td.num', count(link, 'FAILED', c.FAILED)),
          h('td.num', count(link, '', (c.TIMED_OUT || 0) + (c.ABORTED || 0))),
          h('td', last ? h('a', { href: `#/execution/${encodeURIComponent(last.executionArn)}` }, statusBadge(last.status), ' ', ago(last.startDate)) : h('span.muted', 'never')));
      })));
    put(clear(body), table);
    if (first) first = false;
  };
  load();
  return { dispose: () => clearTimeout(timer) };
}

function count(link, status, n) {
  if (!n) return h('span.zero', '0');
  return h('a', { href: status ? `${link}?status=${status}` : link }, String(n));
}

// ---- one machine ----------------------------------------------------------------

export function machinePage(root, params, [arn]) {
  const body = h('div');
  let machine;
  let timer;
  let disposed = false;
  const tab = params.get('tab') || 'executions';
  put(clear(root), h('p.loading', 'Loading…'));
  (async () => {
    try {
      machine = await sfn('DescribeStateMachine', { stateMachineArn: arn });
    } catch (e) {
      put(clear(root), errorBox(e, 'Cannot open this state machine'));
      return;
    }
    const link = `#/machine/${encodeURIComponent(arn)}`;
    put(clear(root), 
      h('nav.crumbs', h('a', { href: '#/' }, 'State machines'), ' › ', h('span', machine.name)),
      h('div.pagehead',
        h('div.titlebox', h('h1', machine.name), h('span.badge', machine.type)),
        h('div.actions',
          h('a.button.primary', { href: `${link}/start`, 'data-testid': 'start-execution' }, 'Start execution'),
          h('a.button', { href: `${link}/edit` }, 'Edit definition'),
          h('button', { type: 'button', onclick: () => copy(arn, 'ARN copied') }, 'Copy ARN'))),
      tabs([['executions', 'Executions'], ['definition', 'Definition']], tab, (id) => go(`/machine/${encodeURIComponent(arn)}`, new URLSearchParams({ tab: id }))),
      body);
    if (tab === 'definition') return definitionTab(body, machine);
    if (machine.type === 'EXPRESS') {
      put(body, h('p.empty', 'Express executions keep no history to list (as on AWS). ',
        h('a', { href: `${link}/start` }, 'Start one'), ' to see its result, or open the ',
        h('a', { href: `${link}?tab=definition` }, 'definition'), '.'));
      return;
    }
    // The executions beside the workflow they run.
    const list = h('div.maincol');
    const side = h('div.canvas.static.side', { 'data-testid': 'diagram' }, h('p.loading', 'Drawing…'));
    put(body, h('div.machinecols', list, side));
    executionsTab(list, arn, params, (t) => (timer = t), () => disposed);
    getText(`/_baton/console/diagram.svg?${q({ arn })}`).then((svg) => { side.innerHTML = svg; },
      (e) => side.replaceChildren(errorBox(e, 'The diagram cannot be drawn')));
  })();
  return { dispose: () => { disposed = true; clearTimeout(timer); } };
}

async function definitionTab(body, machine) {
  const holder = h('div.canvas.static', { 'data-testid': 'diagram' }, h('p.loading', 'Drawing…'));
  put(body, h('div.defcols', holder, jsonView(tryParse(machine.definition) ?? machine.definition, { title: 'Definition' })));
  try {
    holder.innerHTML = await getText(`/_baton/console/diagram.svg?${q({ arn: machine.stateMachineArn })}`);
  } catch (e) {
    holder.replaceChildren(errorBox(e, 'The diagram cannot be drawn'));
  }
}

function executionsTab(body, arn, params, setTimer, disposed) {
  const status = h('select', { 'aria-label': 'Status filter' }, h('option', { value: '' }, 'All statuses'),
    STATUSES.map((s) => h('option', { value: s, selected: params.get('status') === s }, s.replace('_', ' '))));
  const name = h('input.search', { type: 'search', placeholder: 'Filter by name  ( / )', 'aria-label': 'Filter by name', value: params.get('name') || '' });
  const count = h('span.muted', { 'data-testid': 'execution-count' });
  const more = h('button', { type: 'button', hidden: true }, 'Load more');
  const header = h('div.trow.thead.exrow', ['Name', 'Status', 'Started', 'Ended', 'Duration'].map((c) => h('span', c)));
  const list = new VList({
    rowHeight: 34,
    fit: true,
    label: 'Executions',
    render: (e) => h('div.trow.exrow', { 'data-execution': e.name },
      h('span.name', h('a', { href: `#/execution/${encodeURIComponent(e.executionArn)}`, tabindex: '-1' }, e.name)),
      h('span', statusBadge(e.status)),
      h('span', { title: time(e.startDate) }, shortTime(e.startDate)),
      h('span', { title: e.stopDate ? time(e.stopDate) : '' }, e.stopDate ? shortTime(e.stopDate) : '–'),
      h('span', e.stopDate ? `${((e.stopDate - e.startDate)).toFixed(3)} s` : '')),
    onpick: (e) => go(`/execution/${encodeURIComponent(e.executionArn)}`),
  });
  list.el.classList.add('tall');
  let items = [];
  let nextToken;
  const filtered = () => {
    const f = name.value.trim().toLowerCase();
    return f ? items.filter((e) => e.name.toLowerCase().includes(f)) : items;
  };
  const show = () => {
    const rows = filtered();
    count.textContent = `${rows.length} execution${rows.length === 1 ? '' : 's'}${nextToken ? ' (more to load)' : ''}`;
    list.set(rows);
    more.hidden = !nextToken;
  };
  const body_ = { stateMachineArn: arn, statusFilter: status.value || undefined, maxResults: 100 };
  // Live rows: the newest page is read again every two seconds and merged.
  const poll = async () => {
    if (disposed()) return;
    try {
      const page = await sfn('ListExecutions', { ...body_, statusFilter: status.value || undefined });
      const known = new Map(items.map((e) => [e.executionArn, e]));
      for (const e of page.executions) known.set(e.executionArn, e);
      items = [...known.values()].filter((e) => !status.value || e.status === status.value)
        .sort((a, b) => b.startDate - a.startDate || (a.executionArn < b.executionArn ? 1 : -1));
      if (nextToken === undefined) nextToken = page.nextToken || null;
      show();
    } catch (e) {
      count.replaceChildren(errorBox(e, 'Cannot list executions'));
    }
    setTimer(setTimeout(poll, 2000));
  };
  more.addEventListener('click', async () => {
    const page = await sfn('ListExecutions', { ...body_, statusFilter: status.value || undefined, nextToken });
    items.push(...page.executions);
    nextToken = page.nextToken || null;
    show();
  });
  const relink = () => {
    const p = new URLSearchParams();
    if (status.value) p.set('status', status.value);
    if (name.value) p.set('name', name.value);
    history.replaceState(null, '', `#/machine/${encodeURIComponent(arn)}${p.size ? `?${p}` : ''}`);
  };
  status.addEventListener('change', () => { items = []; nextToken = undefined; relink(); poll(); });
  name.addEventListener('input', () => { relink(); show(); });
  put(body, h('div.toolbar', status, name, count), h('div.table', header, list.el), more);
  poll();
}

// ---- start an execution -----------------------------------------------------------

export function startPage(root, params, [arn]) {
  put(clear(root), h('p.loading', 'Loading…'));
  (async () => {
    let machine;
    let input = '{}';
    try {
      machine = await sfn('DescribeStateMachine', { stateMachineArn: arn });
      const from = params.get('from');
      if (from) {
        input = (await sfn('DescribeExecution', { executionArn: from })).input;
      } else if (machine.type !== 'EXPRESS') {
        const last = (await sfn('ListExecutions', { stateMachineArn: arn, maxResults: 1 })).executions[0];
        if (last) input = (await sfn('DescribeExecution', { executionArn: last.executionArn })).input;
      }
    } catch (e) {
      put(clear(root), errorBox(e, 'Cannot start an execution here'));
      return;
    }
    const name = h('input', { type: 'text', id: 'exec-name', placeholder: 'optional: a unique name (a UUID by default)', 'aria-label': 'Execution name' });
    const editor = h('textarea.code.editor', { id: 'exec-input', rows: 16, spellcheck: 'false', 'aria-label': 'Execution input (JSON)', 'data-testid': 'input-editor' }, pretty(input || '{}'));
    const msg = h('div.formmsg', { role: 'status', 'aria-live': 'polite', 'data-testid': 'form-message' });
    const check = () => {
      const r = parseLocated(editor.value);
      if (r.error) {
        editor.setAttribute('aria-invalid', 'true');
        msg.replaceChildren(h('div.alert.error', { 'data-testid': 'json-error' }, h('strong', 'Invalid JSON: '), `line ${r.error.line}, column ${r.error.column}: ${r.error.message}`));
        return r;
      }
      editor.removeAttribute('aria-invalid');
      msg.replaceChildren();
      return r;
    };
    const cli = () => `aws stepfunctions ${machine.type === 'EXPRESS' ? 'start-sync-execution' : 'start-execution'} --endpoint-url ${location.origin} --state-machine-arn ${shq(arn)}${name.value ? ` --name ${shq(name.value)}` : ''} --input ${shq(editor.value.trim())}`;
    const start = async () => {
      const r = check();
      if (r.error) {
        editor.focus();
        editor.setSelectionRange(r.error.offset, Math.min(editor.value.length, r.error.offset + 1));
        return;
      }
      try {
        if (machine.type === 'EXPRESS') {
          // Express executions keep no history to browse: run it synchronously
          // and show the outcome here.
          const res = await sfn('StartSyncExecution', { stateMachineArn: arn, name: name.value || undefined, input: editor.value });
          msg.replaceChildren(h('div.card', { 'data-testid': 'sync-result' },
            h('h3', 'Express execution ', statusBadge(res.status)),
            res.error ? h('div.alert.error', h('strong', res.error), res.cause ? h('pre.cause', res.cause) : null) : null,
            res.output !== undefined ? jsonView(res.output, { title: 'Output' }) : null));
          return;
        }
        const res = await sfn('StartExecution', { stateMachineArn: arn, name: name.value || undefined, input: editor.value });
        toast('Execution started');
        go(`/execution/${encodeURIComponent(res.executionArn)}`);
      } catch (e) {
        msg.replaceChildren(errorBox(e));
      }
    };
    let t;
    editor.addEventListener('input', () => { clearTimeout(t); t = setTimeout(check, 250); });
    editor.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) { e.preventDefault(); start(); }
      if (e.key === 'Tab' && !e.shiftKey && !e.ctrlKey) {
        e.preventDefault();
        editor.setRangeText('  ', editor.selectionStart, editor.selectionEnd, 'end');
      }
    });
    put(clear(root), 
      h('nav.crumbs', h('a', { href: '#/' }, 'State machines'), ' › ', h('a', { href: `#/machine/${encodeURIComponent(arn)}` }, machine.name), ' › ', h('span', 'Start execution')),
      h('div.pagehead', h('div.titlebox', h('h1', `Start an execution of ${machine.name}`))),
      h('form.card.form', { onsubmit: (e) => { e.preventDefault(); start(); } },
        h('label', { for: 'exec-name' }, 'Name'), name,
        h('label', { for: 'exec-input' }, 'Input ', h('span.muted', params.get('from') ? `(from ${arnName(params.get('from'))})` : '(the last execution\'s input)')),
        editor, msg,
        h('div.actions',
          h('button.primary', { type: 'submit', 'data-testid': 'start' }, 'Start execution'),
          h('button', { type: 'button', onclick: () => { editor.value = pretty(editor.value); check(); } }, 'Format'),
          h('button', { type: 'button', onclick: () => copy(cli(), 'aws CLI command copied') }, 'Copy CLI'),
          h('span.muted', 'Ctrl+Enter starts'))));
    if (params.get('edit')) editor.focus();
    else root.querySelector('button[type=submit]').focus();
  })();
}

// ---- create / edit a definition ------------------------------------------------------

export function editPage(root, params, [arn]) {
  put(clear(root), h('p.loading', 'Loading…'));
  (async () => {
    let machine = null;
    if (arn) {
      try {
        machine = await sfn('DescribeStateMachine', { stateMachineArn: arn });
      } catch (e) {
        put(clear(root), errorBox(e, 'Cannot open this state machine'));
        return;
      }
    }
    const example = { Comment: 'A new state machine', StartAt: 'Hello', States: { Hello: { Type: 'Pass', Result: { hello: 'world' }, End: true } } };
    const name = h('input', { type: 'text', id: 'sm-name', value: machine ? machine.name : '', disabled: !!machine, 'aria-label': 'Name', required: true });
    const type = h('select', { id: 'sm-type', disabled: !!machine, 'aria-label': 'Type' }, ['STANDARD', 'EXPRESS'].map((t) => h('option', { selected: machine && machine.type === t }, t)));
    const editor = h('textarea.code.editor', { id: 'sm-definition', rows: 24, spellcheck: 'false', 'aria-label': 'Definition (ASL JSON)', 'data-testid': 'definition-editor' },
      machine ? pretty(machine.definition) : JSON.stringify(example, null, 2));
    const msg = h('div.formmsg', { role: 'status', 'aria-live': 'polite', 'data-testid': 'form-message' });
    const locate = (r) => {
      editor.focus();
      editor.setSelectionRange(r.offset, Math.min(editor.value.length, r.offset + 1));
    };
    /** Local JSON check, then the server's validation; true when it may be saved. */
    const validate = async () => {
      const r = parseLocated(editor.value);
      if (r.error) {
        msg.replaceChildren(h('div.alert.error', { 'data-testid': 'json-error' }, h('strong', 'Invalid JSON: '), `line ${r.error.line}, column ${r.error.column}: ${r.error.message}`));
        locate(r.error);
        return false;
      }
      try {
        const v = await sfn('ValidateStateMachineDefinition', { definition: editor.value, type: type.value });
        const diags = v.diagnostics || [];
        if (!diags.length) {
          msg.replaceChildren(h('div.alert.ok', 'The definition is valid.'));
          preview();
          return true;
        }
        msg.replaceChildren(h('div.alert.error', { 'data-testid': 'validation-errors' }, h('strong', `${diags.length} problem${diags.length > 1 ? 's' : ''}`),
          h('ul', diags.map((d) => h('li', h('code', d.severity), ' ', h('code', d.code), ' ',
            d.location ? h('button.linkish', { type: 'button', title: 'Show in the editor', onclick: () => showPointer(editor, d.location) }, `at ${d.location}:`) : '', ' ', d.message)))));
        return v.result === 'OK' || diags.every((d) => d.severity !== 'ERROR');
      } catch (e) {
        msg.replaceChildren(errorBox(e));
        return false;
      }
    };
    const drawing = h('div.canvas.static', { 'data-testid': 'preview', hidden: true });
    const preview = async () => {
      const res = await fetch('/_baton/console/diagram.svg', { method: 'POST', body: editor.value });
      drawing.hidden = false;
      if (res.ok) drawing.innerHTML = await res.text();
      else drawing.replaceChildren(errorBox({ message: (await res.json()).message }, 'The diagram cannot be drawn'));
    };
    const save = async () => {
      if (!(await validate())) return;
      try {
        let target = arn;
        if (machine) {
          await sfn('UpdateStateMachine', { stateMachineArn: arn, definition: editor.value });
        } else {
          if (!name.value) {
            msg.replaceChildren(h('div.alert.error', 'A name is required.'));
            return name.focus();
          }
          const res = await sfn('CreateStateMachine', { name: name.value, type: type.value, definition: editor.value, roleArn: 'arn:aws:iam::123456789012:role/baton-console' });
          target = res.stateMachineArn;
        }
        toast(machine ? 'Definition saved' : 'State machine created');
        go(`/machine/${encodeURIComponent(target)}`, new URLSearchParams({ tab: 'definition' }));
      } catch (e) {
        msg.replaceChildren(errorBox(e));
      }
    };
    editor.addEventListener('keydown', (e) => {
      if (e.key === 'Tab' && !e.shiftKey && !e.ctrlKey) {
        e.preventDefault();
        editor.setRangeText('  ', editor.selectionStart, editor.selectionEnd, 'end');
      }
    });
    put(clear(root), 
      h('nav.crumbs', h('a', { href: '#/' }, 'State machines'), ' › ', machine ? h('a', { href: `#/machine/${encodeURIComponent(arn)}` }, machine.name) : null, machine ? ' › ' : null, h('span', machine ? 'Edit definition' : 'Create')),
      h('div.pagehead', h('div.titlebox', h('h1', machine ? `Edit ${machine.name}` : 'Create a state machine'))),
      h('form.card.form', { onsubmit: (e) => { e.preventDefault(); save(); } },
        h('div.row2', h('div', h('label', { for: 'sm-name' }, 'Name'), name), h('div', h('label', { for: 'sm-type' }, 'Type'), type)),
        h('label', { for: 'sm-definition' }, 'Definition (Amazon States Language)'), editor, msg,
        h('div.actions',
          h('button.primary', { type: 'submit', 'data-testid': 'save' }, machine ? 'Save' : 'Create'),
          h('button', { type: 'button', 'data-testid': 'validate', onclick: validate }, 'Validate'),
          h('button', { type: 'button', onclick: () => { const r = parseLocated(editor.value); if (!r.error) editor.value = pretty(editor.value); else validate(); } }, 'Format'))),
      drawing);
  })();
}

/** Selects the member a JSON Pointer (`/States/A/Next`) names in the editor's text. */
function showPointer(editor, pointer) {
  const text = editor.value;
  let at = 0;
  let found = -1;
  for (const raw of pointer.split('/').slice(1)) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (/^\d+$/.test(seg)) continue; // array indexes: keep the position of the array
    const re = new RegExp(`${JSON.stringify(seg).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*:`, 'g');
    re.lastIndex = at;
    const m = re.exec(text);
    if (!m) break;
    found = m.index;
    at = m.index + m[0].length;
  }
  editor.focus();
  if (found >= 0) {
    editor.setSelectionRange(found, at);
    // Scroll the selection into view: put the caret line near the top.
    const line = text.slice(0, found).split('\n').length;
    editor.scrollTop = Math.max(0, (line - 3) * parseFloat(getComputedStyle(editor).lineHeight || '18'));
  }
}
