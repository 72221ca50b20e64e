// The Socket.IO connection to the Rasa server's widget channel
// (addons/channels/webchat.py): the session id (asked for, confirmed, kept),
// the history after a reload, questions queued while offline, reconnecting.
// Nothing here draws: what happens is told to the `on` handlers.
import { io } from 'socket.io-client';

// base: the assistant's address (a URL ending in /); storage: storage.js;
// on: { history(messages), answer(message), sending(), online(), offline() }.
export function createConnection(base, storage, on) {
  let socket = null;
  let sessionId = storage.savedSession();
  let confirmed = false;
  let historyHandled = false;
  const queue = [];

  function connect() {
    if (socket) return;
    if (!sessionId) historyHandled = true;      // a new conversation has no history
    socket = io(base.origin, {
      path: `${base.pathname}socket.io`,
      reconnectionDelay: 1000,
      reconnectionDelayMax: 5000,
      withCredentials: false,
    });
    socket.on('connect', () => {
      confirmed = false;
      socket.emit('session_request', { session_id: sessionId });
    });
    socket.on('session_history', (payload) => {
      if (historyHandled) return;
      historyHandled = true;
      on.history(payload && Array.isArray(payload.messages) ? payload.messages : []);
    });
    socket.on('session_confirm', (id) => {
      const confirmedId = typeof id === 'string' ? id : id && id.session_id;
      if (!confirmedId) return;
      if (sessionId && confirmedId !== sessionId) {
        // the server would not continue that conversation: a new one starts
        historyHandled = true;
      }
      sessionId = confirmedId;
      storage.saveSession(sessionId);
      confirmed = true;
      on.online();
      while (queue.length) {
        const item = queue.shift();
        item.sent();
        emitMessage(item.payload, item.lang);
      }
    });
    socket.on('bot_uttered', (message) => {
      if (!message || typeof message !== 'object') return;
      on.answer(message);
      if (sessionId) storage.saveSession(sessionId);
    });
    socket.on('disconnect', (reason) => {
      confirmed = false;
      if (reason !== 'io client disconnect') on.offline();
    });
    socket.on('connect_error', () => on.offline());
  }

  function ready() {
    return Boolean(socket && socket.connected && confirmed);
  }

  // `lang`: the interface's language when it was sent, a hint for the server
  // (which decides the answer's language itself)
  function emitMessage(payload, lang) {
    on.sending();
    socket.emit('user_uttered', { message: payload, session_id: sessionId, lang });
  }

  return {
    connect,

    hasSession() {
      return Boolean(sessionId);
    },

    // true when a question sent now goes out at once (else it waits in the queue)
    ready,

    // sends `text` now, or once the session is confirmed (then sent() is called)
    send(text, sent, lang) {
      if (ready()) emitMessage(text, lang);
      else queue.push({ payload: text, sent, lang });
    },

    // forgets the conversation and asks the server for a new one
    startOver() {
      queue.length = 0;
      sessionId = null;
      storage.saveSession(null);
      historyHandled = true;
      if (socket && socket.connected) {
        confirmed = false;
        socket.emit('session_request', { session_id: null });
      }
    },
  };
}
