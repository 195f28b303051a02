import { useEffect, useId, useRef, useState } from 'preact/hooks';
import { api, ApiError, type ConnectionTest, type OdooConnection } from '../api';
import { Button, ErrorText, Field, Loading, Notice, PageHeader, TextField } from '../components';
import { formatDate } from '../format';
import { useRevealError } from '../reveal-error';

interface Form {
  url: string;
  database: string;
  login: string;
  secret: string;
  protocol: 'auto' | 'jsonrpc' | 'json2';
  timeoutSeconds: string;
  maxConcurrent: string;
}

const EMPTY: Form = { url: '', database: '', login: '', secret: '', protocol: 'auto', timeoutSeconds: '30', maxConcurrent: '4' };

/** The number typed, or -1 (which the server refuses, naming the field) when it is empty or not a number. */
function typedNumber(text: string): number {
  const n = Number(text.trim());
  return text.trim() !== '' && Number.isFinite(n) ? n : -1;
}

/** Number fields left empty or not numbers, named before asking the relay (which would call an empty timeout "too small"). */
function numberProblems(f: Form): Record<string, string> | null {
  const out: Record<string, string> = {};
  if (typedNumber(f.timeoutSeconds) === -1) out.timeoutSeconds = 'enter the timeout in seconds, e.g. 30';
  if (typedNumber(f.maxConcurrent) === -1) out.maxConcurrent = 'enter how many calls may run at once, e.g. 4';
  return Object.keys(out).length ? out : null;
}

function toBody(f: Form) {
  const seconds = typedNumber(f.timeoutSeconds);
  return {
    url: f.url.trim(),
    database: f.database.trim(),
    login: f.login.trim(),
    ...(f.secret ? { secret: f.secret } : {}),
    protocol: f.protocol,
    timeoutMs: seconds === -1 ? -1 : Math.round(seconds * 1000),
    maxConcurrent: typedNumber(f.maxConcurrent),
  };
}

/** PUT /api/dashboard/connection: the saved connection and Odoo's answer to the login made first. */
interface SaveAnswer {
  connection: OdooConnection;
  result: ConnectionTest | null;
  warning: { code: string; error: string; details: unknown } | null;
}

/** Maps server field names onto this form's. */
function formFields(err: ApiError): Record<string, string> {
  const f = err.fieldErrors;
  if (f.timeoutMs) f.timeoutSeconds = f.timeoutMs;
  return f;
}

export function ConnectionPage() {
  const [loading, setLoading] = useState(true);
  const [loadError, setLoadError] = useState<ApiError | null>(null);
  const [saved, setSaved] = useState<OdooConnection | null>(null);
  const [hasSecret, setHasSecret] = useState(false);
  const [form, setForm] = useState<Form>(EMPTY);
  const [fields, setFields] = useState<Record<string, string>>({});
  const [error, setError] = useState<ApiError | null>(null);
  const [success, setSuccess] = useState<string | null>(null);
  const [warning, setWarning] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState<'save' | 'test' | 'dbs' | null>(null);
  const [test, setTest] = useState<{ ok: true; result: ConnectionTest } | { ok: false; error: ApiError } | null>(null);
  const [databases, setDatabases] = useState<string[] | null>(null);
  const [dbError, setDbError] = useState<ApiError | null>(null);
  const listId = useId();
  const formRef = useRef<HTMLFormElement>(null);
  useRevealError(formRef, busy === 'save', error);

  useEffect(() => {
    api<{ connection: OdooConnection | null; hasSecret: boolean }>('GET', '/api/dashboard/connection')
      .then((r) => {
        setSaved(r.connection);
        setHasSecret(r.hasSecret);
        if (r.connection) {
          const c = r.connection;
          setForm({
            url: c.url,
            database: c.database,
            login: c.login,
            secret: '',
            protocol: c.protocol,
            timeoutSeconds: String(c.timeoutMs / 1000),
            maxConcurrent: String(c.maxConcurrent),
          });
        }
      })
      .catch((e) => setLoadError(e))
      .finally(() => setLoading(false));
  }, []);

  // Editing a field takes back the refusal that named it: it is about a value no longer there.
  const set = <K extends keyof Form>(k: K) => (v: Form[K]) => {
    setForm((f) => ({ ...f, [k]: v }));
    if (k === 'url') setDbError(null);
    setFields((f) => {
      if (!(k in f)) return f;
      const { [k as string]: _gone, ...rest } = f;
      return rest;
    });
  };

  const save = async (e: Event) => {
    e.preventDefault();
    setBusy('save');
    setError(null);
    setSuccess(null);
    setWarning(null);
    setFields({});
    const problems = numberProblems(form);
    if (problems) {
      setFields(problems);
      setError(new ApiError(400, 'invalid_request', 'Check the highlighted fields.', null));
      return setBusy(null);
    }
    try {
      // The relay logs in before it saves: credentials Odoo refuses come back as odoo_auth_failed, unsaved.
      const r = await api<SaveAnswer>('PUT', '/api/dashboard/connection', toBody(form));
      setSaved(r.connection);
      setHasSecret(true);
      setForm((f) => ({ ...f, secret: '' }));
      if (r.result) {
        setTest({ ok: true, result: r.result });
        setSuccess(`Connection saved: Odoo ${r.result.serverVersion} accepted the login. API keys act on it from now on.`);
      } else if (r.warning) {
        const w = new ApiError(0, r.warning.code, r.warning.error, r.warning.details);
        setTest({ ok: false, error: w });
        setWarning(w);
      }
    } catch (err) {
      setError(err as ApiError);
      setFields(formFields(err as ApiError));
    } finally {
      setBusy(null);
    }
  };

  const runTest = async () => {
    setBusy('test');
    setTest(null);
    // The last Save's refusal is about what was typed then; this test answers for what is typed now.
    setError(null);
    setFields({});
    const problems = numberProblems(form);
    if (problems) {
      setFields(problems);
      setTest({ ok: false, error: new ApiError(400, 'invalid_request', 'Check the highlighted fields.', null) });
      return setBusy(null);
    }
    try {
      const r = await api<{ result: ConnectionTest }>('POST', '/api/dashboard/connection/test', toBody(form));
      setTest({ ok: true, result: r.result });
    } catch (err) {
      setTest({ ok: false, error: err as ApiError });
      setFields(formFields(err as ApiError));
    } finally {
      setBusy(null);
    }
  };

  const loadDatabases = async () => {
    setBusy('dbs');
    setDbError(null);
    setDatabases(null);
    try {
      const r = await api<{ databases: string[] }>('POST', '/api/dashboard/connection/databases', { url: form.url.trim() });
      setDatabases(r.databases);
      // The URL answered: an earlier refusal of it (or a banner about it) no longer holds.
      setFields(({ url: _url, ...rest }) => rest);
      setError(null);
      if (r.databases.length === 1 && !form.database) set('database')(r.databases[0]!);
    } catch (err) {
      setDbError(err as ApiError);
    } finally {
      setBusy(null);
    }
  };

  if (loading) return <Loading />;
  if (loadError)
    return (
      <div role="alert" class="notice notice-error">
        <ErrorText error={loadError} />
      </div>
    );

  return (
    <section>
      <PageHeader
        title="Odoo connection"
        intro="The Odoo database that webhook calls act on. The password or API key is stored encrypted and never shown again."
      />
      <div class="grid-2">
        <form ref={formRef} class="card" onSubmit={save} noValidate aria-describedby="conn-status">
          <Notice error={error} success={success} />
          {warning && (
            <div class="notice notice-warn" role="alert" data-testid="save-warning">
              <strong>Saved, but Odoo could not be asked whether the login works:</strong> <ErrorText error={warning} />. Calls fail until it answers;
              use “Test connection” to check again.
            </div>
          )}
          <TextField
            label="Odoo URL"
            name="url"
            type="url"
            inputMode="url"
            placeholder="https://erp.example.com"
            autoComplete="url"
            required
            value={form.url}
            onValue={set('url')}
            error={fields.url}
          />
          <Field
            label="Database"
            error={fields.database}
            hint={
              <>
                {databases && databases.length > 0 && `${databases.length} database${databases.length > 1 ? 's' : ''} found: ${databases.join(', ')}. `}
                {databases && databases.length === 0 && 'The server lists no databases. '}
                {dbError && <span class="field-error-inline"><ErrorText error={dbError} /></span>}
              </>
            }
          >
            {({ id, describedBy, invalid }) => (
              <div class="input-row">
                <input
                  id={id}
                  name="database"
                  list={listId}
                  required
                  value={form.database}
                  onInput={(e) => set('database')((e.target as HTMLInputElement).value)}
                  aria-describedby={describedBy}
                  aria-invalid={invalid || undefined}
                  autoComplete="off"
                />
                <datalist id={listId}>{databases?.map((d) => <option key={d} value={d} />)}</datalist>
                <Button onClick={loadDatabases} busy={busy === 'dbs'} disabled={!form.url.trim()}>
                  Load databases
                </Button>
              </div>
            )}
          </Field>
          <TextField label="Login" name="login" autoComplete="off" required value={form.login} onValue={set('login')} error={fields.login} placeholder="admin" />
          <TextField
            label="Password or Odoo API key"
            name="secret"
            type="password"
            autoComplete="new-password"
            value={form.secret}
            onValue={set('secret')}
            error={fields.secret}
            placeholder={hasSecret ? '•••••••• stored — leave empty to keep' : ''}
            hint="Odoo 19 JSON-2 needs an API key (Odoo → Preferences → Account Security). Write-only: never sent back to the browser."
          />
          <div class="row-3">
            <Field label="Protocol" error={fields.protocol} hint="Auto picks JSON-2 on Odoo 19+, JSON-RPC before.">
              {({ id, describedBy }) => (
                <select id={id} name="protocol" value={form.protocol} aria-describedby={describedBy} onChange={(e) => set('protocol')((e.target as HTMLSelectElement).value as Form['protocol'])}>
                  <option value="auto">Auto</option>
                  <option value="jsonrpc">JSON-RPC</option>
                  <option value="json2">JSON-2 (Odoo 19+)</option>
                </select>
              )}
            </Field>
            <TextField label="Timeout (seconds)" name="timeout" type="number" min="0.1" max="600" step="any" inputMode="decimal" value={form.timeoutSeconds} onValue={set('timeoutSeconds')} error={fields.timeoutSeconds} />
            <TextField
              label="Max concurrent calls"
              name="maxConcurrent"
              type="number"
              min="1"
              max="256"
              step="1"
              inputMode="numeric"
              value={form.maxConcurrent}
              onValue={set('maxConcurrent')}
              error={fields.maxConcurrent}
              hint="Calls sent to Odoo at once; the rest wait in a short queue. About the number of Odoo workers."
            />
          </div>
          <div class="actions">
            <Button type="submit" variant="primary" busy={busy === 'save'}>
              Save connection
            </Button>
            <Button onClick={runTest} busy={busy === 'test'}>
              Test connection
            </Button>
          </div>
        </form>
        <aside class="card" aria-labelledby="test-title">
          <h2 id="test-title">Status</h2>
          <div id="conn-status" role="status" aria-live="polite" data-testid="connection-test">
            {busy === 'test' && <Loading label="Contacting Odoo…" />}
            {!busy && test?.ok && (
              <div class="test-ok">
                <p class="test-head">
                  <span class="dot dot-ok" aria-hidden="true" /> Connected
                </p>
                <dl class="kv">
                  <dt>Odoo version</dt>
                  <dd data-testid="odoo-version">{test.result.serverVersion}</dd>
                  <dt>User id (uid)</dt>
                  <dd data-testid="odoo-uid">{test.result.uid}</dd>
                  <dt>Protocol</dt>
                  <dd>{test.result.protocol === 'json2' ? 'JSON-2' : 'JSON-RPC'}</dd>
                  <dt>Login latency</dt>
                  <dd>{test.result.latencyMs} ms</dd>
                </dl>
              </div>
            )}
            {!busy && test && !test.ok && (
              <div class="test-fail">
                <p class="test-head">
                  <span class="dot dot-error" aria-hidden="true" /> Connection failed
                </p>
                <p>
                  <ErrorText error={test.error} />
                </p>
              </div>
            )}
            {!busy && !test && (
              <p class="muted">
                {saved ? `Saved ${formatDate(saved.updatedAt)}. ` : 'Not configured yet. '}
                “Test connection” logs in to Odoo with the values in the form (saved or not) and reports the version, uid and latency. “Save
                connection” logs in first and saves nothing Odoo refuses.
              </p>
            )}
          </div>
        </aside>
      </div>
    </section>
  );
}
