/**
 * Why the relay could not start, in the closed set the CLI reports as `error (code): message`
 * with exit status 2, as it does a wrong variable: each names the setting to change.
 */
export type StartupErrorCode = 'data_dir_in_use';

export class StartupError extends Error {
  constructor(
    readonly code: StartupErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'StartupError';
  }
}

/** Another relay holds the SQLite data folder (`holder`: "pid N on host H", when it is known). */
export function dataDirInUse(dataDir: string, holder: string | undefined): StartupError {
  return new StartupError(
    'data_dir_in_use',
    `DATA_DIR ${dataDir} is in use by another relay (${holder ?? 'its pid is not recorded yet'}); stop it, or give this relay a DATA_DIR of its own (relays share one database only on PostgreSQL: DATABASE_URL)`,
  );
}
