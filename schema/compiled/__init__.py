"""Execution plans compiled once per operation document, proven equal to graphql-core by
tests/test_compiled.py; how they work is in schema/compiled/README.md."""
