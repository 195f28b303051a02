import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../context.js';
import { RelayError } from '../errors/index.js';
import { requireAdmin } from '../auth/routes.js';
import { createUser, findUserById, listUsers, setPassword } from '../auth/users.js';
import { deleteUser, disableUser, enableUser, holdingsOf, setUserRole } from '../auth/user-admin.js';
import { parseInput } from '../http/parse-input.js';
import { idParams } from './access-schemas.js';

// Only the shape is checked here: the username and password rules are createUser's and
// setPassword's, the same the CLI's `users create` and `users set-password` go through.
const role = z.enum(['admin', 'user'], { error: 'Role must be admin or user' });
const password = z.string({ error: 'Password is required' });
const createBody = z.object({
  username: z.string({ error: 'Username is required' }),
  password,
  // Adding a colleague must not make a second administrator unless asked to (as the CLI).
  role: role.default('user'),
});
const roleBody = z.object({ role });
const passwordBody = z.object({ password });

/**
 * Refuses an administrator's change to their own account that would lock them out mid-session
 * (disable, demote, delete), or that would skip the current-password check of the Account page
 * (a password reset): a stolen session must not be enough to take the account over for good.
 */
function refuseOwnAccount(request: FastifyRequest, id: string, what: 'disable' | 'demote' | 'delete' | 'password'): void {
  if (id !== request.session!.user.id) return;
  const message =
    what === 'password'
      ? 'Change your own password on the Account page, which asks for the current one'
      : `You cannot ${what} your own account from the dashboard; sign in with another administrator account to do it`;
  throw new RelayError('conflict', message, { field: 'id' });
}

/**
 * Accounts, for administrators (the dashboard's side of the CLI's `users` commands), through
 * the same functions: the rule that an enabled administrator remains holds here too.
 */
export function registerUserRoutes(app: FastifyInstance, ctx: AppContext): void {
  const db = ctx.storage.db;
  const guard = { preHandler: requireAdmin(ctx) };

  app.get('/api/dashboard/users', guard, async () => ({ success: true, users: await listUsers(db) }));

  // One user with what deleting them would delete too: counted when asked, for the confirmation.
  app.get('/api/dashboard/users/:id', guard, async (request) => {
    const { id } = parseInput(idParams, request.params);
    const user = await findUserById(db, id);
    if (!user) throw new RelayError('not_found', 'No such user');
    return { success: true, user, holdings: await holdingsOf(db, id) };
  });

  app.post('/api/dashboard/users', guard, async (request) => {
    const input = parseInput(createBody, request.body);
    return { success: true, user: await createUser(db, input) };
  });

  app.post('/api/dashboard/users/:id/disable', guard, async (request) => {
    const { id } = parseInput(idParams, request.params);
    refuseOwnAccount(request, id, 'disable');
    const done = await disableUser(ctx.storage, id);
    return { success: true, user: done.user, endedSessions: done.endedSessions, pausedSubscriptions: done.pausedSubscriptions };
  });

  app.post('/api/dashboard/users/:id/enable', guard, async (request) => {
    const { id } = parseInput(idParams, request.params);
    return { success: true, user: await enableUser(db, id) };
  });

  app.patch('/api/dashboard/users/:id', guard, async (request) => {
    const { id } = parseInput(idParams, request.params);
    const input = parseInput(roleBody, request.body);
    if (input.role === 'user') refuseOwnAccount(request, id, 'demote');
    return { success: true, user: await setUserRole(ctx.storage, id, input.role) };
  });

  app.post('/api/dashboard/users/:id/password', guard, async (request) => {
    const { id } = parseInput(idParams, request.params);
    const input = parseInput(passwordBody, request.body);
    refuseOwnAccount(request, id, 'password');
    // Every session of the user ends with the reset (setPassword), as with the CLI's.
    return { success: true, user: await setPassword(db, id, input.password) };
  });

  app.delete('/api/dashboard/users/:id', guard, async (request) => {
    const { id } = parseInput(idParams, request.params);
    refuseOwnAccount(request, id, 'delete');
    return { success: true, deleted: await deleteUser(ctx, id) };
  });
}
