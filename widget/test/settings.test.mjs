// node --test: the practice's settings, with the greeting and suggestions per language.
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { loadSettings } from '../src/settings.js';

const BASE = new URL('https://assistant.example/');
const realFetch = globalThis.fetch;
afterEach(() => { globalThis.fetch = realFetch; });

function serve(body) {
  globalThis.fetch = async (url) => {
    assert.equal(url, 'https://assistant.example/widget/config.json');
    return { ok: true, json: async () => body };
  };
}

const EN = { greeting: 'Hi!', suggestions: [{ title: 'Why?', payload: '/why' }] };
const ES = { greeting: '¡Hola!', suggestions: [{ title: '¿Por qué?', payload: '/why' }] };

test('the greeting and first suggestions in English and in Spanish', async () => {
  serve({ practice_name: 'Kids Dental', phone: '(555) 010-0123', ...EN, languages: { en: EN, es: ES } });
  const { settings, loaded } = loadSettings({}, BASE);
  assert.deepEqual(settings.greetings, { en: { greeting: '', suggestions: [] }, es: { greeting: '', suggestions: [] } });
  await loaded;
  assert.equal(settings.practice_name, 'Kids Dental');
  assert.equal(settings.phone_href, 'tel:+15550100123');
  assert.deepEqual(settings.greetings, { en: EN, es: ES });
});

test('data-greeting is the English greeting, data-greeting-es the Spanish one', async () => {
  serve({ ...EN, languages: { en: EN, es: ES } });
  const { settings, loaded } = loadSettings({ greeting: 'Hello from us' }, BASE);
  await loaded;
  assert.equal(settings.greetings.en.greeting, 'Hello from us');
  assert.equal(settings.greetings.es.greeting, '¡Hola!');
  const both = loadSettings({ greeting: 'Hello', greetingEs: 'Hola de nosotros' }, BASE);
  await both.loaded;
  assert.equal(both.settings.greetings.es.greeting, 'Hola de nosotros');
  assert.deepEqual(both.settings.greetings.es.suggestions, ES.suggestions);
});

test('a server without languages: English from the top level, no Spanish greeting', async () => {
  serve({ ...EN });
  const { settings, loaded } = loadSettings({}, BASE);
  await loaded;
  assert.deepEqual(settings.greetings, { en: EN, es: { greeting: '', suggestions: [] } });
  globalThis.fetch = async () => { throw new Error('offline'); };
  const offline = loadSettings({ greeting: 'Hi' }, BASE);
  await offline.loaded;
  assert.deepEqual(offline.settings.greetings.en, { greeting: 'Hi', suggestions: [] });
});
