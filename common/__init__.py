"""Facts every part of the assistant shares, in one place each (standard library and PyYAML only).

The action server (`actions/`), the Rasa server (`addons/`), the knowledge module
(`knowledge/`) and the staff commands all import from here; nothing here imports
from them, so each fact has one source:

- `paths`: the project root and the files found from it;
- `names`: intent, action, entity, slot and channel names used in code;
- `phones`: the one rule for masking a phone number;
- `gsm7`: the GSM 03.38 character set SMS texts are held to;
- `practice`: loading and validating `practice.yml`;
- `settings`: every environment variable, read once into a frozen object.
"""
