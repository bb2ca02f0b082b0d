"""Strawberry types, inputs, enums and the schema objects. Thin: fields delegate to resolvers."""
