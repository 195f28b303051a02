import { useEffect, useState } from 'preact/hooks';
import type { ComponentChildren } from 'preact';
import { ErrorText, Loading, PageHeader } from '../components';
import { renderMarkdown } from '../markdown';
import type { OpenApiDocument, OpenApiOperation, OpenApiSchema } from '../api';

/**
 * API reference: the relay's own OpenAPI document (/api/openapi.json) rendered as plain
 * Preact — tags → operations with anchors — so nothing loads from another origin (CSP).
 */

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;
const METHOD_TONE: Record<string, string> = { get: 'info', post: 'ok', put: 'warn', patch: 'warn', delete: 'error' };

interface Operation {
  method: string;
  path: string;
  op: OpenApiOperation;
  anchor: string;
}

/** A stable, readable anchor per operation: its operationId, else method and path. */
function anchorOf(method: string, path: string, op: OpenApiOperation): string {
  return op.operationId ?? `${method}-${path.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '')}`;
}

function operationsByTag(doc: OpenApiDocument): { tag: string; description?: string; operations: Operation[] }[] {
  const groups = new Map<string, Operation[]>();
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      const tag = op.tags?.[0] ?? 'Other';
      if (!groups.has(tag)) groups.set(tag, []);
      groups.get(tag)!.push({ method, path, op, anchor: anchorOf(method, path, op) });
    }
  }
  const declared = (doc.tags ?? []).map((t) => t.name);
  const names = [...declared.filter((n) => groups.has(n)), ...[...groups.keys()].filter((n) => !declared.includes(n))];
  return names.map((tag) => ({ tag, description: doc.tags?.find((t) => t.name === tag)?.description, operations: groups.get(tag)! }));
}

function resolve(doc: OpenApiDocument, schema: OpenApiSchema | undefined): OpenApiSchema | undefined {
  if (schema?.$ref) return doc.components?.schemas?.[schema.$ref.replace('#/components/schemas/', '')];
  return schema;
}

/** A one-line type: `string`, `integer`, `array of object`, `"a" | "b"`, `Error`. */
function typeLabel(doc: OpenApiDocument, schema: OpenApiSchema | undefined): string {
  if (!schema) return 'any';
  if (schema.$ref) return schema.$ref.replace('#/components/schemas/', '');
  if (schema.const !== undefined) return JSON.stringify(schema.const);
  if (schema.enum) return schema.enum.map((v) => JSON.stringify(v)).join(' | ');
  const variants = schema.oneOf ?? schema.anyOf;
  if (variants) return variants.map((v) => typeLabel(doc, v)).join(' | ');
  const type = Array.isArray(schema.type) ? schema.type.join(' | ') : schema.type;
  if (type === 'array') return `array of ${typeLabel(doc, schema.items)}`;
  return type ?? 'any';
}

/** A schema as a nested list of its properties (depth-limited: Odoo records are open objects). */
function SchemaView(props: { doc: OpenApiDocument; schema?: OpenApiSchema; depth?: number }): ComponentChildren {
  const depth = props.depth ?? 0;
  let schema = resolve(props.doc, props.schema);
  if (!schema) return <code>any</code>;
  // `T | null` (an optional body, a nullable field) reads as T.
  const nonNull = (schema.oneOf ?? schema.anyOf)?.filter((v) => v.type !== 'null');
  if (nonNull?.length === 1) schema = { ...resolve(props.doc, nonNull[0]), description: schema.description };
  const variants = schema.oneOf ?? schema.anyOf;
  if (variants && variants.some((v) => resolve(props.doc, v)?.properties)) {
    return (
      <ul class="schema-list">
        {variants.map((v, i) => (
          <li key={i}>
            <span class="schema-variant">One of{schema.discriminator ? ` (by ${schema.discriminator.propertyName})` : ''}:</span>{' '}
            {v.description && <span class="sub">{v.description}</span>}
            <SchemaView doc={props.doc} schema={v} depth={depth + 1} />
          </li>
        ))}
      </ul>
    );
  }
  const items = schema.type === 'array' ? resolve(props.doc, schema.items) : undefined;
  const target = items?.properties ? items : schema;
  if (!target.properties || depth > 3) return <code>{typeLabel(props.doc, schema)}</code>;
  return (
    <ul class="schema-list">
      {items && <li class="sub">array of objects:</li>}
      {Object.entries(target.properties).map(([name, prop]) => {
        const resolved = resolve(props.doc, prop);
        const nested = resolved?.properties || resolve(props.doc, resolved?.items)?.properties;
        return (
          <li key={name}>
            <code>{name}</code> <span class="schema-type">{typeLabel(props.doc, prop)}</span>
            {target.required?.includes(name) && <span class="badge badge-warn">required</span>}
            {prop.description && <span class="sub"> — {prop.description}</span>}
            {nested && !prop.$ref && <SchemaView doc={props.doc} schema={prop} depth={depth + 1} />}
          </li>
        );
      })}
    </ul>
  );
}

/** "API key · OAuth 2.0 scope read · OAuth 1.0a" from an operation's security alternatives. */
function securityText(op: OpenApiOperation): string {
  if (!op.security?.length) return 'None (public)';
  return op.security
    .map((req) =>
      Object.entries(req)
        .map(([scheme, scopes]) => {
          if (scheme === 'oauth2') return `OAuth 2.0 (scope ${scopes.join(', ')})`;
          if (scheme === 'oauth1') return 'OAuth 1.0a';
          if (scheme === 'bearerApiKey') return 'API key (Bearer)';
          if (scheme === 'headerApiKey') return 'API key (X-API-Key)';
          return scheme;
        })
        .join(' + '),
    )
    .join(' · ');
}

function OperationView(props: { doc: OpenApiDocument; o: Operation }) {
  const { doc, o } = props;
  const { op } = o;
  const body = op.requestBody?.content?.['application/json']?.schema;
  return (
    <article class="card api-op" id={o.anchor} data-testid="api-operation">
      <h3 class="api-op-title">
        <span class={`badge badge-${METHOD_TONE[o.method] ?? 'muted'} api-method`}>{o.method.toUpperCase()}</span>
        <code>{o.path}</code>
        <a class="api-anchor" href={`#${o.anchor}`} aria-label={`Link to ${o.method.toUpperCase()} ${o.path}`}>
          #
        </a>
      </h3>
      {op.summary && <p class="api-summary">{op.summary}</p>}
      {op.description && <div class="md">{renderMarkdown(op.description, 4)}</div>}
      <p>
        <strong>Authentication:</strong> {securityText(op)}
      </p>
      {op.parameters && op.parameters.length > 0 && (
        <>
          <h4>Parameters</h4>
          <div class="table-card">
            <table class="table">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">In</th>
                  <th scope="col">Type</th>
                  <th scope="col">Description</th>
                </tr>
              </thead>
              <tbody>
                {op.parameters.map((p) => (
                  <tr key={`${p.in}-${p.name}`}>
                    <th scope="row">
                      <code>{p.name}</code> {p.required && <span class="badge badge-warn">required</span>}
                    </th>
                    <td>{p.in}</td>
                    <td>
                      <code>{typeLabel(doc, p.schema)}</code>
                    </td>
                    <td>{p.description ? renderMarkdown(p.description, 5) : null}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
      {body && (
        <>
          <h4>Request body {op.requestBody?.required === false && <span class="sub">(optional)</span>}</h4>
          <SchemaView doc={doc} schema={body} />
        </>
      )}
      <h4>Responses</h4>
      <dl class="api-responses">
        {Object.entries(op.responses ?? {}).map(([status, r]) => {
          const schema = r.content?.['application/json']?.schema;
          return (
            <div key={status} class="api-response">
              <dt>
                <span class={`badge badge-${status.startsWith('2') ? 'ok' : 'error'}`}>{status}</span>
              </dt>
              <dd>
                {renderMarkdown(r.description ?? '', 5)}
                {schema && status.startsWith('2') && (
                  <details>
                    <summary>Schema</summary>
                    <SchemaView doc={doc} schema={schema} />
                  </details>
                )}
              </dd>
            </div>
          );
        })}
      </dl>
    </article>
  );
}

export function ApiReferencePage() {
  const [doc, setDoc] = useState<OpenApiDocument | null>(null);
  const [error, setError] = useState<Error | null>(null);

  useEffect(() => {
    fetch('/api/openapi.json', { headers: { accept: 'application/json' } })
      .then(async (res) => {
        if (!res.ok) throw new Error(`The OpenAPI document could not be loaded (HTTP ${res.status})`);
        setDoc((await res.json()) as OpenApiDocument);
      })
      .catch((e: Error) => setError(e));
  }, []);

  // Deep links (#listRecords) scroll once the operations exist.
  useEffect(() => {
    if (doc && location.hash) document.getElementById(decodeURIComponent(location.hash.slice(1)))?.scrollIntoView();
  }, [doc]);

  if (error)
    return (
      <div role="alert" class="notice notice-error">
        <ErrorText error={error} />
      </div>
    );
  if (!doc) return <Loading label="Loading the API reference…" />;
  const groups = operationsByTag(doc);
  return (
    <section>
      <PageHeader
        title="API reference"
        intro={
          <>
            {doc.info.title} {doc.info.version}, generated from the relay’s route schemas. Machine-readable:{' '}
            <a href="/api/openapi.json">/api/openapi.json</a> (OpenAPI {doc.openapi}).
          </>
        }
      />
      {doc.info.description && <div class="md">{renderMarkdown(doc.info.description, 2)}</div>}
      <nav class="card api-toc" aria-label="API operations">
        <ul>
          {groups.map((g) => (
            <li key={g.tag}>
              <a href={`#tag-${g.tag}`}>{g.tag}</a>
              <ul>
                {g.operations.map((o) => (
                  <li key={o.anchor}>
                    <a href={`#${o.anchor}`}>
                      <span class="api-method-text">{o.method.toUpperCase()}</span> <code>{o.path}</code>
                    </a>
                  </li>
                ))}
              </ul>
            </li>
          ))}
        </ul>
      </nav>
      {groups.map((g) => (
        <section key={g.tag} aria-labelledby={`tag-${g.tag}`}>
          <h2 id={`tag-${g.tag}`}>{g.tag}</h2>
          {g.description && <p class="intro">{g.description}</p>}
          {g.operations.map((o) => (
            <OperationView key={o.anchor} doc={doc} o={o} />
          ))}
        </section>
      ))}
    </section>
  );
}
