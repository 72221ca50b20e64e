"""What the practice hears: red-flag alerts to the on-call contacts, callback
requests, scheduled check-ins, and the SMS channel's state, all kept in the
tracker database so that every Rasa server shares them (docs/practice-loop.md).

* `db.py`: the tables (on the tracker database: SQLite by default, PostgreSQL with
  `DATABASE_URL`) and one engine per process;
* `clock.py`: the time every part of the loop reads (a file can set it in tests);
* `hours.py`: the practice's office hours, quiet hours and check-in plan;
* `observe.py`: reads each saved turn (red flags, callback requests) and records
  what the practice must hear;
* `dispatcher.py`: the background loop of each Rasa server that delivers alerts
  and sends due check-ins; started by `channel.py` with the server;
* `alerts.py`, `mail.py`: alerts and their delivery by SMS and e-mail;
* `checkins.py`: scheduled check-ins (schedule, list, cancel, send once);
* `callbacks.py`: callback requests.
"""
