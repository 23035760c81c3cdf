import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { asStorageFault, isDiskFull } from '../db/storage-errors.js';
import { VeritermError } from '../errors.js';

/** Fastify's body-parsing faults, named for clients (Fastify docs, "Errors"). */
const FASTIFY_CODES: Record<string, { status: number; code: string; message: string }> = {
  FST_ERR_CTP_EMPTY_JSON_BODY: {
    status: 400,
    code: 'empty_body',
    message: 'The request body is empty; expected JSON',
  },
  FST_ERR_CTP_INVALID_JSON_BODY: {
    status: 400,
    code: 'bad_json',
    message: 'The request body is not valid JSON',
  },
  FST_ERR_CTP_BODY_TOO_LARGE: {
    status: 413,
    code: 'body_too_large',
    message: 'The request body is too large',
  },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    status: 415,
    code: 'unsupported_media_type',
    message: 'Unsupported Content-Type; expected application/json',
  },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: {
    status: 400,
    code: 'bad_content_length',
    message: 'Content-Length does not match the body',
  },
};

/**
 * A refusal a route or service throws instead of sending: it leaves with its own status, code and
 * headers (e.g. 429 with Retry-After), like a returned error.
 */
export class HttpError extends VeritermError {
  readonly statusCode: number;
  readonly headers: Record<string, string>;

  constructor(statusCode: number, code: string, message: string, headers: Record<string, string> = {}) {
    super(code, message);
    this.name = 'HttpError';
    this.statusCode = statusCode;
    this.headers = headers;
  }
}

export interface ErrorHandlerOptions {
  /** The database a bare SQLITE_FULL came from, for the message. @default 'the terminal database' */
  storageFile?: string;
  /** Told of every full-disk refusal (the storage health item latches on it). */
  onDiskFull?: (fault: VeritermError) => void;
}

/**
 * Every error leaves as `{ status: 'error', error: { code, message } }`; 5xx never leak internals.
 * A full disk (SQLITE_FULL, ENOSPC, a `disk_full` fault) is 507 Insufficient Storage with code
 * `disk_full` (RFC 4918 §11.5): the request was refused and nothing of it was written.
 */
export function createErrorHandler(options: ErrorHandlerOptions = {}) {
  return async function handleError(
    error: FastifyError,
    request: FastifyRequest,
    reply: FastifyReply,
  ): Promise<void> {
    const known = error.code ? FASTIFY_CODES[error.code] : undefined;
    if (known) {
      await reply
        .code(known.status)
        .send({ status: 'error', error: { code: known.code, message: known.message } });
      return;
    }
    if (error instanceof SyntaxError) {
      await reply.code(400).send({
        status: 'error',
        error: { code: 'bad_json', message: 'The request body is not valid JSON' },
      });
      return;
    }
    if (isDiskFull(error)) {
      const fault = asStorageFault(error, options.storageFile ?? 'the terminal database') as VeritermError;
      request.log.error({ err: error }, 'write refused: disk full');
      options.onDiskFull?.(fault);
      await reply.code(507).send({ status: 'error', error: { code: fault.code, message: fault.message } });
      return;
    }
    const status = error.statusCode ?? 500;
    if (status < 500) {
      if (error instanceof HttpError) void reply.headers(error.headers);
      const code =
        error instanceof VeritermError ? error.code : status === 429 ? 'rate_limited' : 'bad_request';
      await reply.code(status).send({ status: 'error', error: { code, message: error.message } });
      return;
    }
    request.log.error({ err: error }, 'request failed');
    const code = error instanceof VeritermError ? error.code : 'internal';
    await reply
      .code(500)
      .send({ status: 'error', error: { code, message: 'Internal error; see the terminal log' } });
  };
}

/** The handler with default options (tests and servers without storage wiring). */
export const errorHandler = createErrorHandler();

/**
 * Faults Fastify raises before any route or error handler runs (Fastify `frameworkErrors` option):
 * a URL that does not decode (`/%`, broken UTF-8) is FST_ERR_BAD_URL, a failing async route
 * constraint FST_ERR_ASYNC_CONSTRAINT. Both leave in the wire format with 400.
 */
export function frameworkErrors(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const badUrl = error.code === 'FST_ERR_BAD_URL';
  void reply.code(400).send({
    status: 'error',
    error: {
      code: badUrl ? 'bad_url' : 'bad_request',
      message: badUrl
        ? `The URL does not decode: ${JSON.stringify(request.raw.url?.slice(0, 200) ?? '')}; percent-encode it as UTF-8 (RFC 3986)`
        : 'The request could not be routed',
    },
  });
}

/** Sends a 4xx error in the wire format. */
export async function sendError(
  reply: FastifyReply,
  status: number,
  code: string,
  message: string,
): Promise<void> {
  await reply.code(status).send({ status: 'error', error: { code, message } });
}
