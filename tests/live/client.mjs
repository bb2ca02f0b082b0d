// The graphql-ws client, as a web client would use it, driven by tests/test_live_node.py.
//
//   node client.mjs ws://127.0.0.1:PORT/graphql TOKEN
//
// Reads one JSON command per line on stdin, writes one JSON line per event on stdout:
//   {"op": "subscribe", "id": "a", "query": "...", "operationName": "...", "variables": {...}}
//     -> {"id": "a", "next": {...}} ... {"id": "a", "complete": true} or {"id": "a", "error": ...}
//   {"op": "token", "token": "..."}   the token the next connection_init carries
//   {"op": "dispose"}                  closes the client and exits
// and the connection's life: {"connected": {"retry": bool}}, {"closed": {"code", "reason"}}.
// Like a web client it retries what graphql-ws does not deem fatal (1006, 1012, 1013, 4403,
// a refused socket...), here every 100 ms, and re-subscribes its subscriptions on each new
// connection.

import { createInterface } from 'node:readline';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

const [url, initialToken] = process.argv.slice(2);
let token = initialToken;
const emit = (message) => process.stdout.write(`${JSON.stringify(message)}\n`);

const client = createClient({
  url,
  webSocketImpl: WebSocket,
  lazy: false,
  // Read at every connection: after signing in again, the new token goes with the retry.
  connectionParams: () => (token ? { Authorization: `Bearer ${token}` } : {}),
  retryAttempts: Number(process.env.LIVE_RETRY_ATTEMPTS || 1000),
  retryWait: () => new Promise((resolve) => setTimeout(resolve, 100)),
  // Also retry when the socket errs (the port is closed while the server restarts), not
  // only on a close code graphql-ws deems temporary: what Quartier's README advises.
  shouldRetry: () => true,
  on: {
    connected: (_socket, _payload, wasRetry) => emit({ connected: { retry: Boolean(wasRetry) } }),
    closed: (event) => emit({ closed: { code: event?.code ?? null, reason: event?.reason ?? '' } }),
  },
});

function describe(error) {
  if (Array.isArray(error)) return error.map((e) => ({ message: e.message, extensions: e.extensions }));
  if (error && typeof error === 'object' && 'code' in error) return { code: error.code, reason: error.reason };
  return { message: String(error?.message ?? error) };
}

const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  const command = JSON.parse(line);
  if (command.op === 'subscribe') {
    const { id, query, operationName, variables } = command;
    client.subscribe(
      { query, operationName, variables },
      {
        next: (value) => emit({ id, next: value }),
        error: (error) => emit({ id, error: describe(error) }),
        complete: () => emit({ id, complete: true }),
      },
    );
  } else if (command.op === 'token') {
    token = command.token;
  } else if (command.op === 'dispose') {
    Promise.resolve(client.dispose()).finally(() => process.exit(0));
  }
});
lines.on('close', () => Promise.resolve(client.dispose()).finally(() => process.exit(0)));
