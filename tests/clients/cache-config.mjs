// Normalised caches for Quartier's API, built from its introspection (or from
// schema/client.graphql with graphql-js: introspectionFromSchema(buildSchema(sdl))).
// README.md ("Client conventions") shows this file; tests/test_clients.py runs it.

// Object types without an `id` are values inside the object that holds them, not entities:
// connections, edges, PageInfo, mutation payloads, UserError, and the aggregates
// TopicInsight, ConsultationResult, NeighbourhoodConsultationResult, AnnouncementAudience
// and AnnouncementTarget (a count per neighbourhood and topic has no identity of its own).
export function keylessTypes(introspection) {
  return introspection.__schema.types
    .filter((t) => t.kind === 'OBJECT' && !t.name.startsWith('_'))
    .filter((t) => !t.fields.some((f) => f.name === 'id'))
    .map((t) => t.name);
}

// The members of each interface and union: Node, Hideable, ReportedContent.
export function possibleTypes(introspection) {
  return Object.fromEntries(
    introspection.__schema.types
      .filter((t) => t.possibleTypes)
      .map((t) => [t.name, t.possibleTypes.map((p) => p.name)]),
  );
}

// Apollo Client: new InMemoryCache(apolloCacheOptions(introspection))
export function apolloCacheOptions(introspection) {
  return {
    possibleTypes: possibleTypes(introspection),
    typePolicies: Object.fromEntries(
      // Embedded in their parent, and merged field by field when an answer brings fewer.
      keylessTypes(introspection).map((name) => [name, { keyFields: false, merge: true }]),
    ),
  };
}

// urql: cacheExchange(graphcacheOptions(introspection))
export function graphcacheOptions(introspection, logger) {
  return {
    schema: introspection,
    keys: {
      ...Object.fromEntries(keylessTypes(introspection).map((name) => [name, () => null])),
      // The contract's documents ask a topic's slug and label, not its id: embed those.
      Topic: (topic) => topic.id ?? null,
    },
    ...(logger ? { logger } : {}),
  };
}
