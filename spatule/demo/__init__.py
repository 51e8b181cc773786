"""A synthetic field campaign: camera-trap photos of a spoonbill colony with tagged legs.

This is the workflow's default demo input, generated deterministically from a seed:
byte-identical files for equal :class:`DemoParams`. :mod:`~spatule.demo.plan` decides what
each photo shows, :mod:`~spatule.demo.photo` composes it from the :mod:`~spatule.demo.tag`,
the :mod:`~spatule.demo.bird` and the :mod:`~spatule.demo.scene`, and
:mod:`~spatule.demo.campaign` writes the photos, their VOC XML and ``identities.csv``. Its codes are
drawn from :mod:`spatule.code_space`, which the reader shares; the demo never imports the reader.
"""

from spatule.demo.campaign import FOREIGN_ROOT, DemoSummary, generate_campaign, photo_xml
from spatule.demo.canvas import FONT_PATH
from spatule.demo.photo import DemoTag, render_photo
from spatule.demo.plan import DemoParams, PlannedPhoto, plan_campaign
from spatule.demo.scene import draw_ground, draw_nest_marker, info_bar, occlude
from spatule.demo.tag import mask_box, render_tag

__all__ = [
    "FONT_PATH", "FOREIGN_ROOT", "DemoParams", "DemoSummary", "DemoTag", "PlannedPhoto", "draw_ground",
    "draw_nest_marker", "generate_campaign", "info_bar", "mask_box", "occlude", "photo_xml", "plan_campaign",
    "render_photo", "render_tag",
]
