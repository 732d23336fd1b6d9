// JSON: located parse errors for the editors, and highlighted read-only views.
import { h, copy } from './dom.js';

/**
 * Parses `text` as JSON. Returns {value} or {error: {message, line, column, offset}}.
 * The browser's own messages differ between engines and often lack a line,
 * so a small strict scanner locates the first problem.
 */
export function parseLocated(text) {
  try {
    return { value: JSON.parse(text) };
  } catch (e) {
    const { offset, message } = locate(text) || { offset: 0, message: e.message };
    const before = text.slice(0, offset);
    const line = before.split('\n').length;
    const column = offset - before.lastIndexOf('\n');
    return { error: { message, line, column, offset } };
  }
}

function locate(s) {
  let i = 0;
  const fail = (message) => {
    throw { offset: i, message };
  };
  // Points at the end of the last good token (where the fix goes), with the
  // message naming what was found after it.
  const failAt = (at, message) => {
    throw { offset: at, message };
  };
  const ws = () => {
    while (i < s.length && ' \t\n\r'.includes(s[i])) i++;
  };
  const describe = () => (i >= s.length ? 'end of input' : `'${s[i]}'`);
  const value = (depth) => {
    if (depth > 500) fail('nesting is too deep');
    ws();
    const c = s[i];
    if (c === '{') {
      i++;
      ws();
      if (s[i] === '}') return i++;
      for (;;) {
        ws();
        if (s[i] !== '"') fail(`expected a property name in double quotes, found ${describe()}`);
        string();
        const nameEnd = i;
        ws();
        if (s[i] !== ':') failAt(nameEnd, `expected ':' after the property name, found ${describe()}`);
        i++;
        value(depth + 1);
        const end = i;
        ws();
        if (s[i] === ',') { i++; continue; }
        if (s[i] === '}') return i++;
        failAt(end, `expected ',' or '}' after a property value, found ${describe()}`);
      }
    }
    if (c === '[') {
      i++;
      ws();
      if (s[i] === ']') return i++;
      for (;;) {
        value(depth + 1);
        const end = i;
        ws();
        if (s[i] === ',') { i++; continue; }
        if (s[i] === ']') return i++;
        failAt(end, `expected ',' or ']' after an array element, found ${describe()}`);
      }
    }
    if (c === '"') return string();
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(s.slice(i, i + 400));
    if (m && m[0]) { i += m[0].length; return; }
    for (const word of ['true', 'false', 'null']) {
      if (s.startsWith(word, i)) { i += word.length; return; }
    }
    fail(`unexpected ${describe()}: expected a JSON value`);
  };
  const string = () => {
    i++;
    while (i < s.length) {
      const c = s[i];
      if (c === '"') { i++; return; }
      if (c === '\\') {
        const n = s[i + 1];
        if (n === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(s.slice(i + 2, i + 6))) fail('bad \\u escape in a string');
          i += 6;
        } else if ('"\\/bfnrt'.includes(n)) i += 2;
        else { i++; fail(`bad escape '\\${n}' in a string`); }
        continue;
      }
      if (c < ' ') fail('control character in a string (write it as an escape, e.g. \\n)');
      i++;
    }
    fail('unterminated string');
  };
  try {
    value(0);
    ws();
    if (i < s.length) fail(`unexpected ${describe()} after the JSON value`);
    return null;
  } catch (e) {
    if (e && typeof e.offset === 'number') return e;
    return null;
  }
}

/** Pretty JSON text of a value, or of JSON text (kept as is when not JSON). */
export function pretty(v) {
  if (typeof v === 'string') {
    try {
      return JSON.stringify(JSON.parse(v), null, 2);
    } catch {
      return v;
    }
  }
  return JSON.stringify(v, null, 2);
}

const HIGHLIGHT_LIMIT = 200_000;

/** A read-only, highlighted JSON block with a copy button. */
export function jsonView(v, opts = {}) {
  const text = v === undefined ? '' : pretty(v);
  const pre = h('pre.json', { tabindex: '0', 'aria-label': opts.label || 'JSON' });
  if (text.length > HIGHLIGHT_LIMIT) pre.textContent = text;
  else pre.innerHTML = highlight(text);
  return h('div.jsonbox',
    h('div.jsonbar', opts.title ? h('span.jsontitle', opts.title) : null,
      h('button.small', { type: 'button', onclick: () => copy(text, 'JSON copied') }, 'Copy')),
    pre);
}

function highlight(text) {
  const escaped = text.replace(/[&<>]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;' })[c]);
  return escaped.replace(
    /("(?:\\.|[^"\\])*")(\s*:)?|\b(true|false|null)\b|(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)/g,
    (m, str, colon, lit, num) => {
      if (str) return colon ? `<span class="k">${str}</span>${colon}` : `<span class="s">${str}</span>`;
      if (lit) return `<span class="l">${lit}</span>`;
      return `<span class="n">${num}</span>`;
    },
  );
}

/** Tries JSON text to a value; returns undefined when it is not JSON. */
export function tryParse(text) {
  if (typeof text !== 'string') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
