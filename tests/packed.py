"""Archives and office documents built in memory for tests (real zip files, made-up text)."""

from __future__ import annotations

import io
import zipfile

WORD_NS = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


def zip_bytes(parts: dict[str, str]) -> bytes:
    """A zip archive holding ``parts`` (name -> UTF-8 text)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            archive.writestr(name, text.encode("utf-8"))
    return out.getvalue()


def docx_bytes(body: str) -> bytes:
    """A minimal Word document whose body is ``body`` (WordprocessingML paragraphs)."""
    return zip_bytes(
        {
            "[Content_Types].xml": '<?xml version="1.0"?><Types/>',
            "word/document.xml": f'<?xml version="1.0"?><w:document {WORD_NS}><w:body>{body}'
            "</w:body></w:document>",
        }
    )
