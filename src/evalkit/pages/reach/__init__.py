"""The reach and equity page (01): who was referred and reached, by deprivation."""
