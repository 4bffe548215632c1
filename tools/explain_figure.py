#!/usr/bin/python3
"""docs/explain.md's figure: the photo and every method's overlay in one row, each titled.

Usage: ./filtervis explain --image chelsea.png --method all --out OUT && /usr/bin/python3 tools/explain_figure.py OUT/chelsea K FIGURE.png
"""
import sys

from PIL import Image, ImageDraw

METHODS = ["gradcam", "gradcampp", "hirescam", "layercam", "scorecam", "saliency", "smoothgrad", "integrated-gradients"]
TITLES = ["photo", "gradcam", "gradcam++", "hirescam", "layercam", "scorecam", "saliency", "smoothgrad", "integrated-grad."]


def main(folder, k, out):
    tiles = [Image.open(f"{folder}/photo.png")] + [Image.open(f"{folder}/{k}_{m}_overlay.png") for m in METHODS]
    size, margin, title = tiles[0].width, 6, 18
    sheet = Image.new("RGB", (len(tiles) * (size + margin) + margin, size + title + 2 * margin), "white")
    draw = ImageDraw.Draw(sheet)
    for i, (tile, name) in enumerate(zip(tiles, TITLES)):
        x = margin + i * (size + margin)
        draw.text((x + 4, margin), name, fill="black")
        sheet.paste(tile, (x, margin + title))
    sheet.save(out)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3])
