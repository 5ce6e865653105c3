// Every GraphQL query of docs/api.md through Apollo Client, against a live kb server: Automatic Persisted
// Queries (hash-only GETs), the normalized InMemoryCache built by the kbCache function of docs/api.md, then every
// query read back from the cache and compared with what the server answered; and a list paged with first/after.
// Usage: node cache.mjs URL DOCS SDL (the GraphQL endpoint, docs/api.md, schema/schema.graphql).
// Prints one JSON object; tests/test_graphql_clients.py judges it.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';

import { ApolloClient, HttpLink, InMemoryCache, gql } from '@apollo/client';
import { PersistedQueryLink } from '@apollo/client/link/persisted-queries';
import { relayStylePagination } from '@apollo/client/utilities';
import { buildSchema, introspectionFromSchema } from 'graphql';

const [url, docsPath, sdlPath] = process.argv.slice(2);
const docs = readFileSync(docsPath, 'utf8');
const examples = [...docs.matchAll(/```graphql\n([\s\S]*?)```/g)].map((m) => m[1]);
const snippet = [...docs.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]).find((s) => s.includes('function kbCache'));
// The snippet as the docs print it, its imports given here.
const kbCache = new Function('InMemoryCache', 'relayStylePagination',
  `${snippet.replace(/^import .*$/gm, '')}\nreturn kbCache;`)(InMemoryCache, relayStylePagination);
const schema = introspectionFromSchema(buildSchema(readFileSync(sdlPath, 'utf8'))).__schema;

const warnings = [];
for (const level of ['warn', 'error']) {
  console[level] = (...args) => warnings.push(args.map(String).join(' '));  // Apollo's "data may be lost"
}

const answers = new Map();  // operation name -> the data the server sent
const requests = { hashOnlyGet: 0, notFound: 0, withQuery: 0 };
async function recordingFetch(input, init) {
  const response = await fetch(input, init);
  const body = await response.clone().json();
  const method = (init && init.method) || 'GET';
  const sent = method === 'GET' ? Object.fromEntries(new URL(String(input)).searchParams) : JSON.parse(init.body);
  if (method === 'GET' && !sent.query) requests.hashOnlyGet += 1;
  if (sent.query) requests.withQuery += 1;
  if ((body.errors || []).some((e) => e.extensions && e.extensions.code === 'PERSISTED_QUERY_NOT_FOUND')) {
    requests.notFound += 1;
  } else {
    answers.set(sent.operationName, body.data);
  }
  return response;
}

function client() {
  const sha256 = (text) => createHash('sha256').update(text).digest('hex');
  const link = new PersistedQueryLink({ sha256, useGETForHashedQueries: true })
    .concat(new HttpLink({ uri: url, fetch: recordingFetch }));
  return new ApolloClient({ link, cache: kbCache(schema) });
}

// The first difference between two JSON values, as a path, or null.
function difference(a, b, path = '') {
  if (isDeepStrictEqual(a, b)) return null;
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
      const found = difference(a[key], b[key], `${path}.${key}`);
      if (found) return found;
    }
  }
  return `${path}: cache ${JSON.stringify(a)?.slice(0, 200)} server ${JSON.stringify(b)?.slice(0, 200)}`;
}

const variablesOf = (text) => {
  const given = /^# variables: (.*)$/m.exec(text);
  return given ? JSON.parse(given[1]) : {};
};
const nameOf = (text) => /query (\w+)/.exec(text)[1];

const apollo = client();
for (const text of examples) {
  await apollo.query({ query: gql(text), variables: variablesOf(text), fetchPolicy: 'network-only' });
}
const queries = examples.map((text) => {
  const cached = apollo.readQuery({ query: gql(text), variables: variablesOf(text) });
  const server = answers.get(nameOf(text));
  return { name: nameOf(text), complete: cached !== null, difference: difference(cached, server) };
});
const firstPass = { ...requests };

// A second client sends the same queries: the server knows every hash, so none is sent again.
Object.assign(requests, { hashOnlyGet: 0, notFound: 0, withQuery: 0 });
const again = client();
for (const text of examples) {
  await again.query({ query: gql(text), variables: variablesOf(text), fetchPolicy: 'network-only' });
}
const secondPass = { ...requests };

// Paging: every page written into one list; reading the list back gives every item, in order.
const pages = gql`query MeetingsPaged($after: String) {
  meetings(first: 3, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor node { id label } }
  }
}`;
const served = [];
let after = null;
let totalCount = 0;
for (let page = 0; page < 100; page += 1) {
  await apollo.query({ query: pages, variables: { after }, fetchPolicy: 'network-only' });
  const data = answers.get('MeetingsPaged');  // the page as the server sent it (the query answers the whole list)
  served.push(...data.meetings.edges.map((e) => e.node.id));
  totalCount = data.meetings.totalCount;
  if (!data.meetings.pageInfo.hasNextPage) break;
  after = data.meetings.pageInfo.endCursor;
}
const read = apollo.readQuery({ query: pages, variables: { after: null } });
const paging = { totalCount, served, cached: read ? read.meetings.edges.map((e) => e.node.id) : null };

console.log(JSON.stringify({ queries, firstPass, secondPass, paging, warnings }, null, 1));
