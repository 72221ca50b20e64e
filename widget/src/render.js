// Drawing the conversation: the parent's and the assistant's messages, source
// lines, suggested questions (buttons), notes, the typing dots and the
// "Reconnecting" line. Everything is text; links only for http(s) and tel.
import { el } from './dom.js';
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
// drawing; onChoose(payload, title): a suggested question was clicked.
export function createView({ panel, statusBar, log, typing, input }, settings, onChoose) {
  let suggestions = null;
  let answerTimer = null;

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
        onChoose(button.payload, button.title);
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
      el('span', { class: 'pc-typing-text', text: 'The assistant is typing\u2026' }),
    );
    answerTimer = setTimeout(() => {
      setTyping(false);
      addNote(`No answer came back. Please try again${settings.phone ? `, or call us at ${settings.phone}` : ''}.`);
    }, ANSWER_WAIT_MS);
  }

  function setReconnecting(on) {
    panel.classList.toggle('pc-offline', on);
    if (!on) {
      statusBar.replaceChildren();
      return;
    }
    if (statusBar.childNodes.length) return;
    const line = settings.phone
      ? `Reconnecting\u2026 If you need help now, call us at ${settings.phone}.`
      : 'Reconnecting\u2026 If you need help now, please call the practice.';
    statusBar.appendChild(richText('p', line));
    setTyping(false);
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
        addBot(message.text || '', buttonsOf(message));
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
        else addBot(String(message.text || ''), buttonsOf(message), { quiet: true, before });
      }
      log.setAttribute('aria-busy', 'false');
      if (!typed) {
        const last = messages[messages.length - 1];
        showSuggestions(last ? buttonsOf(last) : settings.suggestions);
      }
      scrollToShow(null);
    },

    // The greeting is the widget's own (not part of the conversation on the server),
    // always first; its suggestions only while nothing else has been said.
    greet(withSuggestions) {
      if (settings.greeting) addBot(settings.greeting, [], { before: log.firstChild });
      if (withSuggestions && !log.querySelector('.pc-user')) showSuggestions(settings.suggestions);
    },

    // an empty conversation ("Start over")
    clear() {
      setTyping(false);
      log.replaceChildren();
      suggestions = null;
    },
  };
}
