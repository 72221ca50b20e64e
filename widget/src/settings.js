// The practice's settings: the script tag's data attributes first, then the
// server's /widget/config.json (practice.yml) for whatever they leave out.
// The greeting and its first suggestions are per language (`languages` on the
// server, data-greeting / data-greeting-es on the script tag).
import { DEFAULT_LANGUAGE, LANGUAGES } from './strings.js';
import { telHref } from './text.js';

// data-greeting-es -> dataset.greetingEs; plain data-greeting is the English one
function dataGreeting(data, lang) {
  const own = data[`greeting${lang[0].toUpperCase()}${lang.slice(1)}`];
  return own || (lang === DEFAULT_LANGUAGE ? data.greeting : '') || '';
}

function list(value) {
  return Array.isArray(value) ? value : [];
}

const CONFIG_WAIT_MS = 4000;

// { settings, loaded }: `settings` is updated in place once the server's answer
// (or nothing, after CONFIG_WAIT_MS) is in; `loaded` resolves then.
// settings.greetings: { en: { greeting, suggestions }, es: {...} } (greeting may be '').
export function loadSettings(data, base) {
  const greetings = (server) => Object.fromEntries(LANGUAGES.map((lang) => {
    const own = (server.languages && server.languages[lang]) || {};
    const top = lang === DEFAULT_LANGUAGE ? server : {};
    return [lang, {
      greeting: dataGreeting(data, lang) || own.greeting || top.greeting || '',
      suggestions: list(own.suggestions || top.suggestions),
    }];
  }));
  const settings = {
    practice_name: data.practiceName || '', phone: data.phone || '',
    phone_href: data.phone ? telHref(data.phone) : '', greetings: greetings({}),
  };
  const loaded = Promise.race([
    fetch(new URL('widget/config.json', base).href, { credentials: 'omit', mode: 'cors' })
      .then((reply) => (reply.ok ? reply.json() : {}))
      .catch(() => ({})),
    new Promise((resolve) => { setTimeout(() => resolve({}), CONFIG_WAIT_MS); }),
  ]).then((server) => {
    Object.assign(settings, {
      practice_name: data.practiceName || server.practice_name || '',
      phone: data.phone || server.phone || '',
      phone_href: data.phone ? telHref(data.phone) : (telHref(server.phone_href) || telHref(server.phone)),
      greetings: greetings(server),
    });
    return settings;
  });
  return { settings, loaded };
}
