// A virtual list: only the rows in view exist in the DOM, so 25,000 history
// events or 1,000 Map iterations scroll without freezing the page.
import { h, clear } from './dom.js';

export class VList {
  /**
   * @param {object} o
   * @param {number} o.rowHeight fixed height of a row in px
   * @param {(item, index) => HTMLElement} o.render
   * @param {string} [o.label] aria-label of the list
   * @param {(item, index) => void} [o.onpick] Enter / click on a row
   */
  constructor(o) {
    this.o = o;
    this.items = [];
    this.active = -1;
    this.inner = h('div.vinner');
    this.el = h('div.vlist', { role: 'listbox', tabindex: '0', 'aria-label': o.label || 'list' }, this.inner);
    this.el.addEventListener('scroll', () => this.paint());
    this.el.addEventListener('keydown', (e) => this.key(e));
    this.el.addEventListener('click', (e) => {
      const row = e.target.closest('[data-index]');
      if (row) this.pick(Number(row.dataset.index));
    });
    new ResizeObserver(() => this.paint()).observe(this.el);
  }

  set(items) {
    this.items = items;
    this.inner.style.height = `${items.length * this.o.rowHeight}px`;
    if (this.o.fit) {
      // As tall as its rows, up to the window's room for it.
      const room = Math.max(360, window.innerHeight - 300);
      this.el.style.height = `${Math.min(room, Math.max(3, items.length) * this.o.rowHeight + 2)}px`;
    }
    if (this.active >= items.length) this.active = items.length - 1;
    this.paint(true);
  }

  paint(force) {
    const rh = this.o.rowHeight;
    const top = this.el.scrollTop;
    const height = this.el.clientHeight || 600;
    const first = Math.max(0, Math.floor(top / rh) - 10);
    const last = Math.min(this.items.length, Math.ceil((top + height) / rh) + 10);
    if (!force && first === this.first && last === this.last) return;
    this.first = first;
    this.last = last;
    clear(this.inner);
    for (let i = first; i < last; i++) {
      const row = this.o.render(this.items[i], i);
      row.dataset.index = i;
      row.classList.add('vrow');
      row.setAttribute('role', 'option');
      row.setAttribute('aria-selected', String(i === this.active));
      row.style.top = `${i * rh}px`;
      row.style.height = `${rh}px`;
      this.inner.append(row);
    }
  }

  pick(i) {
    if (i < 0 || i >= this.items.length) return;
    this.active = i;
    this.paint(true);
    if (this.o.onpick) this.o.onpick(this.items[i], i);
  }

  scrollTo(i) {
    const rh = this.o.rowHeight;
    const top = i * rh;
    if (top < this.el.scrollTop) this.el.scrollTop = top;
    else if (top + rh > this.el.scrollTop + this.el.clientHeight) this.el.scrollTop = top + rh - this.el.clientHeight;
    this.paint(true);
  }

  key(e) {
    const n = this.items.length;
    if (!n) return;
    const page = Math.max(1, Math.floor(this.el.clientHeight / this.o.rowHeight) - 1);
    const moves = { ArrowDown: 1, j: 1, ArrowUp: -1, k: -1, PageDown: page, PageUp: -page };
    let next;
    if (e.key in moves) next = Math.min(n - 1, Math.max(0, (this.active < 0 ? 0 : this.active + moves[e.key])));
    else if (e.key === 'Home') next = 0;
    else if (e.key === 'End') next = n - 1;
    else if (e.key === 'Enter' && this.active >= 0) {
      e.preventDefault();
      return this.pick(this.active);
    } else return;
    e.preventDefault();
    this.pick(next);
    this.scrollTo(next);
  }
}
