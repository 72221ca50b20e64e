// node --test: the pure text helpers (links, paragraphs, the source line).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { linkParts, safeHref, splitAnswer, telHref } from '../src/text.js';

test('the final Source(s) paragraph becomes the source line', () => {
  assert.deepEqual(splitAnswer('One.\n\nTwo.\n\nSources: A; B'),
    { paragraphs: ['One.', 'Two.'], source: 'Sources: A; B' });
  assert.deepEqual(splitAnswer('Only text.'), { paragraphs: ['Only text.'], source: '' });
  assert.deepEqual(splitAnswer('Source: not last\n\nAfter.'),
    { paragraphs: ['Source: not last', 'After.'], source: '' });
  assert.deepEqual(splitAnswer('Source: X'), { paragraphs: [], source: 'Source: X' });
  assert.deepEqual(splitAnswer(null), { paragraphs: [], source: '' });
  // the Spanish answers' source line
  assert.deepEqual(splitAnswer('Uno.\n\nFuentes: A; B'), { paragraphs: ['Uno.'], source: 'Fuentes: A; B' });
  assert.deepEqual(splitAnswer('Uno.\n\nFuente: A'), { paragraphs: ['Uno.'], source: 'Fuente: A' });
  assert.deepEqual(splitAnswer('Uno.\n\nFuentes A'), { paragraphs: ['Uno.', 'Fuentes A'], source: '' });
});

test('only http(s) and tel links are ever made', () => {
  assert.equal(safeHref('https://example.com/book'), 'https://example.com/book');
  assert.equal(safeHref('http://example.com'), 'http://example.com/');
  assert.equal(safeHref('tel:+15550100123'), 'tel:+15550100123');
  for (const bad of ['javascript:alert(1)', 'JAVASCRIPT:alert(1)', 'data:text/html,<b>x',
    'vbscript:x', 'file:///etc/passwd', 'tel:1;alert(1)', '//example.com', 'not a url']) {
    assert.equal(safeHref(bad), '', bad);
  }
});

test('web addresses, phone numbers and 911 become links; the rest stays text', () => {
  const parts = linkParts('Book at https://example.com/book. Or call (555) 010-0123, or 911 now.');
  assert.deepEqual(parts, [
    { text: 'Book at ' },
    { text: 'https://example.com/book', href: 'https://example.com/book' },
    { text: '. Or call ' },
    { text: '(555) 010-0123', href: 'tel:+15550100123' },
    { text: ', or ' },
    { text: '911', href: 'tel:911' },
    { text: ' now.' },
  ]);
  assert.equal(parts.map((p) => p.text).join(''),
    'Book at https://example.com/book. Or call (555) 010-0123, or 911 now.');
});

test('markup and script addresses stay plain text', () => {
  for (const text of ['<img src=x onerror=alert(1)>', 'javascript:alert(1)', '<a href="javascript:x">y</a>']) {
    const parts = linkParts(text);
    assert.deepEqual(parts, [{ text }]);
  }
});

test('phone numbers become tel links with the country code', () => {
  assert.equal(telHref('(555) 010-0123'), 'tel:+15550100123');
  assert.equal(telHref('1-555-010-0123'), 'tel:+15550100123');
  assert.equal(telHref('911'), 'tel:911');
  assert.equal(telHref(''), '');
});
