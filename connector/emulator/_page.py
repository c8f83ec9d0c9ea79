"""The outbox as an HTML page: a phone-like list of what was sent, newest first."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from ._outbox import Message

# Enough to follow a demo; the JSON API has the rest.
_SHOWN = 200

_STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", "PingFang SC", "Hiragino Sans GB",
       "Microsoft YaHei", "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC",
       "WenQuanYi Micro Hei", sans-serif;
       background: #eef0f3; margin: 0; color: #1c1e21; }
main { max-width: 28rem; margin: 1.5rem auto; background: #fff; border-radius: 1.5rem;
       box-shadow: 0 2px 12px rgba(0,0,0,.12); padding: 1rem 1.25rem 1.5rem; }
h1 { font-size: 1.1rem; text-align: center; margin: .25rem 0 1rem; }
.meta { color: #65676b; font-size: .8rem; }
.sms { margin: .9rem 0; }
.sms .to { font-weight: 600; font-size: .9rem; }
.bubble { background: #e9e9eb; border-radius: 1.1rem; padding: .6rem .9rem; margin-top: .3rem;
          white-space: pre-wrap; overflow-wrap: anywhere; }
.empty { text-align: center; color: #65676b; padding: 2rem 0; }
footer { color: #65676b; font-size: .75rem; text-align: center; margin-top: 1rem; }
code { font-size: .75rem; }
"""


def render_outbox_page(messages: Sequence[Message], url: str, stats: dict[str, int]) -> str:
    """The page for ``GET /``; every value from a request is HTML-escaped."""
    newest = list(reversed(messages))[:_SHOWN]
    if newest:
        items = "\n".join(_item(m) for m in newest)
    elif stats["delivered"]:
        items = '<p class="empty">The outbox was emptied. New messages will show here.</p>'
    else:
        items = '<p class="empty">No messages yet. Send one with SendSms to this endpoint.</p>'
    clear = f"curl -X DELETE {url}/__emulator/outbox"
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="refresh" content="2">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Tencent SMS emulator — outbox</title>
<style>{_STYLE}</style>
</head>
<body>
<main>
<h1>Tencent SMS emulator</h1>
<p class="meta">{len(messages)} message(s) in the outbox · since the emulator started:
{stats["requests"]} request(s), {stats["delivered"]} delivered · this page refreshes every 2 s</p>
{items}
<footer>Endpoint <code>{escape(url)}</code> · JSON:
<code>{escape(url)}/__emulator/outbox</code> · clear: <code>{escape(clear)}</code></footer>
</main>
</body>
</html>
"""


def _item(message: Message) -> str:
    where = "international" if message.international else "mainland"
    return (
        '<div class="sms">'
        f'<div class="to">{escape(message.phone_number)}'
        f' <span class="meta">{escape(message.iso_code)} · {where}</span></div>'
        f'<div class="meta">{escape(message.iso_time)} · template '
        f"{escape(message.template_id)} · app {escape(message.sdk_app_id)}</div>"
        f'<div class="bubble">{escape(message.content)}</div>'
        "</div>"
    )
