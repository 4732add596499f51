"""miroir: show a sales organisation how its system produces decisions.

Pipeline: importers -> store -> language -> lenses -> synthesis -> report.
"""

__version__ = "0.1.0"
