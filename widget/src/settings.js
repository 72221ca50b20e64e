// The practice's settings: the script tag's data attributes first, then the
// server's /widget/config.json (practice.yml) for whatever they leave out.
import { telHref } from './text.js';

const CONFIG_WAIT_MS = 4000;

// { settings, loaded }: `settings` is updated in place once the server's answer
// (or nothing, after CONFIG_WAIT_MS) is in; `loaded` resolves then.
export function loadSettings(data, base) {
  const settings = {
    practice_name: data.practiceName || '', phone: data.phone || '',
    phone_href: data.phone ? telHref(data.phone) : '', greeting: data.greeting || '',
    suggestions: [],
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
      greeting: data.greeting || server.greeting || '',
      suggestions: Array.isArray(server.suggestions) ? server.suggestions : [],
    });
    return settings;
  });
  return { settings, loaded };
}
