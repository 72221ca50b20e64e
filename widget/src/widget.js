// The website chat widget. One script tag on the practice's page:
//
//   <script src="https://ASSISTANT/widget/widget.js" async
//           data-server="https://ASSISTANT" data-practice-name="Example Kids Dental"
//           data-accent="#0b5f86" data-greeting="Hi! Ask me about ..."></script>
//
// Every setting is optional: the server address defaults to where the script came
// from, and the practice's name, phone, greeting and first suggestions come from
// the server's /widget/config.json (practice.yml). data-phone overrides the phone;
// data-greeting the English greeting, data-greeting-es the Spanish one.
//
// English or Spanish (strings.js): the language saved with the conversation, else
// data-lang="es|en", else Spanish if the page (<html lang>) or the browser is,
// else English. The parent switches with the button in the panel's header; an
// answer in the other language (the assistant answers a Spanish question in
// Spanish) switches the interface too. Either way the choice is saved.
//
// It talks to the Rasa server's Socket.IO channel (addons/channels/webchat.py) with
// a session id kept in localStorage, so a reload continues the conversation and
// shows its history. Everything is rendered with textContent; links are made only
// for http(s) and tel addresses. Nothing is loaded from anywhere but the server.
//
// This file wires the parts together:
//   strings.js     the widget's own words in English and Spanish, the first language
//   settings.js    the practice's settings (data attributes, /widget/config.json)
//   storage.js     what is kept in localStorage and sessionStorage
//   panel.js       the launcher and the panel: DOM, open/close, focus, keyboard, aria
//   render.js      drawing the conversation: messages, sources, suggestions, status
//   connection.js  Socket.IO: the session id, history, queue, reconnecting
import { palette } from './colour.js';
import { createConnection } from './connection.js';
import { createPanel } from './panel.js';
import { createView } from './render.js';
import { loadSettings } from './settings.js';
import { createStorage } from './storage.js';
import { initialLanguage, languageOf, otherLanguage, say } from './strings.js';

function start(script) {
  const data = script.dataset;
  const base = new URL(data.server || new URL('../', script.src).href, window.location.href);
  if (!base.pathname.endsWith('/')) base.pathname += '/';
  const storage = createStorage(base);
  const { settings, loaded } = loadSettings(data, base);
  let lang = null;

  const panel = createPanel({
    colours: palette(data.accent),
    practiceName: data.practiceName,
    storage,
    onFirstOpen() {
      loaded.then(() => {
        view.greet(!connection.hasSession());
        connection.connect();
      });
    },
    onRestart: startOver,
    onSubmit: send,
    onSwitch: switchLanguage,
  });
  loaded.then(() => panel.showPractice(settings));
  const view = createView(panel.parts, settings, send);
  const connection = createConnection(base, storage, {
    history: view.showHistory,
    answer(message) {
      // the assistant answered in the other language: the interface follows
      if (languageOf(message.lang)) setLanguage(languageOf(message.lang));
      view.showAnswer(message);
    },
    sending: () => view.setTyping(true),
    online: () => view.setReconnecting(false),
    offline: () => view.setReconnecting(true),
  });

  // the interface's language ('en' or 'es'): every label, saved with the conversation
  function setLanguage(next) {
    if (next === lang) return;
    lang = next;
    storage.saveLanguage(lang);
    panel.setLanguage(lang);
    view.setLanguage(lang);
  }
  setLanguage(initialLanguage({
    saved: storage.savedLanguage(),
    script: data.lang,
    page: document.documentElement.lang,
    browser: navigator.language,
  }));

  // The switch: the labels (and, before the conversation has begun, the greeting)
  // at once; in a conversation, "Español" / "English" is said to the assistant,
  // which then answers in that language.
  function switchLanguage() {
    const next = otherLanguage(lang);
    setLanguage(next);
    if (view.hasBegun()) send(say(next, 'name'), '', next);
  }

  // `shown`: what the parent sees in the conversation (a suggestion's title
  // rather than its payload); `said`: its language, when known
  function send(payload, shown, said) {
    const text = String(payload || '').trim();
    if (!text) return;
    const pending = !connection.ready();
    const bubble = view.addUser(shown || text, { pending, lang: said });
    connection.send(text, () => view.markSent(bubble), lang);
  }

  function startOver() {
    view.clear();
    connection.startOver();
    view.greet(true);
    panel.focusInput();
  }

  if (document.body) panel.mount();
  else document.addEventListener('DOMContentLoaded', panel.mount);
}

const script = document.currentScript;
if (script && !window.__pulpcareChat) {
  window.__pulpcareChat = true;
  start(script);
}
