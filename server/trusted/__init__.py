"""Trusted documents: the operations a client build sends, known in advance by their id
(`sha256:<hex of the text>`), so that requests name them instead of sending them, and so that
(with QUARTIER_TRUSTED_DOCUMENTS=require) residents and anonymous callers send nothing else.

- documents.py: the id of a text, and a text checked once (parsed, validated, measured)
- registry.py: the process's trusted documents by id, parsed and validated once each
- manifests.py: the client manifests `quartier documents import` reads, and the built-in one
- admission.py: what a request names (its `documentId`, Apollo's hash, its text) and
  whether the setting lets its caller run it
- cli.py: `quartier documents import | list | manifest`
"""
