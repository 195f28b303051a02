import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Fastify, { type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import cookie from '@fastify/cookie';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import { Validator } from '@seriousme/openapi-schema-validator';
import pino from 'pino';
import { loadConfig } from '../../src/config.js';
import { createContext, type AppContext } from '../../src/context.js';
import { registerRequestTrace } from '../../src/http/request-trace.js';
import { registerOAuth1Routes } from '../../src/oauth1/routes.js';

/**
 * The OAuth 1.0a routes' zod schemas turn into a valid OpenAPI 3.1 document (the relay's
 * swagger wiring lives in app.ts; this builds a minimal app with only these routes).
 */
describe('OpenAPI for the OAuth 1.0a endpoints', () => {
  let dataDir: string;
  let ctx: AppContext;
  let app: FastifyInstance;

  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'relay-oauth1-openapi-'));
    ctx = await createContext(loadConfig({ DATA_DIR: dataDir, LOG_LEVEL: 'silent' }), pino({ level: 'silent' }));
    app = Fastify();
    app.setValidatorCompiler(validatorCompiler);
    app.setSerializerCompiler(serializerCompiler);
    await app.register(swagger, { openapi: { openapi: '3.1.0', info: { title: 'odoo-relay', version: '0.0.0' } }, transform: jsonSchemaTransform });
    await app.register(cookie);
    registerRequestTrace(app);
    await registerOAuth1Routes(app, ctx);
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
    await ctx?.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('documents the three public endpoints under the OAuth 1.0a tag and hides the dashboard API', async () => {
    const doc = app.swagger() as any;
    const result = await new Validator().validate(doc);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(Object.keys(doc.paths).sort()).toEqual(['/oauth1/access_token', '/oauth1/authorize', '/oauth1/request_token']);
    const rt = doc.paths['/oauth1/request_token'].post;
    expect(rt.tags).toEqual(['OAuth 1.0a']);
    expect(Object.keys(rt.responses[200].content)).toEqual(['application/x-www-form-urlencoded']);
    expect(rt.responses[200].content['application/x-www-form-urlencoded'].schema.required).toEqual(['oauth_token', 'oauth_token_secret', 'oauth_callback_confirmed']);
    const authorize = doc.paths['/oauth1/authorize'].get;
    expect(authorize.parameters).toEqual([expect.objectContaining({ name: 'oauth_token', in: 'query', required: true })]);
  });
});
