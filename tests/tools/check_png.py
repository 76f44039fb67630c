#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Did a screenshot render something? Reads an 8-bit RGB(A) PNG with the standard
library alone and prints, then checks, how many pixels are drawn (not near white),
dark (text and edges) and red (the denied flows' edges).

    check_png.py FILE MIN_DRAWN MIN_DARK MIN_RED
"""
import struct
import sys
import zlib


def pixels(path):
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise SystemExit("%s: not a PNG" % path)
    pos, idat, ihdr = 8, b"", None
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    w, h, depth, ctype, _, _, interlace = ihdr
    if depth != 8 or ctype not in (2, 6) or interlace:
        raise SystemExit("%s: only 8-bit RGB(A), not interlaced" % path)
    bpp = 3 if ctype == 2 else 4
    raw = zlib.decompress(idat)
    stride = w * bpp
    prev = bytearray(stride)
    rows = []
    for y in range(h):
        ft = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if ft == 1:
                line[i] = (line[i] + a) & 255
            elif ft == 2:
                line[i] = (line[i] + b) & 255
            elif ft == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif ft == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pr = a if pa <= pb and pa <= pc else b if pb <= pc else c
                line[i] = (line[i] + pr) & 255
        rows.append(line)
        prev = line
    return w, h, bpp, rows


def main():
    path, min_drawn, min_dark, min_red = sys.argv[1], *map(int, sys.argv[2:5])
    w, h, bpp, rows = pixels(path)
    drawn = dark = red = 0
    for line in rows:
        for x in range(0, w * bpp, bpp):
            r, g, b = line[x], line[x + 1], line[x + 2]
            if r < 235 or g < 235 or b < 235:
                drawn += 1
            if r < 90 and g < 90 and b < 110:
                dark += 1
            if r > 150 and g < 100 and b < 100:
                red += 1
    print("%s: %dx%d, %d drawn, %d dark, %d red pixels" % (path, w, h, drawn, dark, red))
    ok = drawn >= min_drawn and dark >= min_dark and red >= min_red
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
