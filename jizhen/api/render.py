"""GeoReport v2 responses in JSON and XML (UTF-8; the XML declaration names the encoding).

The XML shapes follow the spec: <services><service>…, <service_definition>…<attributes>
<attribute>…<values><value><key/><name/></value>…, <service_requests><request>…, <errors><error>
<code/><description/></error>…. Every value is text (escaped), never markup.
"""
from __future__ import annotations

import json
import re
from typing import Any
from xml.sax.saxutils import escape

from fastapi.responses import Response

JSON_TYPE = "application/json; charset=utf-8"
XML_TYPE = "text/xml; charset=utf-8"

# list element → the name of each item in XML
_ITEM = {"services": "service", "service_requests": "request", "errors": "error",
         "attributes": "attribute", "values": "value", "endpoints": "endpoint",
         "formats": "format"}


# characters XML 1.0 cannot carry at all (not even escaped): dropped from the text
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xml_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return escape(_NOT_XML.sub("", str(value)))


def _xml(tag: str, value: Any) -> str:
    if isinstance(value, dict):
        inner = "".join(_xml(k, v) for k, v in value.items())
        return f"<{tag}>{inner}</{tag}>"
    if isinstance(value, (list, tuple)):
        item = _ITEM.get(tag, "item")
        return f"<{tag}>" + "".join(_xml(item, v) for v in value) + f"</{tag}>"
    return f"<{tag}>{_xml_value(value)}</{tag}>"


def to_xml(root: str, data: Any) -> str:
    return '<?xml version="1.0" encoding="UTF-8"?>' + _xml(root, data)


def respond(fmt: str, root: str, data: Any, *, status: int = 200,
            headers: dict[str, str] | None = None) -> Response:
    """``data`` rendered as ``fmt`` ('json' or 'xml'); ``root`` is the XML root element."""
    if fmt == "xml":
        return Response(to_xml(root, data).encode("utf-8"), status_code=status,
                        media_type=XML_TYPE, headers=headers)
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return Response(body.encode("utf-8"), status_code=status, media_type=JSON_TYPE, headers=headers)


def errors(fmt: str, status: int, items: list[tuple[int, str]], *,
           headers: dict[str, str] | None = None) -> Response:
    return respond(fmt, "errors", [{"code": c, "description": d} for c, d in items],
                   status=status, headers=headers)
