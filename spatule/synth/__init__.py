"""synthesize: 640x640 tiles made by pasting real tags onto tag-free ground.

Two halves. :func:`plan_split` decides everything from CSV tables and the seed,
without touching a pixel: which background window each tile uses, which tags go
where, with which jitter and blend. :func:`render_shard` then follows the plan
for the tiles of one shard, decoding each background photo once for all its
tiles. Every tile draws from its own random stream (seed, split, tile index),
so the bytes of a tile do not depend on the shard count, ``--cores`` or the
order shards run in.

One job per module: :mod:`~spatule.synth.settings` (the ``synth.*`` keys),
:mod:`~spatule.synth.sources` (the grounds and tags of a split, from the tables),
:mod:`~spatule.synth.specs` (grounds, tags, pastes, tiles),
:mod:`~spatule.synth.crop_geometry` (where a jittered crop lands),
:mod:`~spatule.synth.plan` (why tiles look as they do: windows, pastes, shards) and
:mod:`~spatule.synth.render` (pixels, and the ``seamlessClone`` mask rules). The names
below are the package's interface.
"""

from spatule.synth.crop_geometry import affine, is_identity, moved_box, pasted_geometry
from spatule.synth.plan import (SPLIT_CODES, draw_paste, edge_or_anywhere, fit_scale, fits_tile, ground_order,
                                in_place_labels, pick_window, plan_digest, plan_split, plan_tile, shard_tiles,
                                tile_rng)
from spatule.synth.render import (canvas_bounds, is_grey, paste_tag, photo_canvas, prepare_crop, render_shard,
                                  render_tile, tile_xml)
from spatule.synth.settings import BLENDS, Jitter, SynthSettings, synth_settings
from spatule.synth.sources import BORDER_PX, cut_by_border, synth_sources
from spatule.synth.specs import IN_PLACE, Ground, InPlace, Paste, TagSource, TileSpec

__all__ = [
    "BLENDS", "BORDER_PX", "Ground", "IN_PLACE", "InPlace", "Jitter", "Paste", "SPLIT_CODES", "SynthSettings",
    "TagSource", "TileSpec", "affine", "canvas_bounds", "cut_by_border", "draw_paste", "edge_or_anywhere",
    "fit_scale", "fits_tile", "ground_order", "in_place_labels", "is_grey", "is_identity", "moved_box",
    "paste_tag", "pasted_geometry", "photo_canvas", "pick_window", "plan_digest", "plan_split", "plan_tile",
    "prepare_crop", "render_shard", "render_tile", "shard_tiles", "synth_settings", "synth_sources", "tile_rng",
    "tile_xml",
]
