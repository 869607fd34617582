"""Public events of the casework service (none yet). A whistleblower's or petitioner's
identity never appears in any of them."""
