// node --test: whatever accent a practice picks, text drawn with it meets WCAG AA.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_ACCENT, contrast, palette, parseHex } from '../src/colour.js';

const WHITE = [255, 255, 255];
const BUBBLE = [238, 241, 244];

test('colours are read from #rgb and #rrggbb only', () => {
  assert.deepEqual(parseHex('#fff'), [255, 255, 255]);
  assert.deepEqual(parseHex('#0B5F86'), [11, 95, 134]);
  for (const bad of ['red', 'rgb(1,2,3)', '#12345', 'url(x)', '', null]) assert.equal(parseHex(bad), null);
});

test('a missing or unreadable accent falls back to the default', () => {
  assert.equal(palette(undefined).accent, DEFAULT_ACCENT);
  assert.equal(palette('javascript:alert(1)').accent, DEFAULT_ACCENT);
});

test('every accent gets readable text on it and a readable text colour of its own', () => {
  for (const accent of ['#0b5f86', '#ffd54f', '#ffffff', '#000000', '#ff0000', '#00ff00',
    '#777777', '#8a2be2', '#20b2aa', '#f0f']) {
    const colours = palette(accent);
    const fill = parseHex(colours.accent);
    assert.ok(contrast(fill, parseHex(colours.onAccent)) >= 4.5, `${accent}: text on the accent`);
    assert.ok(contrast(parseHex(colours.accentText), WHITE) >= 4.5, `${accent}: accent text on white`);
    assert.ok(contrast(parseHex(colours.accentText), BUBBLE) >= 4.5, `${accent}: accent text on bubbles`);
  }
});
