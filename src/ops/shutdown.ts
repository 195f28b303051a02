import type { RunningRelay } from '../server.js';

/**
 * How `serve` stops on SIGTERM/SIGINT: a drain of SHUTDOWN_DRAIN_MS (/readyz 503, requests still
 * served), then the close (in-flight requests finish; past SHUTDOWN_GRACE_MS the process exits 1).
 * A second signal during the drain cuts it short, for an operator who does not want to wait; one
 * during the close finds no listener left and ends the process at once (Node's default), as
 * before the drain existed.
 */
export function stopOnSignals(relay: RunningRelay, exit: (code: number) => void = (code) => process.exit(code)): void {
  const { logger, config } = relay.ctx;
  let phase: 'serving' | 'draining' | 'closing' = 'serving';

  const closeNow = (signal: string) => {
    if (phase === 'closing') return;
    phase = 'closing';
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    logger.info({ signal }, 'shutting down: finishing in-flight requests');
    // Counted from here, not from the signal: the drain is not the in-flight requests' time.
    const force = setTimeout(() => {
      // Said in the log: the requests still running lose their answers, which is otherwise
      // only a log that stops.
      logger.warn({ graceMs: config.shutdownGraceMs }, 'shutdown grace ran out: stopping with requests still in flight');
      exit(1);
    }, config.shutdownGraceMs);
    force.unref();
    relay.close().then(
      () => exit(0),
      (err: unknown) => {
        // Said in the log through pino, not as an unhandled rejection on stderr.
        logger.error({ err }, 'shutdown failed');
        exit(1);
      },
    );
  };

  const onSignal = (signal: NodeJS.Signals) => {
    if (phase === 'serving' && config.shutdownDrainMs > 0) {
      phase = 'draining';
      logger.info({ signal, drainMs: config.shutdownDrainMs }, 'shutting down: not ready, still serving until the drain ends');
      // A drain that fails still ends in the close.
      relay.drain().then(
        () => closeNow(signal),
        (err: unknown) => {
          logger.error({ err }, 'drain failed');
          closeNow(signal);
        },
      );
      return;
    }
    if (phase === 'draining') logger.info({ signal }, 'second signal: ending the drain early');
    closeNow(signal);
  };

  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}
