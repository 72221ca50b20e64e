// Every word the widget itself shows or reads out, in English and in Spanish
// (plain US Spanish, "usted"). The answers come from the server in the
// conversation's language; these are only the widget's own labels.
// `{phone}` is filled in by `say()`. A new key needs both languages
// (test/strings.test.mjs checks it).

export const STRINGS = {
  en: {
    name: 'English',                        // the language switch shows it, sends it
    switchTo: 'Switch to English',          // the switch's label, in the language it picks
    launcher: 'Chat with us',
    title: 'Chat',                          // until the practice's name is known
    subtitle: 'Automated assistant',
    call: 'Call {phone}',
    restart: 'Start over',
    close: 'Close chat',
    log: 'Conversation',
    label: 'Your question',
    placeholder: 'Type your question',
    send: 'Send',
    you: 'You said: ',
    bot: 'Assistant: ',
    suggestions: 'Suggested questions',
    typing: 'The assistant is typing\u2026',
    noAnswer: 'No answer came back. Please try again.',
    noAnswerCall: 'No answer came back. Please try again, or call us at {phone}.',
    offline: 'Reconnecting\u2026 If you need help now, please call the practice.',
    offlineCall: 'Reconnecting\u2026 If you need help now, call us at {phone}.',
    source: 'Source',                       // the answers' source line: "Source: " or "Sources: "
  },
  es: {
    name: 'Español',
    switchTo: 'Cambiar a español',
    launcher: 'Chatee con nosotros',
    title: 'Chat',
    subtitle: 'Asistente automático',
    call: 'Llamar al {phone}',
    restart: 'Empezar de nuevo',
    close: 'Cerrar el chat',
    log: 'Conversación',
    label: 'Su pregunta',
    placeholder: 'Escriba su pregunta',
    send: 'Enviar',
    you: 'Usted dijo: ',
    bot: 'Asistente: ',
    suggestions: 'Preguntas sugeridas',
    typing: 'El asistente está escribiendo\u2026',
    noAnswer: 'No llegó ninguna respuesta. Por favor, inténtelo de nuevo.',
    noAnswerCall: 'No llegó ninguna respuesta. Por favor, inténtelo de nuevo o llámenos al {phone}.',
    offline: 'Reconectando\u2026 Si necesita ayuda ahora, por favor llame a la oficina del dentista.',
    offlineCall: 'Reconectando\u2026 Si necesita ayuda ahora, llámenos al {phone}.',
    source: 'Fuente',                       // "Fuente: " or "Fuentes: "
  },
};

export const LANGUAGES = Object.keys(STRINGS);
export const DEFAULT_LANGUAGE = 'en';

// 'es' for "es", "es-US", "ES_mx"; the same for 'en'; otherwise null.
export function languageOf(value) {
  const code = String(value || '').trim().toLowerCase().slice(0, 3).replace(/[-_]$/, '');
  return LANGUAGES.includes(code) ? code : null;
}

// The language the switch offers (with two languages: the other one).
export function otherLanguage(lang) {
  return LANGUAGES[(LANGUAGES.indexOf(lang) + 1) % LANGUAGES.length];
}

// The widget's language when it starts: the one saved with the conversation, then
// the script tag's data-lang, then the page's <html lang> or the browser's language
// if Spanish, else English (a Spanish page or browser is the strong hint; an
// English one is the default anyway).
export function initialLanguage({ saved, script, page, browser }) {
  return languageOf(saved) || languageOf(script)
    || (languageOf(page) === 'es' ? 'es' : null)
    || (languageOf(browser) === 'es' ? 'es' : null)
    || DEFAULT_LANGUAGE;
}

// say('es', 'call', { phone: '555' }) -> 'Llamar al 555'; English for an unknown language.
export function say(lang, key, values) {
  const text = (STRINGS[lang] || STRINGS[DEFAULT_LANGUAGE])[key];
  return text.replace(/\{(\w+)\}/g, (all, name) => (values && name in values ? values[name] : all));
}
