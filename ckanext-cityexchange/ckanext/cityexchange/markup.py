"""Markdown written by users, rendered without remote images. No CKAN import.

CKAN's ``h.render_markdown`` keeps ``<img src>``: a message holding
``![](https://tracker.example/x.png)`` makes every reader's browser call the sender's
server (a tracking pixel: who read it, when, from where). Here every image becomes a
plain link to its address, labelled with its alt text (inside a link: the alt text
alone), and raw ``<img>`` tags are stripped, so rendering never loads anything. The
rest is what ``render_markdown`` does: Markdown, then bleach with the same tags and
attributes, minus ``img``.
"""

from __future__ import annotations

import xml.etree.ElementTree as etree

import bleach
import markdown
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor

__all__ = ["ATTRIBUTES", "TAGS", "render"]

# CKAN's MARKDOWN_TAGS (ckan.lib.helpers) without img.
TAGS = frozenset(
    {
        "del",
        "dd",
        "dl",
        "dt",
        "h1",
        "h2",
        "h3",
        "kbd",
        "p",
        "pre",
        "s",
        "sup",
        "sub",
        "strike",
        "br",
        "hr",
    }
    | set(bleach.ALLOWED_TAGS)
)
ATTRIBUTES = {tag: list(names) for tag, names in bleach.ALLOWED_ATTRIBUTES.items() if tag != "img"}


class _ImagesToLinks(Treeprocessor):
    def run(self, root: etree.Element) -> etree.Element | None:
        self._walk(root, inside_link=False)
        return None

    def _walk(self, parent: etree.Element, inside_link: bool) -> None:
        for index, child in enumerate(list(parent)):
            if child.tag == "img":
                parent.remove(child)
                parent.insert(index, self._replacement(child, inside_link))
            else:
                self._walk(child, inside_link or child.tag == "a")

    @staticmethod
    def _replacement(img: etree.Element, inside_link: bool) -> etree.Element:
        src = (img.get("src") or "").strip()
        label = (img.get("alt") or "").strip() or (img.get("title") or "").strip()
        if inside_link or not src:
            node = etree.Element("span")  # bleach drops the tag, keeps the text
            node.text = label
        else:
            node = etree.Element("a", {"href": src})
            node.text = label or src
        node.tail = img.tail
        return node


class _NoImages(Extension):
    def extendMarkdown(self, md: markdown.Markdown) -> None:
        # After the inline patterns (priority 20) have made the <img> elements.
        md.treeprocessors.register(_ImagesToLinks(md), "cityexchange_no_images", 5)


def render(data: str | None) -> str:
    """Safe HTML for user-written Markdown: no images, no raw HTML beyond CKAN's list."""
    if not data:
        return ""
    html = markdown.markdown(data, extensions=[_NoImages()])
    return bleach.clean(html, tags=TAGS, attributes=ATTRIBUTES, strip=True)
