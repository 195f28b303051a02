import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Fastify, { type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import { Validator } from '@seriousme/openapi-schema-validator';
import { startTestRelay, type TestRelay } from '../helpers/relay.js';
import { registerOAuth2 } from '../../src/oauth2/index.js';

/**
 * The OAuth 2.0 endpoints' zod schemas turned into OpenAPI 3.1 by @fastify/swagger (as the
 * relay's own document will be): the document validates, the protocol endpoints are tagged and
 * documented, and the dashboard-internal routes stay out of it.
 */
describe('OAuth 2.0 endpoints in the OpenAPI document', () => {
  let relay: TestRelay;
  let app: FastifyInstance;

  beforeAll(async () => {
    relay = await startTestRelay();
    app = Fastify();
    app.setValidatorCompiler(validatorCompiler);
    app.setSerializerCompiler(serializerCompiler);
    await app.register(swagger, { openapi: { openapi: '3.1.0', info: { title: 'odoo-relay', version: '0' } }, transform: jsonSchemaTransform });
    await registerOAuth2(app, relay.ctx);
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
    await relay?.close();
  });

  it('is a valid OpenAPI 3.1 document with the protocol endpoints under the OAuth 2.0 tag', async () => {
    const doc = app.swagger() as any;
    const result = await new Validator().validate(doc);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    const tagged = Object.entries(doc.paths).flatMap(([path, ops]: [string, any]) =>
      Object.entries(ops)
        .filter(([, op]: [string, any]) => op.tags?.includes('OAuth 2.0'))
        .map(([method]) => `${method.toUpperCase()} ${path}`),
    );
    expect(tagged.sort()).toEqual(['GET /.well-known/oauth-authorization-server', 'GET /oauth/authorize', 'POST /oauth/introspect', 'POST /oauth/revoke', 'POST /oauth/token']);
    const token = doc.paths['/oauth/token'].post;
    expect(Object.keys(token.requestBody.content)).toEqual(['application/x-www-form-urlencoded']);
    expect(token.requestBody.content['application/x-www-form-urlencoded'].schema.properties.grant_type.enum).toEqual(['authorization_code', 'refresh_token', 'client_credentials']);
    expect(token.responses['200'].content['application/json'].schema.required).toEqual(expect.arrayContaining(['access_token', 'token_type', 'expires_in', 'scope']));
    expect(doc.paths['/oauth/authorize'].get.parameters.map((p: any) => p.name)).toContain('code_challenge');
    for (const hidden of Object.keys(doc.paths).filter((p) => p.startsWith('/api/dashboard'))) expect.fail(`${hidden} should be hidden`);
  });
});
