"""Reading the tag codes: from a tag font to who was seen when and where.

:mod:`~spatule.reading.glyphs` (the demo's font, or a user's tag-font sheet cut automatically),
:mod:`~spatule.reading.render` (training crops of codes on a band, as detection crops show them),
:mod:`~spatule.reading.reader` (the CTC network), :mod:`~spatule.reading.train`,
:mod:`~spatule.reading.weights` (byte-stable weight files), :mod:`~spatule.reading.registry` (the
registry and the probability of each of its codes), :mod:`~spatule.reading.codes` (a detection's
reading, and the one rule taking it as a bird), :mod:`~spatule.reading.labelled` (the tags it learns
from and is measured on), :mod:`~spatule.reading.check` (choosing the threshold),
:mod:`~spatule.reading.sightings` (sightings and birds tables),
:mod:`~spatule.reading.evaluation` (accuracy against coverage) and :mod:`~spatule.reading.figures`.
"""
