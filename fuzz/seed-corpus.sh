#!/usr/bin/env bash
# Writes the seed corpora of the `auto` and `stream` fuzz targets from the
# benchmark corpus (crates/rig-compose/benches/formats/corpus.txt, realistic
# outputs of every format family in the spec):
#   fuzz/corpus/auto/NN-NAME       each output, and its first half (cut off)
#   fuzz/corpus/stream/NN-NAME-*   the same behind the stream target's two
#                                  header bytes: 16-byte chunks, and 0xFF
#                                  chunk marks every 5 bytes
# The seed files are tracked in git (added with -f: /fuzz/corpus is
# ignored, so what fuzzing adds next to them stays out of git).
# Usage: fuzz/seed-corpus.sh   (rewrites the seeds; run after editing corpus.txt)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
python3 - "$root/crates/rig-compose/benches/formats/corpus.txt" "$root/fuzz/corpus" <<'PY'
import os, re, sys
src, out = sys.argv[1], sys.argv[2]
entries, body = [], None
for line in open(src, encoding="utf-8").read().split("\n"):
    if line.startswith("=== "):
        entries.append([line[4:].split()[0].split("|")[0], []])
        body = entries[-1][1]
    elif body is not None:
        body.append(line)
for kind in ("auto", "stream"):
    d = os.path.join(out, kind)
    os.makedirs(d, exist_ok=True)
    for f in os.listdir(d):
        if re.match(r"^\d\d-", f):
            os.remove(os.path.join(d, f))
for i, (name, lines) in enumerate(entries):
    raw = "\n".join(lines).rstrip("\n").encode("utf-8")
    text = raw.decode("utf-8")
    half = text[: len(text) // 2].encode("utf-8")  # cut at a character
    byte_half = raw[: len(raw) // 2]  # maybe inside one
    stem = f"{i:02d}-{re.sub(r'[^a-z0-9_]', '_', name.lower())}"
    def write(kind, suffix, data):
        with open(os.path.join(out, kind, stem + suffix), "wb") as f:
            f.write(data)
    write("auto", "", raw)
    write("auto", "-cut", half)
    pick = bytes([i % 256])
    write("stream", "-c16", pick + bytes([0x0F]) + raw)
    write("stream", "-cut-c3", pick + bytes([0x82]) + byte_half)
    marked = b"\xff".join(raw[j : j + 5] for j in range(0, len(raw), 5))
    write("stream", "-marks", pick + bytes([0x00]) + marked)
print(f"{len(entries)} entries -> {out}/auto, {out}/stream")
PY
