// Runs GraphQL operations through real third-party clients, as a web client would: Apollo
// Client 4 with its normalised InMemoryCache, and urql with Graphcache. tests/test_clients.py
// drives it over stdin/stdout, one JSON object per line:
//
//   node --conditions=development harness.mjs URL CONFIG    CONFIG: documented | none
//
//   in:  {"client": "apollo"|"urql", "token": "qrt_..."|null, "query": "...",
//         "operationName": "...", "variables": {...}}
//   out: {"data": ..., "errors": [...], "raw": <the server's JSON answer to that request>}
//   in:  {"finish": true}
//   out: {"warnings": {"apollo": [...], "urql": [...]}}
//
// Each token gets its own client of each kind (one signed-in browser tab), kept across
// requests so its cache sees every answer that session got. Queries are network-only: the
// answer is written to the cache and read back from it, so `data` differs from `raw` when
// the cache merged two objects that are not the same. `documented` configures both caches
// as the README says (cache-config.mjs); `none` leaves their defaults, as a newcomer would.
//
// `--conditions=development` loads Apollo's development build, which is the one that warns.

import { createInterface } from 'node:readline';
import { ApolloClient, HttpLink, InMemoryCache } from '@apollo/client';
import { loadDevMessages, loadErrorMessages } from '@apollo/client/dev';
import { Client, fetchExchange } from '@urql/core';
import { cacheExchange } from '@urql/exchange-graphcache';
import { getIntrospectionQuery, Kind, parse } from 'graphql';
import { apolloCacheOptions, graphcacheOptions } from './cache-config.mjs';

loadDevMessages();
loadErrorMessages();

const [url, config = 'documented'] = process.argv.slice(2);
if (!url || !['documented', 'none'].includes(config)) {
  process.stderr.write('usage: harness.mjs URL documented|none\n');
  process.exit(2);
}

const warnings = { apollo: [], urql: [] };
let current = 'apollo';
let lastRaw = null;

// Whatever a client prints while it runs a request is that client's.
for (const level of ['warn', 'error', 'log', 'info', 'debug']) {
  console[level] = (...args) => warnings[current].push(`${level}: ${args.map(String).join(' ')}`);
}

async function recordingFetch(input, init) {
  const response = await fetch(input, init);
  lastRaw = await response.clone().json();
  return response;
}

async function introspection() {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: getIntrospectionQuery() }),
  });
  return (await response.json()).data;
}

const schema = config === 'documented' ? await introspection() : null;
const sessions = new Map();

function headers(token) {
  return token ? { authorization: `Bearer ${token}` } : {};
}

function session(token) {
  const key = token ?? '';
  if (!sessions.has(key)) {
    const apollo = new ApolloClient({
      link: new HttpLink({ uri: url, fetch: recordingFetch, headers: headers(token) }),
      cache: new InMemoryCache(schema ? apolloCacheOptions(schema) : {}),
    });
    const cache = schema
      ? cacheExchange(graphcacheOptions(schema, (level, message) => warnings.urql.push(`${level}: ${message}`)))
      : cacheExchange({ logger: (level, message) => warnings.urql.push(`${level}: ${message}`) });
    const urql = new Client({
      url,
      fetch: recordingFetch,
      fetchOptions: { headers: headers(token) },
      exchanges: [cache, fetchExchange],
    });
    sessions.set(key, { apollo, urql });
  }
  return sessions.get(key);
}

// A client sends one operation per request: the named one, and the fragments.
function single(query, operationName) {
  const document = parse(query);
  const definitions = document.definitions.filter(
    (d) => d.kind === Kind.FRAGMENT_DEFINITION || d.name?.value === operationName,
  );
  return { document: { ...document, definitions }, operation: definitions.find((d) => d.kind === Kind.OPERATION_DEFINITION).operation };
}

function plainErrors(errors) {
  return (errors || []).map((e) => ({ message: e.message, path: e.path ?? null, code: e.extensions?.code ?? null }));
}

async function viaApollo(client, document, operation, variables) {
  const result =
    operation === 'mutation'
      ? await client.mutate({ mutation: document, variables, errorPolicy: 'all' })
      : await client.query({ query: document, variables, fetchPolicy: 'network-only', errorPolicy: 'all' });
  return { data: result.data ?? null, errors: plainErrors(result.error?.errors) };
}

async function viaUrql(client, document, operation, variables) {
  const run = operation === 'mutation' ? client.mutation(document, variables) : client.query(document, variables, { requestPolicy: 'network-only' });
  const result = await run.toPromise();
  if (result.error?.networkError) throw result.error.networkError;
  return { data: result.data ?? null, errors: plainErrors(result.error?.graphQLErrors) };
}

async function handle(request) {
  if (request.finish) return { warnings };
  current = request.client;
  lastRaw = null;
  const { document, operation } = single(request.query, request.operationName);
  const clients = session(request.token);
  const run = request.client === 'apollo' ? viaApollo : viaUrql;
  const answer = await run(clients[request.client], document, operation, request.variables || {});
  return { ...answer, raw: lastRaw };
}

const lines = createInterface({ input: process.stdin });
for await (const line of lines) {
  if (!line.trim()) continue;
  let reply;
  try {
    reply = await handle(JSON.parse(line));
  } catch (error) {
    reply = { failure: String(error?.stack || error) };
  }
  // Clients keep timers alive: once the warnings are out, the process ends.
  process.stdout.write(`${JSON.stringify(reply)}\n`, () => reply.warnings && process.exit(0));
}
