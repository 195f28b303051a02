import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { VNode } from 'preact';
import { startOdooSim, type OdooSim } from '../odoo-sim/server.js';
import { OUTSTANDING_INVOICES_TURN, openAiToolResults, startScriptedLlm, type ScriptedLlm } from '../chat/scripted-llm.js';
import { launchChromium, DASHBOARD_PASSWORD, SCREENSHOTS, until, DashboardClient, openDashboardPage, setUpAdminAndOdoo, startFreshRelay, type FreshRelay } from './helpers.js';
import { parseInline, parseMarkdown, renderMarkdown, splitRow } from '../../web/src/markdown.js';
import { MAX_DATA_ROWS, tabulate } from '../../web/src/format.js';

// The committed screenshots change only on purpose: `UPDATE_SCREENSHOTS=1 npx vitest run test/dashboard/chat-playground.test.ts`.
const PASSWORD = DASHBOARD_PASSWORD;
const LLM_KEY = 'sk-llm-playground-7c1e';
const OUTSTANDING = 'List all customers with outstanding invoices over $1000';

/** Text content of rendered vnodes, as the browser would show it. */
function textOf(v: unknown): string {
  if (v === null || v === undefined || typeof v === 'boolean') return '';
  if (typeof v === 'string' || typeof v === 'number') return String(v);
  if (Array.isArray(v)) return v.map(textOf).join('');
  return textOf((v as VNode<any>).props.children);
}
/** Every element type in rendered vnodes. */
function typesOf(v: unknown, out: string[] = []): string[] {
  if (Array.isArray(v)) v.forEach((x) => typesOf(x, out));
  else if (v && typeof v === 'object' && 'type' in (v as object)) {
    out.push(String((v as VNode<any>).type));
    typesOf((v as VNode<any>).props.children, out);
  }
  return out;
}

describe('chat answer Markdown subset', () => {
  it('parses paragraphs, line breaks, bold, italic and code', () => {
    expect(parseMarkdown('Hello **big** *world* and `x = 1`\nnext line\n\nSecond')).toEqual([
      { t: 'p', c: ['Hello ', { t: 'strong', c: ['big'] }, ' ', { t: 'em', c: ['world'] }, ' and ', { t: 'code', text: 'x = 1' }, { t: 'br' }, 'next line'] },
      { t: 'p', c: ['Second'] },
    ]);
    expect(parseInline('window.__x=1 __b__ _i_ snake_case_name')).toEqual(['window.__x=1 ', { t: 'strong', c: ['b'] }, ' ', { t: 'em', c: ['i'] }, ' snake_case_name']);
    expect(parseInline('`**not bold**`')).toEqual([{ t: 'code', text: '**not bold**' }]);
    expect(parseInline('2 * 3 * 4 and a lone ** and `open')).toEqual(['2 * 3 * 4 and a lone ** and `open']);
    expect(parseInline('\\*literal\\*')).toEqual(['*literal*']);
  });

  it('parses headings, lists, fenced code and pipe tables', () => {
    const md = [
      '## Customers',
      '- **Azure** Interior',
      '- Gemini',
      '  continued',
      '',
      '3. third',
      '4) fourth',
      '',
      '```json',
      '{"a": "<b>"}',
      '```',
      '| Customer | Outstanding |',
      '|:---|---:|',
      '| Azure \\| Co | $4,000 |',
      '| Lumber |',
      'after the table',
    ].join('\n');
    expect(parseMarkdown(md)).toEqual([
      { t: 'heading', level: 2, c: ['Customers'] },
      { t: 'ul', items: [[{ t: 'strong', c: ['Azure'] }, ' Interior'], ['Gemini', { t: 'br' }, 'continued']] },
      { t: 'ol', start: 3, items: [['third'], ['fourth']] },
      { t: 'pre', text: '{"a": "<b>"}' },
      {
        t: 'table',
        head: [['Customer'], ['Outstanding']],
        align: ['left', 'right'],
        rows: [
          [['Azure | Co'], ['$4,000']],
          [['Lumber'], []],
        ],
      },
      { t: 'p', c: ['after the table'] },
    ]);
    expect(splitRow('a | b')).toEqual(['a', 'b']);
    // A pipe in prose over a rule is not a table.
    expect(parseMarkdown('a | b\n---')).toEqual([{ t: 'p', c: ['a | b', { t: 'br' }, '---'] }]);
  });

  it('renders HTML and scripts in an answer as text, never as elements', () => {
    const evil = '<script>alert(1)</script> **<img src=x onerror=alert(2)>**\n\n| <b>x</b> |\n|---|\n| <iframe> |\n\n[link](javascript:alert(3))';
    const vnodes = renderMarkdown(evil);
    const types = typesOf(vnodes);
    expect(types).not.toContain('script');
    expect(types).not.toContain('img');
    expect(types).not.toContain('iframe');
    expect(types).not.toContain('a');
    expect(new Set(types)).toEqual(new Set(['p', 'strong', 'div', 'table', 'thead', 'tr', 'th', 'tbody', 'td']));
    const text = textOf(vnodes);
    expect(text).toContain('<script>alert(1)</script>');
    expect(text).toContain('<img src=x onerror=alert(2)>');
    expect(text).toContain('[link](javascript:alert(3))');
    // No element gets HTML injected through props.
    const props = JSON.stringify(vnodes, (k, v) => (k === '__html' ? 'FOUND' : k.startsWith('_') || k === 'constructor' ? undefined : v));
    expect(props).not.toContain('dangerouslySetInnerHTML');
    expect(props).not.toContain('FOUND');
  });

  it('maps headings below the page outline', () => {
    expect(typesOf(renderMarkdown('# Title\n###### deep'))).toEqual(['h3', 'h6']);
  });
});

describe('chat data table', () => {
  it('takes columns from the union of keys, shows many2one by name and objects as JSON', () => {
    const t = tabulate([
      { id: 1, partner_id: [15, 'Azure Interior'], amount: 4000.5 },
      { id: 2, partner_id: false, tags: [1, 2, 3], extra: { a: 1 } },
      'bare',
    ]);
    expect(t.columns).toEqual(['id', 'partner_id', 'amount', 'tags', 'extra', 'value']);
    expect(t.cells.map((r) => r.map((c) => c.text))).toEqual([
      ['1', 'Azure Interior', '4,000.5', '', '', ''],
      ['2', 'false', '', '[1,2,3]', '{"a":1}', ''],
      ['', '', '', '', '', 'bare'],
    ]);
    expect(t.cells[0]!.map((c) => c.num)).toEqual([true, false, true, false, false, false]);
    expect(MAX_DATA_ROWS).toBe(200);
  });
});

/**
 * The playground in a real Chromium: relay with chat pointed at a scripted OpenAI-compatible
 * model, the Odoo test server behind it, and a relay without chat for the set-up guidance.
 */
describe('chat playground in a browser', { timeout: 120_000 }, () => {
  let llm: ScriptedLlm;
  let sim: OdooSim;
  let relay: FreshRelay;
  let bare: FreshRelay;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let problems: string[] = [];

  beforeAll(async () => {
    fs.mkdirSync(SCREENSHOTS, { recursive: true });
    [llm, sim, browser] = await Promise.all([
      startScriptedLlm({ wire: 'openai', expectKey: LLM_KEY }),
      startOdooSim({ version: 17, automationNoise: 'none' }),
      launchChromium(),
    ]);
    [relay, bare] = await Promise.all([
      startFreshRelay({ CHAT_PROVIDER: 'openai-compatible', CHAT_BASE_URL: llm.baseUrl, CHAT_API_KEY: LLM_KEY, CHAT_MODEL: 'scripted-model', CHAT_MAX_RETRIES: '0' }),
      startFreshRelay(),
    ]);
    ({ context, page, problems } = await openDashboardPage(browser));
  });

  afterAll(async () => {
    await browser?.close();
    await relay?.close();
    await bare?.close();
    await sim?.close();
    await llm?.close();
  });

  const shot = (name: string, p: Page = page) => p.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });

  it("asks the seed's question, shows answer, steps and rows, then follows up in the same conversation", async () => {
    // First run in the browser: create the admin; the Odoo connection through the dashboard API.
    const api = await setUpAdminAndOdoo(page, relay.url, PASSWORD, sim.url, until);

    // The Chat entry is a link now, no longer "soon".
    const nav = page.getByRole('navigation', { name: 'Dashboard' });
    expect(await nav.getByText('Chat soon').count()).toBe(0);
    await nav.getByRole('link', { name: 'Chat' }).click();
    await until(() => page.getByRole('heading', { name: 'Chat', exact: true }).isVisible()).toBe(true);
    expect(new URL(page.url()).pathname).toBe('/chat');
    expect(await page.getByLabel('Allow writes').isChecked()).toBe(false);

    llm.play([
      OUTSTANDING_INVOICES_TURN,
      (body) => {
        const groups = openAiToolResults(body).at(-1)!.content.groups as { partner_id: [number, string]; amount_residual: number }[];
        const lines = groups.map((g) => `| ${g.partner_id[1]} | $${g.amount_residual.toLocaleString('en-US')} |`);
        return {
          text: [`**${groups.length} customers** have more than $1,000 outstanding on posted invoices:`, '', '| Customer | Outstanding |', '|---|---:|', ...lines].join('\n'),
          usage: { input: 1200, output: 80 },
        };
      },
    ]);

    // Ctrl+Enter sends from the message box.
    const box = page.getByLabel('Your question');
    await box.fill(OUTSTANDING);
    await box.press('Control+Enter');
    const turns = page.getByTestId('chat-turn');
    await until(() => turns.first().getByTestId('chat-answer').isVisible()).toBe(true);
    const answer = turns.first().getByTestId('chat-answer');
    // Markdown rendered: bold and a real table.
    expect(await answer.locator('strong').textContent()).toBe('3 customers');
    const answerRows = answer.locator('table tbody tr');
    expect(await answerRows.count()).toBe(3);
    expect(await answerRows.nth(0).locator('td').allTextContents()).toEqual(['Azure Interior', '$4,000']);
    expect(await answerRows.nth(2).locator('td').allTextContents()).toEqual(['Lumber Inc', '$1,620']);
    expect(await page.getByTestId('chat-status').textContent()).toContain('1 tool call, 3 rows');

    // Steps: collapsed, then expanded by keyboard; the tool is what the model called.
    const steps = turns.first().getByTestId('chat-steps');
    expect(await steps.getByRole('table').isVisible()).toBe(false);
    await steps.locator('summary').focus();
    await page.keyboard.press('Enter');
    await until(() => steps.getByRole('table').isVisible()).toBe(true);
    const stepRow = steps.locator('tbody tr');
    expect(await stepRow.count()).toBe(1);
    expect(await stepRow.locator('th').textContent()).toBe('read_group');
    const stepCells = await stepRow.locator('td').allTextContents();
    expect(stepCells[1]).toContain('"model":"account.move"');
    expect(stepCells[1]).toContain('"groupby":["partner_id"]');
    expect(stepCells[2]).toBe('3');

    // Data: columns from the rows' keys, many2one shown by name.
    const data = turns.first().getByTestId('chat-data');
    expect(await data.locator('thead th').allTextContents()).toEqual(['partner_id', '__count', 'amount_residual']);
    const dataRows = data.locator('tbody tr');
    expect(await dataRows.count()).toBe(3);
    expect(await dataRows.nth(0).locator('td').allTextContents()).toEqual(['Azure Interior', '1', '4,000']);
    expect(await turns.first().getByTestId('chat-usage').textContent()).toContain('2,240 tokens (2,100 in, 140 out)');
    const conversationId = await page.getByTestId('conversation-id').textContent();
    expect(conversationId).toMatch(/^conv_/);
    await shot('chat');

    // Follow-up in the same conversation; the answer carries markup that must stay text.
    llm.play([
      (body) => {
        // The model sees the earlier turn: the conversation continues.
        expect(JSON.stringify(body.messages)).toContain(OUTSTANDING);
        return { toolCalls: [{ name: 'search_read', args: { model: 'res.partner', domain: [['name', 'in', ['Azure Interior', 'Gemini Furniture', 'Lumber Inc']]], fields: ['name', 'email'] } }] };
      },
      (body) => {
        const rows = openAiToolResults(body).at(-1)!.content.rows as { name: string; email: string | false }[];
        return { text: ['Their e-mail addresses:', '', ...rows.map((r) => `- *${r.name}*: \`${r.email || 'none'}\``), '', 'Note: <img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>'].join('\n') };
      },
    ]);
    await page.getByLabel('Follow-up question').fill('And their e-mail addresses?');
    await page.getByRole('button', { name: 'Ask' }).click();
    await until(() => turns.nth(1).getByTestId('chat-answer').isVisible()).toBe(true);
    const second = turns.nth(1);
    const items = second.getByTestId('chat-answer').locator('li');
    expect(await items.count()).toBe(3);
    expect(await items.first().locator('em').textContent()).toBe('Azure Interior');
    expect(await second.getByTestId('chat-answer').textContent()).toContain('<script>window.__pwned=2</script>');
    expect(await second.getByTestId('chat-answer').locator('img, script').count()).toBe(0);
    expect(await page.evaluate(() => (window as any).__pwned)).toBeUndefined();
    expect(await second.getByTestId('chat-usage').textContent()).toContain('turn 2');
    expect(await page.getByTestId('conversation-id').textContent()).toBe(conversationId);
    await second.getByTestId('chat-steps').locator('summary').click();
    expect(await second.getByTestId('chat-steps').locator('tbody th').allTextContents()).toEqual(['search_read']);
    expect(await second.getByTestId('chat-data').locator('thead th').allTextContents()).toEqual(expect.arrayContaining(['name', 'email']));
    // The relay got the conversation id with the follow-up.
    expect(llm.requests.at(-1)!.body.messages.filter((m: any) => m.role === 'user')).toHaveLength(2);

    // Each question and each tool call is in the request log, as the session.
    // (Log rows are written in batches: poll.)
    const logged = async () => {
      const log = await api.call('GET', '/api/dashboard/request-log?limit=50');
      return (log.body.rows as { action: string; authMethod: string; model: string | null; method: string | null }[]).map((r) => [r.action, r.authMethod, r.model, r.method]);
    };
    await until(logged).toEqual(
      expect.arrayContaining([
        ['chat', 'session', null, null],
        ['chat.tool', 'session', 'account.move', 'read_group'],
        ['chat.tool', 'session', 'res.partner', 'search_read'],
      ]),
    );

    // At 375 px nothing forces a horizontal scroll.
    const mobile = await context.newPage();
    mobile.on('pageerror', (e) => problems.push(String(e)));
    await mobile.setViewportSize({ width: 375, height: 812 });
    await mobile.goto(relay.url + '/chat');
    await until(() => mobile.getByRole('heading', { name: 'Chat', exact: true }).isVisible()).toBe(true);
    llm.play([
      {
        toolCalls: [
          {
            name: 'read_group',
            args: { model: 'account.move', domain: [['move_type', '=', 'out_invoice'], ['state', '=', 'posted'], ['amount_residual', '>', 1000]], groupby: ['partner_id'], aggregates: ['amount_residual:sum'] },
          },
        ],
      },
      { text: '| Customer | Outstanding |\n|---|---:|\n| Azure Interior | $4,000 |\n| Gemini Furniture | $3,250 |\n| Lumber Inc | $1,620 |' },
    ]);
    await mobile.getByLabel('Your question').fill(OUTSTANDING);
    await mobile.getByRole('button', { name: 'Ask' }).click();
    await until(() => mobile.getByTestId('chat-data').isVisible()).toBe(true);
    await mobile.getByTestId('chat-steps').locator('summary').click();
    const overflow = await mobile.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await shot('chat-mobile', mobile);

    // New conversation clears the transcript and the id.
    await page.getByRole('button', { name: 'New conversation' }).click();
    await until(() => turns.count()).toBe(0);
    expect(await page.getByTestId('conversation-id').count()).toBe(0);
    expect(await page.evaluate(() => document.activeElement?.tagName)).toBe('TEXTAREA');

    // Allow writes: off by default, a warning when on, and the model is offered the write tools.
    await page.getByLabel('Allow writes').check();
    await until(() => page.getByText('create and update records in Odoo').isVisible()).toBe(true);
    llm.play([{ text: 'Nothing to change.' }]);
    await page.getByLabel('Your question').fill('Is there anything to fix?');
    await page.getByRole('button', { name: 'Ask' }).click();
    await until(() => turns.first().getByTestId('chat-answer').textContent()).toBe('Nothing to change.');
    expect(await turns.first().textContent()).toContain('writes allowed');
    expect(llm.requests.at(-1)!.body.tools.map((t: any) => t.function.name)).toEqual(expect.arrayContaining(['create', 'write']));
    expect(await turns.first().textContent()).toContain('No tool calls');
    await page.getByLabel('Allow writes').uncheck();
    await page.getByRole('button', { name: 'New conversation' }).click();
    await until(() => turns.count()).toBe(0);

    // A model that never answers runs into the step limit: code and message show.
    llm.play(Array.from({ length: 12 }, (_, i) => ({ toolCalls: [{ name: 'search_count', args: { model: 'res.partner', domain: [['id', '>', i]] } }] })));
    await page.getByLabel('Your question').fill('Count forever');
    await page.getByRole('button', { name: 'Ask' }).click();
    await until(() => page.getByTestId('chat-error').textContent()).toContain('chat_step_limit');
    expect(await page.getByTestId('chat-status').textContent()).toContain('chat_step_limit');
    expect(problems).toEqual([]);
  });

  it('explains how to set chat up when the relay has no CHAT_* settings', async () => {
    const admin = new DashboardClient(bare.url);
    const setup = await admin.call('POST', '/api/auth/setup', { username: 'admin', password: PASSWORD });
    expect(setup.status).toBe(200);
    const p = await context.newPage();
    p.on('pageerror', (e) => problems.push(String(e)));
    await p.goto(bare.url + '/chat');
    await until(() => p.getByRole('heading', { name: 'Sign in' }).isVisible()).toBe(true);
    await p.getByLabel('Username').fill('admin');
    await p.getByLabel('Password').fill(PASSWORD);
    await p.getByRole('button', { name: 'Sign in' }).click();
    await until(() => p.getByRole('heading', { name: 'Chat', exact: true }).isVisible()).toBe(true);
    await p.getByLabel('Your question').fill(OUTSTANDING);
    await p.getByRole('button', { name: 'Ask' }).click();
    const err = p.getByTestId('chat-error');
    await until(() => err.isVisible()).toBe(true);
    const text = (await err.textContent()) ?? '';
    expect(text).toContain('chat_not_configured');
    expect(text).toContain('CHAT_PROVIDER=openai-compatible');
    expect(text).toContain('docs/chat.md');
    expect(await err.getAttribute('role')).toBe('alert');
    await shot('chat-not-configured', p);
    await p.close();
    expect(problems).toEqual([]);
  });
});
