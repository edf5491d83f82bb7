"""Presentation: wording, labels, figures, display tables and the key figures pages record.

Everything a reader sees is shaped here, from numbers the analysis layers computed.
"""
