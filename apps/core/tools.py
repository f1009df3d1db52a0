"""The five tools, as the home page and the navigation present them."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse


@dataclass(frozen=True)
class Tool:
    key: str
    name: str
    tagline: str
    url_name: str
    made: str = ""  # what the tool makes, as "Making your …" names it

    @property
    def url(self) -> str | None:
        try:
            return reverse(self.url_name)
        except NoReverseMatch:
            return None  # not built yet: shown as coming soon

    @property
    def available(self) -> bool:
        return self.url is not None


TOOLS: tuple[Tool, ...] = (
    Tool("idphoto", "Emotional ID photo", "Your portrait on the background colour that suits you, in ID sizes.",
         "idphoto:new", "emotional ID photo"),
    Tool("emoticon", "Emoticon of you", "Your expression, mask and glasses, drawn as your own emoticon.",
         "emoticon:new", "emoticon"),
    Tool("seasons", "Seasons", "A landscape turned day to night, spring to autumn, summer to winter.", "seasons:new",
         "new season"),
    Tool("suit", "Suit up", "A tailored suit on the person in your ID photo.", "suit:new", "suit photo"),
    Tool("composition", "Composition coach", "A live camera coach for well-proportioned full-body shots.",
         "composition:new"),
)  # fmt: skip
