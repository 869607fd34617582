"""The auditors' commands (``dutytrail audit …``): they read the stores directly and never need
the broker."""
