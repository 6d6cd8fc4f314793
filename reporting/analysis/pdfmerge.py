"""Merging tagged PDFs (PDF/UA, as WeasyPrint writes them) into one tagged PDF.

pypdf copies pages but not the structure tree that makes a PDF accessible. Here each part's
tree is copied under one Document element (each part becomes a Part), the parent tree that
maps marked content back to the structure is renumbered part by part, and layers laid over
the pages (page numbers) are marked as pagination artifacts, so screen readers skip them.
"""

from __future__ import annotations

import io

from pypdf import PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject,
    BooleanObject,
    DecodedStreamObject,
    DictionaryObject,
    NameObject,
    NullObject,
    NumberObject,
    TextStringObject,
)


def _parent_tree(tree: DictionaryObject) -> list[tuple[int, object]]:
    """The (key, value) pairs of a number tree, flat or with /Kids."""
    pairs: list[tuple[int, object]] = []
    nums = tree.get("/Nums")
    if nums is not None:
        pairs += [(int(nums[i]), nums[i + 1]) for i in range(0, len(nums), 2)]
    for kid in tree.get("/Kids", []):
        pairs += _parent_tree(kid.get_object())
    return pairs


class TaggedMerger:
    """Append tagged PDFs one after the other; `write()` returns the merged tagged PDF."""

    def __init__(self, *, language: str, title: str):
        self.writer = PdfWriter()
        self.root = self.writer._add_object(
            DictionaryObject({NameObject("/Type"): NameObject("/StructTreeRoot")})
        )
        self.document = DictionaryObject(
            {
                NameObject("/Type"): NameObject("/StructElem"),
                NameObject("/S"): NameObject("/Document"),
                NameObject("/P"): self.root,
                NameObject("/K"): ArrayObject(),
            }
        )
        self.document_ref = self.writer._add_object(self.document)
        self.nums = ArrayObject()
        self.next_key = 0
        self.language = language
        self.title = title
        self.metadata = None

    def append(self, data: bytes) -> int:
        """Add a tagged PDF's pages and structure; returns the index of its first page."""
        reader = PdfReader(io.BytesIO(data))
        first = len(self.writer.pages)
        self.writer.append(reader, import_outline=False)
        catalog = reader.trailer["/Root"]
        if self.metadata is None and "/Metadata" in catalog:
            self.metadata = catalog["/Metadata"].get_object().clone(self.writer).indirect_reference
        tree = catalog.get("/StructTreeRoot")
        if tree is None:
            return first
        self._copy_structure(tree.get_object(), reader, first)
        return first

    def _copy_structure(self, tree: DictionaryObject, reader: PdfReader, first: int) -> None:
        offset = self.next_key
        kids = tree["/K"]
        for kid in kids if isinstance(kids, ArrayObject) else [kids]:
            element = kid.get_object()
            element[NameObject("/P")] = NullObject()  # do not drag the old root along
            copy = element.clone(self.writer)
            copy[NameObject("/P")] = self.document_ref
            if copy.get("/S") == "/Document":
                copy[NameObject("/S")] = NameObject("/Part")
            self.document["/K"].append(copy.indirect_reference)
        pairs = _parent_tree(tree["/ParentTree"].get_object())
        for key, value in pairs:
            self.nums += [NumberObject(key + offset), value.clone(self.writer)]
        for index, page in enumerate(reader.pages):
            target = self.writer.pages[first + index]
            if "/StructParents" in page:
                target[NameObject("/StructParents")] = NumberObject(page["/StructParents"] + offset)
            for annotation in target.get("/Annots", []):
                annotation = annotation.get_object()
                if "/StructParent" in annotation:
                    annotation[NameObject("/StructParent")] = NumberObject(
                        annotation["/StructParent"] + offset
                    )
        self.next_key = offset + (max((key for key, _v in pairs), default=-1) + 1)

    def overlay(self, layer: bytes) -> None:
        """Lay an untagged PDF's pages over ours (same count), as pagination artifacts."""
        stamps = PdfWriter(clone_from=io.BytesIO(layer)).pages
        for page, stamp in zip(self.writer.pages, stamps, strict=True):
            content = stamp.get_contents()
            marked = DecodedStreamObject()
            marked.set_data(
                b"/Artifact <</Type /Pagination>> BDC\n" + content.get_data() + b"\nEMC\n"
            )
            stamp.replace_contents(marked)
            page.merge_page(stamp, over=True)
            page.compress_content_streams()  # pypdf writes merged contents uncompressed

    def write(self) -> bytes:
        root = self.root.get_object()
        root[NameObject("/K")] = ArrayObject([self.document_ref])
        root[NameObject("/ParentTree")] = self.writer._add_object(
            DictionaryObject({NameObject("/Nums"): self.nums})
        )
        root[NameObject("/ParentTreeNextKey")] = NumberObject(self.next_key)
        catalog = self.writer._root_object
        catalog[NameObject("/StructTreeRoot")] = self.root
        catalog[NameObject("/MarkInfo")] = DictionaryObject(
            {NameObject("/Marked"): BooleanObject(True)}
        )
        catalog[NameObject("/Lang")] = TextStringObject(self.language)
        if self.metadata is not None:
            catalog[NameObject("/Metadata")] = self.metadata
        self.writer.add_metadata({"/Title": self.title, "/Producer": "PoA/ITI national reporting"})
        self.writer.create_viewer_preferences().display_doctitle = True
        output = io.BytesIO()
        self.writer.write(output)
        return output.getvalue()

    def bookmark(self, label: str, page: int, parent=None):
        return self.writer.add_outline_item(title=label, page_number=page, parent=parent)

    @property
    def page_count(self) -> int:
        return len(self.writer.pages)
