from tests.support import gid, run_contract


async def test_resident_reads_own_neighbourhood_feed(api, world):
    result = await run_contract(
        api, "web/feed.graphql", "NeighbourhoodFeed", {"id": gid("Neighbourhood", world.centre.id)}, world.alice_token
    )
    assert result == {
        "data": {
            "neighbourhood": {
                "id": gid("Neighbourhood", world.centre.id),
                "name": "La Louvière centre",
                "isActive": True,
                "posts": {"edges": [], "pageInfo": {"hasNextPage": False, "endCursor": None}},
            }
        }
    }
