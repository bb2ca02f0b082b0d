// Runs graphql-http's GraphQL-over-HTTP server audits against one URL and prints the results
// as JSON: [{id, name, status, reason}]. tests/test_http_audit.py runs it against a real server.
//
//   node audit.mjs http://127.0.0.1:8000/graphql

import { serverAudits } from 'graphql-http';

const url = process.argv[2];
if (!url) {
  console.error('usage: node audit.mjs URL');
  process.exit(2);
}

const results = [];
for (const audit of serverAudits({ url })) {
  const result = await audit.fn();
  results.push({
    id: result.id,
    name: result.name,
    status: result.status,
    reason: result.status === 'ok' ? null : result.reason,
  });
}
console.log(JSON.stringify(results, null, 1));
