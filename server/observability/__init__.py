"""What an operator sees of a running server: health probes, Prometheus metrics, one JSON log
line per request, and OpenTelemetry traces when a collector is configured."""
