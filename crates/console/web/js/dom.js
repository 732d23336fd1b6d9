// Small DOM helpers: element building, formatting, notices.

/** h('div.cls#id', {attr: v, onclick: f}, child, [children], 'text') */
export function h(tag, attrs, ...children) {
  const m = /^([a-z0-9-]+)?((?:[.#][\w-]+)*)$/i.exec(tag);
  const el = document.createElement((m && m[1]) || 'div');
  if (m && m[2]) {
    for (const part of m[2].match(/[.#][\w-]+/g)) {
      if (part[0] === '.') el.classList.add(part.slice(1));
      else el.id = part.slice(1);
    }
  }
  if (attrs && (typeof attrs !== 'object' || attrs instanceof Node || Array.isArray(attrs))) {
    children.unshift(attrs);
    attrs = null;
  }
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k === 'html') el.innerHTML = v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k === 'value') el.value = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : String(c));
  }
}

export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
  return el;
}

export function esc(s) {
  return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
}

/** Seconds since the epoch (AWS timestamps) to a local time string. */
export function time(sec) {
  if (sec === undefined || sec === null) return '–';
  const d = new Date(sec * 1000);
  const pad = (n, w = 2) => String(n).padStart(w, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

/** Like {@link time}, without the date when it is today. */
export function shortTime(sec) {
  const full = time(sec);
  if (sec === undefined || sec === null) return full;
  const d = new Date(sec * 1000);
  return d.toDateString() === new Date().toDateString() ? full.slice(11) : full;
}

/** A duration in milliseconds, human-sized. */
export function duration(ms) {
  if (ms === undefined || ms === null || Number.isNaN(ms)) return '–';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60000) return `${(ms / 1000).toFixed(ms < 10000 ? 2 : 1)} s`;
  const m = Math.floor(ms / 60000);
  const s = Math.round((ms % 60000) / 1000);
  if (m < 60) return `${m} min ${s} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

export function ago(sec) {
  if (!sec) return '';
  const d = Date.now() / 1000 - sec;
  if (d < 60) return `${Math.max(0, Math.round(d))} s ago`;
  if (d < 3600) return `${Math.round(d / 60)} min ago`;
  if (d < 86400) return `${Math.round(d / 3600)} h ago`;
  return `${Math.round(d / 86400)} d ago`;
}

/** The last segment of an ARN (a name). */
export function arnName(arn) {
  return String(arn || '').split(':').pop();
}

export function statusBadge(status) {
  const s = String(status || 'UNKNOWN');
  return h(`span.badge.status-${s.toLowerCase().replace(/_/g, '-')}`, { 'data-status': s }, s.replace(/_/g, ' '));
}

let toastTimer;
export function toast(message, kind = 'info') {
  const el = document.getElementById('toast');
  if (!el) return;
  el.textContent = message;
  el.className = `show ${kind}`;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => (el.className = ''), 3500);
}

export async function copy(text, what = 'Copied') {
  try {
    await navigator.clipboard.writeText(text);
    toast(`${what} to the clipboard`);
  } catch {
    // Clipboard access needs a secure context or a user gesture: fall back.
    const ta = h('textarea', { style: 'position:fixed;opacity:0' }, text);
    document.body.append(ta);
    ta.select();
    const ok = document.execCommand && document.execCommand('copy');
    ta.remove();
    toast(ok ? `${what} to the clipboard` : 'Copy failed: select the text and copy it by hand', ok ? 'info' : 'error');
  }
}

export function download(name, text, type = 'application/json') {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = h('a', { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** Shell-quotes one argument for sh/bash. */
export function shq(s) {
  return `'${String(s).replace(/'/g, `'\\''`)}'`;
}

/** A message box for errors, with the AWS error code when there is one. */
export function errorBox(err, title) {
  return h('div.alert.error', { role: 'alert' },
    h('strong', title || (err && err.code) || 'Error'),
    h('div.msg', String((err && err.message) || err)));
}

export function tabs(items, active, onpick) {
  return h('div.tabs', { role: 'tablist' }, items.map(([id, label]) => h('button.tab', {
    role: 'tab', 'aria-selected': String(id === active), 'data-tab': id, type: 'button',
    onclick: () => onpick(id),
  }, label)));
}

/** Appends children to `el` (skipping null/false, flattening arrays); returns `el`. */
export function put(el, ...children) {
  append(el, children);
  return el;
}
