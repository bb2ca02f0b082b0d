// Apollo Client 4's persisted queries against a Quartier server: each operation is sent as its
// hash first (GET), and as text only when the server answers PersistedQueryNotFound.
//
//   node persisted.mjs <url> <token> <json: [{name, document, variables}]>
// prints JSON: per operation, its data or error and the requests it took ({method, text}).
// Apollo adds `__typename` to every selection: the text it hashes is its own, which is why a
// client build imports the manifest of what it sends (`quartier documents import`).

import { createHash } from 'node:crypto';
import { ApolloClient, ApolloLink, HttpLink, InMemoryCache, gql } from '@apollo/client';
import { PersistedQueryLink } from '@apollo/client/link/persisted-queries';

const [url, token, operations] = process.argv.slice(2);
const requests = [];

// Each request: its method, and the text it sent (null: the hash alone).
async function recordingFetch(input, init) {
  const method = init?.method ?? 'GET';
  const text = method === 'GET' ? new URL(input).searchParams.get('query') : JSON.parse(init.body).query;
  requests.push({ method, text: text ?? null });
  return fetch(input, init);
}

const client = new ApolloClient({
  cache: new InMemoryCache(),
  link: ApolloLink.from([
    new PersistedQueryLink({
      sha256: (text) => createHash('sha256').update(text).digest('hex'),
      useGETForHashedQueries: true,
    }),
    new HttpLink({ uri: `${url}/graphql`, fetch: recordingFetch, headers: { authorization: `Bearer ${token}` } }),
  ]),
});

const results = [];
for (const { name, document, variables } of JSON.parse(operations)) {
  requests.length = 0;
  let data = null;
  let error = null;
  try {
    ({ data } = await client.query({ query: gql(document), variables, fetchPolicy: 'network-only' }));
  } catch (caught) {
    error = String(caught.message);
  }
  results.push({ name, data: data ?? null, error, requests: [...requests] });
}
console.log(JSON.stringify(results));
