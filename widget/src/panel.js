// The widget's frame: a host element with a shadow root (so the page's styles and
// ours stay apart), the launcher button and the chat panel (a non-modal dialog).
// Opening and closing, the focus, Escape, aria-expanded, the form, and the
// language of every label (setLanguage).
import css from './widget.css';
import { el, launcherIcon } from './dom.js';
import { otherLanguage, say } from './strings.js';

// colours: from palette(); practiceName: the title until the settings are in.
// onFirstOpen(): once, the first time the panel opens; onRestart(): "Start over";
// onSubmit(text): a question typed and sent (not blank); onSwitch(): the language
// switch was clicked.
export function createPanel({
  colours, practiceName, storage, onFirstOpen, onRestart, onSubmit, onSwitch,
}) {
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

  // the labels are filled in by setLanguage()
  const launcherText = el('span');
  const launcher = el('button', {
    class: 'pc-launcher', type: 'button', 'aria-expanded': 'false', 'aria-controls': 'pc-panel',
  }, [launcherIcon(), launcherText]);
  const title = el('h2', { id: 'pc-title', class: 'pc-title' });
  const subtitle = el('p', { class: 'pc-subtitle' });
  const call = el('a', { class: 'pc-call', hidden: true });
  const restart = el('button', { class: 'pc-restart', type: 'button' });
  // the language switch: named in the language it switches to ("Español")
  const switcher = el('button', { class: 'pc-lang', type: 'button' });
  const close = el('button', { class: 'pc-close', type: 'button' },
    [el('span', { 'aria-hidden': 'true', text: '\u00d7' })]);
  const statusBar = el('div', { class: 'pc-status', role: 'alert' });
  const log = el('div', { class: 'pc-log', role: 'log', tabindex: '0' });
  const typing = el('div', { class: 'pc-typing', 'aria-live': 'polite' });
  const input = el('input', {
    id: 'pc-input', class: 'pc-input', type: 'text', autocomplete: 'off', enterkeyhint: 'send',
  });
  const label = el('label', { for: 'pc-input', class: 'pc-label' });
  const sendButton = el('button', { class: 'pc-send', type: 'submit' });
  const form = el('form', { class: 'pc-form' }, [
    label, el('div', { class: 'pc-row' }, [input, sendButton]),
  ]);
  const panel = el('section', {
    id: 'pc-panel', class: 'pc-panel', role: 'dialog', 'aria-modal': 'false',
    'aria-labelledby': 'pc-title', hidden: true,
  }, [
    el('header', { class: 'pc-header' }, [
      el('div', { class: 'pc-top' }, [el('div', { class: 'pc-titles' }, [title, subtitle]), switcher, close]),
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
  switcher.addEventListener('click', onSwitch);
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

  let lang = null;
  let practice = { practice_name: practiceName, phone: '' };
  function showPractice(settings) {
    practice = settings;
    title.textContent = settings.practice_name || say(lang, 'title');
    if (settings.phone && settings.phone_href) {
      call.textContent = say(lang, 'call', { phone: settings.phone });
      call.setAttribute('href', settings.phone_href);
      call.hidden = false;
    }
  }

  // every label in `next` ('en' or 'es'); `lang` on the root for screen readers
  function setLanguage(next) {
    lang = next;
    root.setAttribute('lang', lang);
    panel.setAttribute('lang', lang);
    launcherText.textContent = say(lang, 'launcher');
    subtitle.textContent = say(lang, 'subtitle');
    restart.textContent = say(lang, 'restart');
    close.setAttribute('aria-label', say(lang, 'close'));
    log.setAttribute('aria-label', say(lang, 'log'));
    input.setAttribute('placeholder', say(lang, 'placeholder'));
    label.textContent = say(lang, 'label');
    sendButton.textContent = say(lang, 'send');
    const other = otherLanguage(lang);
    switcher.textContent = say(other, 'name');
    switcher.setAttribute('lang', other);
    switcher.setAttribute('aria-label', say(other, 'switchTo'));
    showPractice(practice);
  }

  return {
    // what render.js draws into
    parts: { panel, statusBar, log, typing, input },
    // the practice's name and its "Call" link, once the settings are in
    showPractice,
    setLanguage,
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
