// The practice picks an accent colour (data-accent); these helpers make sure that
// whatever it picks, text and focus rings drawn with it meet WCAG AA contrast.

export const DEFAULT_ACCENT = '#0b5f86';

export function parseHex(value) {
  const match = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(String(value || '').trim());
  if (!match) return null;
  let hex = match[1];
  if (hex.length === 3) hex = hex.split('').map((c) => c + c).join('');
  return [0, 2, 4].map((i) => parseInt(hex.slice(i, i + 2), 16));
}

export function toHex(rgb) {
  return '#' + rgb.map((c) => Math.round(c).toString(16).padStart(2, '0')).join('');
}

function channel(c) {
  const s = c / 255;
  return s <= 0.03928 ? s / 12.92 : Math.pow((s + 0.055) / 1.055, 2.4);
}

export function luminance(rgb) {
  return 0.2126 * channel(rgb[0]) + 0.7152 * channel(rgb[1]) + 0.0722 * channel(rgb[2]);
}

export function contrast(a, b) {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

const WHITE = [255, 255, 255];
const BUBBLE = [238, 241, 244];     // the assistant's bubbles (#eef1f4), darker than white
const INK = [17, 17, 17];
const BLACK = [0, 0, 0];

// Darkens a colour until it reaches `ratio` against `background`.
export function darkenTo(rgb, background, ratio) {
  let colour = rgb.slice();
  for (let step = 0; step < 40 && contrast(colour, background) < ratio; step += 1) {
    colour = colour.map((c) => c * 0.92);
  }
  return contrast(colour, background) >= ratio ? colour : BLACK;
}

// accent: the fill (launcher, header, the parent's bubbles); onAccent: text on it;
// accentText: the accent as text, borders and focus rings on white and on the
// assistant's bubbles (>= 4.5:1 on both).
export function palette(requested) {
  const accent = parseHex(requested) || parseHex(DEFAULT_ACCENT);
  let onAccent = WHITE;
  if (contrast(accent, WHITE) < 4.5) onAccent = contrast(accent, INK) >= 4.5 ? INK : BLACK;
  return {
    accent: toHex(accent),
    onAccent: toHex(onAccent),
    accentText: toHex(darkenTo(accent, BUBBLE, 4.5)),
  };
}
