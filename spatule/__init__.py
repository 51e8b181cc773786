"""spatule: turn hand-labelled camera-trap photos into a spoonbill leg-tag detector.

The package holds the logic of the Snakemake workflow as small, pure functions;
``scripts/*.py`` are thin adapters that read the ``snakemake`` object and call it.
"""

__version__ = "0.1.0"
