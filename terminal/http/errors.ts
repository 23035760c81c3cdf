import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
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

/** Every error leaves as `{ status: 'error', error: { code, message } }`; 5xx never leak internals. */
export async function errorHandler(
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
    await reply
      .code(400)
      .send({ status: 'error', error: { code: 'bad_json', message: 'The request body is not valid JSON' } });
    return;
  }
  const status = error.statusCode ?? 500;
  if (status < 500) {
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
