"""One module per ``dutytrail audit`` command; each defines ``command`` (a ``click.Command``)."""
