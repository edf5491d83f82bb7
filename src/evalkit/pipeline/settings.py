"""The report pipeline's settings: which input files each notebook reads, the cell timeout, and
whether kernels start warm.

They come from the optional ``pipeline:`` section of ``evaluation.yml``; every key has a default.
A notebook's cache key covers the content of every file in its input groups, so a change to a
file re-runs exactly the notebooks that read it.

.. code-block:: yaml

    pipeline:
      input_groups:                 # name -> file patterns relative to data_dir
        extracts: ["extracts/**/*"]
        qual: ["qual/**/*"]
      notebook_inputs:              # notebook -> groups it reads; "*" is every other notebook
        "*": [extracts]
        04_realist_synthesis: [extracts, qual]
        05_summary: [extracts, key_figures]
      execution_timeout: 1800       # seconds one cell may run; null = no limit
      warm_kernels: true            # fork kernels from a server that has imported what the
                                    # notebooks import and read the evaluation (false: start
                                    # every kernel from scratch)

``key_figures`` is built in: the key figures recorded by every notebook that does not itself read
``key_figures``. Notebooks that read it run after all the others. ``exceptions`` is built in
too: the evaluator's ``exceptions.yml`` beside ``evaluation.yml``, where the KPI page reads it
(not under ``data_dir``, which may be another folder).

``validated/`` is not an input group: it is derived from the extracts, the config and evalkit
(all in the key) and is rewritten by ``evalkit validate`` and ``load_evaluation``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from evalkit.config import EvaluationConfig, did_you_mean
from evalkit.errors import ConfigError
from evalkit.pages import KEY_FIGURES_GROUP, PAGES

__all__ = [
    "BUILT_IN_GROUPS",
    "DEFAULT_INPUT_GROUPS",
    "DEFAULT_NOTEBOOK_INPUTS",
    "EXCEPTIONS_GROUP",
    "KEY_FIGURES_GROUP",
    "PipelineSettings",
]

DEFAULT_INPUT_GROUPS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "extracts": ("extracts/**/*",),
        "qual": ("qual/**/*",),
    }
)
#: The evaluator's explanations of KPI exceptions (page 03, docs/spc.md): ``exceptions.yml``
#: beside ``evaluation.yml`` (built in: its place is the config's folder, not ``data_dir``).
EXCEPTIONS_GROUP = "exceptions"
#: Groups evalkit defines itself; an evaluation cannot redefine them.
BUILT_IN_GROUPS = (KEY_FIGURES_GROUP, EXCEPTIONS_GROUP)
#: What each registered page reads (evalkit.pages.PAGES); "*" is any other notebook.
DEFAULT_NOTEBOOK_INPUTS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {"*": ("extracts",), **{page.name: page.inputs for page in PAGES}}
)
DEFAULT_EXECUTION_TIMEOUT = 1800.0


def _as_names(value: Any, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"pipeline.{where}: expected a list of names, got {value!r}.")
    return tuple(value)


@dataclass(frozen=True)
class PipelineSettings:
    """Input groups, the groups each notebook reads, the per-cell execution timeout, and whether
    kernels are forked from a warm kernel server (:mod:`evalkit.pipeline.kernels.kernelspec`).

    Examples
    --------
    >>> settings = PipelineSettings()
    >>> settings.inputs_of("04_realist_synthesis")
    ('extracts', 'qual')
    >>> settings.inputs_of("00_data_quality")
    ('extracts',)
    """

    input_groups: Mapping[str, tuple[str, ...]] = field(
        default_factory=lambda: DEFAULT_INPUT_GROUPS
    )
    notebook_inputs: Mapping[str, tuple[str, ...]] = field(
        default_factory=lambda: DEFAULT_NOTEBOOK_INPUTS
    )
    execution_timeout: float | None = DEFAULT_EXECUTION_TIMEOUT
    warm_kernels: bool = True

    @classmethod
    def from_mapping(cls, section: Mapping[str, Any] | None) -> PipelineSettings:
        """Settings from the ``pipeline:`` section of a config (``None`` for all defaults).

        Groups and notebook entries given in the section are added to, or replace, the
        defaults of the same name.

        Raises
        ------
        ConfigError
            For an unknown key, a malformed list, or a notebook reading an undefined group.
        """
        section = dict(section or {})
        allowed = ["input_groups", "notebook_inputs", "execution_timeout", "warm_kernels"]
        unknown = sorted(set(section) - set(allowed), key=str)
        if unknown:
            raise ConfigError(
                "; ".join(
                    f"pipeline.{key}: unknown setting ({did_you_mean(key, allowed)})"
                    for key in unknown
                )
                + "."
            )
        groups = dict(DEFAULT_INPUT_GROUPS)
        for name, patterns in (section.get("input_groups") or {}).items():
            if name in BUILT_IN_GROUPS:
                raise ConfigError(
                    f"pipeline.input_groups: '{name}' is built in; pick another name."
                )
            groups[str(name)] = _as_names(patterns, f"input_groups.{name}")
        notebooks = dict(DEFAULT_NOTEBOOK_INPUTS)
        for name, names in (section.get("notebook_inputs") or {}).items():
            notebooks[str(name)] = _as_names(names, f"notebook_inputs.{name}")
        for name, names in notebooks.items():
            undefined = [g for g in names if g not in groups and g not in BUILT_IN_GROUPS]
            if undefined:
                raise ConfigError(
                    f"pipeline.notebook_inputs.{name}: group(s) {', '.join(undefined)} are not "
                    f"defined; defined groups: {', '.join([*groups, *BUILT_IN_GROUPS])}."
                )
        timeout = section.get("execution_timeout", DEFAULT_EXECUTION_TIMEOUT)
        if timeout is not None and (
            isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0
        ):
            raise ConfigError(
                f"pipeline.execution_timeout: expected seconds > 0 or null, got {timeout!r}."
            )
        warm = section.get("warm_kernels", True)
        if not isinstance(warm, bool):
            raise ConfigError(f"pipeline.warm_kernels: expected true or false, got {warm!r}.")
        return cls(
            input_groups=MappingProxyType(groups),
            notebook_inputs=MappingProxyType(notebooks),
            execution_timeout=None if timeout is None else float(timeout),
            warm_kernels=warm,
        )

    @classmethod
    def from_config(cls, config: EvaluationConfig) -> PipelineSettings:
        """Settings from a loaded config's ``pipeline`` section (defaults when it has none)."""
        return cls.from_mapping(getattr(config, "pipeline", None))

    def inputs_of(self, notebook: str) -> tuple[str, ...]:
        """The input groups a notebook reads (its own entry, else the ``"*"`` entry)."""
        return self.notebook_inputs.get(notebook, self.notebook_inputs["*"])

    def reads_key_figures(self, notebook: str) -> bool:
        """Whether the notebook reads other notebooks' key figures (so runs after them)."""
        return KEY_FIGURES_GROUP in self.inputs_of(notebook)

    def reads_exceptions(self, notebook: str) -> bool:
        """Whether the notebook reads the evaluator's ``exceptions.yml`` (its cache key then
        covers the file).

        Examples
        --------
        >>> PipelineSettings().reads_exceptions("03_lifestyle_kpis")
        True
        """
        return EXCEPTIONS_GROUP in self.inputs_of(notebook)
