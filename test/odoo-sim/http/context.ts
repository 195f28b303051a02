/** What every protocol handler gets: the sim's shared state and the one request being served. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { OdooException, type OdooMajorVersion, type SimEngine } from '../contract.js';
import type { FailureKind } from './faults.js';
import type { UidCredentials } from './rpc-services.js';
import type { SessionStore } from './session-store.js';

export interface SimState {
  readonly version: OdooMajorVersion;
  /** The engine is replaced by `/__sim/reset`, so handlers always read it from here. */
  engine(): SimEngine;
  readonly credentials: UidCredentials;
  readonly sessions: SessionStore;
}

export interface Call {
  req: IncomingMessage;
  res: ServerResponse;
  path: string;
  body: Buffer;
  /** A protocol-level failure the fault injector wants this call to end with. */
  injected?: Extract<FailureKind, 'server_error' | 'access_denied'>;
}

/** The transient database error a real Odoo under trouble answers with. */
export function injectedServerError(): OdooException {
  return new OdooException(
    'psycopg2.OperationalError',
    'server closed the connection unexpectedly\n\tThis probably means the server terminated abnormally\n\tbefore or while processing the request.\n',
  );
}
