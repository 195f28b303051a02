/** Server-side web sessions, keyed by the `session_id` cookie (Odoo keeps them in its filestore). */
import { newSessionId } from './reply.js';

export interface WebSession {
  uid: number;
  login: string;
  db: string;
}

export class SessionStore {
  private sessions = new Map<string, WebSession>();

  create(session: WebSession): string {
    const sid = newSessionId();
    this.sessions.set(sid, session);
    return sid;
  }

  get(sid: string | undefined): WebSession | undefined {
    return sid === undefined ? undefined : this.sessions.get(sid);
  }

  delete(sid: string | undefined): void {
    if (sid !== undefined) this.sessions.delete(sid);
  }

  clear(): void {
    this.sessions.clear();
  }
}
