// Quartier's gateway: Hive Gateway's runtime (MIT) serving gateway/supergraph.graphql.
//
//   node serve.mjs      listens on 127.0.0.1:4000, GraphQL at /graphql
//
// Settings (environment):
//   QUARTIER_GATEWAY_HOST, QUARTIER_GATEWAY_PORT   where to listen (127.0.0.1, 4000)
//   QUARTIER_SUPERGRAPH                            the supergraph file (supergraph.graphql)
//   QUARTIER_COMMUNITY_URL, QUARTIER_CITY_URL      the subgraphs' /graphql, when not the
//                                                  URLs composed into the supergraph
//   QUARTIER_ENV=production                        turns introspection off
//   QUARTIER_GATEWAY_SECRET                        sent to the subgraphs, which let only the
//                                                  gateway call `_entities` and `_service`
//                                                  in production (required there)
//   QUARTIER_GATEWAY_DEDUPLICATE=0                 one subgraph request per client request
//   QUARTIER_TRUSTED_DOCUMENTS=off|allow|require   trusted documents at the edge (allow)
//
// The Authorization header goes to every subgraph, which authenticates the token itself;
// X-Forwarded-For carries the client's address on.
// Subscriptions: clients speak graphql-transport-ws (the graphql-ws package) at /graphql with
// their token in connection_init's payload ({"Authorization": "Bearer <token>"}); each is
// forwarded over a websocket to the subgraph that owns its field (posts, comments, messages:
// community; notifications: city) with that payload, and the other subgraph's fields of each
// event are fetched with the same token. When a subgraph closes its upstream connection with
// 4403 (the token was revoked or expired, the account suspended or erased), every client
// connection that signed in with that token is closed with 4403 at once, rather than when
// graphql-ws would have given up reconnecting upstream (five retries, about 30 s).
// Trusted documents: a request may name a document by `documentId` (sha256:<hex>) or Apollo's
// `extensions.persistedQuery.sha256Hash`; the gateway reads its text from the community
// subgraph (GET /trusted-documents/<id>, with the secret) and keeps it. With `require`, only
// staff and city accounts (asked of the community subgraph: `viewer { roles }`) may send
// text; residents and anonymous callers send ids. The subgraphs leave the requests that carry
// the secret to the gateway: it is the edge that sees the client's document.
// Nothing is reported anywhere: no usage reporting, no telemetry is configured.

import { createServer } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

process.env.APOLLO_TELEMETRY_DISABLED = '1';
const { createGatewayRuntime, getGraphQLWSOptions } = await import('@graphql-hive/gateway-runtime');
const { WebSocketServer } = await import('ws');
const { useServer } = await import('graphql-ws/use/ws');
const { default: wsTransport } = await import('@graphql-mesh/transport-ws');
const httpTransport = await import('@graphql-mesh/transport-http');

const here = dirname(fileURLToPath(import.meta.url));
const host = process.env.QUARTIER_GATEWAY_HOST || '127.0.0.1';
const port = Number(process.env.QUARTIER_GATEWAY_PORT || 4000);
const production = process.env.QUARTIER_ENV === 'production';
const secret = process.env.QUARTIER_GATEWAY_SECRET || '';
if (production && !secret) {
  console.error('QUARTIER_GATEWAY_SECRET must be set in production: the subgraphs refuse `_entities` without it');
  process.exit(1);
}

const transportEntries = {};
for (const [subgraph, variable] of [['community', 'QUARTIER_COMMUNITY_URL'], ['city', 'QUARTIER_CITY_URL']]) {
  const options = {
    // A subscription goes to its subgraph over graphql-transport-ws, with the client's token
    // in connection_init as the client sent it (one connection per token and subgraph).
    subscriptions: {
      kind: 'ws',
      location: '/graphql',
      // With the secret, which the subgraphs' websockets read as they read the header.
      options: {
        connectionParams: {
          Authorization: '{context.connectionParams.Authorization}',
          ...(secret ? { 'x-quartier-gateway-secret': secret } : {}),
        },
      },
    },
  };
  // Identical queries in flight with the same headers (so the same caller) share one subgraph
  // request by default; the benchmark turns that off to measure one request per request.
  if (process.env.QUARTIER_GATEWAY_DEDUPLICATE === '0') options.deduplicateInflightRequests = false;
  transportEntries[subgraph] = { options, ...(process.env[variable] ? { location: process.env[variable] } : {}) };
}

// The client websockets open at the gateway, by the Authorization they signed in with.
const socketsByToken = new Map();

function refuseEverywhere(authorization) {
  for (const socket of socketsByToken.get(authorization) ?? []) socket.close(4403, 'Forbidden');
}

function bearerOf(params) {
  const authorization = params?.Authorization ?? params?.authorization;
  return typeof authorization === 'string' ? authorization : null;
}

// Hive Gateway's websocket transport, watching each upstream connection: the transport makes
// one graphql-ws client per token and subgraph, synchronously inside the executor call, so the
// token of the call that creates a client is the one it connects with.
const revocationAwareWs = {
  getSubgraphExecutor(options, onClient) {
    let creating = null;
    const executor = wsTransport.getSubgraphExecutor(options, (client) => {
      const authorization = creating;
      client.on('closed', (event) => {
        if (event?.code === 4403 && authorization) refuseEverywhere(authorization);
      });
      onClient?.(client);
    });
    function watched(request) {
      creating = bearerOf(request.context?.connectionParams);
      try {
        return executor(request);
      } finally {
        creating = null;
      }
    }
    for (const key of Object.getOwnPropertySymbols(executor)) watched[key] = executor[key];
    return watched;
  },
};

// The community subgraph, which answers `viewer` for a token.
const communityUrl = process.env.QUARTIER_COMMUNITY_URL || 'http://127.0.0.1:4001/graphql';

const secretHeader = secret ? { 'x-quartier-gateway-secret': secret } : {};
const trustedMode = process.env.QUARTIER_TRUSTED_DOCUMENTS || 'allow';
if (!['off', 'allow', 'require'].includes(trustedMode)) {
  console.error(`QUARTIER_TRUSTED_DOCUMENTS must be off, allow or require, got ${trustedMode}`);
  process.exit(1);
}
const SHA256 = /^[0-9a-f]{64}$/;
// Texts of the trusted documents met so far, by id (bounded: ids are the clients' to choose).
const trustedTexts = new Map();

function documentIdOf(params) {
  if (typeof params.documentId === 'string') return params.documentId;
  const hash = params.extensions?.persistedQuery?.sha256Hash;
  return typeof hash === 'string' ? `sha256:${hash.toLowerCase()}` : null;
}

async function trustedText(id) {
  if (!id.startsWith('sha256:') || !SHA256.test(id.slice(7))) return null;
  if (trustedTexts.has(id)) return trustedTexts.get(id);
  const response = await fetch(new URL(`/trusted-documents/${id}`, communityUrl), { headers: secretHeader });
  if (response.status === 404) return null;
  if (!response.ok) throw new Error(`trusted document ${id}: HTTP ${response.status}`);
  const text = await response.text();
  if (trustedTexts.size >= 4096) trustedTexts.clear();
  trustedTexts.set(id, text);
  return text;
}

// Whether the caller may send a document's text: staff and city accounts, under `require`.
async function freeTextAllowed(request) {
  if (trustedMode !== 'require') return true;
  const authorization = request.headers.get('authorization');
  if (!authorization) return false;
  try {
    const response = await fetch(communityUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization, ...secretHeader },
      body: JSON.stringify({ query: '{ viewer { roles } }' }),
    });
    const roles = response.ok ? (await response.json())?.data?.viewer?.roles : null;
    return Array.isArray(roles) && roles.some((role) => role !== 'RESIDENT');
  } catch {
    return false;
  }
}

const persistedDocuments = trustedMode === 'off' ? {} : {
  persistedDocuments: {
    extractPersistedOperationId: documentIdOf,
    getPersistedOperation: trustedText,
    allowArbitraryDocuments: freeTextAllowed,
    customErrors: {
      notFound: { message: 'PersistedQueryNotFound', extensions: { code: 'PERSISTED_QUERY_NOT_FOUND' } },
      persistedQueryOnly: {
        message: "This server runs only its clients' trusted documents: send the `documentId` of a known document.",
        extensions: { code: 'TRUSTED_DOCUMENT_REQUIRED' },
      },
      keyNotFound: {
        message: 'Send a document: its text (`query`) or its `documentId`.',
        extensions: { code: 'BAD_REQUEST' },
      },
    },
  },
};

// A websocket client's token is in its connection_init, not in a header: over HTTP to the
// subgraphs (an event's fields from the other subgraph) it travels as the header.
function authorization({ request, context }) {
  const params = context?.connectionParams || {};
  return request.headers.get('authorization') ?? params.Authorization ?? params.authorization ?? null;
}

const gateway = createGatewayRuntime({
  supergraph: process.env.QUARTIER_SUPERGRAPH || join(here, 'supergraph.graphql'),
  transportEntries,
  transports: { http: httpTransport, ws: revocationAwareWs },
  propagateHeaders: {
    // The client's address goes on as a proxy passes it: X-Forwarded-For with the peer
    // appended (the subgraphs' QUARTIER_TRUSTED_PROXIES lists the gateway), so that the
    // subgraphs' rate limits count clients, not the gateway.
    fromClientToSubgraphs: ({ request, context }) => {
      const peer = context?.req?.socket?.remoteAddress;
      const forwarded = [request.headers.get('x-forwarded-for'), peer].filter(Boolean).join(', ');
      return {
        authorization: authorization({ request, context }),
        ...(forwarded ? { 'x-forwarded-for': forwarded } : {}),
        ...(secret ? { 'x-quartier-gateway-secret': secret } : {}),
      };
    },
  },
  // Errors reach clients as the subgraph wrote them, without the subgraph's name.
  subgraphErrors: false,
  graphqlEndpoint: '/graphql',
  landingPage: false,
  graphiql: false,
  ...(production ? { disableIntrospection: true } : {}),
  logging: process.env.QUARTIER_GATEWAY_LOG || 'warn',
  ...persistedDocuments,
});

// connection_init without a token the community subgraph accepts is refused (4403), as each
// subgraph refuses it: a client learns at once, not when its first subscription fails.
async function signedIn(params) {
  const authorization = bearerOf(params);
  if (authorization === null) return false;
  try {
    const response = await fetch(communityUrl, {
      method: 'POST',
      // With the secret: the gateway's own document, not a client's (trusted documents).
      headers: { 'content-type': 'application/json', authorization, ...secretHeader },
      body: JSON.stringify({ query: '{ viewer { id } }' }),
    });
    const result = response.ok ? await response.json() : null;
    return Boolean(result?.data?.viewer?.id);
  } catch {
    return false;
  }
}

const server = createServer(gateway);
const sockets = new WebSocketServer({ server, path: '/graphql', maxPayload: 64 * 1024 });
useServer(
  {
    ...getGraphQLWSOptions(gateway, (ctx) => ({
      req: ctx.extra.request,
      socket: ctx.extra.socket,
      request: new gateway.fetchAPI.Request(`http://${host}:${port}${ctx.extra.request.url}`, {
        // The token is connection_init's, whatever the upgrade request's headers say: the
        // trusted documents' rule asks who it is (freeTextAllowed).
        headers: [
          ...Object.entries(ctx.extra.request.headers).filter(
            ([k, v]) => typeof v === 'string' && k !== 'authorization',
          ),
          ...(typeof ctx.connectionParams?.Authorization === 'string'
            ? [['authorization', ctx.connectionParams.Authorization]]
            : []),
        ],
      }),
    })),
    onConnect: async (ctx) => {
      if (!(await signedIn(ctx.connectionParams))) return false;
      const authorization = bearerOf(ctx.connectionParams);
      const socket = ctx.extra.socket;
      if (!socketsByToken.has(authorization)) socketsByToken.set(authorization, new Set());
      socketsByToken.get(authorization).add(socket);
      socket.once('close', () => {
        const open = socketsByToken.get(authorization);
        open?.delete(socket);
        if (open?.size === 0) socketsByToken.delete(authorization);
      });
      return true;
    },
  },
  sockets,
);
server.listen(port, host, () => {
  console.log(`Quartier gateway: http://${host}:${port}/graphql`);
});

function stop() {
  for (const client of sockets.clients) client.close(1001, 'Going away');
  sockets.close();
  server.close();
  Promise.resolve(gateway.dispose()).finally(() => process.exit(0));
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
