"""The threshold table (`thresholds.yml`) as the dentist signs it off.

Per tier, most serious first: its label and its action in chat and SMS words
(filled in with the practice's details); then each sign of the tier: its words in
an answer and in an SMS, the reply its red-flag pattern leads to (the sign's own
reply, else the tier's; routine signs raise no red flag), its sources and the
example messages that must reach it. And the fever threshold, as answers say it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import List, Optional, Tuple

from addons.staff.content_report.sources import SourceLink, source_links
from common.thresholds import TIERS, Sign, Tier
from knowledge.loader import SMS, Knowledge


@dataclass(frozen=True)
class SignRow:
    id: str
    tier: str
    chat: str
    sms: str
    reply: Optional[str]  # the answer the red flag leads to; None: no red flag
    reply_title: str
    sources: Tuple[SourceLink, ...]
    examples: Tuple[str, ...]


@dataclass(frozen=True)
class TierRow:
    id: str
    label: str
    chat: str  # the action in a full answer
    sms: str  # the action in an SMS
    reply: Optional[str]
    reply_title: str
    signs: Tuple[SignRow, ...]


def sign_reply(tier: Tier, sign: Sign) -> Optional[str]:
    """The answer a sign's red flag leads to: its own reply, else its tier's."""
    return sign.reply or tier.reply or None


def _title(knowledge: Knowledge, topic: Optional[str]) -> str:
    entry = knowledge.entries.get(topic or "")
    return entry.title if entry else ""


def _sign(knowledge: Knowledge, tier: Tier, sign: Sign) -> SignRow:
    reply = sign_reply(tier, sign)
    return SignRow(
        id=sign.id,
        tier=sign.tier,
        chat=knowledge.fill(sign.chat),
        sms=knowledge.fill(sign.sms, form=SMS),
        reply=reply,
        reply_title=_title(knowledge, reply),
        sources=tuple(source_links(knowledge, sign.sources)),
        examples=sign.examples,
    )


def table(knowledge: Knowledge) -> List[TierRow]:
    """The tiers, most serious first, each with its signs in the table's order."""
    rows = []
    for tier_id in TIERS:
        tier = knowledge.thresholds.tiers[tier_id]
        rows.append(
            TierRow(
                id=tier.id,
                label=knowledge.fill(tier.label),
                chat=knowledge.fill(tier.chat),
                sms=knowledge.fill(tier.sms, form=SMS),
                reply=tier.reply or None,
                reply_title=_title(knowledge, tier.reply),
                signs=tuple(
                    _sign(knowledge, tier, sign) for sign in knowledge.thresholds.signs_of(tier_id)
                ),
            )
        )
    return rows


def fever_words(knowledge: Knowledge) -> str:
    """The fever threshold as answers say it: "100.4 F (38 C)"."""
    return knowledge.thresholds.fever.words()
