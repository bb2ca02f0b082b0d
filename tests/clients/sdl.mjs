// Loads an SDL with plain graphql-js, as IDE tooling and code generators do, and validates
// documents against it:  node sdl.mjs SCHEMA.graphql DOCUMENT.graphql...
// Prints {"built": true, "types": N, "errors": {document: [message, ...]}} as JSON, or
// {"built": false, "error": "..."} when buildSchema refuses the SDL.

import { readFileSync } from 'node:fs';
import { buildSchema, parse, validate } from 'graphql';

const [schemaPath, ...documents] = process.argv.slice(2);
let schema;
try {
  schema = buildSchema(readFileSync(schemaPath, 'utf8'));
} catch (error) {
  process.stdout.write(`${JSON.stringify({ built: false, error: String(error.message) })}\n`);
  process.exit(0);
}
const errors = Object.fromEntries(
  documents.map((path) => [path, validate(schema, parse(readFileSync(path, 'utf8'))).map((e) => e.message)]),
);
const types = Object.keys(schema.getTypeMap()).filter((name) => !name.startsWith('__')).length;
process.stdout.write(`${JSON.stringify({ built: true, types, errors })}\n`);
