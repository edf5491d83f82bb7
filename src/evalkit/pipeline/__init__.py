"""The report pipeline: run the notebooks (parallel, cached), render HTML, check, publish.

``run_report`` is what ``evalkit report`` calls; ``init_evaluation`` is ``evalkit init``.
Notebooks record headline figures with :func:`evalkit.present.keyfigures.record`.
See docs/pipeline.md.
"""

from evalkit.pipeline.init import init_evaluation
from evalkit.pipeline.report import run_report

__all__ = ["init_evaluation", "run_report"]
