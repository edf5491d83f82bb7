"""The data layer: the schema, readers, validation, the expression language and the episode table.

* :mod:`evalkit.data.schema` — the one declaration of every input table;
* :mod:`evalkit.data.readers` — CSV/XLSX reading and wide-to-long melting;
* :mod:`evalkit.data.validate` — every failure located, every row kept or quarantined;
* :mod:`evalkit.data.templates` — provider templates and the data dictionary, from the schema;
* :mod:`evalkit.data.expressions` — the filter and KPI expression language;
* :mod:`evalkit.data.episodes` — the episode table, one row per referral;
* :mod:`evalkit.data.evaluation` — :func:`load_evaluation`, the validated data of one report.
"""
