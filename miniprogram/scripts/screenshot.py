"""Screenshots of the pages `npm run render` wrote (README figure): Debian's Chromium through
Playwright, each page at a phone's 750 px design width, side by side in one PNG.

    RENDER_DIR=/tmp/screens npm run render
    ../.venv/bin/python scripts/screenshot.py /tmp/screens ../docs/screenshots/miniprogram.png 1-letter 3-form …
"""
from __future__ import annotations

import io
import sys
from pathlib import Path

from PIL import Image
from playwright.sync_api import sync_playwright

ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--disable-gpu"]
HEIGHT = 1334  # an iPhone 8's screen at 750 px wide


def shoot(source: Path, names: list[str]) -> list[Image.Image]:
    shots = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        page = browser.new_page(viewport={"width": 750, "height": HEIGHT})
        for name in names:
            page.goto((source / f"{name}.html").as_uri())
            shots.append(Image.open(io.BytesIO(page.screenshot(full_page=False))).convert("RGB"))
        browser.close()
    return shots


def main() -> None:
    source, target, names = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3:]
    shots = shoot(source, names)
    gap = 24
    sheet = Image.new("RGB", (len(shots) * 750 + (len(shots) + 1) * gap, HEIGHT + 2 * gap), (226, 230, 236))
    for i, shot in enumerate(shots):
        sheet.paste(shot, (gap + i * (750 + gap), gap))
    sheet = sheet.resize((sheet.width // 2, sheet.height // 2), Image.LANCZOS)
    target.parent.mkdir(parents=True, exist_ok=True)
    sheet.quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(target, optimize=True)
    print(f"{target}: {sheet.width}×{sheet.height}")


if __name__ == "__main__":
    main()
