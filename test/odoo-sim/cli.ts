/**
 * `npm run odoo-sim -- --port 8069 --version 18 --db NAME --api-key KEY`
 * Runs the Odoo test server until SIGINT/SIGTERM, for manual use and for tests in other processes
 * (which steer it through POST /__sim/faults, /__sim/seed and /__sim/reset).
 */
import { parseArgs } from 'node:util';
import { startOdooSim } from './server.js';

const USAGE = `usage: npm run odoo-sim -- [--port 8069] [--host 127.0.0.1] [--version 17|18|19] [--db odoo_demo] [--api-key KEY] [--no-automation-noise]`;

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        port: { type: 'string', default: '8069' },
        host: { type: 'string', default: '127.0.0.1' },
        version: { type: 'string', default: '19' },
        db: { type: 'string', default: 'odoo_demo' },
        'api-key': { type: 'string' },
        'no-automation-noise': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
    }));
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`);
    process.exit(2);
  }
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const version = Number(values.version);
  if (version !== 17 && version !== 18 && version !== 19) {
    console.error(`--version must be 17, 18 or 19 (got ${values.version})\n${USAGE}`);
    process.exit(2);
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`--port must be a port number (got ${values.port})\n${USAGE}`);
    process.exit(2);
  }
  const sim = await startOdooSim({
    version,
    port,
    host: values.host,
    db: values.db,
    apiKey: values['api-key'],
    automationNoise: values['no-automation-noise'] ? 'none' : 'odoo',
  });
  console.log(`Odoo ${version}.0 test server listening on ${sim.url}`);
  console.log(`  database: ${values.db}`);
  console.log(`  login:    admin / admin`);
  if (values['api-key']) console.log(`  API key:  ${values['api-key']} (password for admin, or JSON-2 bearer)`);
  console.log(`  control:  POST ${sim.url}/__sim/faults | /__sim/seed | /__sim/reset`);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: stopping`);
    sim.close().then(
      () => process.exit(0),
      (err) => {
        console.error(err);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
