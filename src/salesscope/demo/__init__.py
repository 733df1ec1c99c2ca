"""The demo account: a year of a Kyiv sales team's CRM, with the guide's cases built in.

``build_demo(warehouse)`` fills a warehouse in seconds; ``generate`` is the pure function behind
it. ``people`` names the managers (and their ids) that the cases are about; ``story`` holds the
cases' exact numbers.
"""

from salesscope.demo.build import DemoSummary, build_demo
from salesscope.demo.generate import generate

__all__ = ["DemoSummary", "build_demo", "generate"]
