import { Writable } from 'node:stream';
import pino, { type Logger, type LevelWithSilent } from 'pino';

/** A real pino logger writing JSON lines to memory, for tests that assert on what the relay logs. */
export interface CapturedLog {
  logger: Logger;
  lines: string[];
  /** Everything logged so far, one line per entry. */
  text(): string;
}

export function captureLog(level: LevelWithSilent = 'trace'): CapturedLog {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { logger: pino({ level }, sink), lines, text: () => lines.join('') };
}
