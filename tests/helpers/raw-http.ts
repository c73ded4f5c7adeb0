/**
 * HTTP/1.1 over a bare socket, for requests no well-behaved client sends: paths fetch() would
 * normalise (`..`, `%2e%2e`, `//x`), unknown methods, oversized headers, and bodies streamed in
 * chunks that keep coming until the server answers.
 */
import { connect, type Socket } from 'node:net';

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Parses the first response in `data` (enough for status, headers and a short body). */
export function parseResponse(data: Buffer): RawResponse | null {
  const text = data.toString('latin1');
  const end = text.indexOf('\r\n\r\n');
  if (end < 0) return null;
  const [statusLine, ...lines] = text.slice(0, end).split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine ?? '')?.[1] ?? NaN);
  const headers: Record<string, string> = {};
  for (const l of lines) {
    const i = l.indexOf(':');
    if (i > 0) headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
  }
  return { status, headers, body: Buffer.from(text.slice(end + 4), 'latin1').toString('utf8') };
}

/** Sends `head` (request line + headers, `Connection: close` added) and reads until the server closes. */
export function rawRequest(port: number, head: string, body = ''): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (d: Buffer) => chunks.push(d));
    socket.on('error', () => undefined); // a reset after the answer is fine; the answer is what counts
    socket.on('close', () => {
      const r = parseResponse(Buffer.concat(chunks));
      if (r) resolve(r);
      else reject(new Error(`no HTTP response to ${head.split('\r\n')[0]!.slice(0, 80)}`));
    });
    socket.setTimeout(10_000, () => socket.destroy());
    socket.write(`${head}\r\nConnection: close\r\n\r\n${body}`);
  });
}

export interface StreamedResult {
  response: RawResponse | null;
  /** Body bytes the server had been sent when its answer arrived (or when sending stopped). */
  sentWhenAnswered: number;
  /** Body bytes the client was prepared to send. */
  total: number;
}

/**
 * Sends `head` with `Transfer-Encoding: chunked`, then `total` body bytes in `chunk`-sized chunks
 * every `intervalMs`, stopping as soon as a response arrives (or the connection ends).
 */
export function streamChunked(port: number, head: string, opts: { total: number; chunk: number; intervalMs: number; fill?: string }): Promise<StreamedResult> {
  return new Promise((resolve) => {
    const socket: Socket = connect(port, '127.0.0.1');
    const received: Buffer[] = [];
    let sent = 0;
    let answeredAt: number | null = null;
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ response: parseResponse(Buffer.concat(received)), sentWhenAnswered: answeredAt ?? sent, total: opts.total });
    };
    const timer = setTimeout(finish, 60_000);
    socket.on('data', (d: Buffer) => {
      received.push(d);
      if (answeredAt === null && parseResponse(Buffer.concat(received))) {
        answeredAt = sent;
        // Read a little longer so the body of the answer is complete, then hang up.
        setTimeout(finish, 100);
      }
    });
    socket.on('error', finish);
    socket.on('close', finish);
    const piece = Buffer.alloc(opts.chunk, opts.fill ?? 'a');
    const frame = Buffer.concat([Buffer.from(`${opts.chunk.toString(16)}\r\n`), piece, Buffer.from('\r\n')]);
    const pump = () => {
      if (finished || answeredAt !== null) return;
      if (sent >= opts.total) {
        socket.write('0\r\n\r\n');
        return;
      }
      sent += opts.chunk;
      socket.write(frame, () => setTimeout(pump, opts.intervalMs));
    };
    socket.write(`${head}\r\nTransfer-Encoding: chunked\r\n\r\n`, () => pump());
  });
}
