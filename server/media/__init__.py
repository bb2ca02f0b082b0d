"""Photos: decoding and re-encoding uploads, the stores that keep the files, the upload and
serving endpoints."""
