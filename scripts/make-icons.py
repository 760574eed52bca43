#!/usr/bin/env python3
"""Draws the app's icons (ours): a speech bubble with three dots on the accent colour.

Writes www/icons/icon-192.png, icon-512.png and maskable-512.png (full-bleed, the bubble
inside the safe zone). Plain Python (zlib), 4x4 supersampling. Run again after a design change.
"""
import struct
import zlib
from pathlib import Path

ACCENT = (180, 84, 31)
BUBBLE = (255, 250, 244)
DOTS = (180, 84, 31)


def inside(x, y, scale):
    """Which colour the point (in a 0..1 square) takes; `scale` shrinks the motif (maskable)."""
    cx, cy = 0.5 + (x - 0.5) / scale, 0.5 + (y - 0.5) / scale
    # Bubble: an ellipse plus a tail at the lower left.
    ex, ey = (cx - 0.5) / 0.34, (cy - 0.46) / 0.26
    in_ellipse = ex * ex + ey * ey <= 1.0
    tx, ty = cx - 0.30, cy - 0.62
    in_tail = 0 <= ty <= 0.16 and -0.02 + ty * 0.2 <= tx <= 0.14 - ty * 0.9
    if not (in_ellipse or in_tail):
        return None
    for dx in (-0.15, 0.0, 0.15):
        if (cx - 0.5 - dx) ** 2 + (cy - 0.46) ** 2 <= 0.045 ** 2:
            return DOTS
    return BUBBLE


def rounded(x, y, radius):
    """Inside a rounded square of corner `radius` (fractions of the side)."""
    qx, qy = min(x, 1 - x), min(y, 1 - y)
    if qx >= radius or qy >= radius:
        return True
    return (radius - qx) ** 2 + (radius - qy) ** 2 <= radius ** 2


def draw(size, maskable):
    rows = []
    n = 4
    for py in range(size):
        row = bytearray([0])
        for px in range(size):
            acc = [0, 0, 0, 0]
            for sy in range(n):
                for sx in range(n):
                    x, y = (px + (sx + 0.5) / n) / size, (py + (sy + 0.5) / n) / size
                    if not maskable and not rounded(x, y, 0.22):
                        continue
                    colour = inside(x, y, 0.72 if maskable else 0.92) or ACCENT
                    for i in range(3):
                        acc[i] += colour[i]
                    acc[3] += 255
            samples = n * n
            row += bytes([acc[0] // samples, acc[1] // samples, acc[2] // samples, acc[3] // samples])
        rows.append(bytes(row))
    return png(size, size, b"".join(rows))


def png(width, height, raw):
    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def main():
    out = Path(__file__).resolve().parent.parent / "www" / "icons"
    out.mkdir(parents=True, exist_ok=True)
    (out / "icon-192.png").write_bytes(draw(192, False))
    (out / "icon-512.png").write_bytes(draw(512, False))
    (out / "maskable-512.png").write_bytes(draw(512, True))


if __name__ == "__main__":
    main()
