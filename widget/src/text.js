// Pure text helpers (no DOM): paragraphs, the source line, and which parts of a
// message become links. Rendering uses textContent only; these helpers only say
// where the links are, and only http(s) and tel links ever come out of them.
import { LANGUAGES, STRINGS } from './strings.js';

// "Source: ", "Sources: ", "Fuente: ", "Fuentes: " (the knowledge module's words)
const SOURCE_LINE = new RegExp(`^(${LANGUAGES.map((lang) => STRINGS[lang].source).join('|')})s?: `);

// "Answer...\n\nSources: ..." -> { paragraphs: ["Answer..."], source: "Sources: ..." }
// (the same for "Fuentes: ...")
export function splitAnswer(text) {
  const paragraphs = String(text == null ? '' : text)
    .split(/\n[ \t]*\n/)
    .map((part) => part.trim())
    .filter(Boolean);
  let source = '';
  if (paragraphs.length && SOURCE_LINE.test(paragraphs[paragraphs.length - 1])) {
    source = paragraphs.pop();
  }
  return { paragraphs, source };
}

const ALLOWED_PROTOCOLS = ['http:', 'https:', 'tel:'];

// The href to use, or '' when the address is not an http(s) or tel link.
export function safeHref(href) {
  let url;
  try {
    url = new URL(String(href));
  } catch {
    return '';
  }
  if (!ALLOWED_PROTOCOLS.includes(url.protocol)) return '';
  if (url.protocol === 'tel:' && !/^tel:\+?[0-9]{3,15}$/.test(url.href)) return '';
  return url.href;
}

export function telHref(phone) {
  const digits = String(phone || '').replace(/[^0-9]/g, '');
  if (digits.length === 10) return safeHref(`tel:+1${digits}`);
  if (digits.length === 11 && digits[0] === '1') return safeHref(`tel:+${digits}`);
  return digits.length >= 3 ? safeHref(`tel:${digits}`) : '';
}

// A web address, a North American phone number, or 911.
const LINKS = /(https?:\/\/[^\s<>"']+)|((?:\+?1[ .-]?)?(?:\(\d{3}\)|\b\d{3})[ .-]?\d{3}[ .-]\d{4}\b)|(\b911\b)/g;
const TRAILING = /[.,;:!?)\]]+$/;

// [{ text }, { text, href }, ...] covering the whole string, in order.
export function linkParts(text) {
  const input = String(text == null ? '' : text);
  const parts = [];
  let last = 0;
  const push = (chunk) => {
    if (!chunk) return;
    const previous = parts[parts.length - 1];
    if (previous && !previous.href) previous.text += chunk;
    else parts.push({ text: chunk });
  };
  for (const match of input.matchAll(LINKS)) {
    let label = match[0];
    let href;
    if (match[1]) {
      const trailing = (label.match(TRAILING) || [''])[0];
      label = label.slice(0, label.length - trailing.length);
      href = safeHref(label);
    } else {
      href = telHref(label);
    }
    push(input.slice(last, match.index));
    if (href && label) parts.push({ text: label, href });
    else push(label);
    last = match.index + label.length;
  }
  push(input.slice(last));
  return parts;
}
