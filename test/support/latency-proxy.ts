// A TCP proxy that holds every chunk for `delayMs` in each direction, so that a cluster on
// this machine answers like one a few milliseconds away (pings of simulated clusters are
// otherwise below 1 ms, which /progress leaves out). Chunks keep their order.
import { createServer, connect, type Socket } from 'node:net';

export interface LatencyProxy {
  /** the connection string through the proxy: direct, so the driver does not discover its way around it */
  uri: string;
  close(): Promise<void>;
}

function relay(from: Socket, to: Socket, delayMs: number): void {
  from.on('data', (chunk: Buffer) => {
    setTimeout(() => {
      if (!to.destroyed) to.write(chunk);
    }, delayMs);
  });
  from.on('end', () => setTimeout(() => to.end(), delayMs));
  from.on('error', () => to.destroy());
  from.on('close', () => setTimeout(() => to.destroy(), delayMs));
}

/** Proxies the server of connection string `uri` (its first host). */
export async function startLatencyProxy(uri: string, delayMs: number): Promise<LatencyProxy> {
  const url = new URL(uri);
  const target = { host: url.hostname, port: Number(url.port || 27017) };
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(target.port, target.host);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    }
    relay(client, upstream, delayMs);
    relay(upstream, client, delayMs);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  url.host = `127.0.0.1:${(server.address() as { port: number }).port}`;
  url.searchParams.delete('replicaSet');
  url.searchParams.set('directConnection', 'true');
  return {
    uri: url.toString(),
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
