// The other local services: Lambda functions (with their logs), DynamoDB
// tables (with their items) and the e-mail mailbox of SNS subscriptions.
import { h, put, clear, time, errorBox, copy } from './dom.js';
import { ddb, getJson, q } from './api.js';
import { jsonView } from './json.js';
import { VList } from './vlist.js';

export function functionsPage(root) {
  put(clear(root), h('div.pagehead', h('div.titlebox', h('h1', 'Functions'))), h('p.loading', 'Loading…'));
  (async () => {
    try {
      const { Functions } = await getJson('/2015-03-31/functions');
      const body = Functions.length
        ? h('table.grid', h('thead', h('tr', ['Name', 'Runtime', 'Handler', 'Timeout', 'Last modified'].map((c) => h('th', c)))),
          h('tbody', Functions.map((f) => h('tr',
            h('td', h('a', { href: `#/function/${encodeURIComponent(f.FunctionName)}` }, f.FunctionName)),
            h('td', f.Runtime), h('td', h('code', f.Handler)), h('td', `${f.Timeout} s`), h('td', f.LastModified)))))
        : h('p.empty', 'No functions. Create one with ', h('code', `aws lambda create-function --endpoint-url ${location.origin} …`));
      root.lastChild.replaceWith(body);
    } catch (e) {
      root.lastChild.replaceWith(errorBox(e, 'Cannot list functions'));
    }
  })();
}

export function functionPage(root, params, [name]) {
  let timer;
  const logs = h('div');
  put(clear(root), 
    h('nav.crumbs', h('a', { href: '#/functions' }, 'Functions'), ' › ', h('span', name)),
    h('div.pagehead', h('div.titlebox', h('h1', name))),
    h('div.config'), h('h2', 'Log (newest last)'), logs);
  (async () => {
    try {
      const cfg = await getJson(`/2015-03-31/functions/${encodeURIComponent(name)}`);
      root.querySelector('.config').replaceWith(jsonView(cfg.Configuration || cfg, { title: 'Configuration' }));
    } catch (e) {
      root.querySelector('.config').replaceWith(errorBox(e, 'Cannot read this function'));
    }
  })();
  let shown = '';
  const load = async () => {
    try {
      const res = await getJson(`/_baton/console/logs?${q({ function: name })}`);
      const text = res.invocations.map((i) => i.lines.join('\n')).join('\n');
      if (text !== shown) {
        shown = text;
        logs.replaceChildren(res.invocations.length
          ? h('pre.log.tall', { 'data-testid': 'log-lines', tabindex: '0' }, text)
          : h('p.muted', 'No invocations yet.'));
        const pre = logs.querySelector('pre');
        if (pre) pre.scrollTop = pre.scrollHeight;
      }
    } catch (e) {
      logs.replaceChildren(errorBox(e, 'Cannot read the log'));
    }
    timer = setTimeout(load, 2000);
  };
  load();
  return { dispose: () => clearTimeout(timer) };
}

export function tablesPage(root) {
  put(clear(root), h('div.pagehead', h('div.titlebox', h('h1', 'Tables'))), h('p.loading', 'Loading…'));
  (async () => {
    try {
      const names = [];
      let start;
      do {
        const page = await ddb('ListTables', { ExclusiveStartTableName: start });
        names.push(...page.TableNames);
        start = page.LastEvaluatedTableName;
      } while (start);
      const rows = await Promise.all(names.map((n) => ddb('DescribeTable', { TableName: n }).then((d) => d.Table, () => ({ TableName: n }))));
      root.lastChild.replaceWith(rows.length
        ? h('table.grid', h('thead', h('tr', ['Name', 'Keys', 'Items', 'Status', 'Created'].map((c) => h('th', c)))),
          h('tbody', rows.map((t) => h('tr',
            h('td', h('a', { href: `#/table/${encodeURIComponent(t.TableName)}` }, t.TableName)),
            h('td', (t.KeySchema || []).map((k) => `${k.AttributeName} (${k.KeyType})`).join(', ')),
            h('td.num', String(t.ItemCount ?? '')),
            h('td', t.TableStatus || ''),
            h('td', t.CreationDateTime ? time(t.CreationDateTime) : '')))))
        : h('p.empty', 'No tables. Create one with ', h('code', `aws dynamodb create-table --endpoint-url ${location.origin} …`)));
    } catch (e) {
      root.lastChild.replaceWith(errorBox(e, 'Cannot list tables'));
    }
  })();
}

/** DynamoDB's typed attribute values as plain JSON, for reading. */
export function plain(av) {
  if (!av || typeof av !== 'object') return av;
  const [[t, v]] = Object.entries(av);
  switch (t) {
    case 'S': case 'B': return v;
    case 'N': return Number(v);
    case 'BOOL': return v;
    case 'NULL': return null;
    case 'L': return v.map(plain);
    case 'M': return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
    case 'SS': case 'BS': return v;
    case 'NS': return v.map(Number);
    default: return av;
  }
}

export function tablePage(root, params, [name]) {
  const count = h('span.muted');
  const more = h('button', { type: 'button', hidden: true }, 'Load more');
  const detail = h('aside.panel.open', h('p.muted.hint', 'Select an item to see it whole.'));
  let keys = [];
  const cols = () => `grid-template-columns: repeat(${Math.max(1, keys.length)}, minmax(100px, 1fr)) 4fr`;
  const header = h('div.trow.thead.itemrow');
  const list = new VList({
    rowHeight: 32,
    label: `Items of ${name}`,
    fit: true,
    render: (item) => h('div.trow.itemrow', { style: cols() },
      ...keys.map((k) => h('span.key', String(plain(item[k]) ?? ''))),
      h('span.muted.preview', JSON.stringify(Object.fromEntries(Object.entries(item).filter(([k]) => !keys.includes(k)).map(([k, v]) => [k, plain(v)]))))),
    onpick: (item) => detail.replaceChildren(
      jsonView(Object.fromEntries(Object.entries(item).map(([k, v]) => [k, plain(v)])), { title: 'Item' }),
      jsonView(item, { title: 'DynamoDB JSON' })),
  });
  list.el.classList.add('tall');
  put(clear(root), 
    h('nav.crumbs', h('a', { href: '#/tables' }, 'Tables'), ' › ', h('span', name)),
    h('div.pagehead', h('div.titlebox', h('h1', name)), h('div.actions', h('button', { type: 'button', onclick: () => copy(`aws dynamodb scan --endpoint-url ${location.origin} --table-name ${name}`, 'aws CLI command copied') }, 'Copy CLI'))),
    h('div.graphwrap', h('div.graphcol', h('div.toolbar', count), h('div.table', header, list.el), more), detail));
  let items = [];
  let lastKey;
  const page = async () => {
    try {
      const res = await ddb('Scan', { TableName: name, Limit: 200, ExclusiveStartKey: lastKey });
      items.push(...res.Items);
      lastKey = res.LastEvaluatedKey;
      list.set(items);
      count.textContent = `${items.length} item${items.length === 1 ? '' : 's'}${lastKey ? ' (more to load)' : ''}`;
      more.hidden = !lastKey;
    } catch (e) {
      count.replaceChildren(errorBox(e, 'Cannot scan the table'));
    }
  };
  more.addEventListener('click', page);
  (async () => {
    try {
      const { Table } = await ddb('DescribeTable', { TableName: name });
      keys = (Table.KeySchema || []).map((k) => k.AttributeName);
      header.setAttribute('style', cols());
      header.replaceChildren(...keys.map((k) => h('span', k)), h('span', 'Other attributes'));
    } catch { /* the scan reports it */ }
    page();
  })();
}

/** An SNS query-API call (form POST, XML answer): the `member` elements of the result. */
async function snsMembers(action, listTag) {
  const res = await fetch('/', {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ Action: action, Version: '2010-03-31' }),
  });
  const text = await res.text();
  const xml = new DOMParser().parseFromString(text, 'application/xml');
  if (!res.ok || !xml.getElementsByTagName(`${action}Result`).length) return null;
  const list = xml.getElementsByTagName(listTag)[0];
  if (!list) return [];
  return [...list.children].map((m) => Object.fromEntries([...m.children].map((c) => [c.tagName, c.textContent])));
}

async function snsTables(holder) {
  const [topics, subs] = await Promise.all([
    snsMembers('ListTopics', 'Topics').catch(() => null),
    snsMembers('ListSubscriptions', 'Subscriptions').catch(() => null),
  ]);
  if (topics === null) {
    holder.replaceChildren();
    return;
  }
  holder.replaceChildren(
    h('h2', 'Topics'),
    topics.length ? h('table.grid', h('tbody', topics.map((t) => h('tr', h('td', String(t.TopicArn).split(':').pop()), h('td', h('code.arn', t.TopicArn)))))) : h('p.muted', 'No topics.'),
    h('h2', 'Subscriptions'),
    subs && subs.length ? h('table.grid', h('thead', h('tr', ['Topic', 'Protocol', 'Endpoint', 'Subscription'].map((c) => h('th', c)))),
      h('tbody', subs.map((x) => h('tr', h('td', String(x.TopicArn).split(':').pop()), h('td', x.Protocol), h('td', x.Endpoint), h('td', h('code.arn', x.SubscriptionArn))))))
      : h('p.muted', 'No subscriptions.'),
    h('h2', 'Mailbox'));
}

export function mailboxPage(root) {
  let timer;
  const body = h('div');
  const sns = h('div');
  put(clear(root), h('div.pagehead', h('div.titlebox', h('h1', 'Topics and mailbox')),
    h('div.actions', h('button', { type: 'button', onclick: async () => { await fetch('/_baton/mailbox', { method: 'DELETE' }); load(); } }, 'Empty the mailbox'))),
  sns,
  h('p.muted', 'E-mails that SNS e-mail subscriptions would have sent, oldest first.'), body);
  snsTables(sns);
  const load = async () => {
    clearTimeout(timer);
    const res = await fetch('/_baton/mailbox', { headers: { Accept: 'application/json' } }).catch(() => null);
    if (!res || res.status === 404) {
      body.replaceChildren(h('div.alert', 'This server has no SNS mailbox (the SNS service is not part of this build).'));
      return;
    }
    try {
      const { messages } = await res.json();
      body.replaceChildren(messages.length ? h('div.mails', messages.map((m) => h('article.card.mail',
        h('header', h('b', m.subject || '(no subject)'), h('span.muted', ` ${m.sentAt}`)),
        h('p.muted', `To ${m.to} · from ${m.from} · topic ${String(m.topicArn).split(':').pop()}`),
        h('pre.mailbody', linkify(m.body))))) : h('p.empty', 'No messages.'));
    } catch (e) {
      body.replaceChildren(errorBox(e, 'Cannot read the mailbox'));
    }
    timer = setTimeout(load, 3000);
  };
  load();
  return { dispose: () => clearTimeout(timer) };
}

/** Text with its http(s) links made clickable (subscription confirmations). */
function linkify(text) {
  const out = [];
  let last = 0;
  for (const m of String(text || '').matchAll(/https?:\/\/[^\s<>"]+/g)) {
    out.push(text.slice(last, m.index), h('a', { href: m[0], target: '_blank', rel: 'noopener' }, m[0]));
    last = m.index + m[0].length;
  }
  out.push(String(text || '').slice(last));
  const span = h('span');
  put(span, ...out);
  return span;
}
