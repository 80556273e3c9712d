/**
 * A /metrics endpoint for a CLI command (`unixproc metrics --listen`, `unixproc supervise
 * --metrics-listen`): GET or HEAD /metrics answers the exposition the scraper asked for
 * (lib/metrics/exposition.ts: text 0.0.4, or OpenMetrics by the Accept header), anything
 * else 404 or 405. node:http is loaded only when a server is started.
 * @internal
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { CONTENT_TYPES, formatExposition, negotiateFormat } from '../metrics/exposition';
import type { MetricFamily } from '../metrics/types';
import { UsageError } from './command';
import { escapeText } from './text';

/** An address to listen on, as given (`text`) and parsed. @internal */
export interface ListenAddress {
  readonly host: string | undefined;
  readonly port: number;
  readonly text: string;
}

/**
 * `ADDR:PORT`, `[V6]:PORT` or `:PORT` (every address), for the flag `flag` (its usage error
 * gives examples with `examplePort`).
 * @throws UsageError naming the flag and the accepted forms.
 * @internal
 */
export function parseListenAddress(text: string, flag: string, examplePort = 9257): ListenAddress {
  const m = /^(?:\[([0-9A-Fa-f:.%\w]+)\]|([^:[\]\s]*)):(\d{1,5})$/.exec(text);
  if (m === null) {
    const e = examplePort;
    throw new UsageError(`${flag}: '${text}' is not ADDR:PORT (e.g. 127.0.0.1:${e}, [::1]:${e}, :${e})`);
  }
  const port = Number(m[3]);
  if (port > 65535) throw new UsageError(`${flag}: port ${m[3]} is out of range (0 to 65535)`);
  const host = m[1] ?? m[2];
  return { host: host === '' ? undefined : host, port, text };
}

/** A started endpoint. @internal */
export interface MetricsServer {
  /** Where it listens, as `ADDR:PORT` (`[V6]:PORT`), with the port the kernel chose for 0. */
  readonly address: string;
  /** Stops listening and drops open connections; resolves once closed. */
  close(): Promise<void>;
}

/**
 * Listens on `listen` and answers each scrape with `collect()`'s families.
 * @param log - where a failed scrape is reported (one line).
 * @returns the server once it listens.
 * @throws (rejects with) an Error of one line (`address already in use (EADDRINUSE)`,
 *   `permission denied (EACCES)`...) when it cannot listen.
 * @internal
 */
export function startMetricsServer(
  listen: ListenAddress,
  collect: () => readonly MetricFamily[],
  log: (line: string) => void,
): Promise<MetricsServer> {
  const http = require('node:http') as typeof import('node:http');
  const server: Server = http.createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = (req.url ?? '/').split('?')[0];
    if (url !== '/metrics') {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('Not found: the metrics are at /metrics\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain; charset=utf-8' }).end('Method not allowed\n');
      return;
    }
    const format = negotiateFormat(req.headers.accept);
    let body: string;
    try {
      body = formatExposition(collect(), format);
    } catch (e) {
      const message = escapeText(e instanceof Error ? e.message : String(e));
      log(`scrape failed: ${message}`);
      res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' }).end(`scrape failed: ${message}\n`);
      return;
    }
    res.writeHead(200, { 'Content-Type': CONTENT_TYPES[format], 'Content-Length': Buffer.byteLength(body) });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  return new Promise((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => {
      const why = e.code === 'EADDRINUSE' ? 'address already in use' : e.code === 'EACCES' ? 'permission denied' : e.message;
      reject(new Error(`${escapeText(why)}${e.code !== undefined && !why.includes(e.code) ? ` (${e.code})` : ''}`));
    });
    server.listen({ host: listen.host, port: listen.port }, () => {
      const a = server.address();
      const address =
        typeof a === 'object' && a !== null ? (a.family === 'IPv6' ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`) : listen.text;
      resolve({
        address,
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}
