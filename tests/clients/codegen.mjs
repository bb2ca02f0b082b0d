// Runs GraphQL Code Generator (typescript-operations, which since its version 6 also writes the
// enums and input types the operations use, as a React team's codegen config does) over the client SDL and documents, then type-checks what it generated with the
// TypeScript compiler:  node codegen.mjs SCHEMA.graphql OUT_DIR DOCUMENT.graphql...
// Prints {"generated": true, "lines": N, "operations": [...], "diagnostics": [...]} as JSON,
// or {"generated": false, "error": "..."} when the generator refuses the schema or a document.

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { codegen } from '@graphql-codegen/core';
import * as operationsPlugin from '@graphql-codegen/typescript-operations';
import { buildSchema, parse, printSchema } from 'graphql';
import ts from 'typescript';

const [schemaPath, outDir, ...documentPaths] = process.argv.slice(2);
let output;
try {
  const schema = buildSchema(readFileSync(schemaPath, 'utf8'));
  output = await codegen({
    schema: parse(printSchema(schema)),
    schemaAst: schema,
    documents: documentPaths.map((location) => ({
      location,
      document: parse(readFileSync(location, 'utf8')),
    })),
    filename: 'graphql.ts',
    config: { enumsAsTypes: true, avoidOptionals: true },
    plugins: [{ typescriptOperations: {} }],
    pluginMap: { typescriptOperations: operationsPlugin },
  });
} catch (error) {
  const message = error.errors ? error.errors.map((e) => String(e.message ?? e)).join('\n') : String(error.message);
  process.stdout.write(`${JSON.stringify({ generated: false, error: message })}\n`);
  process.exit(0);
}

const file = join(outDir, 'graphql.ts');
writeFileSync(file, output);
const program = ts.createProgram([file], { strict: true, noEmit: true, target: ts.ScriptTarget.ES2022 });
const diagnostics = ts
  .getPreEmitDiagnostics(program)
  .map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
const operations = [...output.matchAll(/^export type (\w+(?:Query|Mutation|Subscription)) = /gm)].map((m) => m[1]);
process.stdout.write(
  `${JSON.stringify({ generated: true, lines: output.split('\n').length, operations, diagnostics })}\n`,
);
