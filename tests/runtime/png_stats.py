#!/usr/bin/env python3
"""png_stats.py FILE: "WIDTH HEIGHT INKED_FRACTION COLOURS" of an 8-bit RGB(A) PNG
(a headless Chromium screenshot): the share of pixels that are not near-white and
the number of distinct colours, to tell a rendered page from a blank one.
Standard library only (zlib), so the test needs no imaging package."""
import struct
import sys
import zlib


def rows(path):
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        sys.exit("not a PNG")
    pos, idat, w = 8, b"", 0
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        pos += 12 + n
        if kind == b"IHDR":
            w, h, depth, ctype = struct.unpack(">IIBB", body[:10])
            if depth != 8 or ctype not in (2, 6):
                sys.exit("unsupported PNG (depth %d colour type %d)" % (depth, ctype))
            bpp = 3 if ctype == 2 else 4
        elif kind == b"IDAT":
            idat += body
    raw = zlib.decompress(idat)
    stride = w * bpp
    prev = bytearray(stride)
    for y in range(h):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        yield w, h, bpp, line
        prev = line


def main():
    inked = total = 0
    colours = set()
    w = h = 0
    for y, (w, h, bpp, line) in enumerate(rows(sys.argv[1])):
        if y % 2:
            continue  # every other row is plenty
        for x in range(0, w, 2):
            px = tuple(line[x * bpp:x * bpp + 3])
            total += 1
            if min(px) < 230:
                inked += 1
            if len(colours) < 4096:
                colours.add(px)
    print(w, h, "%.4f" % (inked / max(total, 1)), len(colours))


main()
