"""Reading the tag codes: glyph sources, rendered training crops, the reader, the registry.

:mod:`~spatule.reading.glyphs` gives the glyphs a code is drawn with (the demo's font, or a
user's tag-font sheet cut automatically); :mod:`~spatule.reading.render` draws training crops
of codes on a band as detection crops show them.
"""
