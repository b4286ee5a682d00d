"""The REST surface for integrators under ``/v1``: bulk measurements and the CSV import,
with RFC 9457 problem responses for every error."""
