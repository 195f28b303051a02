/**
 * A small, safe Markdown subset for the chat answers: paragraphs, line breaks, **bold**,
 * *italic*, `code`, fenced code, bullet and numbered lists, pipe tables and headings.
 * Parsing gives a plain tree; rendering turns it into Preact elements whose text is always
 * text (never HTML), so `<script>` or any markup in an answer shows as typed. Anything
 * outside the subset shows as text too.
 */
import { h, type VNode } from 'preact';

export type Inline = string | { t: 'strong' | 'em'; c: Inline[] } | { t: 'code'; text: string } | { t: 'br' };
export type Align = 'left' | 'center' | 'right' | null;
export type Block =
  | { t: 'heading'; level: number; c: Inline[] }
  | { t: 'p'; c: Inline[] }
  | { t: 'ul'; items: Inline[][] }
  | { t: 'ol'; start: number; items: Inline[][] }
  | { t: 'table'; head: Inline[][]; align: Align[]; rows: Inline[][][] }
  | { t: 'pre'; text: string };

const HEADING = /^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$/;
const BULLET = /^ {0,3}[-*+]\s+(.*)$/;
const NUMBERED = /^ {0,3}(\d{1,9})[.)]\s+(.*)$/;
const FENCE = /^ {0,3}(```|~~~)/;
const TABLE_SEP = /^\s*\|?\s*:?-{1,}:?\s*(\|\s*:?-{1,}:?\s*)*\|?\s*$/;

/** Splits a table row on unescaped pipes, dropping the optional outer ones. */
export function splitRow(line: string): string[] {
  let s = line.trim();
  if (s.startsWith('|')) s = s.slice(1);
  if (s.endsWith('|') && !s.endsWith('\\|')) s = s.slice(0, -1);
  const cells: string[] = [];
  let cur = '';
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    if (ch === '\\' && s[i + 1] === '|') {
      cur += '|';
      i++;
    } else if (ch === '|') {
      cells.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  cells.push(cur.trim());
  return cells;
}

/** A header row with pipes, then a delimiter row with as many cells (GFM). */
const isTableStart = (lines: string[], i: number) =>
  lines[i]!.includes('|') &&
  i + 1 < lines.length &&
  TABLE_SEP.test(lines[i + 1]!) &&
  lines[i + 1]!.includes('-') &&
  splitRow(lines[i + 1]!).length === splitRow(lines[i]!).length;

function startsBlock(lines: string[], i: number): boolean {
  const l = lines[i]!;
  return HEADING.test(l) || BULLET.test(l) || NUMBERED.test(l) || FENCE.test(l) || isTableStart(lines, i);
}

export function parseMarkdown(src: string): Block[] {
  const lines = src.replace(/\r\n?/g, '\n').split('\n');
  const blocks: Block[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i]!;
    if (!line.trim()) {
      i++;
      continue;
    }
    const fence = FENCE.exec(line);
    if (fence) {
      const body: string[] = [];
      i++;
      while (i < lines.length && !lines[i]!.trimStart().startsWith(fence[1]!)) body.push(lines[i++]!);
      i++; // closing fence (or end of input)
      blocks.push({ t: 'pre', text: body.join('\n') });
      continue;
    }
    const heading = HEADING.exec(line);
    if (heading) {
      blocks.push({ t: 'heading', level: heading[1]!.length, c: parseInline(heading[2]!) });
      i++;
      continue;
    }
    if (isTableStart(lines, i)) {
      const head = splitRow(line);
      const align: Align[] = splitRow(lines[i + 1]!).map((c) =>
        c.startsWith(':') && c.endsWith(':') ? 'center' : c.endsWith(':') ? 'right' : c.startsWith(':') ? 'left' : null,
      );
      i += 2;
      const rows: Inline[][][] = [];
      while (i < lines.length && lines[i]!.trim() && lines[i]!.includes('|')) {
        const cells = splitRow(lines[i]!);
        rows.push(head.map((_, k) => parseInline(cells[k] ?? '')));
        i++;
      }
      blocks.push({ t: 'table', head: head.map((c) => parseInline(c)), align: head.map((_, k) => align[k] ?? null), rows });
      continue;
    }
    const bullet = BULLET.exec(line);
    const numbered = NUMBERED.exec(line);
    if (bullet || numbered) {
      const re = bullet ? BULLET : NUMBERED;
      const items: string[] = [];
      while (i < lines.length) {
        const l = lines[i]!;
        const m = re.exec(l);
        if (m) {
          items.push(bullet ? m[1]! : m[2]!);
          i++;
        } else if (l.trim() && /^\s+/.test(l) && !startsBlock(lines, i)) {
          // A continuation line of the current item.
          items[items.length - 1] += '\n' + l.trim();
          i++;
        } else if (l.trim() && /^\s{2,}/.test(l) && (BULLET.test(l.trim()) || NUMBERED.test(l.trim()))) {
          // Nested list items are kept as text of the current item.
          items[items.length - 1] += '\n' + l.trim();
          i++;
        } else break;
      }
      const parsed = items.map((x) => parseInline(x));
      blocks.push(bullet ? { t: 'ul', items: parsed } : { t: 'ol', start: Number(numbered![1]), items: parsed });
      continue;
    }
    const para: string[] = [];
    while (i < lines.length && lines[i]!.trim() && (para.length === 0 || !startsBlock(lines, i))) para.push(lines[i++]!.trim());
    blocks.push({ t: 'p', c: parseInline(para.join('\n')) });
  }
  return blocks;
}

/** Inline spans: `code` first (its content is literal), then **strong**, then *em* / _em_; newlines become breaks. */
export function parseInline(text: string): Inline[] {
  const out: Inline[] = [];
  let buf = '';
  const flush = () => {
    if (buf) out.push(buf);
    buf = '';
  };
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    if (ch === '\\' && i + 1 < text.length && /[\\`*_|#\-+.!\[\]()]/.test(text[i + 1]!)) {
      buf += text[i + 1];
      i += 2;
      continue;
    }
    if (ch === '\n') {
      flush();
      out.push({ t: 'br' });
      i++;
      continue;
    }
    if (ch === '`') {
      let ticks = 1;
      while (text[i + ticks] === '`') ticks++;
      const marker = '`'.repeat(ticks);
      const end = text.indexOf(marker, i + ticks);
      if (end > i) {
        flush();
        out.push({ t: 'code', text: text.slice(i + ticks, end).replace(/\n/g, ' ').trim() || text.slice(i + ticks, end) });
        i = end + ticks;
        continue;
      }
      buf += marker;
      i += ticks;
      continue;
    }
    if ((ch === '*' || ch === '_') && text[i + 1] === ch) {
      const marker = ch + ch;
      let end = text.indexOf(marker, i + 2);
      // `__` inside a word (dunder_names__) is not emphasis either.
      if (ch === '_') {
        if (i > 0 && /\w/.test(text[i - 1]!)) end = -1;
        while (end > 0 && /\w/.test(text[end + 2] ?? '')) end = text.indexOf(marker, end + 1);
      }
      // A closer is not preceded by a space, and a new opener in between (` **`) wins over this one.
      while (end > 0 && text[end - 1] === ' ') end = text.indexOf(marker, end + 1);
      if (end > i + 2 && text[i + 2] !== ' ' && !text.slice(i + 2, end).includes(' ' + marker)) {
        flush();
        out.push({ t: 'strong', c: parseInline(text.slice(i + 2, end)) });
        i = end + 2;
        continue;
      }
    } else if (ch === '*' || ch === '_') {
      const end = findEmEnd(text, i + 1, ch);
      // `_` inside a word (snake_case) is not emphasis.
      const wordy = ch === '_' && i > 0 && /\w/.test(text[i - 1]!);
      if (end > i + 1 && text[i + 1] !== ' ' && !wordy) {
        flush();
        out.push({ t: 'em', c: parseInline(text.slice(i + 1, end)) });
        i = end + 1;
        continue;
      }
    }
    buf += ch;
    i++;
  }
  flush();
  return out;
}

function findEmEnd(text: string, from: number, ch: string): number {
  for (let j = from; j < text.length; j++) {
    if (text[j] === '\n') return -1;
    if (text[j] === ch && text[j + 1] !== ch && text[j - 1] !== ' ' && text[j - 1] !== ch) {
      if (ch === '_' && j + 1 < text.length && /\w/.test(text[j + 1]!)) continue;
      return j;
    }
  }
  return -1;
}

function renderInline(nodes: Inline[]): (VNode<any> | string)[] {
  return nodes.map((n, k) => {
    if (typeof n === 'string') return n;
    if (n.t === 'br') return h('br', { key: k });
    if (n.t === 'code') return h('code', { key: k }, n.text);
    return h(n.t, { key: k }, renderInline(n.c));
  });
}

/**
 * Preact elements for a Markdown answer. Headings start at `baseLevel` (the page's own
 * outline above them): `#` → h{baseLevel}, capped at h6.
 */
export function renderMarkdown(src: string, baseLevel = 3): VNode<any>[] {
  return parseMarkdown(src).map((b, k) => {
    switch (b.t) {
      case 'heading':
        return h(`h${Math.min(6, baseLevel + b.level - 1)}`, { key: k }, renderInline(b.c));
      case 'p':
        return h('p', { key: k }, renderInline(b.c));
      case 'ul':
        return h('ul', { key: k }, b.items.map((it, j) => h('li', { key: j }, renderInline(it))));
      case 'ol':
        return h('ol', { key: k, start: b.start }, b.items.map((it, j) => h('li', { key: j }, renderInline(it))));
      case 'pre':
        return h('pre', { key: k, class: 'md-pre', tabIndex: 0 }, h('code', null, b.text));
      case 'table':
        return h(
          'div',
          { key: k, class: 'md-table-wrap', tabIndex: 0, role: 'region', 'aria-label': 'Table in the answer' },
          h(
            'table',
            { class: 'table md-table' },
            h('thead', null, h('tr', null, b.head.map((c, j) => h('th', { key: j, scope: 'col', class: alignClass(b.align[j]) }, renderInline(c))))),
            h(
              'tbody',
              null,
              b.rows.map((r, j) => h('tr', { key: j }, r.map((c, m) => h('td', { key: m, class: alignClass(b.align[m]) }, renderInline(c))))),
            ),
          ),
        );
    }
  });
}

const alignClass = (a: Align | undefined) => (a === 'right' ? 'num' : a === 'center' ? 'center' : undefined);
