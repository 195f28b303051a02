import path from 'node:path';

/**
 * Builds the dashboard into dist/web once, before any test file runs. Browser tests in several
 * worker processes used to build it each on their own; Vite empties dist/web first, so one
 * file's build could pull the assets from under a page another file was loading.
 */
export default async function setup(): Promise<void> {
  const { build } = await import('vite');
  const root = path.resolve(import.meta.dirname, '..', '..');
  await build({ configFile: path.join(root, 'web', 'vite.config.ts'), logLevel: 'warn' });
}
