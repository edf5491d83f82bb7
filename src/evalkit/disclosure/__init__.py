"""Disclosure control: small-number suppression and the scans that guard every published page.

* :mod:`evalkit.disclosure.suppression` — primary and secondary suppression, rounding;
* :mod:`evalkit.disclosure.scan` — identifiers from the extracts and live markup in rendered HTML.
"""
