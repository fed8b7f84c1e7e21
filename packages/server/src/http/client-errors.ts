/**
 * Answers for requests Node's HTTP parser refuses before any route sees them (malformed request
 * line or headers, a head over the size limit, a request not received in time). Fastify's default
 * answers JSON `{"message":"Client Error"}`; roster answers like every other refusal: text/plain,
 * short, naming what is wrong.
 */
import { maxHeaderSize, STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { type HttpErrorCode, ServerErrorCode, statusOf } from '../errors.js';

/** A parser error as Node reports it on `clientError` (llhttp adds `reason`). */
export interface ClientError extends Error {
  readonly code?: string;
  readonly reason?: string;
}

/** Code (its status from the registry) and text body for a parser error. */
export function describeClientError(error: ClientError, requestTimeoutMs: number): { code: HttpErrorCode; message: string } {
  switch (error.code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return {
        code: ServerErrorCode.RequestTimeout,
        message: `Request timeout: the request (head and body) did not arrive within ${requestTimeoutMs / 1000} s`,
      };
    case 'HPE_HEADER_OVERFLOW':
      return { code: ServerErrorCode.HeadersTooLarge, message: `Request header fields too large (limit ${maxHeaderSize} bytes)` };
    default: {
      const why = error.reason ?? error.message;
      return { code: ServerErrorCode.MalformedHttp, message: `Bad request: malformed HTTP: ${why}${error.code ? ` (${error.code})` : ''}` };
    }
  }
}

/**
 * The `clientErrorHandler` of the Fastify instance: writes the answer and closes the connection
 * (the parser cannot continue on it).
 */
export function clientErrorHandler(requestTimeoutMs: number): (error: ClientError, socket: Socket) => void {
  return (error, socket) => {
    // The client is gone (reset, or closed mid-request): nobody to answer.
    if (error.code === 'ECONNRESET' || socket.destroyed) return;
    if (!socket.writable) {
      socket.destroy();
      return;
    }
    const { code, message } = describeClientError(error, requestTimeoutMs);
    const status = statusOf(code);
    const body = Buffer.from(message);
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${message}`,
    );
  };
}
