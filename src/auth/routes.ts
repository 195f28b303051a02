import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../context.js';
import { RelayError } from '../errors/index.js';
import { parseInput } from '../http/parse-input.js';
import { changePassword, checkCredentials, countUsers, createFirstAdmin, findUserById, type User, type VerifiedUser } from './users.js';
import { createSession, deleteSession, findSession, SESSION_COOKIE, type Session } from './sessions.js';
import { checkSessionWrite, crossSiteRefusal, isCrossSite } from './caller.js';

/** A required text field, refused in words a person reads in a form. */
const text = (label: string, max: number) =>
  z.string({ error: `${label} is required` }).min(1, `${label} is required`).max(max, `${label} must be at most ${max} characters`);
const credentials = z.object({ username: text('Username', 64), password: text('Password', 1024) });
const passwordChange = z.object({ currentPassword: text('Current password', 1024), newPassword: text('New password', 1024) });

declare module 'fastify' {
  interface FastifyRequest {
    session?: Session & { user: User };
  }
}

/**
 * Dashboard session guard: a live session cookie, and on every state-changing method the
 * session's CSRF token in `X-CSRF-Token` (compared in constant time) plus a same-origin check.
 */
export function requireSession(ctx: AppContext) {
  return async (request: FastifyRequest) => {
    const token = request.cookies?.[SESSION_COOKIE];
    const session = token ? await findSession(ctx.storage.db, token) : null;
    if (!session) throw new RelayError(token ? 'session_expired' : 'unauthenticated');
    const user = await findUserById(ctx.storage.db, session.userId);
    if (!user) throw new RelayError('session_expired');
    checkSessionWrite(request, session.csrfToken, ctx.config.publicUrl);
    request.session = { ...session, user };
    request.trace.userId = user.id;
    request.trace.authMethod = 'session';
  };
}

/**
 * requireSession, and the signed-in user must be an administrator: for the routes that change
 * other people's accounts. The role is read with the session on every request, so a demotion
 * takes effect on the next one.
 */
export function requireAdmin(ctx: AppContext) {
  const session = requireSession(ctx);
  return async (request: FastifyRequest) => {
    await session(request);
    if (request.session!.user.role !== 'admin') {
      throw new RelayError('admin_required', 'Only administrators can do this; ask one to make you an admin');
    }
  };
}

function cookieSecure(ctx: AppContext, request: FastifyRequest): boolean {
  if (ctx.config.secureCookies === 'auto') return request.protocol === 'https';
  return ctx.config.secureCookies === 'true';
}

async function startSession(ctx: AppContext, request: FastifyRequest, reply: FastifyReply, verified: VerifiedUser) {
  const started = await createSession(ctx.storage, verified, ctx.config.sessionTtlHours);
  // The password was changed after it was checked: it is no longer the account's.
  if (!started) throw new RelayError('invalid_credentials');
  // The session this browser had (another account's, on a shared machine) ends, not only its cookie.
  const previous = request.cookies[SESSION_COOKIE];
  if (previous) await deleteSession(ctx.storage.db, previous);
  const { token, session } = started;
  reply.setCookie(SESSION_COOKIE, token, {
    httpOnly: true,
    sameSite: 'lax',
    secure: cookieSecure(ctx, request),
    path: '/',
    expires: new Date(session.expiresAt),
  });
  return { user: verified.user, csrfToken: session.csrfToken };
}

function refuseCrossSite(ctx: AppContext, request: FastifyRequest) {
  // Login CSRF: a form on another site must not log the victim into the attacker's account.
  if (isCrossSite(request, ctx.config.publicUrl)) throw crossSiteRefusal(request, ctx.config.publicUrl, 'cross_site_request');
}

/** Setup, login, logout, me, password: the session API the dashboard and the webhook's cookie auth use. */
export function registerAuthRoutes(app: FastifyInstance, ctx: AppContext): void {
  const db = ctx.storage.db;

  app.get('/api/auth/setup', async () => ({ success: true, needsSetup: (await countUsers(db)) === 0 }));

  app.post('/api/auth/setup', async (request, reply) => {
    refuseCrossSite(ctx, request);
    const input = parseInput(credentials, request.body);
    // Checked first to refuse at once, and again atomically with the insert (a concurrent setup).
    if ((await countUsers(db)) > 0) throw new RelayError('setup_already_done');
    const admin = await createFirstAdmin(ctx.storage, input);
    if (!admin) throw new RelayError('setup_already_done');
    return { success: true, ...(await startSession(ctx, request, reply, admin)) };
  });

  /** Counts a password guess against the login throttle; refused when its budget is spent. */
  const admitGuess = async (username: string, ip: string): Promise<void> => {
    const admission = await ctx.loginThrottle.admit(username, ip);
    if (!admission.allowed) {
      const wait = admission.retryAfterSeconds;
      throw new RelayError('too_many_login_attempts', undefined, { retryAfterSeconds: wait }, { 'retry-after': String(wait) });
    }
  };

  app.post('/api/auth/login', async (request, reply) => {
    refuseCrossSite(ctx, request);
    const input = parseInput(credentials, request.body);
    await admitGuess(input.username, request.ip);
    const verified = await checkCredentials(db, input.username, input.password);
    if (!verified) throw new RelayError('invalid_credentials');
    await ctx.loginThrottle.succeeded(input.username, request.ip);
    // Said only to whoever knows the password: to anyone else the account looks like any other.
    if (verified.user.disabledAt !== null) throw new RelayError('account_disabled', 'This account is disabled; ask an administrator to enable it');
    return { success: true, ...(await startSession(ctx, request, reply, verified)) };
  });

  app.post('/api/auth/logout', { preHandler: requireSession(ctx) }, async (request, reply) => {
    const token = request.cookies[SESSION_COOKIE];
    if (token) await deleteSession(db, token);
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return { success: true };
  });

  app.get('/api/auth/me', { preHandler: requireSession(ctx) }, async (request) => ({
    success: true,
    user: request.session!.user,
    csrfToken: request.session!.csrfToken,
  }));

  app.post('/api/auth/password', { preHandler: requireSession(ctx) }, async (request, reply) => {
    const input = parseInput(passwordChange, request.body);
    // The current password is a guess like a login's, and counted on the same budget: a stolen
    // session cookie must not become unlimited guessing of a password that outlives it.
    const { username } = request.session!.user;
    await admitGuess(username, request.ip);
    let changed: VerifiedUser;
    try {
      // Every session of this user ends with the change; this browser gets a fresh one.
      changed = await changePassword(db, request.session!.user.id, input.currentPassword, input.newPassword);
    } catch (err) {
      // Only a wrong current password stays counted; a refused new one was no guess.
      if (!(err instanceof RelayError && err.code === 'invalid_credentials')) await ctx.loginThrottle.succeeded(username, request.ip);
      throw err;
    }
    await ctx.loginThrottle.succeeded(username, request.ip);
    return { success: true, ...(await startSession(ctx, request, reply, changed)) };
  });
}
