import { useEffect, useId, useRef, useState } from 'preact/hooks';
import { ApiError, askChat, type ChatAnswer, type ChatStep } from '../api';
import { Button, PageHeader, Spinner } from '../components';
import { renderMarkdown } from '../markdown';
import { compactJson, MAX_DATA_ROWS, tabulate } from '../format';


interface Turn {
  id: number;
  question: string;
  allowWrites: boolean;
  answer?: ChatAnswer;
  error?: ApiError;
}

let nextTurnId = 1;

export function ChatPage() {
  const [message, setMessage] = useState('');
  const [allowWrites, setAllowWrites] = useState(false);
  const [conversationId, setConversationId] = useState<string | null>(null);
  const [turns, setTurns] = useState<Turn[]>([]);
  const [pending, setPending] = useState(false);
  const [announce, setAnnounce] = useState('');
  const inputRef = useRef<HTMLTextAreaElement>(null);
  const lastRef = useRef<HTMLElement>(null);
  const ids = useId();

  useEffect(() => {
    lastRef.current?.scrollIntoView?.({ block: 'nearest' });
  }, [turns.length, pending]);

  const send = async () => {
    const text = message.trim();
    if (!text || pending) return;
    const turn: Turn = { id: nextTurnId++, question: text, allowWrites };
    setTurns((t) => [...t, turn]);
    setMessage('');
    setPending(true);
    setAnnounce('Asking…');
    try {
      const answer = await askChat({ message: text, conversationId, allowWrites });
      setConversationId(answer.conversation_id);
      setTurns((t) => t.map((x) => (x.id === turn.id ? { ...x, answer } : x)));
      setAnnounce(`Answer received: ${answer.steps.length} tool ${answer.steps.length === 1 ? 'call' : 'calls'}, ${answer.data.length} ${answer.data.length === 1 ? 'row' : 'rows'}.`);
    } catch (e) {
      const error = e instanceof ApiError ? e : new ApiError(0, 'client_error', String(e), null);
      if (error.signedOut) {
        // The session ended (the sign-in dialog is up): the question was not asked. It goes
        // back in the box, unless something new was typed meanwhile, to be asked again.
        setTurns((t) => t.filter((x) => x.id !== turn.id));
        setMessage((now) => (now.trim() ? now : text));
        setAnnounce('Sign in again, then ask the question again.');
        return;
      }
      setTurns((t) => t.map((x) => (x.id === turn.id ? { ...x, error } : x)));
      setAnnounce(`The question failed: ${error.code}.`);
    } finally {
      setPending(false);
      inputRef.current?.focus();
    }
  };

  const newConversation = () => {
    setConversationId(null);
    setTurns([]);
    setAnnounce('New conversation started.');
    inputRef.current?.focus();
  };

  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      void send();
    }
  };

  return (
    <section class="chat">
      <PageHeader
        title="Chat"
        intro="Ask a question about your Odoo data in plain language. The answer shows with the tool calls the model made and the rows it read — the same as the webhook's chat action."
        actions={
          <Button onClick={newConversation} disabled={pending || turns.length === 0}>
            New conversation
          </Button>
        }
      />
      <p class="sr-only" role="status" aria-live="polite" data-testid="chat-status">
        {announce}
      </p>

      {turns.length > 0 && (
        <ol class="chat-transcript" aria-label="Conversation">
          {turns.map((t, i) => (
            <li key={t.id} class="chat-turn" ref={i === turns.length - 1 ? (lastRef as any) : undefined} data-testid="chat-turn">
              <div class="chat-question">
                <span class="chat-who">You{t.allowWrites ? ' (writes allowed)' : ''}</span>
                <p>{t.question}</p>
              </div>
              {t.answer ? (
                <AnswerView answer={t.answer} />
              ) : t.error ? (
                <ErrorView error={t.error} />
              ) : (
                <div class="chat-answer chat-pending" aria-busy="true">
                  <Spinner /> Thinking… the model is querying Odoo.
                </div>
              )}
            </li>
          ))}
        </ol>
      )}

      <form
        class="card chat-form"
        onSubmit={(e) => {
          e.preventDefault();
          void send();
        }}
      >
        <div class="field">
        <label for={`${ids}-msg`}>{conversationId ? 'Follow-up question' : 'Your question'}</label>
        <textarea
          id={`${ids}-msg`}
          ref={inputRef}
          rows={3}
          value={message}
          placeholder={conversationId ? 'Ask a follow-up, e.g. “And their e-mail addresses?”' : 'e.g. “List all customers with outstanding invoices over $1000”'}
          aria-describedby={`${ids}-hint`}
          onInput={(e) => setMessage((e.target as HTMLTextAreaElement).value)}
          onKeyDown={onKeyDown}
        />
        <p class="hint" id={`${ids}-hint`}>
          Ctrl+Enter (⌘+Enter on a Mac) sends.{' '}
          {conversationId ? (
            <>
              Continuing conversation <code data-testid="conversation-id">{conversationId}</code>.
            </>
          ) : (
            'A new conversation starts with your first question.'
          )}
        </p>
        </div>
        <div class="chat-form-row">
          <label class="check">
            <input type="checkbox" checked={allowWrites} onChange={(e) => setAllowWrites((e.target as HTMLInputElement).checked)} aria-describedby={allowWrites ? `${ids}-warn` : undefined} />
            Allow writes
          </label>
          <Button type="submit" variant="primary" busy={pending} disabled={!message.trim()}>
            {pending ? 'Asking…' : 'Ask'}
          </Button>
        </div>
        {allowWrites && (
          <p class="notice notice-warn" id={`${ids}-warn`}>
            With writes allowed the model may <strong>create and update records in Odoo</strong> as your connection's user. Check the steps
            after each answer.
          </p>
        )}
      </form>
    </section>
  );
}

function AnswerView({ answer }: { answer: ChatAnswer }) {
  const text = answer.answer ?? (answer.output !== undefined ? '```\n' + JSON.stringify(answer.output, null, 2) + '\n```' : '');
  return (
    <div class="chat-answer">
      <span class="chat-who">Answer</span>
      <div class="md" data-testid="chat-answer">
        {renderMarkdown(text)}
      </div>
      <StepsView steps={answer.steps} />
      {answer.data.length > 0 && <DataView rows={answer.data} />}
      <p class="chat-usage muted" data-testid="chat-usage">
        {fmt(answer.usage.totalTokens)} tokens ({fmt(answer.usage.inputTokens)} in, {fmt(answer.usage.outputTokens)} out) ·{' '}
        {plural(answer.usage.modelCalls, 'model call')} · {plural(answer.usage.toolCalls, 'tool call')} · {seconds(answer.usage.durationMs)} · turn{' '}
        {answer.turn}
      </p>
    </div>
  );
}

function StepsView({ steps }: { steps: ChatStep[] }) {
  if (steps.length === 0) return <p class="muted chat-nosteps">No tool calls: the model answered without querying Odoo.</p>;
  return (
    <details class="chat-details" data-testid="chat-steps">
      <summary>Steps ({plural(steps.length, 'tool call')})</summary>
      <div class="md-table-wrap" tabIndex={0} role="region" aria-label="Tool steps">
        <table class="table chat-table">
          <thead>
            <tr>
              <th scope="col">#</th>
              <th scope="col">Tool</th>
              <th scope="col">Arguments</th>
              <th scope="col" class="num">
                Rows
              </th>
              <th scope="col" class="num">
                ms
              </th>
            </tr>
          </thead>
          <tbody>
            {steps.map((s, i) => (
              <tr key={i}>
                <td>{i + 1}</td>
                <th scope="row">
                  <code>{s.tool}</code>
                </th>
                <td class="chat-args">
                  <code>{compactJson(s.args)}</code>
                  {s.error && (
                    <div class="field-error-inline">
                      <code>{s.error.code}</code> {s.error.message}
                    </div>
                  )}
                </td>
                <td class="num">{s.rowCount ?? '—'}</td>
                <td class="num">{fmt(s.durationMs)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </details>
  );
}

function DataView({ rows }: { rows: unknown[] }) {
  const { columns, cells } = tabulate(rows.slice(0, MAX_DATA_ROWS));
  return (
    <details class="chat-details" data-testid="chat-data" open>
      <summary>Data ({plural(rows.length, 'row')})</summary>
      <div class="md-table-wrap" tabIndex={0} role="region" aria-label="Data rows">
        <table class="table chat-table">
          <thead>
            <tr>
              {columns.map((c) => (
                <th scope="col" key={c}>
                  {c}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {cells.map((r, i) => (
              <tr key={i}>
                {r.map((v, j) => (
                  <td key={j} class={v.num ? 'num' : undefined}>
                    {v.text}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {rows.length > MAX_DATA_ROWS && (
        <p class="hint">
          Showing the first {MAX_DATA_ROWS} of {fmt(rows.length)} rows.
        </p>
      )}
    </details>
  );
}

function ErrorView({ error }: { error: ApiError }) {
  if (error.code === 'chat_not_configured') {
    return (
      <div class="chat-answer notice notice-warn" role="alert" data-testid="chat-error">
        <p class="chat-error-head">
          <code class="code">{error.code}</code> Chat is not configured on this relay
        </p>
        <p>{error.message}</p>
        <p>For example, for OpenAI (or any OpenAI-compatible server such as Ollama), set these in the relay's environment and restart it:</p>
        <pre class="md-pre" tabIndex={0}>
          <code>{'CHAT_PROVIDER=openai-compatible\nCHAT_BASE_URL=https://api.openai.com/v1\nCHAT_MODEL=gpt-4o-mini\nCHAT_API_KEY=sk-…'}</code>
        </pre>
        <p>
          The “Set-up” section of <code>docs/chat.md</code> lists every <code>CHAT_*</code> variable, Anthropic, local models and the limits.
        </p>
      </div>
    );
  }
  const d = error.details as { reason?: string; status?: number } | null;
  return (
    <div class="chat-answer notice notice-error" role="alert" data-testid="chat-error">
      <p class="chat-error-head">
        <code class="code">{error.code}</code> {error.message}
      </p>
      {d && (d.reason || d.status) && (
        <p class="muted">
          {d.reason && <>Reason: {d.reason}. </>}
          {d.status && <>Provider status: {d.status}.</>}
        </p>
      )}
      {error.requestId && <p class="muted">Request id: {error.requestId} (see the Request log).</p>}
    </div>
  );
}

const fmt = (n: number) => (Number.isFinite(n) ? n.toLocaleString('en-US') : '—');
const plural = (n: number, word: string) => `${fmt(n)} ${word}${n === 1 ? '' : 's'}`;
const seconds = (ms: number) => (ms < 1000 ? `${fmt(Math.round(ms))} ms` : `${(ms / 1000).toFixed(1)} s`);
