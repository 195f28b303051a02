import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Validator } from '@seriousme/openapi-schema-validator';
import { startTestRelay, httpGet, httpPost, type TestRelay } from '../helpers/relay.js';
import { isPublicRoute, routeTable } from '../../src/openapi/document.js';
import { errorCodes } from '../../src/errors/codes.js';
import { generateDocument } from '../../src/openapi/write-document.js';

const COMMITTED = path.resolve(import.meta.dirname, '../../docs/openapi.json');

let relay: TestRelay;
let served: { status: number; headers: Record<string, unknown>; text: string; body: any };

beforeAll(async () => {
  relay = await startTestRelay({ publicUrl: 'https://relay.example.com' });
  served = await httpGet(`${relay.url}/api/openapi.json`);
});
afterAll(() => relay.close());

/** Fastify's `/a/:id` as OpenAPI's `/a/{id}`. */
const openapiPath = (url: string) => url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

describe('the OpenAPI document', () => {
  it('is served publicly at /api/openapi.json, cacheable, without authentication', async () => {
    expect(served.status).toBe(200);
    expect(String(served.headers['content-type'])).toMatch(/^application\/json/);
    expect(String(served.headers['cache-control'])).toMatch(/public/);
    expect(served.body.openapi).toBe('3.1.0');
    expect(served.body.servers).toEqual([{ url: '/' }]);
  });

  it('matches the committed docs/openapi.json', () => {
    const committed = fs.readFileSync(COMMITTED, 'utf8');
    expect(
      served.text === committed,
      'docs/openapi.json is out of date with the route schemas: run `npm run openapi` and commit the result',
    ).toBe(true);
  });

  it('is what `npm run openapi` generates, byte for byte', async () => {
    expect(await generateDocument()).toBe(served.text);
  });

  it('validates against the OpenAPI 3.1 schema', async () => {
    const validator = new Validator();
    const result = await validator.validate(served.body);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  it('covers every public route and no dashboard, auth, ingest, MCP or static route', () => {
    const routes = routeTable(relay.app);
    expect(routes.length).toBeGreaterThan(20);
    const paths = served.body.paths as Record<string, Record<string, unknown>>;
    for (const { method, url } of routes) {
      const documented = paths[openapiPath(url)]?.[method.toLowerCase()] !== undefined;
      expect(documented, `${method} ${url}`).toBe(isPublicRoute(url));
    }
    for (const must of ['/api/n8n/webhook', '/api/v1/models/{model}', '/api/v1/models/{model}/{id}/{method}', '/api/v1/subscriptions', '/api/openapi.json', '/healthz']) {
      expect(paths).toHaveProperty([must]);
    }
    for (const p of Object.keys(paths)) {
      expect(p).not.toMatch(/^\/api\/(dashboard|auth|events\/ingest)|^\/mcp|^\/metrics|^\/assets|^\/(keys|login|connection)$/);
    }
  });

  it('declares the security schemes and one shared error schema listing every code', () => {
    const doc = served.body;
    expect(Object.keys(doc.components.securitySchemes).sort()).toEqual(['bearerApiKey', 'headerApiKey', 'oauth1', 'oauth2']);
    expect(doc.components.securitySchemes.oauth2.flows.authorizationCode).toMatchObject({ authorizationUrl: '/oauth/authorize', tokenUrl: '/oauth/token' });
    expect(Object.keys(doc.components.securitySchemes.oauth2.flows.clientCredentials.scopes).sort()).toEqual(['read', 'subscriptions', 'webhook']);
    expect(doc.components.securitySchemes.oauth1).toEqual(expect.objectContaining({ type: 'http', scheme: 'OAuth' }));
    expect(doc.components.schemas.Error.properties.code.enum.sort()).toEqual(Object.keys(errorCodes).sort());
    const notFound = doc.paths['/api/v1/models/{model}/{id}'].get.responses['404'];
    expect(notFound.content['application/json'].schema).toEqual({ $ref: '#/components/schemas/Error' });
    expect(notFound.description).toContain('`odoo_missing_record`');
  });

  it('declares the response headers, and an answer carries those its operation and status declare', async () => {
    const headersOf = (path: string, method: string, status: string) => Object.keys(served.body.paths[path][method].responses[status].headers ?? {});
    expect(headersOf('/api/v1/models/{model}', 'post', '201')).toEqual(expect.arrayContaining(['Location', 'Idempotent-Replayed', 'X-RateLimit-Remaining', 'X-Request-Id']));
    expect(headersOf('/api/v1/models/{model}', 'get', '200')).toContain('Link');
    expect(headersOf('/api/n8n/webhook', 'post', '429')).toContain('Retry-After');
    expect(headersOf('/api/n8n/webhook', 'post', '401')).toEqual(['X-Request-Id']);
    for (const [name, header] of Object.entries(served.body.components.headers as Record<string, { schema: unknown }>)) expect(header.schema, name).toBeDefined();

    // A key's call that Odoo never sees (this relay has no Odoo connection): 404 no_odoo_connection.
    const { key } = await relay.createKey();
    const answer = await httpPost(`${relay.url}/api/n8n/webhook`, { action: 'get_config' }, { authorization: `Bearer ${key}` });
    expect(answer.status).toBe(404);
    for (const name of headersOf('/api/n8n/webhook', 'post', '404').filter((h) => h !== 'Idempotent-Replayed')) expect(answer.headers[name.toLowerCase()], name).toBeDefined();
  });

  it('documents the webhook body as a union of its four actions and scopes per operation', () => {
    const body = served.body.paths['/api/n8n/webhook'].post.requestBody.content['application/json'].schema;
    expect(body.discriminator).toEqual({ propertyName: 'action' });
    expect(body.oneOf.map((s: any) => s.properties.action.enum[0]).sort()).toEqual(['chat', 'execute_method', 'get_config', 'test_connection']);
    const list = served.body.paths['/api/v1/models/{model}'].get;
    expect(list.security).toContainEqual({ oauth2: ['read'] });
    expect(list.parameters.map((p: any) => p.name).sort()).toEqual(['domain', 'fields', 'limit', 'model', 'offset', 'order']);
    expect(served.body.paths['/api/v1/models/{model}'].post.security).toContainEqual({ oauth2: ['webhook'] });
    expect(served.body.paths['/api/v1/models/{model}/{id}/{method}'].post.requestBody.required).toBe(false);
  });
});
