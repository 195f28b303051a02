/**
 * Answers a request Node's HTTP parser refused (malformed, oversized headers, too slow) in the
 * relay's error envelope, with a stable code (400 invalid_request, 408 request_timeout, 431
 * headers_too_large), then closes the socket; it logs only the error's code. Fastify's default
 * answers in its own shape and logs the whole error at trace, and Node attaches the raw bytes
 * it read (`rawPacket`): request line, Authorization header, cookies. There is no request id:
 * the request never became one.
 */
import http from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { errorCodes, type ErrorCode } from '../errors/index.js';

interface ClientError extends Error {
  code?: string;
}

/** The code and log label of a refusal. */
function answerFor(code: string | undefined): { code: ErrorCode; message: string; label: string } {
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return { code: 'request_timeout', message: errorCodes.request_timeout.message, label: 'timeout' };
  if (code === 'HPE_HEADER_OVERFLOW') return { code: 'headers_too_large', message: errorCodes.headers_too_large.message, label: 'header_overflow' };
  return { code: 'invalid_request', message: 'The HTTP request is malformed', label: 'error' };
}

/** Fastify's `clientErrorHandler` option; bound to the Fastify instance, as Fastify calls it. */
export function clientErrorHandler(this: FastifyInstance, err: ClientError, socket: Socket): void {
  // A reset connection is already gone: nothing to answer (as Fastify's own handler).
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const { code, message, label } = answerFor(err.code);
  const status = errorCodes[code].status;
  // The code says what went wrong (HPE_INVALID_HEADER_TOKEN, HPE_HEADER_OVERFLOW…); nothing else
  // of the error is logged, its message included (Node's never quotes bytes today; no need to rely on it).
  this.log.trace({ clientError: { code: typeof err.code === 'string' ? err.code.slice(0, 64) : 'unknown' } }, `client ${label}`);
  if (socket.writable) {
    const statusText = http.STATUS_CODES[status];
    const body = JSON.stringify({ success: false, error: message, details: null, code });
    socket.write(`HTTP/1.1 ${status} ${statusText}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nContent-Type: application/json\r\n\r\n${body}`);
  }
  socket.destroy(err);
}
