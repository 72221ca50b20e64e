// What the widget keeps in the browser, per assistant address:
//   localStorage   `pulpcare-chat:<server>`       { id, at, lang }: the conversation to
//                  continue and the language of its interface ('en' or 'es')
//   sessionStorage `pulpcare-chat:<server>:open`  '1' while the panel is open (a reload reopens it)
// Storage may be unavailable (private modes, blocked cookies): then it lives in
// memory for as long as the page does.
//
// The language is kept with the conversation (one entry, written when the server
// confirms a conversation): a language picked before that, or after "Start over"
// until the new conversation is confirmed, is held here in memory and saved with it.
import { languageOf } from './strings.js';

const IDLE_LIMIT_MS = 24 * 60 * 60 * 1000;   // a conversation idle this long is not resumed
const SESSION_ID = /^[0-9a-f]{32}$/;

export function createStorage(base) {
  const key = `pulpcare-chat:${base.href}`;
  const openKey = `${key}:open`;
  const memory = {};
  let language = null;

  function store(area, name, value) {
    try {
      if (value === null) window[area].removeItem(name);
      else window[area].setItem(name, value);
    } catch {
      memory[area + name] = value;
    }
  }

  function read(area, name) {
    try {
      return window[area].getItem(name);
    } catch {
      return memory[area + name] || null;
    }
  }

  function entry() {
    try {
      const saved = JSON.parse(read('localStorage', key) || 'null');
      return saved && typeof saved === 'object' ? saved : null;
    } catch {
      return null;                                 // a broken entry starts a new conversation
    }
  }

  function write(id, at) {
    store('localStorage', key, JSON.stringify(language ? { id, at, lang: language } : { id, at }));
  }

  return {
    // the saved conversation's id, or null (none, too old, or unreadable)
    savedSession() {
      const saved = entry();
      if (saved && SESSION_ID.test(saved.id) && Date.now() - saved.at < IDLE_LIMIT_MS) {
        return saved.id;
      }
      return null;
    },
    // saves the id with the time (so an idle conversation expires) and the
    // language; null forgets the conversation (the language stays in memory)
    saveSession(id) {
      if (id) write(id, Date.now());
      else store('localStorage', key, null);
    },
    // the language saved with the last conversation (even an expired one), or null
    savedLanguage() {
      const saved = entry();
      return saved ? languageOf(saved.lang) : null;
    },
    // the interface's language: into the saved conversation's entry, if there is one
    saveLanguage(lang) {
      language = languageOf(lang);
      const saved = entry();
      if (saved && SESSION_ID.test(saved.id)) write(saved.id, saved.at);
    },
    wasOpen() {
      return read('sessionStorage', openKey) === '1';
    },
    rememberOpen(open) {
      store('sessionStorage', openKey, open ? '1' : null);
    },
  };
}
