// Building elements. Text always goes in with textContent, never as markup.

// el('p', { class: 'x', text: 'Hi' }, [children]): false or null attributes are
// left out, true ones are set empty; falsy children are skipped.
export function el(tag, attributes, children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === false || value == null) continue;
    if (name === 'text') node.textContent = value;
    else node.setAttribute(name, value === true ? '' : value);
  }
  for (const child of children || []) if (child) node.appendChild(child);
  return node;
}

const SVG = 'http://www.w3.org/2000/svg';

// The speech bubble on the launcher: decoration only, hidden from screen readers.
export function launcherIcon() {
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  const path = document.createElementNS(SVG, 'path');
  path.setAttribute('d', 'M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4H4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z');
  svg.appendChild(path);
  return svg;
}
