// The website chat widget. One script tag on the practice's page:
//
//   <script src="https://ASSISTANT/widget/widget.js" async
//           data-server="https://ASSISTANT" data-practice-name="Example Kids Dental"
//           data-accent="#0b5f86" data-greeting="Hi! Ask me about ..."></script>
//
// Every setting is optional: the server address defaults to where the script came
// from, and the practice's name, phone, greeting and first suggestions come from
// the server's /widget/config.json (practice.yml). data-phone overrides the phone.
//
// It talks to the Rasa server's Socket.IO channel (addons/channels/webchat.py) with
// a session id kept in localStorage, so a reload continues the conversation and
// shows its history. Everything is rendered with textContent; links are made only
// for http(s) and tel addresses. Nothing is loaded from anywhere but the server.
//
// This file wires the parts together:
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

function start(script) {
  const data = script.dataset;
  const base = new URL(data.server || new URL('../', script.src).href, window.location.href);
  if (!base.pathname.endsWith('/')) base.pathname += '/';
  const storage = createStorage(base);
  const { settings, loaded } = loadSettings(data, base);

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
  });
  loaded.then(() => panel.showPractice(settings));
  const view = createView(panel.parts, settings, send);
  const connection = createConnection(base, storage, {
    history: view.showHistory,
    answer: view.showAnswer,
    sending: () => view.setTyping(true),
    online: () => view.setReconnecting(false),
    offline: () => view.setReconnecting(true),
  });

  // `shown`: what the parent sees in the conversation (a suggestion's title
  // rather than its payload)
  function send(payload, shown) {
    const text = String(payload || '').trim();
    if (!text) return;
    const pending = !connection.ready();
    const bubble = view.addUser(shown || text, { pending });
    connection.send(text, () => view.markSent(bubble));
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
