// What the widget keeps in the browser, per assistant address:
//   localStorage   `pulpcare-chat:<server>`       { id, at }: the conversation to continue
//   sessionStorage `pulpcare-chat:<server>:open`  '1' while the panel is open (a reload reopens it)
// Storage may be unavailable (private modes, blocked cookies): then it lives in
// memory for as long as the page does.

const IDLE_LIMIT_MS = 24 * 60 * 60 * 1000;   // a conversation idle this long is not resumed
const SESSION_ID = /^[0-9a-f]{32}$/;

export function createStorage(base) {
  const key = `pulpcare-chat:${base.href}`;
  const openKey = `${key}:open`;
  const memory = {};

  function store(area, name, value) {
    try {
      if (value === null) window[area].removeItem(name);
      else window[area].setItem(name, value);
    } catch {
      memory[area + name] = value;
    }
  }

  function read(area, name) {
    try {
      return window[area].getItem(name);
    } catch {
      return memory[area + name] || null;
    }
  }

  return {
    // the saved conversation's id, or null (none, too old, or unreadable)
    savedSession() {
      try {
        const saved = JSON.parse(read('localStorage', key) || 'null');
        if (saved && SESSION_ID.test(saved.id) && Date.now() - saved.at < IDLE_LIMIT_MS) {
          return saved.id;
        }
      } catch { /* a broken entry starts a new conversation */ }
      return null;
    },
    // saves the id with the time (so an idle conversation expires); null forgets it
    saveSession(id) {
      store('localStorage', key, id ? JSON.stringify({ id, at: Date.now() }) : null);
    },
    wasOpen() {
      return read('sessionStorage', openKey) === '1';
    },
    rememberOpen(open) {
      store('sessionStorage', openKey, open ? '1' : null);
    },
  };
}
