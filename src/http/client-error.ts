/**
 * Answers a request Node's HTTP parser refused (malformed, oversized headers, too slow) the way
 * Fastify's default handler does — a 400, 408 or 431 with Fastify's body, then the socket is
 * closed — but logs only the error's code. The default logs the whole error at trace, and Node
 * attaches the raw bytes it read (`rawPacket`): request line, Authorization header, cookies.
 */
import http from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';

interface ClientError extends Error {
  code?: string;
}

/** Status and message per refusal, as Fastify's defaultClientErrorHandler answers them. */
function answerFor(code: string | undefined): { status: number; message: string; label: string } {
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return { status: 408, message: 'Client Timeout', label: 'timeout' };
  if (code === 'HPE_HEADER_OVERFLOW') return { status: 431, message: 'Exceeded maximum allowed HTTP header size', label: 'header_overflow' };
  return { status: 400, message: 'Client Error', label: 'error' };
}

/** Fastify's `clientErrorHandler` option; bound to the Fastify instance, as Fastify calls it. */
export function clientErrorHandler(this: FastifyInstance, err: ClientError, socket: Socket): void {
  // A reset connection is already gone: nothing to answer (as Fastify's own handler).
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const { status, message, label } = answerFor(err.code);
  // The code says what went wrong (HPE_INVALID_HEADER_TOKEN, HPE_HEADER_OVERFLOW…); nothing else
  // of the error is logged, its message included (Node's never quotes bytes today; no need to rely on it).
  this.log.trace({ clientError: { code: typeof err.code === 'string' ? err.code.slice(0, 64) : 'unknown' } }, `client ${label}`);
  if (socket.writable) {
    const statusText = http.STATUS_CODES[status];
    const body = JSON.stringify({ error: statusText, message, statusCode: status });
    socket.write(`HTTP/1.1 ${status} ${statusText}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nContent-Type: application/json\r\n\r\n${body}`);
  }
  socket.destroy(err);
}
