// The GraphQL-over-HTTP specification's audits (graphql-http) against a live kb server.
// Usage: node audit.mjs URL  (URL of the GraphQL endpoint, e.g. http://127.0.0.1:8000/graphql)
// Prints one JSON object: results, {id, name, status, reason} for every audit (status "ok", "warn" or "error"),
// and failures, every answer of the server with a status of 5xx or 429 (which no audit expects).
import { auditServer } from 'graphql-http';

const url = process.argv[2];
if (!url) {
  console.error('usage: node audit.mjs URL');
  process.exit(2);
}
const failures = [];
async function watched(input, init) {
  const response = await fetch(input, init);
  if (response.status >= 500 || response.status === 429) {
    failures.push({ status: response.status, body: (await response.clone().text()).slice(0, 300) });
  }
  return response;
}
const results = (await auditServer({ url, fetchFn: watched })).map((r) => ({
  id: r.id, name: r.name, status: r.status, reason: r.status === 'ok' ? '' : r.reason,
}));
console.log(JSON.stringify({ results, failures }, null, 1));
