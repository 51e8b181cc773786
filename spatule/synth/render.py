"""Rendering: the tiles of one shard drawn from their plan, written as JPEG + labelImg XML.

Labels are the exact pasted tag box (not the crop with its margin), computed
from the real placement. OpenCV's ``seamlessClone`` puts the bounding box of
the mask's non-zero pixels with its top-left at ``p - size // 2``; the mask is
the tag box grown by ``clone_pad_px`` and is made fresh for every call (OpenCV
4.11+ writes into it). Each ground photo has ``camera.mask`` filled grey as it is read, as the search
fills it (:mod:`spatule.detection.mask`).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Callable, Mapping, Sequence

import cv2
import numpy as np

from spatule.detection.mask import fill_mask, resolve_mask
from spatule.geometry import Rect
from spatule.problems import SpatuleError
from spatule.progress import Progress
from spatule.synth.crop_geometry import affine, is_identity, pasted_geometry
from spatule.synth.settings import SynthSettings
from spatule.synth.specs import IN_PLACE, Paste, TagSource, TileSpec
from spatule.labels.voc import VocAnnotation, voc_object, voc_text


def prepare_crop(crop: np.ndarray, tag: TagSource, paste: Paste, pad: int) -> tuple[np.ndarray, Rect]:
    """Apply the paste's jitter to a crop; returns the pixels and the tag box in them."""
    if crop.dtype != np.uint8 or crop.ndim != 3 or crop.shape[2] != 3:
        raise SpatuleError(f"{tag.file}: tag crop must be 8-bit BGR, got {crop.dtype} {crop.shape}")
    width, height, box, border = pasted_geometry(tag, paste.scale, paste.rotation_deg, paste.flip, pad)
    pixels = crop
    if not is_identity(paste.scale, paste.rotation_deg, paste.flip):
        matrix, w, h = affine(tag.width, tag.height, paste.scale, paste.rotation_deg, paste.flip)
        pixels = cv2.warpAffine(crop, matrix, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT_101)
    if any(border):
        pixels = cv2.copyMakeBorder(pixels, border[1], border[3], border[0], border[2], cv2.BORDER_REFLECT_101)
    if paste.brightness or paste.contrast:
        pixels = cv2.convertScaleAbs(pixels, alpha=1.0 + paste.contrast, beta=paste.brightness)
    if paste.blur_sigma > 0.05:
        pixels = cv2.GaussianBlur(pixels, (0, 0), paste.blur_sigma)
    assert pixels.shape[:2] == (height, width)
    return np.ascontiguousarray(pixels), box


def paste_tag(tile: np.ndarray, pixels: np.ndarray, box: Rect, paste: Paste, pad: int) -> np.ndarray:
    """Blend the prepared crop into the tile so that its tag box lands on ``paste.box``."""
    h, w = pixels.shape[:2]
    mx0, my0 = box[0] - pad, box[1] - pad
    mx1, my1 = box[2] + pad, box[3] + pad
    mask_w, mask_h = mx1 - mx0, my1 - my0
    if paste.blend in ("normal", "mixed"):
        mask = np.zeros((h, w), np.uint8)  # fresh every call: OpenCV 4.11+ writes into it
        mask[my0:my1, mx0:mx1] = 255
        centre = (paste.mask_x + mask_w // 2, paste.mask_y + mask_h // 2)
        flag = cv2.NORMAL_CLONE if paste.blend == "normal" else cv2.MIXED_CLONE
        return cv2.seamlessClone(pixels, tile, mask, centre, flag)
    region = pixels[my0:my1, mx0:mx1].astype(np.float32)
    if paste.blend == "alpha":
        alpha = np.zeros((mask_h, mask_w), np.float32)
        alpha[pad:-pad or None, pad:-pad or None] = 1.0
    else:  # feather: full tag, context fading out over the pad
        alpha = np.zeros((mask_h, mask_w), np.float32)
        alpha[pad // 2:mask_h - pad // 2, pad // 2:mask_w - pad // 2] = 1.0
        alpha = cv2.GaussianBlur(alpha, (0, 0), max(pad / 2.0, 0.5))
        alpha[pad:mask_h - pad, pad:mask_w - pad] = 1.0
    out = tile.copy()
    target = out[paste.mask_y:paste.mask_y + mask_h, paste.mask_x:paste.mask_x + mask_w].astype(np.float32)
    mixed = region * alpha[..., None] + target * (1.0 - alpha[..., None])
    out[paste.mask_y:paste.mask_y + mask_h, paste.mask_x:paste.mask_x + mask_w] = np.clip(
        mixed + 0.5, 0, 255).astype(np.uint8)
    return out


def is_grey(pixels: np.ndarray) -> bool:
    """Whether an 8-bit BGR image is grey (a night, infrared frame): its channels differ by less
    than 2 grey levels on average."""
    channels = pixels.astype(np.int16)
    spread = np.abs(channels[..., 0] - channels[..., 1]).mean() + np.abs(channels[..., 1] - channels[..., 2]).mean()
    return float(spread) < 4


def canvas_bounds(spec: TileSpec, size: int, pad: int) -> Rect:
    """The area around the tile (tile pixels) that holds the tile and every paste's mask."""
    x0, y0, x1, y1 = 0, 0, size, size
    for p in spec.pastes:
        if p.blend == IN_PLACE:
            continue
        x0, y0 = min(x0, p.box[0] - pad - 1), min(y0, p.box[1] - pad - 1)
        x1, y1 = max(x1, p.box[2] + pad + 1), max(y1, p.box[3] + pad + 1)
    return x0, y0, x1, y1


def photo_canvas(photo: np.ndarray, spec: TileSpec, size: int, pad: int) -> tuple[np.ndarray, tuple[int, int]]:
    """The photo around the tile window, mirrored where it runs past the photo's border, and the
    tile's origin in it."""
    cx0, cy0, cx1, cy1 = canvas_bounds(spec, size, pad)
    height, width = photo.shape[:2]
    x0, y0, x1, y1 = spec.window_x + cx0, spec.window_y + cy0, spec.window_x + cx1, spec.window_y + cy1
    inside = photo[max(0, y0):min(height, y1), max(0, x0):min(width, x1)]
    border = (max(0, -y0), max(0, y1 - height), max(0, -x0), max(0, x1 - width))
    if any(border):
        inside = cv2.copyMakeBorder(inside, *border, cv2.BORDER_REFLECT_101)
    return np.ascontiguousarray(inside), (-cx0, -cy0)


def render_tile(canvas: np.ndarray, spec: TileSpec, crops: Mapping[str, np.ndarray],
                tags: Mapping[str, TagSource], pad: int, origin: tuple[int, int] = (0, 0),
                size: int | None = None) -> np.ndarray:
    """The tile: the background with every planned paste, uint8 BGR in and out.

    ``canvas`` holds the tile at ``origin`` and room around it for tags cut by a tile side
    (:func:`photo_canvas`); without such tags the tile itself is enough. On a grey
    (night) background the tags are pasted grey too.
    """
    tile = np.ascontiguousarray(canvas)
    if tile.dtype != np.uint8 or tile.shape[2] != 3:
        raise SpatuleError(f"{spec.image}: background must be 8-bit BGR")
    size = size or min(tile.shape[0] - origin[1], tile.shape[1] - origin[0])
    pasted = [p for p in spec.pastes if p.blend != IN_PLACE]
    grey = bool(pasted) and is_grey(tile[origin[1]:origin[1] + size, origin[0]:origin[0] + size])
    for paste in pasted:
        tag = tags[paste.tag_id]
        pixels, box = prepare_crop(crops[paste.tag_id], tag, paste, pad)
        if grey:
            pixels = cv2.cvtColor(cv2.cvtColor(pixels, cv2.COLOR_BGR2GRAY), cv2.COLOR_GRAY2BGR)
        tile = paste_tag(tile, pixels, box, replace(paste, mask_x=paste.mask_x + origin[0],
                                                    mask_y=paste.mask_y + origin[1]), pad)
    return tile[origin[1]:origin[1] + size, origin[0]:origin[0] + size]


def tile_xml(spec: TileSpec, size: int, class_name: str, folder: str) -> bytes:
    """labelImg-compatible VOC XML for a tile."""
    objects = tuple(voc_object(k, class_name, paste.label, paste.difficult, paste.truncated)
                    for k, paste in enumerate(spec.pastes, start=1))
    annotation = VocAnnotation(filename=f"{spec.tile_id}.jpg", folder=folder, path=f"{spec.tile_id}.jpg",
                               width=size, height=size, objects=objects)
    return voc_text(annotation, database="spatule synthetic").encode()


def masked_ground(read_ground: Callable[[str], np.ndarray], image: str, settings: SynthSettings) -> np.ndarray:
    """The ground photo ``image`` with ``settings.mask`` filled grey (as read, without a mask)."""
    photo = read_ground(image)
    if not settings.mask:
        return photo
    return fill_mask(photo, resolve_mask(settings.mask, photo.shape[1], photo.shape[0], image))


def render_shard(part: Sequence[TileSpec], out_dir: Path, read_ground: Callable[[str], np.ndarray],
                 read_crop: Callable[[str], np.ndarray], tags: Mapping[str, TagSource], settings: SynthSettings,
                 class_name: str, threads: int = 1, progress: Progress | None = None) -> list[str]:
    """Render and write the tiles of one shard (JPEG + XML). Each photo is decoded once, and has
    ``settings.mask`` filled grey (:func:`masked_ground`).

    Returns the written tile ids in the part's order.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    crops = {tag_id: read_crop(tag_id) for tag_id in sorted({p.tag_id for s in part for p in s.pastes
                                                             if p.blend != IN_PLACE})}
    size = settings.tile_size
    params = [cv2.IMWRITE_JPEG_QUALITY, int(settings.jpeg_quality)]

    def one(spec: TileSpec, photo: np.ndarray) -> str:
        canvas, origin = photo_canvas(photo, spec, size, settings.clone_pad_px)
        tile = render_tile(canvas, spec, crops, tags, settings.clone_pad_px, origin, size)
        ok, jpeg = cv2.imencode(".jpg", tile, params)
        if not ok:
            raise OSError(f"could not encode {spec.tile_id}")
        (out_dir / f"{spec.tile_id}.jpg").write_bytes(jpeg.tobytes())
        (out_dir / f"{spec.tile_id}.xml").write_bytes(tile_xml(spec, size, class_name, spec.split))
        return spec.tile_id

    by_photo: dict[str, list[TileSpec]] = {}
    for spec in part:
        by_photo.setdefault(spec.image, []).append(spec)
    images = list(by_photo)
    futures = []
    with ThreadPoolExecutor(max_workers=max(1, threads)) as pool:
        # decode the next photo while this one's tiles render; at most two photos in memory
        pending = pool.submit(masked_ground, read_ground, images[0], settings) if images else None
        for k, image in enumerate(images):
            photo = pending.result()
            if k + 1 < len(images):
                pending = pool.submit(masked_ground, read_ground, images[k + 1], settings)
            futures.extend(pool.submit(one, spec, photo) for spec in by_photo[image])
        done = []
        for future in futures:
            done.append(future.result())
            if progress is not None:
                progress.step()
        return done
