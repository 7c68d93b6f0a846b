"""Hand-written structs shaped like generated bindings (a small feed/repo/sync slice).

Mirrors what the generator emits: ``LexObject`` subclasses with ``kw_only``, tags on records and
union members, builtins through aliases, quoted forward and cross-module references through a
lazy module proxy (``_embed`` refers back to this module: a cross-module cycle), the
``TYPE_CHECKING`` split that adds ``UnknownMember`` to open unions, and the union registries.
"""

import typing as _t

import msgspec as _m

from atlex import _rt

_PKG = __name__.rpartition(".")[0]  # works whether tests/unit is on sys.path or not
if _t.TYPE_CHECKING:
    import _lexshapes_embed as _embed
else:
    _embed = _rt.lazy_module(f"{_PKG}._lexshapes_embed" if _PKG else "_lexshapes_embed")

# One alias per line: pyright reads a plain `X = list` as a type alias, not a tuple unpack.
_list = list
_dict = dict
_str = str
_int = int
_bool = bool

NSID = "test.feed.defs"


class ProfileViewBasic(_rt.LexObject, kw_only=True):
    LEX_TYPE: _t.ClassVar[_str | None] = None
    did: _str
    handle: _str
    display_name: _str | _m.UnsetType = _m.UNSET
    # knownValues: an open set of strings
    status: _t.Literal["active", "takendown"] | _str | _m.UnsetType = _m.UNSET


class Label(_rt.LexObject, kw_only=True):
    src: _str
    uri: _str
    val: _t.Literal["!hide", "!warn"] | _str
    neg: _bool | _m.UnsetType = _m.UNSET
    sig: _rt.Bytes | _m.UnsetType = _m.UNSET


class SelfLabel(_rt.LexObject, kw_only=True):
    val: _str


class SelfLabels(_rt.LexObject, kw_only=True, tag_field="$type", tag="test.label.defs#selfLabels"):
    LEX_TYPE: _t.ClassVar[_str | None] = "test.label.defs#selfLabels"
    values: _list[SelfLabel]


class FacetMention(
    _rt.LexObject, kw_only=True, tag_field="$type", tag="test.richtext.facet#mention"
):
    LEX_TYPE: _t.ClassVar[_str | None] = "test.richtext.facet#mention"
    did: _str


class FacetLink(_rt.LexObject, kw_only=True, tag_field="$type", tag="test.richtext.facet#link"):
    LEX_TYPE: _t.ClassVar[_str | None] = "test.richtext.facet#link"
    uri: _str


class ByteSlice(_rt.LexObject, kw_only=True):
    byte_start: _int
    byte_end: _int


class Facet(_rt.LexObject, kw_only=True):
    index: ByteSlice
    if _t.TYPE_CHECKING:
        features: _list[FacetMention | FacetLink | _rt.UnknownMember]
    else:
        features: _list[FacetMention | FacetLink]


class Post(_rt.LexObject, kw_only=True, tag_field="$type", tag="test.feed.post"):
    """A record: tagged with the bare NSID."""

    LEX_TYPE: _t.ClassVar[_str | None] = "test.feed.post"
    text: _str
    created_at: _str
    if _t.TYPE_CHECKING:
        embed: "_embed.Images | _embed.External | _embed.Record | _rt.UnknownMember | _m.UnsetType" = _m.UNSET
        labels: "SelfLabels | _rt.UnknownMember | _m.UnsetType" = _m.UNSET
    else:
        embed: "_embed.Images | _embed.External | _embed.Record | _m.UnsetType" = _m.UNSET
        labels: "SelfLabels | _m.UnsetType" = _m.UNSET
    facets: _list[Facet] | _m.UnsetType = _m.UNSET
    langs: _list[_str] | _m.UnsetType = _m.UNSET


class ViewerState(_rt.LexObject, kw_only=True):
    like: _str | _m.UnsetType = _m.UNSET
    muted: _bool = False


class PostView(_rt.LexObject, kw_only=True, tag_field="$type", tag="test.feed.defs#postView"):
    LEX_TYPE: _t.ClassVar[_str | None] = "test.feed.defs#postView"
    uri: _str
    cid: _str
    author: ProfileViewBasic
    record: _dict[_str, _t.Any]
    if _t.TYPE_CHECKING:
        embed: "_embed.ImagesView | _embed.ExternalView | _embed.RecordView | _rt.UnknownMember | _m.UnsetType" = _m.UNSET
    else:
        embed: "_embed.ImagesView | _embed.ExternalView | _embed.RecordView | _m.UnsetType" = (
            _m.UNSET
        )
    like_count: _int | _m.UnsetType = _m.UNSET
    labels: _list[Label] | _m.UnsetType = _m.UNSET
    viewer: ViewerState | _m.UnsetType = _m.UNSET
    indexed_at: _str


class ReasonRepost(
    _rt.LexObject, kw_only=True, tag_field="$type", tag="test.feed.defs#reasonRepost"
):
    LEX_TYPE: _t.ClassVar[_str | None] = "test.feed.defs#reasonRepost"
    by: ProfileViewBasic
    indexed_at: _str


class ReasonPin(_rt.LexObject, kw_only=True, tag_field="$type", tag="test.feed.defs#reasonPin"):
    LEX_TYPE: _t.ClassVar[_str | None] = "test.feed.defs#reasonPin"


class NotFoundPost(
    _rt.LexObject, kw_only=True, tag_field="$type", tag="test.feed.defs#notFoundPost"
):
    LEX_TYPE: _t.ClassVar[_str | None] = "test.feed.defs#notFoundPost"
    uri: _str
    not_found: _t.Literal[True]


class ReplyRef(_rt.LexObject, kw_only=True):
    if _t.TYPE_CHECKING:
        root: "PostView | NotFoundPost | _rt.UnknownMember"
        parent: "PostView | NotFoundPost | _rt.UnknownMember"
    else:
        root: "PostView | NotFoundPost"
        parent: "PostView | NotFoundPost"


class FeedViewPost(_rt.LexObject, kw_only=True):
    post: PostView
    reply: ReplyRef | _m.UnsetType = _m.UNSET
    if _t.TYPE_CHECKING:
        reason: ReasonRepost | ReasonPin | _rt.UnknownMember | _m.UnsetType = _m.UNSET
    else:
        reason: ReasonRepost | ReasonPin | _m.UnsetType = _m.UNSET
    feed_context: _str | _m.UnsetType = _m.UNSET


class GetTimelineOutput(_rt.LexObject, kw_only=True):
    cursor: _str | _m.UnsetType = _m.UNSET
    feed: _list[FeedViewPost]


class Nullables(_rt.LexObject, kw_only=True):
    """Required / optional / nullable / default states, and a nullable optional open union."""

    required_nullable: _str | None
    optional_nullable: _str | _m.UnsetType | None = _m.UNSET
    optional: _int | _m.UnsetType = _m.UNSET
    with_default: _bool = False
    if _t.TYPE_CHECKING:
        pinned: ReasonRepost | ReasonPin | _rt.UnknownMember | _m.UnsetType | None = _m.UNSET
    else:
        pinned: ReasonRepost | ReasonPin | _m.UnsetType | None = _m.UNSET


# A closed union (com.atproto.repo.applyWrites shape): unknown $type is an error.
class Create(_rt.LexObject, kw_only=True, tag_field="$type", tag="test.repo.applyWrites#create"):
    LEX_TYPE: _t.ClassVar[_str | None] = "test.repo.applyWrites#create"
    collection: _str
    rkey: _str | _m.UnsetType = _m.UNSET
    value: _dict[_str, _t.Any]


class Delete(_rt.LexObject, kw_only=True, tag_field="$type", tag="test.repo.applyWrites#delete"):
    LEX_TYPE: _t.ClassVar[_str | None] = "test.repo.applyWrites#delete"
    collection: _str
    rkey: _str


class ApplyWritesInput(_rt.LexObject, kw_only=True):
    repo: _str
    writes: _list[Create | Delete]


# Subscription-style payload: strict leaves (Bytes, CidLink) and nullable links.
class RepoOp(_rt.LexObject, kw_only=True):
    action: _t.Literal["create", "update", "delete"]
    path: _str
    cid: _rt.CidLink | None


class Commit(_rt.LexObject, kw_only=True, tag_field="$type", tag="test.sync.subscribeRepos#commit"):
    LEX_TYPE: _t.ClassVar[_str | None] = "test.sync.subscribeRepos#commit"
    seq: _int
    repo: _str
    commit: _rt.CidLink
    blocks: _rt.Bytes
    ops: _list[RepoOp]


class LengthChecked(_rt.LexObject, kw_only=True):
    """A ``__post_init__`` that rejects, like a generated constraint hook might."""

    text: _str

    def __post_init__(self) -> None:
        if len(self.text) > 5:
            raise ValueError("text longer than 5 characters")


class Wrapper(_rt.LexObject, kw_only=True):
    item: LengthChecked
    if _t.TYPE_CHECKING:
        reason: ReasonRepost | ReasonPin | _rt.UnknownMember | _m.UnsetType = _m.UNSET
    else:
        reason: ReasonRepost | ReasonPin | _m.UnsetType = _m.UNSET


class ThreadItem(_rt.LexObject, kw_only=True, tag_field="$type", tag="test.feed.defs#threadItem"):
    LEX_TYPE: _t.ClassVar[_str | None] = "test.feed.defs#threadItem"
    post: PostView
    if _t.TYPE_CHECKING:
        parent: "ThreadItem | _rt.UnknownMember | _m.UnsetType" = _m.UNSET
    else:
        parent: "ThreadItem | _m.UnsetType" = _m.UNSET  # a single-ref union, and a self-cycle


_rt.register_closed(ApplyWritesInput, "writes")
_rt.register_single(ThreadItem, "parent")
_rt.register_single(Post, "labels")


# ---------------------------------------------------------------------------------------------
# Sample documents (fresh dicts on every call, so tests can mutate them)

CID = "bafyreidfayvfuwqa7qlnopdjiqrxzs6blmoeu4rujcjtnci5beludirz2a"
BLOB_CID = "bafkreibme22gw2h7y2h7tg2fhqotaqjucnbc24deqo72b6mkl2egezxhvy"


def author(n: int = 0) -> dict[str, _t.Any]:
    return {"did": f"did:plc:author{n}", "handle": f"author{n}.test", "displayName": f"Author {n}"}


def post_view(n: int, embed: dict[str, _t.Any] | None = None) -> dict[str, _t.Any]:
    doc: dict[str, _t.Any] = {
        "$type": "test.feed.defs#postView",
        "uri": f"at://did:plc:author{n}/test.feed.post/{n}",
        "cid": CID,
        "author": author(n),
        "record": {
            "$type": "test.feed.post",
            "text": f"post {n}",
            "createdAt": "2024-01-01T00:00:00Z",
        },
        "likeCount": n,
        "labels": [{"src": "did:plc:labeler", "uri": "at://x/y/z", "val": "!warn"}],
        "viewer": {"muted": False},
        "indexedAt": "2024-01-01T00:00:01Z",
    }
    if embed is not None:
        doc["embed"] = embed
    return doc


def images_view() -> dict[str, _t.Any]:
    return {
        "$type": "test.embed.images#view",
        "images": [{"thumb": "https://t/1", "fullsize": "https://f/1", "alt": "one"}],
    }


def external_view() -> dict[str, _t.Any]:
    return {"$type": "test.embed.external#view", "uri": "https://example.com", "title": "Example"}


def unknown_view() -> dict[str, _t.Any]:
    """An embed from a lexicon the client does not know, with nested data of every JSON kind."""
    return {
        "$type": "com.example.poll#view",
        "question": "Tea or coffee? ☕",
        "options": [{"text": "tea", "votes": 3}, {"text": "coffee", "votes": 2**60}],
        "closed": False,
        "closesAt": None,
        "$unknownDollarKey": {"nested": [[], {}, [1, [2, [3]]]]},
        "image": {"$type": "blob", "ref": {"$link": BLOB_CID}, "mimeType": "image/png", "size": 9},
    }


def timeline(embeds: list[dict[str, _t.Any] | None]) -> dict[str, _t.Any]:
    return {
        "cursor": "c1",
        "feed": [{"post": post_view(i, embed)} for i, embed in enumerate(embeds)],
    }
