/**
 * What happens to a request body the relay refuses before reading it all (413 above the body
 * limit, 415 for a media type it does not parse). Fastify asks to close the connection after
 * such an answer, and Node then closes it at once. A client still uploading has its next
 * writes answered by a TCP reset, which on Linux also throws away the 413 it had not read yet:
 * n8n, curl, Python and fetch report a broken pipe instead of `body_too_large`.
 */
import type { Server } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * A refused body up to this size is read to its end and dropped (Node does that for a
 * keep-alive connection), so the client reads its answer. Larger or unsized bodies still close
 * the connection: draining them would let one client keep the relay reading for nothing.
 */
export const DRAIN_MAX_BYTES = 64 * 1024 * 1024;

/** Keeps the connection open after a refusal when the rest of the body is declared and small enough to drain. */
export function drainRefusedBody(request: FastifyRequest, reply: FastifyReply): void {
  if (request.raw.complete || reply.getHeader('connection') !== 'close') return;
  const declared = Number(request.headers['content-length']);
  if (Number.isSafeInteger(declared) && declared <= DRAIN_MAX_BYTES) reply.removeHeader('connection');
}

/**
 * `Expect: 100-continue` (curl sends it above 1 MB): Node says "100 Continue" to every such
 * request by default, inviting the upload of a body the relay will refuse. A body declared over
 * the limit gets its 413 instead, before a byte of it is sent (RFC 9110 §10.1.1).
 */
export function answerExpectContinue(server: Server, bodyLimit: number): void {
  server.on('checkContinue', (req, res) => {
    if (!(Number(req.headers['content-length']) > bodyLimit)) res.writeContinue();
    server.emit('request', req, res);
  });
}
