// The console's entry point: hash routes (every view is a deep link),
// theme, and keyboard shortcuts.
import { h, put, clear } from './dom.js';
import { machinesPage, machinePage, startPage, editPage } from './machines.js';
import { executionPage } from './execution.js';
import { functionsPage, functionPage, tablesPage, tablePage, mailboxPage } from './services.js';

const ROUTES = [
  [/^\/?$/, machinesPage, 'machines'],
  [/^\/machines$/, machinesPage, 'machines'],
  [/^\/new$/, editPage, 'machines'],
  [/^\/machine\/([^/]+)$/, machinePage, 'machines'],
  [/^\/machine\/([^/]+)\/start$/, startPage, 'machines'],
  [/^\/machine\/([^/]+)\/edit$/, editPage, 'machines'],
  [/^\/execution\/([^/]+)$/, executionPage, 'machines'],
  [/^\/functions$/, functionsPage, 'functions'],
  [/^\/function\/([^/]+)$/, functionPage, 'functions'],
  [/^\/tables$/, tablesPage, 'tables'],
  [/^\/table\/([^/]+)$/, tablePage, 'tables'],
  [/^\/mailbox$/, mailboxPage, 'mailbox'],
];

let current = null; // {path, page}

/** Navigates to `path` (without '#') with optional query parameters. */
export function go(path, params, replace = false) {
  const qs = params && [...params].length ? `?${params}` : '';
  const hash = `#${path}${qs}`;
  if (replace) {
    history.replaceState(null, '', hash);
    route();
  } else {
    location.hash = hash;
  }
}

export function route() {
  const raw = location.hash.slice(1) || '/';
  const at = raw.indexOf('?');
  const path = at < 0 ? raw : raw.slice(0, at);
  const params = new URLSearchParams(at < 0 ? '' : raw.slice(at + 1));
  const app = document.getElementById('app');
  if (current && current.path === path && current.page && current.page.update) {
    current.page.update(params);
    return;
  }
  if (current && current.page && current.page.dispose) current.page.dispose();
  for (const [re, fn, section] of ROUTES) {
    const m = re.exec(path);
    if (!m) continue;
    for (const a of document.querySelectorAll('header nav a')) a.toggleAttribute('aria-current', a.dataset.section === section);
    const args = m.slice(1).map(decodeURIComponent);
    current = { path, page: fn(app, params, args) || null };
    window.scrollTo(0, 0);
    return;
  }
  current = null;
  put(clear(app), h('div.empty', h('h1', 'Not found'), h('p', 'No console page lives at this address. ', h('a', { href: '#/' }, 'State machines'))));
}

// ---- theme: system preference, or the reader's choice kept in localStorage ----

function setTheme(t) {
  if (t) document.documentElement.dataset.theme = t;
  else delete document.documentElement.dataset.theme;
  try {
    if (t) localStorage.setItem('baton-theme', t);
    else localStorage.removeItem('baton-theme');
  } catch { /* private mode */ }
  const btn = document.getElementById('theme');
  if (btn) btn.textContent = { dark: 'Dark', light: 'Light' }[t] || 'Auto';
}

function toggleTheme() {
  const cur = document.documentElement.dataset.theme;
  const dark = cur ? cur === 'dark' : matchMedia('(prefers-color-scheme: dark)').matches;
  setTheme(dark ? 'light' : 'dark');
}

// ---- keyboard ----

const HELP = [
  ['g m', 'State machines'], ['g f', 'Functions'], ['g t', 'Tables'], ['g x', 'Mailbox'],
  ['1 2 3 4', 'Execution: graph, table, events, definition'],
  ['Tab, ↑ ↓ / j k', 'Move between diagram states and list rows'], ['Enter', 'Open the selected state or row'],
  ['[ ]', 'Previous / next Map iteration'], ['+ − 0', 'Zoom the diagram in, out, fit'],
  ['/', 'Search or filter'], ['Esc', 'Close the step panel'], ['d', 'Toggle dark mode'], ['?', 'This help'],
];

function help() {
  const old = document.getElementById('help');
  if (old) return old.remove();
  const close = () => dlg.remove();
  const dlg = h('div#help.modal', { role: 'dialog', 'aria-modal': 'true', 'aria-label': 'Keyboard shortcuts', onclick: (e) => e.target === dlg && close() },
    h('div.card', h('h2', 'Keyboard shortcuts'),
      h('table.grid', h('tbody', HELP.map(([k, v]) => h('tr', h('td', h('kbd', k)), h('td', v))))),
      h('button', { type: 'button', onclick: close }, 'Close')));
  document.body.append(dlg);
  dlg.querySelector('button').focus();
}

let prefix = null;
function onKey(e) {
  if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey) return;
  const t = e.target;
  if (t && (t.tagName === 'INPUT' || t.tagName === 'TEXTAREA' || t.tagName === 'SELECT' || t.isContentEditable)) {
    if (e.key === 'Escape') t.blur();
    return;
  }
  if (prefix === 'g') {
    prefix = null;
    const to = { m: '/', f: '/functions', t: '/tables', x: '/mailbox' }[e.key];
    if (to) go(to);
    return;
  }
  const hash = location.hash;
  const onExecution = hash.startsWith('#/execution/');
  switch (e.key) {
    case 'g': prefix = 'g'; setTimeout(() => (prefix = null), 1500); return;
    case '?': return help();
    case 'd': return toggleTheme();
    case '/': {
      const s = document.querySelector('#app input[type=search]');
      if (s) { e.preventDefault(); s.focus(); }
      return;
    }
    case 'Escape': {
      if (document.getElementById('help')) return help();
      const close = document.querySelector('.panel .close');
      if (close) close.click();
      return;
    }
    case '[': case ']': {
      const b = document.querySelector(`.iterpicker button[data-key="${e.key}"]`);
      if (b) b.click();
      return;
    }
    default:
  }
  if (onExecution && '1234'.includes(e.key) && e.key.length === 1) {
    const tab = document.querySelectorAll('.viewtabs .tab')[Number(e.key) - 1];
    if (tab) tab.click();
  }
}

document.getElementById('theme').addEventListener('click', toggleTheme);
setTheme(document.documentElement.dataset.theme);
document.addEventListener('keydown', onKey);
window.addEventListener('hashchange', route);
route();
