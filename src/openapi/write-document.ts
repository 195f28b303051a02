/**
 * `npm run openapi`: builds the app (on a throwaway SQLite file, nothing listening) and writes
 * its generated OpenAPI document to docs/openapi.json, the committed copy test/openapi checks.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { loadConfig } from '../config.js';
import { createContext } from '../context.js';
import { buildApp } from '../app.js';
import { renderDocument } from './document.js';

/** The generated document, as text, from an app built on a temporary data directory. */
export async function generateDocument(): Promise<string> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'relay-openapi-'));
  const ctx = await createContext(loadConfig({ DATA_DIR: dataDir, LOG_LEVEL: 'silent' }), pino({ level: 'silent' }));
  try {
    const { app } = await buildApp(ctx);
    await app.ready();
    const text = renderDocument(app);
    await app.close();
    return text;
  } finally {
    await ctx.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const target = path.resolve(process.argv[2] ?? 'docs/openapi.json');
  fs.writeFileSync(target, await generateDocument());
  console.log(`wrote ${path.relative(process.cwd(), target)}`);
}
