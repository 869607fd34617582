"""The verifiable ledger (docs/audit.md): each service's notification log as an RFC 9162 Merkle
log, signed checkpoints in the C2SP signed-note format, and proofs checked offline."""
