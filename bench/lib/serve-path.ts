/**
 * Child process of `bench/instructions.ts`: serves one path (proxy, floor or relay) in front of
 * the given Odoo test server, prints the path as one JSON line, and runs until SIGTERM. Run
 * under callgrind, so that only this server's instructions are counted.
 *   node --import tsx bench/lib/serve-path.ts <proxy|floor|relay> <odoo-url> <odoo-api-key> <connections>
 */
import { startBareProxy, startBenchRelay, startFastifyFloor, type Odoo, type PathServer } from './paths.js';

const [name, url, apiKey, connections] = process.argv.slice(2);
const odoo: Odoo = { url: url!, apiKey: apiKey! };
const conns = Number(connections);
const starters: Record<string, () => Promise<PathServer>> = {
  proxy: () => startBareProxy(odoo, conns),
  floor: () => startFastifyFloor(odoo, conns),
  relay: () => startBenchRelay(odoo, conns),
};
const start = starters[name!];
if (!start) throw new Error(`unknown path ${name}; one of ${Object.keys(starters).join(', ')}`);
const server = await start();
process.stdout.write(`${JSON.stringify(server.path)}\n`);
process.once('SIGTERM', () => {
  void server.close().finally(() => process.exit(0));
});
