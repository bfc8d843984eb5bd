"""The one error a scenario raises: which file, and where in it each problem is."""

from __future__ import annotations

from ..schemas import Issue


class ScenarioError(ValueError):
    """A scenario that cannot be loaded: the file and every problem as ``$.json.path: reason``."""

    def __init__(self, source: str, problems: list[Issue] | tuple[Issue, ...]) -> None:
        self.source = source
        self.problems = tuple(problems)
        if len(self.problems) == 1 and self.problems[0].path == "$":  # the file as a whole
            super().__init__(f"scenario {source}: {self.problems[0].message}")
            return
        listing = "\n".join(f"  {problem}" for problem in self.problems)
        super().__init__(f"scenario {source} is invalid:\n{listing}")
