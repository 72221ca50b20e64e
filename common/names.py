"""Names shared by the model, the actions, the channels and the staff tools.

The domain (`domain.yml`) and the training data declare them; code refers to them
through these constants, so a rename is one edit here plus the YAML (a test checks
that every name below is declared in the domain or the pipeline).
"""

from __future__ import annotations

# Intents with a meaning in code.
RED_FLAG_INTENT = "report_red_flag"  # set by the red-flag patterns (SafetyRouter)
OUT_OF_SCOPE_INTENT = "out_of_scope"
FALLBACK_INTENT = "nlu_fallback"  # FallbackClassifier: not understood
BUTTON_INTENT = "ask_topic"  # button payloads: /ask_topic{"topic": "..."}
FOLLOWUP_INTENT = "EXTERNAL_followup"  # staff's check-in, through the HTTP API

# Entities and slots.
PROCEDURE = "procedure"  # entity and slot: pulpotomy / pulpectomy
TOPIC = "topic"  # entity of a button payload
INPUT_ISSUE = "input_issue"  # entity set by InputGuard for bad input
RED_FLAG = "red_flag"  # entity set by SafetyRouter: the severity
LAST_TOPIC = "last_topic"  # slot: the last answer given
CALLBACK_STEP = "callback_step"  # slot: "phone" (number asked for) or "confirm" (SMS)
CALLBACK_REQUEST = "callback_request"  # slot: the callback a parent asked for, this turn

# Custom actions (served by the action server).
ACTION_ANSWER = "action_answer"
ACTION_RED_FLAG = "action_red_flag"
ACTION_FOLLOWUP = "action_followup_checkin"

# Input channel names (`InputChannel.name()`), as Rasa stores them with each message.
CHANNEL_REST = "rest"
CHANNEL_WEB = "webchat"
CHANNEL_SMS = "twilio"
CHANNEL_SHELL = "shell"  # not "cmdline": Rasa 3.6 starts its own console reader for that name

# Red-flag severities (addons/nlu/red_flags.yml).
EMERGENCY = "emergency"
URGENT = "urgent"
