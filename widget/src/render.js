// Drawing the conversation: the parent's and the assistant's messages, source
// lines, suggested questions (buttons), notes, the typing dots and the
// "Reconnecting" line. Everything is text; links only for http(s) and tel.
// Each message carries `lang` where its language is known (the server's `lang`,
// the greeting's); the widget's own words follow setLanguage().
import { el } from './dom.js';
import { DEFAULT_LANGUAGE, languageOf, say } from './strings.js';
import { linkParts, splitAnswer } from './text.js';

const ANSWER_WAIT_MS = 30000;                  // then the typing dots give way to a note

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

// A message's buttons (Rasa's `buttons`, or `quick_replies`), always a list.
function buttonsOf(message) {
  const list = message.buttons || message.quick_replies || [];
  return Array.isArray(list) ? list : [];
}

// parts: the panel's elements (panel.js); settings: the practice's, read when
// drawing; onChoose(payload, title, lang): a suggested question was clicked.
export function createView({ panel, statusBar, log, typing, input }, settings, onChoose) {
  let suggestions = null;
  let answerTimer = null;
  let lang = DEFAULT_LANGUAGE;
  let greeted = false;

  // "You said: " / "Assistant: " for screen readers, in the interface's language
  function speaker(key) {
    return el('span', { class: 'pc-sr', lang, text: say(lang, key) });
  }

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
    const { pending, before, lang: said } = options || {};
    if (before === undefined) clearSuggestions();
    const bubble = el('div', {
      class: `pc-msg pc-user${pending ? ' pc-pending' : ''}`, lang: languageOf(said),
    }, [speaker('you'), el('p', { text })]);
    place(bubble, before);
    if (before === undefined) scrollToShow(null);
    return bubble;
  }

  function addBot(text, buttons, options) {
    const { quiet, before, greeting } = options || {};
    const said = languageOf(options && options.lang);
    const { paragraphs, source } = splitAnswer(text);
    const bots = log.querySelectorAll('.pc-bot');
    const last = bots[bots.length - 1];
    if (!paragraphs.length && source && last && !last.querySelector('.pc-source')) {
      last.appendChild(richText('p', source, 'pc-source'));   // a source sent on its own
      return last;
    }
    const bubble = el('div', {
      class: `pc-msg pc-bot${greeting ? ' pc-greeting' : ''}`, lang: said,
    }, [speaker('bot')]);
    for (const paragraph of paragraphs) bubble.appendChild(richText('p', paragraph));
    if (source) bubble.appendChild(richText('p', source, 'pc-source'));
    if (before !== undefined) {
      place(bubble, before);
      return bubble;
    }
    clearSuggestions();
    log.appendChild(bubble);
    if (buttons && buttons.length) showSuggestions(buttons, said);
    if (!quiet) scrollToShow(bubble);
    return bubble;
  }

  function addNote(text) {
    const note = el('div', { class: 'pc-note', lang }, [richText('p', text)]);
    log.appendChild(note);
    scrollToShow(null);
  }

  // `said`: the language of the suggestions' titles, if known
  function showSuggestions(buttons, said) {
    clearSuggestions();
    const valid = buttons.filter((b) => b && typeof b.title === 'string' && typeof b.payload === 'string');
    if (!valid.length) return;
    suggestions = el('div', { class: 'pc-suggestions', role: 'group', 'aria-label': say(lang, 'suggestions') });
    for (const button of valid) {
      const node = el('button', { class: 'pc-suggestion', type: 'button', lang: said, text: button.title });
      node.addEventListener('click', (event) => {
        onChoose(button.payload, button.title, said);
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

  function setTyping(on) {
    clearTimeout(answerTimer);
    typing.replaceChildren();
    typing.classList.toggle('pc-on', on);
    if (!on) return;
    typing.append(
      el('span', { class: 'pc-dots', 'aria-hidden': 'true' }, [el('span'), el('span'), el('span')]),
      el('span', { class: 'pc-typing-text', text: say(lang, 'typing') }),
    );
    answerTimer = setTimeout(() => {
      setTyping(false);
      addNote(say(lang, settings.phone ? 'noAnswerCall' : 'noAnswer', settings));
    }, ANSWER_WAIT_MS);
  }

  function setReconnecting(on) {
    panel.classList.toggle('pc-offline', on);
    if (!on) {
      statusBar.replaceChildren();
      return;
    }
    if (statusBar.childNodes.length) return;
    statusBar.appendChild(richText('p', say(lang, settings.phone ? 'offlineCall' : 'offline', settings)));
    setTyping(false);
  }

  // The greeting is the widget's own (not part of the conversation on the server),
  // always first, in the interface's language (English if the server has none in
  // it); its suggestions only while nothing else has been said.
  function greeting() {
    const said = settings.greetings[lang].greeting ? lang : DEFAULT_LANGUAGE;
    return { said, ...settings.greetings[said] };
  }

  function greet(withSuggestions) {
    greeted = true;
    const { said, greeting: text, suggestions: first } = greeting();
    if (text) addBot(text, [], { before: log.firstChild, greeting: true, lang: said });
    if (withSuggestions && !log.querySelector('.pc-user')) showSuggestions(first, said);
  }

  // true once anything but the greeting is in the conversation
  function hasBegun() {
    return Boolean(log.querySelector('.pc-msg:not(.pc-greeting)'));
  }

  return {
    addUser,
    setTyping,
    setReconnecting,

    // a question went out: no longer shown as waiting
    markSent(bubble) {
      bubble.classList.remove('pc-pending');
    },

    // an answer from the server
    showAnswer(message) {
      setTyping(false);
      if (typeof message.text === 'string' || buttonsOf(message).length) {
        addBot(message.text || '', buttonsOf(message), { lang: message.lang });
      }
    },

    // the conversation so far, after a reload: above anything typed while it was
    // loading, at the end otherwise
    showHistory(messages) {
      const typed = log.querySelector('.pc-user');
      const before = typed || undefined;
      log.setAttribute('aria-busy', 'true');
      for (const message of messages) {
        if (message.sender === 'user') addUser(String(message.text || ''), { before });
        else addBot(String(message.text || ''), buttonsOf(message), { quiet: true, before, lang: message.lang });
      }
      log.setAttribute('aria-busy', 'false');
      if (!typed) {
        const last = messages[messages.length - 1];
        const { said, suggestions: first } = greeting();
        if (last) showSuggestions(buttonsOf(last), languageOf(last.lang));
        else showSuggestions(first, said);
      }
      scrollToShow(null);
    },

    greet,
    hasBegun,

    // The widget's words in `next`; before the conversation has begun, the
    // greeting and its suggestions too (once the greeting was shown).
    setLanguage(next) {
      lang = next;
      for (const span of log.querySelectorAll('.pc-sr')) {
        span.setAttribute('lang', lang);
        span.textContent = say(lang, span.parentNode.classList.contains('pc-user') ? 'you' : 'bot');
      }
      if (suggestions) suggestions.setAttribute('aria-label', say(lang, 'suggestions'));
      if (typing.childNodes.length) {
        typing.querySelector('.pc-typing-text').textContent = say(lang, 'typing');
      }
      if (statusBar.childNodes.length) {
        statusBar.replaceChildren();
        setReconnecting(true);
      }
      if (greeted && !hasBegun()) {
        const old = log.querySelector('.pc-greeting');
        if (old) old.remove();
        greet(true);
      }
    },

    // an empty conversation ("Start over")
    clear() {
      setTyping(false);
      log.replaceChildren();
      suggestions = null;
    },
  };
}
