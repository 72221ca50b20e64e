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
import { io } from 'socket.io-client';
import css from './widget.css';
import { palette } from './colour.js';
import { linkParts, splitAnswer, telHref } from './text.js';

const IDLE_LIMIT_MS = 24 * 60 * 60 * 1000;   // a conversation idle this long is not resumed
const ANSWER_WAIT_MS = 30000;                  // then the typing dots give way to a note
const CONFIG_WAIT_MS = 4000;

(function start() {
  const script = document.currentScript;
  if (!script || window.__pulpcareChat) return;
  window.__pulpcareChat = true;
  const data = script.dataset;
  const base = new URL(data.server || new URL('../', script.src).href, window.location.href);
  if (!base.pathname.endsWith('/')) base.pathname += '/';
  const serverOrigin = base.origin;
  const storageKey = `pulpcare-chat:${base.href}`;

  // --- storage (may be unavailable: private modes, blocked cookies) ------------
  const memory = {};
  function store(area, key, value) {
    try {
      if (value === null) window[area].removeItem(key);
      else window[area].setItem(key, value);
    } catch (error) {
      memory[area + key] = value;
    }
  }
  function read(area, key) {
    try {
      return window[area].getItem(key);
    } catch (error) {
      return memory[area + key] || null;
    }
  }
  function savedSession() {
    try {
      const saved = JSON.parse(read('localStorage', storageKey) || 'null');
      if (saved && /^[0-9a-f]{32}$/.test(saved.id) && Date.now() - saved.at < IDLE_LIMIT_MS) {
        return saved.id;
      }
    } catch (error) { /* a broken entry starts a new conversation */ }
    return null;
  }
  function saveSession(id) {
    store('localStorage', storageKey, id ? JSON.stringify({ id, at: Date.now() }) : null);
  }

  // --- elements --------------------------------------------------------------------
  function el(tag, attributes, children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) {
      if (value === false || value == null) continue;
      if (name === 'text') node.textContent = value;
      else node.setAttribute(name, value === true ? '' : value);
    }
    for (const child of children || []) if (child) node.appendChild(child);
    return node;
  }

  // Text with http(s) and tel links; everything else stays text.
  function richText(tag, text, className) {
    const node = el(tag, { class: className });
    for (const part of linkParts(text)) {
      if (!part.href) {
        node.appendChild(document.createTextNode(part.text));
        continue;
      }
      const link = el('a', { href: part.href, text: part.text });
      if (!part.href.startsWith('tel:')) {
        link.setAttribute('target', '_blank');
        link.setAttribute('rel', 'noopener noreferrer');
      }
      node.appendChild(link);
    }
    return node;
  }

  const host = el('div', { id: 'pulpcare-chat', 'data-pulpcare-chat': '' });
  const shadow = host.attachShadow({ mode: 'open' });
  const colours = palette(data.accent);
  host.style.setProperty('--pc-accent', colours.accent);
  host.style.setProperty('--pc-on-accent', colours.onAccent);
  host.style.setProperty('--pc-accent-text', colours.accentText);
  if (shadow.adoptedStyleSheets !== undefined && window.CSSStyleSheet
      && 'replaceSync' in CSSStyleSheet.prototype) {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(css);
    shadow.adoptedStyleSheets = [sheet];
  } else {
    shadow.appendChild(el('style', { text: css }));
  }

  const launcherLabel = el('span', { text: 'Chat with us' });
  const launcher = el('button', {
    class: 'pc-launcher', type: 'button', 'aria-expanded': 'false', 'aria-controls': 'pc-panel',
  }, [launcherIcon(), launcherLabel]);
  const title = el('h2', { id: 'pc-title', class: 'pc-title', text: data.practiceName || 'Chat' });
  const subtitle = el('p', { class: 'pc-subtitle', text: 'Automated assistant' });
  const call = el('a', { class: 'pc-call', hidden: true });
  const restart = el('button', { class: 'pc-restart', type: 'button', text: 'Start over' });
  const close = el('button', { class: 'pc-close', type: 'button', 'aria-label': 'Close chat' },
    [el('span', { 'aria-hidden': 'true', text: '\u00d7' })]);
  const statusBar = el('div', { class: 'pc-status', role: 'alert' });
  const log = el('div', {
    class: 'pc-log', role: 'log', 'aria-label': 'Conversation', tabindex: '0',
  });
  const typing = el('div', { class: 'pc-typing', 'aria-live': 'polite' });
  const input = el('input', {
    id: 'pc-input', class: 'pc-input', type: 'text', autocomplete: 'off',
    enterkeyhint: 'send', placeholder: 'Type your question',
  });
  const form = el('form', { class: 'pc-form' }, [
    el('label', { for: 'pc-input', class: 'pc-label', text: 'Your question' }),
    el('div', { class: 'pc-row' }, [input, el('button', { class: 'pc-send', type: 'submit', text: 'Send' })]),
  ]);
  const panel = el('section', {
    id: 'pc-panel', class: 'pc-panel', role: 'dialog', 'aria-modal': 'false',
    'aria-labelledby': 'pc-title', hidden: true,
  }, [
    el('header', { class: 'pc-header' }, [
      el('div', { class: 'pc-top' }, [el('div', { class: 'pc-titles' }, [title, subtitle]), close]),
      el('div', { class: 'pc-actions' }, [call, restart]),
    ]),
    statusBar, log, typing, form,
  ]);
  shadow.appendChild(el('div', { class: 'pc-root' }, [launcher, panel]));

  function launcherIcon() {
    const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
    svg.setAttribute('viewBox', '0 0 24 24');
    svg.setAttribute('aria-hidden', 'true');
    svg.setAttribute('focusable', 'false');
    const path = document.createElementNS('http://www.w3.org/2000/svg', 'path');
    path.setAttribute('d', 'M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4H4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z');
    svg.appendChild(path);
    return svg;
  }

  // --- practice settings -----------------------------------------------------------
  let config = {
    practice_name: data.practiceName || '', phone: data.phone || '',
    phone_href: data.phone ? telHref(data.phone) : '', greeting: data.greeting || '',
    suggestions: [],
  };
  const configLoaded = Promise.race([
    fetch(new URL('widget/config.json', base).href, { credentials: 'omit', mode: 'cors' })
      .then((reply) => (reply.ok ? reply.json() : {}))
      .catch(() => ({})),
    new Promise((resolve) => { setTimeout(() => resolve({}), CONFIG_WAIT_MS); }),
  ]).then((server) => {
    config = {
      practice_name: data.practiceName || server.practice_name || '',
      phone: data.phone || server.phone || '',
      phone_href: data.phone ? telHref(data.phone) : (telHref(server.phone_href) || telHref(server.phone)),
      greeting: data.greeting || server.greeting || '',
      suggestions: Array.isArray(server.suggestions) ? server.suggestions : [],
    };
    applyConfig();
  });

  function applyConfig() {
    title.textContent = config.practice_name || 'Chat';
    if (config.phone && config.phone_href) {
      call.textContent = `Call ${config.phone}`;
      call.setAttribute('href', config.phone_href);
      call.hidden = false;
    }
  }

  // --- the conversation on screen -------------------------------------------------
  let suggestions = null;

  function scrollToShow(node) {
    const bottom = log.scrollHeight - log.clientHeight;
    log.scrollTop = node ? Math.min(bottom, node.offsetTop - 8) : bottom;
  }

  // `before`: insert above that node (the greeting and the history go above any
  // message the parent typed while they were loading); such inserts leave the
  // suggestions alone.
  function place(bubble, before) {
    if (before === undefined) log.appendChild(bubble);
    else log.insertBefore(bubble, before);
  }

  function addUser(text, options) {
    const { pending, before } = options || {};
    if (before === undefined) clearSuggestions();
    const bubble = el('div', { class: `pc-msg pc-user${pending ? ' pc-pending' : ''}` }, [
      el('span', { class: 'pc-sr', text: 'You said: ' }),
      el('p', { text }),
    ]);
    place(bubble, before);
    if (before === undefined) scrollToShow(null);
    return bubble;
  }

  function addBot(text, buttons, options) {
    const { quiet, before } = options || {};
    const { paragraphs, source } = splitAnswer(text);
    const bots = log.querySelectorAll('.pc-bot');
    const last = bots[bots.length - 1];
    if (!paragraphs.length && source && last && !last.querySelector('.pc-source')) {
      last.appendChild(richText('p', source, 'pc-source'));   // a source sent on its own
      return last;
    }
    const bubble = el('div', { class: 'pc-msg pc-bot' }, [
      el('span', { class: 'pc-sr', text: 'Assistant: ' }),
    ]);
    for (const paragraph of paragraphs) bubble.appendChild(richText('p', paragraph));
    if (source) bubble.appendChild(richText('p', source, 'pc-source'));
    if (before !== undefined) {
      place(bubble, before);
      return bubble;
    }
    clearSuggestions();
    log.appendChild(bubble);
    if (buttons && buttons.length) showSuggestions(buttons);
    if (!quiet) scrollToShow(bubble);
    return bubble;
  }

  function addNote(text) {
    const note = el('div', { class: 'pc-note' }, [richText('p', text)]);
    log.appendChild(note);
    scrollToShow(null);
  }

  function showSuggestions(buttons) {
    clearSuggestions();
    const valid = buttons.filter((b) => b && typeof b.title === 'string' && typeof b.payload === 'string');
    if (!valid.length) return;
    suggestions = el('div', { class: 'pc-suggestions', role: 'group', 'aria-label': 'Suggested questions' });
    for (const button of valid) {
      const node = el('button', { class: 'pc-suggestion', type: 'button', text: button.title });
      node.addEventListener('click', (event) => {
        send(button.payload, button.title);
        if (event.detail === 0) input.focus();          // keyboard: back to the input
        else log.focus({ preventScroll: true });        // touch or mouse: no keyboard pop-up
      });
      suggestions.appendChild(node);
    }
    log.appendChild(suggestions);
  }

  function clearSuggestions() {
    if (suggestions) suggestions.remove();
    suggestions = null;
  }

  function buttonsOf(message) {
    const list = message.buttons || message.quick_replies || [];
    return Array.isArray(list) ? list : [];
  }

  let answerTimer = null;
  function setTyping(on) {
    clearTimeout(answerTimer);
    typing.replaceChildren();
    typing.classList.toggle('pc-on', on);
    if (!on) return;
    typing.append(
      el('span', { class: 'pc-dots', 'aria-hidden': 'true' }, [el('span'), el('span'), el('span')]),
      el('span', { class: 'pc-typing-text', text: 'The assistant is typing\u2026' }),
    );
    answerTimer = setTimeout(() => {
      setTyping(false);
      addNote(`No answer came back. Please try again${config.phone ? `, or call us at ${config.phone}` : ''}.`);
    }, ANSWER_WAIT_MS);
  }

  function setReconnecting(on) {
    panel.classList.toggle('pc-offline', on);
    if (!on) {
      statusBar.replaceChildren();
      return;
    }
    if (statusBar.childNodes.length) return;
    const line = config.phone
      ? `Reconnecting\u2026 If you need help now, call us at ${config.phone}.`
      : 'Reconnecting\u2026 If you need help now, please call the practice.';
    statusBar.appendChild(richText('p', line));
    setTyping(false);
  }

  // --- the connection -------------------------------------------------------------
  let socket = null;
  let sessionId = savedSession();
  let confirmed = false;
  let historyHandled = false;
  const queue = [];

  function connect() {
    if (socket) return;
    socket = io(serverOrigin, {
      path: `${base.pathname}socket.io`,
      reconnectionDelay: 1000,
      reconnectionDelayMax: 5000,
      withCredentials: false,
    });
    socket.on('connect', () => {
      confirmed = false;
      socket.emit('session_request', { session_id: sessionId });
    });
    socket.on('session_history', (payload) => {
      if (historyHandled) return;
      historyHandled = true;
      const messages = payload && Array.isArray(payload.messages) ? payload.messages : [];
      // above anything typed while this was loading; at the end otherwise
      const typed = log.querySelector('.pc-user');
      const before = typed || undefined;
      log.setAttribute('aria-busy', 'true');
      for (const message of messages) {
        if (message.sender === 'user') addUser(String(message.text || ''), { before });
        else addBot(String(message.text || ''), buttonsOf(message), { quiet: true, before });
      }
      log.setAttribute('aria-busy', 'false');
      if (!typed) {
        const last = messages[messages.length - 1];
        showSuggestions(last ? buttonsOf(last) : config.suggestions);
      }
      scrollToShow(null);
    });
    socket.on('session_confirm', (id) => {
      const confirmedId = typeof id === 'string' ? id : id && id.session_id;
      if (!confirmedId) return;
      if (sessionId && confirmedId !== sessionId) {
        // the server would not continue that conversation: a new one starts
        historyHandled = true;
      }
      sessionId = confirmedId;
      saveSession(sessionId);
      confirmed = true;
      setReconnecting(false);
      while (queue.length) {
        const item = queue.shift();
        item.bubble.classList.remove('pc-pending');
        emitMessage(item.payload);
      }
    });
    socket.on('bot_uttered', (message) => {
      if (!message || typeof message !== 'object') return;
      setTyping(false);
      if (typeof message.text === 'string' || buttonsOf(message).length) {
        addBot(message.text || '', buttonsOf(message));
      }
      if (sessionId) saveSession(sessionId);
    });
    socket.on('disconnect', (reason) => {
      confirmed = false;
      if (reason !== 'io client disconnect') setReconnecting(true);
    });
    socket.on('connect_error', () => setReconnecting(true));
  }

  function emitMessage(payload) {
    setTyping(true);
    socket.emit('user_uttered', { message: payload, session_id: sessionId });
  }

  function send(payload, shown) {
    const text = String(payload || '').trim();
    if (!text) return;
    const pending = !(socket && socket.connected && confirmed);
    const bubble = addUser(shown || text, { pending });
    if (pending) queue.push({ payload: text, bubble });
    else emitMessage(text);
  }

  function startOver() {
    queue.length = 0;
    setTyping(false);
    log.replaceChildren();
    suggestions = null;
    sessionId = null;
    saveSession(null);
    historyHandled = true;
    greet(true);
    input.focus();
    if (socket && socket.connected) {
      confirmed = false;
      socket.emit('session_request', { session_id: null });
    }
  }

  // The greeting is the widget's own (not part of the conversation on the server),
  // always first; its suggestions only while nothing else has been said.
  function greet(withSuggestions) {
    if (config.greeting) addBot(config.greeting, [], { before: log.firstChild });
    if (withSuggestions && !log.querySelector('.pc-user')) showSuggestions(config.suggestions);
  }

  // --- opening and closing --------------------------------------------------------
  let started = false;
  function open(focusInput) {
    panel.hidden = false;
    launcher.setAttribute('aria-expanded', 'true');
    shadow.querySelector('.pc-root').classList.add('pc-is-open');
    store('sessionStorage', `${storageKey}:open`, '1');
    if (focusInput) input.focus();
    if (started) return;
    started = true;
    configLoaded.then(() => {
      greet(!sessionId);
      if (!sessionId) historyHandled = true;
      connect();
    });
  }

  function closePanel() {
    panel.hidden = true;
    launcher.setAttribute('aria-expanded', 'false');
    shadow.querySelector('.pc-root').classList.remove('pc-is-open');
    store('sessionStorage', `${storageKey}:open`, null);
    launcher.focus();
  }

  launcher.addEventListener('click', () => {
    if (panel.hidden) open(true);
    else closePanel();
  });
  close.addEventListener('click', closePanel);
  restart.addEventListener('click', startOver);
  panel.addEventListener('keydown', (event) => {
    if (event.key === 'Escape') {
      event.preventDefault();
      closePanel();
    }
  });
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const text = input.value;
    if (!text.trim()) return;
    input.value = '';
    send(text);
  });

  function mount() {
    document.body.appendChild(host);
    if (read('sessionStorage', `${storageKey}:open`) === '1') open(false);
  }
  if (document.body) mount();
  else document.addEventListener('DOMContentLoaded', mount);
}());
