/**
 * The one way the product reads a request body — API routes (Hono), the on-demand pages and
 * admin forms (Astro) alike. Bytes are counted as they arrive and reading stops at the route's
 * limit whatever the headers say: a chunked body has no Content-Length and a Content-Length may
 * lie, so a declared size is only used to refuse early, never to allow.
 *
 * Over the limit the source stream is released, not cancelled: cancelling Node's request stream
 * destroys the socket, and the client would never see the 413. api/server.ts closes the
 * connection shortly after the answer when the body was left unread.
 */
import type { Context, Env, MiddlewareHandler } from 'hono';

/** The body passed the route's limit (or declared that it would). */
export class BodyTooLarge extends Error {
  constructor(readonly limit: number) {
    super(`request body over ${limit} bytes`);
    this.name = 'BodyTooLarge';
  }
}

/** The body could not be read or parsed: the client went away mid-body, broken framing or form. */
export class BodyUnreadable extends Error {
  constructor(cause?: unknown) {
    super('request body could not be read', { cause });
    this.name = 'BodyUnreadable';
  }
}

/** Whether the headers already announce more than `limit` bytes (answer 413 without reading). */
export function declaredOver(headers: Headers, limit: number): boolean {
  const declared = Number(headers.get('content-length') ?? NaN);
  return Number.isFinite(declared) && declared > limit;
}

/** Reads the whole body, or throws BodyTooLarge as soon as it passes `limit`, or BodyUnreadable. */
export async function readBytes(request: Request, limit: number): Promise<Uint8Array<ArrayBuffer>> {
  if (declaredOver(request.headers, limit)) throw new BodyTooLarge(limit);
  if (!request.body) return new Uint8Array(0);
  let reader: ReadableStreamDefaultReader<Uint8Array>;
  try {
    reader = request.body.getReader();
  } catch (err) {
    throw new BodyUnreadable(err); // already read by someone else
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    let step: ReadableStreamReadResult<Uint8Array>;
    try {
      step = await reader.read();
    } catch (err) {
      if (err instanceof BodyTooLarge) throw err; // an outer limit (limitedRequest) said so first
      throw new BodyUnreadable(err);
    }
    if (step.done) break;
    size += step.value.byteLength;
    if (size > limit) {
      reader.releaseLock();
      throw new BodyTooLarge(limit);
    }
    chunks.push(step.value);
  }
  const out = new Uint8Array(size);
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.byteLength;
  }
  return out;
}

/** The body as UTF-8 text, under `limit` bytes. */
export async function readText(request: Request, limit: number): Promise<string> {
  return new TextDecoder().decode(await readBytes(request, limit));
}

/**
 * A form post (urlencoded or multipart) under `limit` bytes. Throws BodyTooLarge, or
 * BodyUnreadable for a body that is not a form of its declared type.
 */
export async function readFormData(request: Request, limit: number): Promise<FormData> {
  const bytes = await readBytes(request, limit);
  try {
    return await new Response(bytes, { headers: { 'content-type': request.headers.get('content-type') ?? '' } }).formData();
  } catch (err) {
    throw new BodyUnreadable(err);
  }
}

/**
 * The same request with a body that errors with BodyTooLarge once more than `limit` bytes have
 * come through. Nothing is read until someone reads it, so checks made before the first read
 * (session, CSRF header, rate limits) cost no body bytes.
 */
export function limitedRequest(request: Request, limit: number): Request {
  if (!request.body) return request;
  const source = request.body.getReader();
  let seen = 0;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      let step: ReadableStreamReadResult<Uint8Array>;
      try {
        step = await source.read();
      } catch (err) {
        controller.error(err);
        return;
      }
      if (step.done) return controller.close();
      seen += step.value.byteLength;
      if (seen > limit) {
        source.releaseLock();
        controller.error(new BodyTooLarge(limit));
        return;
      }
      controller.enqueue(step.value);
    },
    cancel() {
      source.releaseLock();
    },
  });
  return new Request(request, { body, duplex: 'half' } as RequestInit);
}

/**
 * Hono middleware: refuse a body announced over the limit at once, otherwise let every later
 * reader (c.req.json(), parseBody(), readBytes(c.req.raw, …)) see it through limitedRequest, and
 * turn the BodyTooLarge a reader then throws into the route's own 413 answer.
 */
export function bodyLimit<E extends Env>(
  /** The route's limit in bytes; null leaves the request to a limit set further in (a sub-app). */
  limitFor: (c: Context<E>) => number | null,
  tooLarge: (c: Context<E>) => Response | Promise<Response>,
): MiddlewareHandler<E> {
  return async function bodyLimit(c, next) {
    const limit = c.req.raw.body ? limitFor(c) : null;
    if (limit === null) return next();
    if (declaredOver(c.req.raw.headers, limit)) return tooLarge(c);
    c.req.raw = limitedRequest(c.req.raw, limit);
    await next();
    if (c.error instanceof BodyTooLarge) c.res = await tooLarge(c);
  };
}
