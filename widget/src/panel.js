// The widget's frame: a host element with a shadow root (so the page's styles and
// ours stay apart), the launcher button and the chat panel (a non-modal dialog).
// Opening and closing, the focus, Escape, aria-expanded, and the form.
import css from './widget.css';
import { el, launcherIcon } from './dom.js';

// colours: from palette(); practiceName: the title until the settings are in.
// onFirstOpen(): once, the first time the panel opens; onRestart(): "Start over";
// onSubmit(text): a question typed and sent (not blank).
export function createPanel({ colours, practiceName, storage, onFirstOpen, onRestart, onSubmit }) {
  const host = el('div', { id: 'pulpcare-chat', 'data-pulpcare-chat': '' });
  const shadow = host.attachShadow({ mode: 'open' });
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

  const launcher = el('button', {
    class: 'pc-launcher', type: 'button', 'aria-expanded': 'false', 'aria-controls': 'pc-panel',
  }, [launcherIcon(), el('span', { text: 'Chat with us' })]);
  const title = el('h2', { id: 'pc-title', class: 'pc-title', text: practiceName || 'Chat' });
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
  const root = el('div', { class: 'pc-root' }, [launcher, panel]);
  shadow.appendChild(root);

  let started = false;
  function open(focusInput) {
    panel.hidden = false;
    launcher.setAttribute('aria-expanded', 'true');
    root.classList.add('pc-is-open');
    storage.rememberOpen(true);
    if (focusInput) input.focus();
    if (started) return;
    started = true;
    onFirstOpen();
  }

  function closePanel() {
    panel.hidden = true;
    launcher.setAttribute('aria-expanded', 'false');
    root.classList.remove('pc-is-open');
    storage.rememberOpen(false);
    launcher.focus();
  }

  launcher.addEventListener('click', () => {
    if (panel.hidden) open(true);
    else closePanel();
  });
  close.addEventListener('click', closePanel);
  restart.addEventListener('click', onRestart);
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
    onSubmit(text);
  });

  return {
    // what render.js draws into
    parts: { panel, statusBar, log, typing, input },
    // the practice's name and its "Call" link, once the settings are in
    showPractice(settings) {
      title.textContent = settings.practice_name || 'Chat';
      if (settings.phone && settings.phone_href) {
        call.textContent = `Call ${settings.phone}`;
        call.setAttribute('href', settings.phone_href);
        call.hidden = false;
      }
    },
    focusInput() {
      input.focus();
    },
    // onto the page; reopened if it was open before a reload
    mount() {
      document.body.appendChild(host);
      if (storage.wasOpen()) open(false);
    },
  };
}
