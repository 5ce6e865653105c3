// The GraphQL-over-HTTP specification's audits (graphql-http) against a live kb server.
// Usage: node audit.mjs URL  (URL of the GraphQL endpoint, e.g. http://127.0.0.1:8000/graphql)
// Prints one JSON array: {id, name, status, reason} for every audit; status is "ok", "warn" or "error".
import { auditServer } from 'graphql-http';

const url = process.argv[2];
if (!url) {
  console.error('usage: node audit.mjs URL');
  process.exit(2);
}
const results = await auditServer({ url, fetchFn: fetch });
console.log(JSON.stringify(results.map((r) => ({
  id: r.id, name: r.name, status: r.status, reason: r.status === 'ok' ? '' : r.reason,
})), null, 1));
