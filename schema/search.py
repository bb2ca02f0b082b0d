"""Search results: a post or a comment that matched, with its excerpt highlighted."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from models import geography as geography_models
from models.community import Comment as CommentRow
from permissions import requires
from permissions.classes import IsVerifiedNeighbourOrStaff
from resolvers import search as searching
from resolvers.pagination import Page
from resolvers.search import Hit
from schema.base import Connection, contribute
from schema.community import Comment, Post
from schema.geography import Neighbourhood


@strawberry.type(description="A piece of an excerpt; the matching words are `highlighted`.")
class TextFragment:
    text: str
    highlighted: bool


@strawberry.type(description="A post, or a comment under it, that matched a search.")
class SearchHit:
    hit: strawberry.Private[Hit]
    # Loaded once for the page (resolvers can look them up without a statement per hit).
    comment_row: strawberry.Private[CommentRow | None] = None

    @strawberry.field(description="The post that matched, or the one under which a comment did.")
    async def post(self, info: Info) -> Post:
        return Post(row=await info.context.loaders.post.load(self.hit.post_id))

    @strawberry.field(description="The comment that matched; null when the post itself did.")
    def comment(self) -> Comment | None:
        return Comment(row=self.comment_row) if self.comment_row is not None else None

    @strawberry.field(
        description="The matching passage, in order: render the `highlighted` fragments marked."
    )
    def excerpt(self) -> list[TextFragment]:
        return [TextFragment(text=t, highlighted=h) for t, h in self.hit.fragments]


async def hits_connection(page: Page[Hit]) -> Connection[SearchHit]:
    ids = [h.comment_id for h in page.rows if h.comment_id is not None]
    comments = {c.id: c for c in await CommentRow.filter(id__in=ids)} if ids else {}
    return Connection.of(
        page,
        lambda hit: SearchHit(
            hit=hit, comment_row=comments.get(hit.comment_id) if hit.comment_id else None
        ),
    )


@strawberry.type
class NeighbourhoodSearch:
    """What search adds to `Neighbourhood`."""

    row: strawberry.Private[geography_models.Neighbourhood]

    @strawberry.field(
        description="Full-text search over the titles, bodies and comments of this "
        "neighbourhood, best match first; French and Dutch word forms and accents are folded. "
        "Hidden and deleted content never matches. A query longer than 200 characters, or "
        "without a word, is BAD_USER_INPUT.",
        extensions=requires(IsVerifiedNeighbourOrStaff),
    )
    async def search(
        self, query: str, first: int | None = 20, after: str | None = None
    ) -> Connection[SearchHit] | None:
        return await hits_connection(await searching.search(self.row.id, query, first, after))


contribute(Neighbourhood, NeighbourhoodSearch)
