"""A chain of plain function steps with LCEL's ``|`` and ``invoke``, as a LangChain Runnable on demand.

Importing ``langchain_core`` costs about a second of a cold ``qa ask`` (more than the whole
search), so the Assistant composes its steps with this and imports LangChain only when a
caller asks for the Runnable (``Steps.as_runnable``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class Steps:
    """``Steps(f, g) | h`` then ``.invoke(x)`` computes ``h(g(f(x)))``."""

    def __init__(self, *steps: Callable[[Any], Any]):
        self.steps = tuple(steps)

    def __or__(self, other: Callable[[Any], Any] | Steps) -> Steps:
        return Steps(*self.steps, *(other.steps if isinstance(other, Steps) else (other,)))

    def invoke(self, value: Any) -> Any:
        for step in self.steps:
            value = step(value)
        return value

    def as_runnable(self):
        """The same steps as a LangChain LCEL chain of ``RunnableLambda``s."""
        from langchain_core.runnables import RunnableLambda

        chain = RunnableLambda(self.steps[0])
        for step in self.steps[1:]:
            chain = chain | RunnableLambda(step)
        return chain
