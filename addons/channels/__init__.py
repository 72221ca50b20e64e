"""Input channels of the Rasa server (named in credentials.yml).

When a Rasa server loads any of them, the server-wide safety nets are installed
once, before the first message: a helpful reply when the action server is down
or slow (`addons.resilience`) and masking of phone numbers and sender ids in
every log line (`addons.logging_filters`). Every channel of ours lives in this
package, so every Rasa server that serves parents has both. Importing a helper
module of this package outside a Rasa server (a unit test, a script) installs
nothing and stays light.
"""
import sys as _sys

if "rasa.core.run" in _sys.modules:   # loaded by `rasa run` / `python -m addons.serve`
    from addons import logging_filters as _logging_filters
    from addons import resilience as _resilience

    _logging_filters.install()
    _resilience.install()
