// node --test: the widget's own words in English and Spanish, and its first language.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { test } from 'node:test';
import {
  DEFAULT_LANGUAGE, LANGUAGES, STRINGS, initialLanguage, languageOf, otherLanguage, say,
} from '../src/strings.js';

const placeholders = (text) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

test('every English string has a Spanish one, and the other way round', () => {
  assert.deepEqual(LANGUAGES, ['en', 'es']);
  const english = Object.keys(STRINGS.en).sort();
  for (const lang of LANGUAGES) {
    assert.deepEqual(Object.keys(STRINGS[lang]).sort(), english, lang);
    for (const [key, text] of Object.entries(STRINGS[lang])) {
      assert.equal(typeof text, 'string', `${lang}.${key}`);
      assert.ok(text.trim(), `${lang}.${key} is empty`);
      // the same {phone} in both, so no number is lost in translation
      assert.deepEqual(placeholders(text), placeholders(STRINGS.en[key]), `${lang}.${key}`);
    }
  }
});

test('the Spanish strings are translated (only names and "Chat" are the same)', () => {
  const same = Object.keys(STRINGS.en).filter((key) => STRINGS.en[key] === STRINGS.es[key]);
  assert.deepEqual(same, ['title']);
  assert.equal(STRINGS.es.launcher, 'Chatee con nosotros');
  assert.equal(STRINGS.es.placeholder, 'Escriba su pregunta');
  assert.equal(STRINGS.es.switchTo, 'Cambiar a español');
  assert.equal(STRINGS.en.switchTo, 'Switch to English');
  // usted, not tú
  assert.doesNotMatch(Object.values(STRINGS.es).join(' '), /\b(tu|tú|escribe|llámanos|necesitas|inténtalo)\b/i);
});

test('no interface string is left as a literal in the widget code', () => {
  // every English sentence the widget shows lives in strings.js; a new literal in
  // another file is a string that would stay English in a Spanish interface
  const dir = new URL('../src/', import.meta.url);
  // the words up to the first punctuation or placeholder: "Reconnecting", "Call"
  const words = Object.values(STRINGS.en).map((text) => text.match(/^[A-Za-z ]*/)[0].trim()).filter((t) => t.length > 3);
  for (const name of readdirSync(dir).filter((n) => n.endsWith('.js') && n !== 'strings.js')) {
    const code = readFileSync(new URL(name, dir), 'utf8').replace(/^\s*\/\/.*$/gm, '');
    for (const text of words) assert.ok(!code.includes(`'${text}`) && !code.includes(`\`${text}`), `${name}: '${text}'`);
  }
});

test('say() fills in the phone, in the language asked for', () => {
  assert.equal(say('en', 'call', { phone: '(555) 010-0123' }), 'Call (555) 010-0123');
  assert.equal(say('es', 'call', { phone: '(555) 010-0123' }), 'Llamar al (555) 010-0123');
  assert.equal(say('es', 'offlineCall', { phone: '555' }),
    'Reconectando\u2026 Si necesita ayuda ahora, llámenos al 555.');
  assert.equal(say('fr', 'send'), 'Send');
  assert.equal(say('en', 'call'), 'Call {phone}');
});

test('language codes: en and es, with or without a region', () => {
  for (const [value, expected] of [['es', 'es'], ['es-US', 'es'], ['ES_mx', 'es'], [' en-GB ', 'en'],
    ['en', 'en'], ['fr', null], ['', null], [null, null], [undefined, null], ['espanol', null],
    ['eng', null], ['e', null]]) {
    assert.equal(languageOf(value), expected, String(value));
  }
  assert.equal(otherLanguage('en'), 'es');
  assert.equal(otherLanguage('es'), 'en');
  assert.equal(DEFAULT_LANGUAGE, 'en');
});

test('the first language: saved, data-lang, a Spanish page or browser, else English', () => {
  assert.equal(initialLanguage({}), 'en');
  assert.equal(initialLanguage({ saved: 'es', script: 'en', page: 'en', browser: 'en-US' }), 'es');
  assert.equal(initialLanguage({ saved: 'en', page: 'es', browser: 'es' }), 'en');
  assert.equal(initialLanguage({ saved: 'xx', script: 'es' }), 'es');
  assert.equal(initialLanguage({ script: 'en', page: 'es', browser: 'es' }), 'en');
  assert.equal(initialLanguage({ script: 'fr', page: 'es-US' }), 'es');
  assert.equal(initialLanguage({ page: 'en', browser: 'es-MX' }), 'es');
  assert.equal(initialLanguage({ page: 'fr', browser: 'fr-FR' }), 'en');
  assert.equal(initialLanguage({ page: 'en-US', browser: 'en-US' }), 'en');
});
