// Composes Quartier's supergraph from the two subgraphs' exported SDL
// (schema/community.subgraph.graphql, schema/city.subgraph.graphql) with both
// @apollo/composition and @theguild/federation-composition: an error from either fails,
// and so does a difference between the API schemas they compose.
//
//   node compose.mjs            writes supergraph.graphql (the Guild's composition)
//   node compose.mjs --check    fails when supergraph.graphql is not what it would write
//   node compose.mjs --json     prints the outcome of both composers as JSON on stdout
//
// The subgraphs' URLs default to 127.0.0.1:4001 (community) and :4002 (city); set
// QUARTIER_COMMUNITY_URL and QUARTIER_CITY_URL to compose for other addresses (the gateway
// can also override them at start, see serve.mjs).

import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSchema, lexicographicSortSchema, parse, printSchema } from 'graphql';

// Apollo's packages read this before they could report anything.
process.env.APOLLO_TELEMETRY_DISABLED = '1';
const apollo = await import('@apollo/composition');
const guild = await import('@theguild/federation-composition');

const here = dirname(fileURLToPath(import.meta.url));
const schemaDir = join(here, '..', 'schema');
const supergraphPath = join(here, 'supergraph.graphql');
const args = new Set(process.argv.slice(2));

export const SUBGRAPHS = [
  { name: 'community', url: process.env.QUARTIER_COMMUNITY_URL || 'http://127.0.0.1:4001/graphql' },
  { name: 'city', url: process.env.QUARTIER_CITY_URL || 'http://127.0.0.1:4002/graphql' },
];

function services() {
  return SUBGRAPHS.map(({ name, url }) => ({
    name,
    url,
    typeDefs: parse(readFileSync(join(schemaDir, `${name}.subgraph.graphql`), 'utf8')),
  }));
}

function printedApi(schema) {
  return printSchema(lexicographicSortSchema(schema));
}

function messages(errors) {
  return (errors || []).map((e) => (e.extensions?.code ? `${e.extensions.code}: ${e.message}` : e.message));
}

const apolloResult = apollo.composeServices(services());
const guildResult = guild.composeServices(services());
const outcome = {
  apollo: {
    errors: messages(apolloResult.errors),
    hints: (apolloResult.hints || []).map((h) => `${h.definition.code}: ${h.message}`),
  },
  guild: { errors: messages(guildResult.errors) },
  apiSchemasAgree: null,
  supergraph: 'supergraph.graphql',
  drift: null,
};

if (!apolloResult.errors && !guildResult.errors) {
  const apolloApi = printedApi(apolloResult.schema.toAPISchema().toGraphQLJSSchema());
  const guildApi = printedApi(buildSchema(guildResult.publicSdl));
  outcome.apiSchemasAgree = apolloApi === guildApi;
  const supergraph = guildResult.supergraphSdl.endsWith('\n')
    ? guildResult.supergraphSdl
    : `${guildResult.supergraphSdl}\n`;
  if (args.has('--check')) {
    outcome.drift = !existsSync(supergraphPath) || readFileSync(supergraphPath, 'utf8') !== supergraph;
  } else if (!args.has('--json')) {
    writeFileSync(supergraphPath, supergraph);
  }
}

const failed =
  outcome.apollo.errors.length > 0 ||
  outcome.guild.errors.length > 0 ||
  outcome.apiSchemasAgree === false ||
  outcome.drift === true;

if (args.has('--json')) {
  process.stdout.write(`${JSON.stringify(outcome, null, 2)}\n`);
} else {
  for (const [composer, result] of [['@apollo/composition', outcome.apollo], ['@theguild/federation-composition', outcome.guild]]) {
    console.log(`${composer}: ${result.errors.length} errors${result.hints ? `, ${result.hints.length} hints` : ''}`);
    for (const line of [...result.errors, ...(result.hints || [])]) console.log(`  ${line}`);
  }
  if (outcome.apiSchemasAgree === false) console.log('The two composers give different API schemas.');
  if (outcome.drift) console.log('supergraph.graphql is out of date: run `npm run compose` in gateway/.');
  else if (!failed && !args.has('--check')) console.log(`wrote ${supergraphPath}`);
}
process.exit(failed ? 1 : 0);
