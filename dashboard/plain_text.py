"""User text (names, addresses, notes, opinions) inside Streamlit messages that render markdown
(st.success / st.error / st.caption ...): escaped so it is shown as typed, never as markup.

    st.success(tc("act.stale", lang, who=plain(event_actor)))

Pure (no streamlit). Prefer st.text / st.dataframe for user text; use plain() when user text has
to sit inside a sentence of a message box.
"""
from __future__ import annotations

import html

# Every ASCII punctuation character that CommonMark or Streamlit's markdown extensions give a
# meaning to (emphasis, links, headings, lists, tables, code, :emoji: / :color[...] directives,
# $math$, ~strike~), plus the backslash itself.
_SPECIAL = set("\\`*_{}[]()#+-.!|<>~:$=^\"'&")


def plain(value) -> str:
    """`value` as literal text for a markdown-rendering element: each special character is
    backslash-escaped and '<' / '>' / '&' become entities, so no markup and no HTML survive;
    line breaks are kept as spaces (a message is one paragraph). None -> ''."""
    if value is None:
        return ""
    out = []
    for ch in str(value).replace("\r\n", " ").replace("\n", " ").replace("\r", " "):
        if ch in "<>&":
            out.append(html.escape(ch))
        elif ch in _SPECIAL:
            out.append("\\" + ch)
        else:
            out.append(ch)
    return "".join(out)
