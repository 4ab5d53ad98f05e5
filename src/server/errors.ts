/**
 * The one place an error becomes a response. Every error is a ServiceError from src/errors/catalogue.ts,
 * rendered as the COS XML body the SDKs parse (`util.error`: Code → err.code, Message → err.message).
 */
import { ERROR_CATALOGUE, ServiceError, isServiceError, type ErrorCode } from '../errors/catalogue.ts';
import { el, node, xmlDocument } from './xml.ts';

export interface RenderedError {
  status: number;
  code: ErrorCode;
  body: string;
}

/** Anything thrown → a catalogued error; unknowns become `fallback` (InternalError unless the route knows better). */
export function toServiceError(e: unknown, fallback: ErrorCode = 'InternalError'): ServiceError {
  if (isServiceError(e)) return e;
  return new ServiceError(fallback, undefined, { cause: e });
}

export function renderError(err: ServiceError, ctx: { resource: string; requestId: string }): RenderedError {
  const code = err.code;
  const body = xmlDocument(
    node('Error', [
      el('Code', code),
      el('Message', err.message || ERROR_CATALOGUE[code].message),
      el('Resource', ctx.resource),
      el('RequestId', ctx.requestId),
      // COS puts a trace id here for its support staff; ours is the request id, the one thing a log search needs.
      el('TraceId', ctx.requestId),
    ]),
  );
  return { status: ERROR_CATALOGUE[code].status, code, body };
}
