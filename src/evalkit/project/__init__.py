"""The evaluator's project files around ``evaluation.yml``: where an interactive notebook finds
its evaluation (:mod:`.paths`: ``EVALKIT_CONFIG``, ``evalkit.yml``) and the evaluator's own
words (:mod:`.narrative`: ``narrative.yml``).

This layer sits just above ``config.py`` and imports nothing else of evalkit: a notebook's kernel
imports it without the pipeline, and pages and the pipeline both read it.
"""

from evalkit.project.paths import (
    CONFIG_VARIABLE,
    PROJECT_FILE,
    find_evaluation,
    interactive_output_dir,
    notebook_paths,
)

__all__ = [
    "CONFIG_VARIABLE",
    "PROJECT_FILE",
    "find_evaluation",
    "interactive_output_dir",
    "notebook_paths",
]
