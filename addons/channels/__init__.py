"""Input channels of the Rasa server (named in credentials.yml).

`rest` (integrations and testing), `webchat` (the website chat widget, with
`origins` for its allowed web origins) and `sms/` (Twilio). Importing them
installs nothing: the run command (`addons.server.serve`) installs the Rasa
compatibility patches (`addons.rasa_compat`) and the log masking before Rasa
loads any channel.
"""
