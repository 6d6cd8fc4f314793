"""Merging tagged PDFs (PDF/UA, as WeasyPrint writes them) into one tagged PDF.

Copying pages keeps their marked content but not the structure tree that makes a PDF
accessible. Here each part's tree is copied under one Document element (each part becomes a
Part), the parent tree that maps marked content back to the structure is renumbered part by
part, and layers laid over the pages (page numbers) are marked as pagination artifacts, so
screen readers skip them. qpdf (through pikepdf) does the copying: it maps each part's objects
once, so the structure elements copied after the pages point at the copied pages.
"""

from __future__ import annotations

import io

import pikepdf
from pikepdf import Array, Dictionary, Name, OutlineItem, Pdf

ARTIFACT_START = b"/Artifact <</Type /Pagination>> BDC\n"


def _parent_tree(tree: Dictionary) -> list[tuple[int, object]]:
    """The (key, value) pairs of a number tree, flat or with /Kids."""
    pairs: list[tuple[int, object]] = []
    nums = tree.get("/Nums")
    if nums is not None:
        pairs += [(int(nums[i]), nums[i + 1]) for i in range(0, len(nums), 2)]
    for kid in tree.get("/Kids", []):
        pairs += _parent_tree(kid)
    return pairs


class TaggedMerger:
    """Append tagged PDFs one after the other; `write()` returns the merged tagged PDF."""

    def __init__(self, *, language: str, title: str):
        self.pdf = Pdf.new()
        self.root = self.pdf.make_indirect(Dictionary(Type=Name.StructTreeRoot))
        self.document = self.pdf.make_indirect(
            Dictionary(Type=Name.StructElem, S=Name.Document, P=self.root, K=Array())
        )
        self.nums = Array()
        self.next_key = 0
        self.language = language
        self.title = title
        self.outline: list[OutlineItem] = []
        self.parts: list[Pdf] = []  # qpdf copies stream data lazily: keep the sources open

    def append(self, data: bytes) -> int:
        """Add a tagged PDF's pages and structure; returns the index of its first page."""
        part = Pdf.open(io.BytesIO(data))
        self.parts.append(part)
        first = len(self.pdf.pages)
        self.pdf.pages.extend(part.pages)
        if "/Metadata" not in self.pdf.Root and "/Metadata" in part.Root:
            self.pdf.Root.Metadata = self.pdf.copy_foreign(part.Root.Metadata)
        tree = part.Root.get("/StructTreeRoot")
        if tree is not None:
            self._copy_structure(tree, first)
        return first

    def _copy_structure(self, tree: Dictionary, first: int) -> None:
        offset = self.next_key
        kids = tree.K
        for element in kids if isinstance(kids, Array) else [kids]:
            if "/P" in element:
                del element.P  # do not drag the old root along
            copy = self.pdf.copy_foreign(element)
            copy.P = self.document
            if copy.get("/S") == Name.Document:
                copy.S = Name.Part
            self.document.K.append(copy)
        pairs = _parent_tree(tree.ParentTree)
        for key, value in pairs:
            self.nums.extend([key + offset, self._copy(value)])
        for page in self.pdf.pages[first:]:
            if "/StructParents" in page.obj:
                page.obj.StructParents = int(page.obj.StructParents) + offset
            for annotation in page.obj.get("/Annots", []):
                if "/StructParent" in annotation:
                    annotation.StructParent = int(annotation.StructParent) + offset
        self.next_key = offset + max((key for key, _v in pairs), default=-1) + 1

    def _copy(self, value):
        """A parent-tree value in our file: an element, or a direct array of elements."""
        if isinstance(value, Array) and not value.is_indirect:
            return Array([self._copy(item) for item in value])
        return self.pdf.copy_foreign(value) if value.is_indirect else value

    def overlay(self, layer: bytes) -> None:
        """Lay an untagged PDF's pages over ours (same count), as pagination artifacts."""
        stamps = Pdf.open(io.BytesIO(layer))
        self.parts.append(stamps)
        if len(stamps.pages) != len(self.pdf.pages):
            raise ValueError("the layer and the document differ in page count")
        for page, stamp in zip(self.pdf.pages, stamps.pages, strict=True):
            stamp.contents_add(stamps.make_stream(ARTIFACT_START), prepend=True)
            stamp.contents_add(stamps.make_stream(b"\nEMC\n"))
            page.add_overlay(stamp)

    def bookmark(self, label: str, page: int, parent: OutlineItem | None = None) -> OutlineItem:
        item = OutlineItem(label, page)
        (parent.children if parent is not None else self.outline).append(item)
        return item

    def write(self) -> bytes:
        pdf = self.pdf
        self.root.K = Array([self.document])
        self.root.ParentTree = pdf.make_indirect(Dictionary(Nums=self.nums))
        self.root.ParentTreeNextKey = self.next_key
        pdf.Root.StructTreeRoot = self.root
        pdf.Root.MarkInfo = Dictionary(Marked=True)
        pdf.Root.Lang = pikepdf.String(self.language)
        pdf.Root.ViewerPreferences = Dictionary(DisplayDocTitle=True)
        pdf.docinfo.Title = pikepdf.String(self.title)
        pdf.docinfo.Producer = pikepdf.String("PoA/ITI national reporting")
        with pdf.open_outline() as outline:
            outline.root.extend(self.outline)
        output = io.BytesIO()
        pdf.save(output, min_version="1.7", object_stream_mode=pikepdf.ObjectStreamMode.generate)
        return output.getvalue()

    @property
    def page_count(self) -> int:
        return len(self.pdf.pages)
