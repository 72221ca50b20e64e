// node --test: what the widget keeps in localStorage and sessionStorage.
import assert from 'node:assert/strict';
import { beforeEach, test } from 'node:test';
import { createStorage } from '../src/storage.js';

const BASE = new URL('https://assistant.example/');
const KEY = 'pulpcare-chat:https://assistant.example/';
const ID = '0123456789abcdef0123456789abcdef';

function area() {
  const items = new Map();
  return {
    items,
    getItem: (key) => (items.has(key) ? items.get(key) : null),
    setItem: (key, value) => items.set(key, String(value)),
    removeItem: (key) => items.delete(key),
  };
}

function blocked() {
  const fail = () => { throw new Error('SecurityError'); };
  return { getItem: fail, setItem: fail, removeItem: fail };
}

beforeEach(() => {
  globalThis.window = { localStorage: area(), sessionStorage: area() };
});

test('the conversation id is kept per assistant, with the time', () => {
  const storage = createStorage(BASE);
  assert.equal(storage.savedSession(), null);
  storage.saveSession(ID);
  const saved = JSON.parse(globalThis.window.localStorage.items.get(KEY));
  assert.equal(saved.id, ID);
  assert.ok(Math.abs(saved.at - Date.now()) < 5000);
  assert.equal(createStorage(BASE).savedSession(), ID);
  assert.equal(createStorage(new URL('https://other.example/')).savedSession(), null);
  storage.saveSession(null);
  assert.equal(globalThis.window.localStorage.items.has(KEY), false);
});

test('an idle, malformed or broken entry starts a new conversation', () => {
  const day = 24 * 60 * 60 * 1000;
  for (const value of [JSON.stringify({ id: ID, at: Date.now() - day - 1000 }),
    JSON.stringify({ id: 'not-an-id', at: Date.now() }), '{broken', 'null', '42']) {
    globalThis.window.localStorage.items.set(KEY, value);
    assert.equal(createStorage(BASE).savedSession(), null, value);
  }
});

test('the open panel is remembered for the tab only', () => {
  const storage = createStorage(BASE);
  assert.equal(storage.wasOpen(), false);
  storage.rememberOpen(true);
  assert.equal(globalThis.window.sessionStorage.items.get(`${KEY}:open`), '1');
  assert.equal(storage.wasOpen(), true);
  storage.rememberOpen(false);
  assert.equal(globalThis.window.sessionStorage.items.has(`${KEY}:open`), false);
  assert.equal(globalThis.window.localStorage.items.size, 0);
});

test('without storage (private modes, blocked cookies) it lives in memory', () => {
  globalThis.window = { localStorage: blocked(), sessionStorage: blocked() };
  const storage = createStorage(BASE);
  assert.equal(storage.savedSession(), null);
  storage.saveSession(ID);
  assert.equal(storage.savedSession(), ID);
  storage.rememberOpen(true);
  assert.equal(storage.wasOpen(), true);
  storage.rememberOpen(false);
  assert.equal(storage.wasOpen(), false);
});

test('the language is kept with the conversation, and outlives "Start over"', () => {
  const storage = createStorage(BASE);
  assert.equal(storage.savedLanguage(), null);
  storage.saveLanguage('es');                       // before the server confirms: memory only
  assert.equal(globalThis.window.localStorage.items.size, 0);
  storage.saveSession(ID);
  assert.deepEqual(JSON.parse(globalThis.window.localStorage.items.get(KEY)).lang, 'es');
  assert.equal(createStorage(BASE).savedLanguage(), 'es');
  assert.equal(createStorage(BASE).savedSession(), ID);

  const at = JSON.parse(globalThis.window.localStorage.items.get(KEY)).at;
  storage.saveLanguage('en');                       // switched in a conversation: saved at once
  const saved = JSON.parse(globalThis.window.localStorage.items.get(KEY));
  assert.deepEqual(saved, { id: ID, at, lang: 'en' });

  storage.saveSession(null);                        // "Start over": the id goes, the language stays
  assert.equal(globalThis.window.localStorage.items.has(KEY), false);
  const next = 'fedcba9876543210fedcba9876543210';
  storage.saveSession(next);
  assert.equal(createStorage(BASE).savedSession(), next);
  assert.equal(createStorage(BASE).savedLanguage(), 'en');
});

test('a saved language outlives an idle conversation; a strange one is ignored', () => {
  const day = 24 * 60 * 60 * 1000;
  globalThis.window.localStorage.items.set(KEY, JSON.stringify({ id: ID, at: Date.now() - 2 * day, lang: 'es' }));
  assert.equal(createStorage(BASE).savedSession(), null);
  assert.equal(createStorage(BASE).savedLanguage(), 'es');
  for (const value of [JSON.stringify({ id: ID, at: Date.now(), lang: 'fr' }),
    JSON.stringify({ id: ID, at: Date.now(), lang: 7 }), '{broken', 'null', '"es"']) {
    globalThis.window.localStorage.items.set(KEY, value);
    assert.equal(createStorage(BASE).savedLanguage(), null, value);
  }
  createStorage(BASE).saveLanguage('fr');           // not a language of the widget: not saved
  assert.equal(JSON.parse(globalThis.window.localStorage.items.get(KEY)).lang, undefined);
});
