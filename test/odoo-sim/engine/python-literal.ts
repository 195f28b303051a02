/**
 * Python literals as Odoo stores them in text fields (e.g. base.automation.filter_domain
 * "[('state', '=', 'sale')]"), and Python's repr() for error messages that quote domains.
 * Tuples become arrays: domains treat both alike.
 */

export class PythonLiteralError extends Error {}

export function parsePythonLiteral(source: string): unknown {
  let pos = 0;
  const text = source;

  const skipSpace = () => {
    while (pos < text.length && /\s/.test(text[pos]!)) pos++;
  };
  const fail = (what: string): never => {
    throw new PythonLiteralError(`${what} at position ${pos} in ${JSON.stringify(source)}`);
  };

  const parseSequence = (close: string): unknown[] => {
    const items: unknown[] = [];
    pos++; // opening bracket
    skipSpace();
    while (text[pos] !== close) {
      items.push(parseValue());
      skipSpace();
      if (text[pos] === ',') {
        pos++;
        skipSpace();
      } else if (text[pos] !== close) {
        fail(`expected ',' or '${close}'`);
      }
    }
    pos++;
    return items;
  };

  const parseDict = (): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    pos++;
    skipSpace();
    while (text[pos] !== '}') {
      const key = parseValue();
      skipSpace();
      if (text[pos] !== ':') fail("expected ':'");
      pos++;
      out[String(key)] = parseValue();
      skipSpace();
      if (text[pos] === ',') {
        pos++;
        skipSpace();
      } else if (text[pos] !== '}') fail("expected ',' or '}'");
    }
    pos++;
    return out;
  };

  const parseString = (): string => {
    const quote = text[pos]!;
    const triple = text.startsWith(quote.repeat(3), pos);
    pos += triple ? 3 : 1;
    let out = '';
    for (;;) {
      if (pos >= text.length) fail('unterminated string');
      if (triple ? text.startsWith(quote.repeat(3), pos) : text[pos] === quote) {
        pos += triple ? 3 : 1;
        return out;
      }
      const ch = text[pos]!;
      if (ch === '\\') {
        const next = text[pos + 1];
        const escapes: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"', '0': '\0' };
        if (next !== undefined && next in escapes) {
          out += escapes[next];
          pos += 2;
        } else if (next === 'u') {
          out += String.fromCharCode(parseInt(text.slice(pos + 2, pos + 6), 16));
          pos += 6;
        } else {
          out += ch;
          pos++;
        }
      } else {
        out += ch;
        pos++;
      }
    }
  };

  const parseValue = (): unknown => {
    skipSpace();
    const ch = text[pos];
    if (ch === undefined) return fail('unexpected end');
    if (ch === '[') return parseSequence(']');
    if (ch === '(') {
      // A parenthesised single value without a comma is just grouping, not a tuple.
      const start = pos;
      const items = parseSequence(')');
      const inner = text.slice(start + 1, pos - 1).trim();
      return items.length === 1 && !inner.endsWith(',') ? items[0] : items;
    }
    if (ch === '{') return parseDict();
    if (ch === "'" || ch === '"') return parseString();
    const word = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(pos));
    if (word) {
      pos += word[0].length;
      if (word[0] === 'True') return true;
      if (word[0] === 'False') return false;
      if (word[0] === 'None') return null;
      return fail(`unsupported name '${word[0]}'`);
    }
    const num = /^[-+]?(\d+\.?\d*([eE][-+]?\d+)?|\.\d+)/.exec(text.slice(pos));
    if (num) {
      pos += num[0].length;
      return Number(num[0]);
    }
    return fail(`unexpected '${ch}'`);
  };

  const value = parseValue();
  skipSpace();
  if (pos !== text.length) fail('trailing characters');
  return value;
}

/** Python's repr() of a JSON value; arrays of a domain leaf print as tuples when asked. */
export function pythonRepr(value: unknown, asTuple = false): string {
  if (value === null || value === undefined) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'number') return Number.isInteger(value) || !Number.isFinite(value) ? String(value) : String(value);
  if (typeof value === 'string') {
    const quote = value.includes("'") && !value.includes('"') ? '"' : "'";
    const body = value
      .replace(/\\/g, '\\\\')
      .replace(/\n/g, '\\n')
      .replace(/\t/g, '\\t')
      .replace(quote === "'" ? /'/g : /"/g, `\\${quote}`);
    return quote + body + quote;
  }
  if (Array.isArray(value)) {
    const inner = value.map((v) => pythonRepr(v)).join(', ');
    if (asTuple) return value.length === 1 ? `(${inner},)` : `(${inner})`;
    return `[${inner}]`;
  }
  if (typeof value === 'object') {
    return `{${Object.entries(value as Record<string, unknown>)
      .map(([k, v]) => `${pythonRepr(k)}: ${pythonRepr(v)}`)
      .join(', ')}}`;
  }
  return String(value);
}

/** The name Python gives the type of a JSON value, as its TypeError and AttributeError texts print it. */
export function pythonTypeName(value: unknown): string {
  if (value === null || value === undefined) return 'NoneType';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'float';
  if (typeof value === 'string') return 'str';
  if (Array.isArray(value)) return 'list';
  return 'dict';
}

/** Python's truth value of a JSON value: None, False, 0, '', [] and {} are false. */
export function pythonTruthy(value: unknown): boolean {
  if (Array.isArray(value)) return value.length > 0;
  if (typeof value === 'object' && value !== null) return Object.keys(value).length > 0;
  return Boolean(value);
}
