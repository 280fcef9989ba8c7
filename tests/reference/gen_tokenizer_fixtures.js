#!/usr/bin/env node
// Generates tests/fixtures/tokenizer_expected.json from tests/fixtures/tokenizer_corpus.json with
// the reference GPT-2 encoder (npm gpt-3-encoder@1.1.4, third_party/gpt2/Encoder.js).
// Special tokens are split off first, as core/tokenizer.cpp (and Hugging Face) do; the pieces
// between them go through the reference encoder.
//
// Usage: node tests/reference/gen_tokenizer_fixtures.js
'use strict';
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..', '..');
const { encode, decode } = require(path.resolve(__dirname, '..', '..', 'third_party', 'gpt2', 'Encoder.js'));

const SPECIALS = [
  ['<|endoftext|>', 50256],
  ['<|reasoning_start|>', 50257],
  ['<|reasoning_end|>', 50258],
  ['<|robot_selection|>', 50259],
  ['<|action_plan|>', 50260],
  ['<|image|>', 50261],
];

// Strings where the JS port disagrees with OpenAI's encoder.py (its merge ranks are keyed by
// "a,b" strings, so pairs around commas can collide); such strings are written as
// {"text", "excluded": true, "comment"} and skipped by the test. Checked against a Python
// encoder.py on this corpus and on every string of up to 5 characters over ,"{}[]().' : —
// no disagreement, so the list is empty.
const JS_QUIRKS = {};

function encodeWithSpecials(text) {
  const ids = [];
  let segStart = 0;
  let pos = 0;
  while (pos < text.length) {
    const lt = text.indexOf('<', pos);
    if (lt < 0) break;
    pos = lt;
    const sp = SPECIALS.find(([s]) => text.startsWith(s, pos));
    if (!sp) { pos += 1; continue; }
    if (pos > segStart) ids.push(...encode(text.slice(segStart, pos)));
    ids.push(sp[1]);
    pos += sp[0].length;
    segStart = pos;
  }
  if (segStart < text.length) ids.push(...encode(text.slice(segStart)));
  return ids;
}

const corpusPath = path.join(root, 'tests', 'fixtures', 'tokenizer_corpus.json');
const outPath = path.join(root, 'tests', 'fixtures', 'tokenizer_expected.json');
const corpus = JSON.parse(fs.readFileSync(corpusPath, 'utf-8'));

const out = [];
for (const text of corpus) {
  if (Object.prototype.hasOwnProperty.call(JS_QUIRKS, text)) {
    out.push({ text, excluded: true, comment: JS_QUIRKS[text] });
    continue;
  }
  const ids = encodeWithSpecials(text);
  if (ids.some(x => typeof x !== 'number')) {
    throw new Error('reference encoder produced a non-id for ' + JSON.stringify(text));
  }
  // Sanity: the reference decoder must give back the text without its special tokens.
  const plain = text.split(/<\|(?:endoftext|reasoning_start|reasoning_end|robot_selection|action_plan|image)\|>/).join('');
  if (decode(ids.filter(x => x < 50256)) !== plain) {
    throw new Error('reference round trip failed for ' + JSON.stringify(text));
  }
  out.push({ text, ids });
}

fs.writeFileSync(outPath, '[\n' + out.map(e => JSON.stringify(e)).join(',\n') + '\n]\n');
console.log(`wrote ${out.length} entries to ${path.relative(process.cwd(), outPath)}`);
