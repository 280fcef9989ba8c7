#!/usr/bin/python3
"""Builds the folder of real photographs and odd files that test_photos imports.

Usage: photo_folder.py SKIMAGE_DATA_DIR OUT_DIR

OUT_DIR/photos/ gets copies of scikit-image's real photographs (Debian's python3-skimage) and
files derived from them with Pillow: a 4000x3000 JPEG, a phone photo stored sideways with EXIF
Orientation 6, 16-bit, palette and RGBA PNGs, a multi-page TIFF, an animated GIF, a CMYK JPEG,
plus three files no decoder should accept (two truncated JPEGs and a text file named .jpg).

OUT_DIR/refs/NAME.png holds, for every valid file, what an image viewer shows: upright, the first
page or frame, 8-bit RGB, transparency composited on white. They are made independently of
OpenCV (Pillow, tifffile, numpy), so the studio's decoder is checked against another one.
OUT_DIR/orientations/ holds chelsea.png stored turned or mirrored with each EXIF orientation 1..8
(oN.jpg, oN.png) and a TIFF with Orientation 6 (o6.tif): all must come out as chelsea.png.
OUT_DIR/manifest.json lists {"valid": [...], "invalid": [...]}.
"""
import json
import os
import shutil
import sys

import numpy as np
from PIL import Image

data, out = sys.argv[1], sys.argv[2]
photos, refs = os.path.join(out, "photos"), os.path.join(out, "refs")
os.makedirs(photos, exist_ok=True)
os.makedirs(refs, exist_ok=True)
valid, invalid = [], []


def on_white(im):
    """What a viewer shows: 8-bit RGB with any transparency composited on white."""
    im = im.convert("RGBA")
    white = Image.new("RGBA", im.size, (255, 255, 255, 255))
    return Image.alpha_composite(white, im).convert("RGB")


def add(name, ref):
    valid.append(name)
    ref.save(os.path.join(refs, name + ".png"), compress_level=1)


def src(name):
    return os.path.join(data, name)


# Real photographs and images, copied as they are.
for name in ["astronaut.png", "chelsea.png", "coffee.png", "rocket.jpg", "motorcycle_left.png",
             "hubble_deep_field.jpg", "retina.jpg", "camera.png",   # camera: 8-bit grey
             "green_palette.png",                                  # palette
             "logo.png",                                           # RGBA
             "no_time_for_that_tiny.gif"]:                         # animated GIF, 24 frames
    shutil.copy(src(name), os.path.join(photos, name))
    im = Image.open(src(name))
    im.seek(0)
    add(name, on_white(im))

# skimage's float64 RGB TIFF of two pages (planar, 10x10): the first page, values in [0, 1].
import tifffile  # noqa: E402  (python3-tifffile, a dependency of python3-skimage)
shutil.copy(src("multipage_rgb.tif"), os.path.join(photos, "multipage_rgb.tif"))
page = tifffile.TiffFile(src("multipage_rgb.tif")).pages[0].asarray()
page = np.moveaxis(page, 0, -1) if page.shape[0] == 3 else page
add("multipage_rgb.tif", Image.fromarray(np.clip(page * 255.0 + 0.5, 0, 255).astype(np.uint8)))

astronaut = Image.open(src("astronaut.png")).convert("RGB")
chelsea = Image.open(src("chelsea.png")).convert("RGB")
coffee = Image.open(src("coffee.png")).convert("RGB")

# A 12-megapixel camera-sized JPEG.
big = coffee.resize((4000, 3000), Image.Resampling.BICUBIC)
big.save(os.path.join(photos, "large_4000x3000.jpg"), quality=85)
add("large_4000x3000.jpg", Image.open(os.path.join(photos, "large_4000x3000.jpg")).convert("RGB"))

# A phone photo held upright: the sensor's pixels are stored sideways (rotated 90° anticlockwise)
# and EXIF Orientation 6 tells viewers to turn them 90° clockwise.
exif = Image.Exif()
exif[0x0112] = 6
chelsea.transpose(Image.Transpose.ROTATE_90).save(os.path.join(photos, "phone_rotated.jpg"), quality=92,
                                                  exif=exif.tobytes())
from PIL import ImageOps  # noqa: E402
add("phone_rotated.jpg", ImageOps.exif_transpose(Image.open(os.path.join(photos, "phone_rotated.jpg"))).convert("RGB"))

# 16-bit grey PNG: the full 16-bit range (v * 257), so an 8-bit view is v again.
grey = np.asarray(coffee.convert("L"))
Image.fromarray(grey.astype(np.uint16) * 257).save(os.path.join(photos, "grey16.png"))
add("grey16.png", Image.fromarray(grey).convert("RGB"))

# RGBA: the left half fully transparent (white on screen), the right half opaque.
alpha = np.full((astronaut.height, astronaut.width), 255, np.uint8)
alpha[:, : astronaut.width // 2] = 0
rgba = astronaut.copy()
rgba.putalpha(Image.fromarray(alpha))
rgba.save(os.path.join(photos, "rgba_half.png"))
add("rgba_half.png", on_white(rgba))

# Multi-page TIFF (LZW), three photographs: the first page is the astronaut.
astronaut.save(os.path.join(photos, "pages.tif"), save_all=True, append_images=[chelsea, coffee],
               compression="tiff_lzw")
add("pages.tif", astronaut)

# Animated GIF, three frames: the first is the coffee.
frames = [im.resize((160, 120), Image.Resampling.BILINEAR) for im in (coffee, astronaut, chelsea)]
frames[0].save(os.path.join(photos, "animated.gif"), save_all=True, append_images=frames[1:], duration=100, loop=0)
first = Image.open(os.path.join(photos, "animated.gif"))
first.seek(0)
add("animated.gif", on_white(first))

# CMYK JPEG (as print workflows leave them): Pillow writes Adobe CMYK.
coffee.convert("CMYK").save(os.path.join(photos, "cmyk.jpg"), quality=90)
add("cmyk.jpg", Image.open(os.path.join(photos, "cmyk.jpg")).convert("RGB"))

# Files that must be refused, each with one warning.
rocket = open(src("rocket.jpg"), "rb").read()
open(os.path.join(photos, "rocket_truncated.jpg"), "wb").write(rocket[: len(rocket) // 2])
invalid.append("rocket_truncated.jpg")
shutil.copy(src("truncated.jpg"), os.path.join(photos, "truncated.jpg"))   # skimage's own, 400 bytes
invalid.append("truncated.jpg")
with open(os.path.join(photos, "notes.jpg"), "w") as f:
    f.write("Shopping list: batteries, propellers, a spare gripper.\n")
invalid.append("notes.jpg")

# Every EXIF orientation, in JPEG (APP1) and PNG (eXIf), and a TIFF's own Orientation tag: the
# chelsea photograph stored turned or mirrored, with the tag that turns it back upright.
turns = {1: None, 2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180,
         4: Image.Transpose.FLIP_TOP_BOTTOM, 5: Image.Transpose.TRANSPOSE, 6: Image.Transpose.ROTATE_90,
         7: Image.Transpose.TRANSVERSE, 8: Image.Transpose.ROTATE_270}
orientations = os.path.join(out, "orientations")
os.makedirs(orientations, exist_ok=True)
for o, turn in turns.items():
    stored = chelsea if turn is None else chelsea.transpose(turn)
    tag = Image.Exif()
    tag[0x0112] = o
    stored.save(os.path.join(orientations, "o%d.jpg" % o), quality=95, exif=tag.tobytes())
    stored.save(os.path.join(orientations, "o%d.png" % o), exif=tag.tobytes())
chelsea.transpose(turns[6]).save(os.path.join(orientations, "o6.tif"), tiffinfo={274: 6})

with open(os.path.join(out, "manifest.json"), "w") as f:
    json.dump({"valid": valid, "invalid": invalid}, f, indent=1)
