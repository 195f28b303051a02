import { useEffect, useId, useState } from 'preact/hooks';
import { api, ApiError, type ApiKey } from '../api';
import { CopyButton, CopyField, ErrorText, Field, Loading, PageHeader } from '../components';
import { curlSnippet, keyPlaceholder, n8nWorkflow, nodeSnippet, pythonSnippet } from '../snippets';

const TABS = [
  { id: 'n8n', label: 'n8n' },
  { id: 'curl', label: 'curl' },
  { id: 'node', label: 'Node.js' },
  { id: 'python', label: 'Python' },
] as const;
type Tab = (typeof TABS)[number]['id'];

function Snippet(props: { title: string; code: string; lang: string }) {
  return (
    <div class="snippet">
      <div class="snippet-head">
        <span>{props.title}</span>
        <CopyButton text={props.code} label={`Copy ${props.lang}`} />
      </div>
      <pre tabIndex={0} aria-label={props.title}>
        <code>{props.code}</code>
      </pre>
    </div>
  );
}

export function WebhookPage() {
  const [info, setInfo] = useState<{ endpoint: string; publicUrlConfigured: boolean } | null>(null);
  const [keys, setKeys] = useState<ApiKey[]>([]);
  const [error, setError] = useState<ApiError | null>(null);
  const [keyId, setKeyId] = useState<string>('');
  const [tab, setTab] = useState<Tab>('n8n');
  const tabsId = useId();

  useEffect(() => {
    Promise.all([api('GET', '/api/dashboard/webhook'), api<{ apiKeys: ApiKey[] }>('GET', '/api/dashboard/api-keys')])
      .then(([w, k]) => {
        setInfo(w);
        const live = k.apiKeys.filter((x) => x.revokedAt === null);
        setKeys(live);
        if (live[0]) setKeyId(live[0].id);
      })
      .catch((e) => setError(e));
  }, []);

  if (error)
    return (
      <div role="alert" class="notice notice-error">
        <ErrorText error={error} />
      </div>
    );
  if (!info) return <Loading />;

  const key = keys.find((k) => k.id === keyId) ?? null;
  const input = { endpoint: info.endpoint, keyPrefix: key?.prefix ?? null, hmac: key?.hmacEnabled ?? false };

  const onTabKey = (e: KeyboardEvent) => {
    const i = TABS.findIndex((t) => t.id === tab);
    const next = e.key === 'ArrowRight' ? (i + 1) % TABS.length : e.key === 'ArrowLeft' ? (i + TABS.length - 1) % TABS.length : -1;
    if (next < 0) return;
    e.preventDefault();
    setTab(TABS[next]!.id);
    document.getElementById(`${tabsId}-${TABS[next]!.id}`)?.focus();
  };

  return (
    <section>
      <PageHeader title="Webhook" intro="Call Odoo from n8n (or anything that speaks HTTP) through this relay." />
      <div class="card">
        <CopyField label="Webhook endpoint (POST, JSON)" value={info.endpoint} testId="webhook-endpoint" />
        {!info.publicUrlConfigured && (
          <p class="hint">Taken from the address you opened the dashboard at. Set <code>PUBLIC_URL</code> if n8n reaches the relay by another address.</p>
        )}
        <Field label="API key for the examples" hint={key ? (key.hmacEnabled ? 'This key requires an HMAC signature: the examples sign the body.' : 'HMAC is off for this key.') : 'No active key: generate one on the API keys page.'}>
          {({ id, describedBy }) => (
            <select id={id} value={keyId} aria-describedby={describedBy} onChange={(e) => setKeyId((e.target as HTMLSelectElement).value)}>
              {keys.length === 0 && <option value="">(no active keys)</option>}
              {keys.map((k) => (
                <option key={k.id} value={k.id}>
                  {k.name} — {k.prefix}… {k.hmacEnabled ? '(HMAC)' : ''}
                </option>
              ))}
            </select>
          )}
        </Field>
        <p class="hint">
          The full key and HMAC secret were shown once, when created; the examples use <code>{keyPlaceholder(key?.prefix ?? null)}</code> and{' '}
          <code>your_hmac_secret_here</code> where you paste them.
        </p>
      </div>

      <div class="card">
        <div role="tablist" aria-label="Examples" class="tabs" onKeyDown={onTabKey as any}>
          {TABS.map((t) => (
            <button
              key={t.id}
              id={`${tabsId}-${t.id}`}
              role="tab"
              type="button"
              aria-selected={tab === t.id}
              aria-controls={`${tabsId}-panel`}
              tabIndex={tab === t.id ? 0 : -1}
              class="tab"
              onClick={() => setTab(t.id)}
            >
              {t.label}
            </button>
          ))}
        </div>
        <div role="tabpanel" id={`${tabsId}-panel`} aria-labelledby={`${tabsId}-${tab}`} class="tab-panel">
          {tab === 'n8n' && (
            <>
              <ol class="steps">
                <li>
                  In n8n, create a credential of type <strong>Header Auth</strong> named <em>Odoo Relay API key</em>: Name <code>Authorization</code>, Value{' '}
                  <code>Bearer {keyPlaceholder(key?.prefix ?? null)}</code>.
                </li>
                <li>
                  Copy the workflow below and paste it onto the n8n canvas (Ctrl+V). It {input.hmac ? 'builds the body, signs it with the Crypto node (paste your HMAC secret there), and ' : ''}
                  sends a <code>search_read</code> on <code>res.partner</code>.
                </li>
                <li>
                  Or configure an HTTP Request node by hand: Method <code>POST</code>, URL <code>{info.endpoint}</code>, Authentication <em>Generic → Header Auth</em>, Body{' '}
                  <em>JSON</em>.
                </li>
              </ol>
              <Snippet title="n8n workflow (paste onto the canvas)" code={n8nWorkflow(input)} lang="workflow" />
            </>
          )}
          {tab === 'curl' && <Snippet title="curl" code={curlSnippet(input)} lang="curl" />}
          {tab === 'node' && <Snippet title="Node.js (HMAC)" code={nodeSnippet(input)} lang="Node.js" />}
          {tab === 'python' && <Snippet title="Python (HMAC)" code={pythonSnippet(input)} lang="Python" />}
        </div>
      </div>
    </section>
  );
}
