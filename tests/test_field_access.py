"""Every field of the served schema, for every kind of caller, against tests/access_table.py.

One world holds an instance of every type. A probe reaches one instance of a type from a root
field, and the type's fields are asked together: each comes back as a value, hidden (null or
empty), an error code, or unreachable (its parent did not come back). The table predicts each:
the field's own rule, once the fields on the way let the caller through (a value lets them
through, an error stops them, and where null or empty is allowed the data decides).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from string import Template
from typing import Any

import pytest
from graphql import (
    GraphQLField,
    GraphQLObjectType,
    ObjectTypeDefinitionNode,
    ObjectTypeExtensionNode,
    get_named_type,
    is_leaf_type,
    parse,
)
from tortoise.timezone import now

from models.accounts import Role
from models.city import Consultation, ConsultationAnswer
from resolvers.ids import parse_global_id
from schema.schemas import build_schema
from tests.access_table import FIELDS, Access, Caller, Outcome
from tests.support import gid, make_resident, make_staff, run_contract, tiny_png

SCHEMA = build_schema(production=False)
TYPES = SCHEMA._schema.type_map
OPEN = {Access.PUBLIC, Access.STRUCTURE, Access.ANYONE}

Tree = dict[str, "Tree"]


def served_fields() -> dict[str, GraphQLField]:
    """Every field of every object type, introspection and federation internals aside."""
    return {
        f"{type_name}.{name}": field
        for type_name, type_ in TYPES.items()
        if isinstance(type_, GraphQLObjectType) and not type_name.startswith("_")
        for name, field in type_.fields.items()
        if not name.startswith("_")
    }


def sdl_descriptions() -> dict[str, str]:
    document = parse(SCHEMA.as_str())
    return {
        f"{node.name.value}.{field.name.value}": field.description.value
        for node in document.definitions
        if isinstance(node, ObjectTypeDefinitionNode | ObjectTypeExtensionNode)
        for field in node.fields or ()
        if field.description
    }


# Subscriptions, and the types only they reach, answer over a websocket: their fields are
# enumerated for every caller by tests/test_live_access.py.
LIVE_TYPES = frozenset({"Subscription", "MessageEvent"})


def live_fields() -> set[str]:
    return {key for key in served_fields() if key.split(".")[0] in LIVE_TYPES}


def test_every_field_is_classified():
    assert set(served_fields()) == set(FIELDS)


def type_descriptions() -> dict[str, str]:
    document = parse(SCHEMA.as_str())
    return {
        node.name.value: node.description.value
        for node in document.definitions
        if isinstance(node, ObjectTypeDefinitionNode) and node.description
    }


def test_restricted_fields_say_who_may_see_them():
    """In the field's description (a permission class's text), or, for a field that only
    those who reach its object read, in its type's description: who reaches it."""
    descriptions = sdl_descriptions()
    reached = {name for name, text in type_descriptions().items() if "reach" in text.lower()}

    undocumented = [
        key
        for key, access in FIELDS.items()
        if access not in OPEN
        and not descriptions.get(key, "").strip()
        and key.split(".")[0] not in reached
    ]

    assert undocumented == []


# --- the world ---------------------------------------------------------------------------

FEED = "web/feed.graphql"
ANNOUNCEMENTS = "city/announcements.graphql"


async def _succeeds(api, document, name, variables, token):
    result = await run_contract(api, document, name, variables, token)
    assert "errors" not in result, result
    payload = next(iter(result["data"].values()))
    assert payload["userErrors"] == [], payload
    return payload


async def _upload(api, token):
    response = await api.client.post(
        "/media", content=tiny_png(), headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 201, response.text
    return response.json()["id"]


async def _post(api, token, **values):
    """An event with a photo, which carries every field a post may have."""
    values = {
        "kind": "EVENT",
        "title": "Bruit la nuit",
        "body": "Qui entend ?",
        "startsAt": "2099-06-20T17:00:00+02:00",
        "endsAt": "2099-06-20T23:00:00+02:00",
        "place": "Place Maugrétout",
        "photoIds": [await _upload(api, token)],
    } | values
    payload = await _succeeds(api, FEED, "CreatePost", {"input": values}, token)
    return payload["post"]["id"]


async def _message(api, world, post, body):
    values = {
        "recipientId": gid("Account", world.bob.id),
        "body": body,
        "aboutPostId": post,
        "photoId": await _upload(api, world.alice_token),
    }
    return await _succeeds(
        api, "web/messages.graphql", "SendMessage", {"input": values}, world.alice_token
    )


ATTEND = """
mutation($input: AttendEventInput!) { attendEvent(input: $input) { userErrors { code } } }
"""
MODERATE = """
mutation($input: ModerateInput!) { moderate(input: $input) { actions { id } userErrors { code } } }
"""
APPEAL = """
mutation($input: AppealModerationInput!) {
  appealModeration(input: $input) { appeal { id } userErrors { code } }
}
"""


async def _moderate(api, token, values):
    result = await api(MODERATE, {"input": values}, token)
    assert result["data"]["moderate"]["userErrors"] == [], result
    return result["data"]["moderate"]["actions"]


async def _consultation(api, token, world, question, closes_at):
    values = {
        "kind": "CONSULTATION",
        "title": question,
        "body": "Donnez votre avis.",
        "target": {
            "scope": "NEIGHBOURHOODS",
            "neighbourhoodIds": [gid("Neighbourhood", world.centre.id)],
        },
        "consultation": {"question": question, "options": ["Oui", "Non"], "closesAt": closes_at},
    }
    payload = await _succeeds(api, ANNOUNCEMENTS, "PublishAnnouncement", {"input": values}, token)
    return payload["announcement"]["consultation"]


async def _answer(consultation, voters, neighbourhood):
    consultation_pk = parse_global_id(consultation["id"])[1]
    option_pk = parse_global_id(consultation["options"][0]["id"])[1]
    await ConsultationAnswer.bulk_create(
        [
            ConsultationAnswer(
                consultation_id=consultation_pk,
                option_id=option_pk,
                account_id=voter.id,
                neighbourhood_id=neighbourhood.id,
                answered_at=now(),
            )
            for voter in voters
        ]
    )


@dataclass
class Given:
    ids: dict[str, str]
    tokens: dict[Caller, str | None]


async def given_a_world(api, world, moderator_token) -> Given:
    """Alice's private post (commented and reacted to by Bob) and her post shared with the
    city (commented by Bob); two messages from Alice to Bob about the first, the older one
    reported by Bob and hidden by a moderator; both posts edited once, who also suspended a resident; Alice's appeal;
    two consultations for the centre, one closed, with five answers each (enough to show)."""
    unverified, unverified_token = await make_resident(
        world.centre_street, "Ugo Martin", verified=False
    )
    voters = [world.alice, world.bob]
    voters += [(await make_resident(world.centre_street, f"Voisin {i}"))[0] for i in range(3)]
    city_staff = (await make_staff(Role.CITY_STAFF, "Service communication", world.city))[1]
    integration = (await make_staff(Role.CITY_INTEGRATION, "Tableau de bord", world.city))[1]
    admin = (await make_staff(Role.ADMIN, "Ada Admin"))[1]

    street = gid("Street", world.centre_street.id)
    post = await _post(api, world.alice_token, topicSlugs=["securite"], placeStreetId=street)
    shared = await _post(
        api, world.alice_token, topicSlugs=["evenements"], shareWithCity=True, placeStreetId=street
    )
    for commented in (post, shared):
        comment = {"input": {"postId": commented, "body": "Moi aussi."}}
        await _succeeds(api, FEED, "AddComment", comment, world.bob_token)
        # Edited once: updatedAt is a value for whoever may see it.
        edit = {"input": {"postId": commented, "body": "Et ce soir ?", "expectedVersion": 1}}
        await _succeeds(api, FEED, "EditPost", edit, world.alice_token)
    await _succeeds(api, FEED, "ToggleReaction", {"input": {"postId": post}}, world.bob_token)
    for attended in (post, shared):
        attend = await api(ATTEND, {"input": {"postId": attended}}, world.bob_token)
        assert attend["data"]["attendEvent"]["userErrors"] == [], attend
    sent = [await _message(api, world, post, body) for body in ("Tu entends ?", "Allô ?")]
    report = {"contentId": sent[0]["message"]["id"], "reason": "HARASSMENT", "note": "Insiste."}
    await _succeeds(api, FEED, "ReportContent", {"input": report}, world.bob_token)
    hide = {
        "kind": "HIDE_CONTENT",
        "reason": "Message insistant.",
        "contentIds": [report["contentId"]],
    }
    hidden = await _moderate(api, moderator_token, hide)
    suspend = {
        "kind": "SUSPEND_ACCOUNT",
        "reason": "Propos injurieux.",
        "accountId": gid("Account", voters[-1].id),
        "until": (now() + timedelta(days=7)).isoformat(),
    }
    await _moderate(api, moderator_token, suspend)
    appeal = {"actionId": hidden[0]["id"], "message": "Je ne faisais que demander."}
    appealed = await api(APPEAL, {"input": appeal}, world.alice_token)
    assert appealed["data"]["appealModeration"]["userErrors"] == [], appealed
    open_ = await _consultation(api, city_staff, world, "Zone 30 ?", None)
    later = (now() + timedelta(hours=1)).isoformat()
    closed = await _consultation(api, city_staff, world, "Rue piétonne ?", later)
    await Consultation.filter(id=parse_global_id(closed["id"])[1]).update(
        closes_at=now() - timedelta(seconds=1)
    )
    for consultation in (open_, closed):
        await _answer(consultation, voters, world.centre)

    ids = {
        "alice": gid("Account", world.alice.id),
        "centre": gid("Neighbourhood", world.centre.id),
        "closed_consultation": closed["id"],
        "consultation": open_["id"],
        "conversation": sent[0]["conversation"]["id"],
        "appeal": appealed["data"]["appealModeration"]["appeal"]["id"],
        "missing_action": gid("ModerationAction", 2**31 - 1),
        "missing_post": gid("Post", 2**31 - 1),
        "missing_comment": gid("Comment", 2**31 - 1),
        "option": open_["options"][0]["id"],
        "post": post,
        "shared_post": shared,
        "street": gid("Street", world.centre_street.id),
        "unverified": gid("Account", unverified.id),
    }
    tokens = {
        Caller.ANONYMOUS: None,
        Caller.UNVERIFIED: unverified_token,
        Caller.NEIGHBOUR: world.bob_token,
        Caller.OUTSIDER: world.carla_token,
        Caller.CITY_STAFF: city_staff,
        Caller.CITY_INTEGRATION: integration,
        Caller.MODERATOR: moderator_token,
        Caller.ADMIN: admin,
    }
    return Given(ids, tokens)


# --- probes ------------------------------------------------------------------------------

RESIDENT_SIDE = frozenset({Caller.ANONYMOUS, Caller.UNVERIFIED, Caller.NEIGHBOUR, Caller.OUTSIDER})
OFFICIAL_SIDE = frozenset(Caller) - RESIDENT_SIDE


@dataclass(frozen=True)
class Probe:
    """A way to one instance of a type: a root field, then the fields below it."""

    type_name: str
    path: tuple[str, ...]
    root: str = "Query"
    # "shared": Alice's shared post instead of her private one; "closed": the closed
    # consultation instead of the open one.
    condition: str = ""
    callers: frozenset[Caller] = frozenset(Caller)


def probe(type_name: str, path: str, **options: Any) -> Probe:
    return Probe(type_name, tuple(path.split()), **options)


def _announcements(type_name: str, below: str) -> list[Probe]:
    return [
        probe(type_name, f"viewer announcements {below}", callers=RESIDENT_SIDE),
        probe(type_name, f"city announcements {below}", callers=OFFICIAL_SIDE),
    ]


PROBES = [
    probe("Account", "viewer"),
    probe("City", "city"),
    probe("Street", "streets edges node"),
    probe("StreetConnection", "streets"),
    probe("StreetEdge", "streets edges"),
    probe("PageInfo", "streets pageInfo"),
    probe("Neighbourhood", "streets edges node neighbourhood"),
    probe("Topic", "topics"),
    probe("Post", "post"),
    probe("Post", "post", condition="shared"),
    probe("PostConnection", "neighbourhood posts"),
    probe("PostEdge", "neighbourhood posts edges"),
    probe("Resident", "post author"),
    probe("Comment", "post comments edges node"),
    probe("Photo", "post photos"),
    probe("ResidentConnection", "post attendees"),
    probe("ResidentEdge", "post attendees edges"),
    probe("SearchHit", "neighbourhood search edges node"),
    probe("SearchHitConnection", "neighbourhood search"),
    probe("SearchHitEdge", "neighbourhood search edges"),
    probe("TextFragment", "neighbourhood search edges node excerpt"),
    probe("CommentConnection", "post comments"),
    probe("CommentEdge", "post comments edges"),
    probe("Conversation", "conversation"),
    probe("ConversationConnection", "viewer conversations"),
    probe("ConversationEdge", "viewer conversations edges"),
    probe("Message", "conversation messages edges node", callers=RESIDENT_SIDE),
    probe("Message", "reports edges node content:Message", callers=OFFICIAL_SIDE),
    probe("MessageConnection", "conversation messages"),
    probe("MessageEdge", "conversation messages edges"),
    probe("Notification", "viewer notifications edges node"),
    probe("NotificationConnection", "viewer notifications"),
    probe("NotificationEdge", "viewer notifications edges"),
    *_announcements("Announcement", "edges node"),
    *_announcements("AnnouncementConnection", ""),
    *_announcements("AnnouncementEdge", "edges"),
    *_announcements("AnnouncementTarget", "edges node target"),
    probe("Consultation", "consultation"),
    probe("Consultation", "consultation", condition="closed"),
    probe("ConsultationOption", "consultation options"),
    probe("ConsultationResult", "consultation results"),
    probe("NeighbourhoodConsultationResult", "consultation resultsByNeighbourhood"),
    probe("VerificationLetter", "verificationLetters edges node"),
    probe("VerificationLetterConnection", "verificationLetters"),
    probe("VerificationLetterEdge", "verificationLetters edges"),
    probe("TopicInsight", "topicInsights"),
    probe("AnnouncementAudience", "announcementAudience"),
    probe("Report", "reports edges node", callers=OFFICIAL_SIDE),
    probe("ReportConnection", "reports"),
    probe("ReportEdge", "reports edges"),
    probe("ModerationAction", "moderationLog edges node"),
    probe("ModerationActionConnection", "moderationLog"),
    probe("ModerationActionEdge", "moderationLog edges"),
    probe("Appeal", "appeals edges node"),
    probe("AppealConnection", "appeals"),
    probe("AppealEdge", "appeals edges"),
    # Payloads are read in the request of their mutation, which runs once per caller.
    probe("AuthPayload", "login", root="Mutation"),
    probe("UserError", "login userErrors", root="Mutation"),
    probe("LogoutPayload", "logout", root="Mutation"),
    probe("VerifyAddressPayload", "verifyAddress", root="Mutation"),
    probe("IssueVerificationLetterPayload", "issueVerificationLetter", root="Mutation"),
    probe("PostPayload", "createPost", root="Mutation"),
    probe("DeletePostPayload", "deletePost", root="Mutation"),
    probe("DeleteCommentPayload", "deleteComment", root="Mutation"),
    probe("DeleteAccountPayload", "deleteAccount", root="Mutation"),
    probe("AddCommentPayload", "addComment", root="Mutation"),
    probe("SendMessagePayload", "sendMessage", root="Mutation"),
    probe("MarkConversationReadPayload", "markConversationRead", root="Mutation"),
    probe("ReportContentPayload", "reportContent", root="Mutation"),
    probe("Report", "reportContent report", root="Mutation", callers=RESIDENT_SIDE),
    probe("PublishAnnouncementPayload", "publishAnnouncement", root="Mutation"),
    probe("AnswerConsultationPayload", "answerConsultation", root="Mutation"),
    probe("MarkNotificationsReadPayload", "markNotificationsRead", root="Mutation"),
    probe("ModeratePayload", "moderate", root="Mutation"),
    probe("AppealPayload", "appealModeration", root="Mutation"),
    probe("NotificationPreference", "viewer notificationPreferences"),
    probe("AccountActionPayload", "changePassword", root="Mutation"),
    probe("ChangeEmailPayload", "changeEmail", root="Mutation"),
    probe("SetPreferencesPayload", "setPreferences", root="Mutation"),
]

# Required arguments, and those that pick the instance; `$name` is one of Given.ids. Mutation
# inputs make a permitted caller either succeed harmlessly or get userErrors.
ARGUMENTS = {
    "Query.node": 'id: "$post"',
    "Query.nodes": 'ids: ["$post", "$street"]',
    "Query.streets": 'search: "guyaux"',
    "Query.neighbourhood": 'id: "$centre"',
    "Query.post": 'id: "$post"',
    "Query.conversation": 'id: "$conversation"',
    "Query.consultation": 'id: "$consultation"',
    "Query.announcementAudience": "target: {scope: CITY}",
    "Query.topicInsights": 'from: "2020-01-01T00:00:00Z", to: "2020-02-01T00:00:00Z", '
    'neighbourhoodIds: ["$centre"]',
    "Mutation.register": 'input: {email: "nouvelle@example.be", password: "court", '
    'displayName: "Nouvelle", streetId: "$street", houseNumber: "1"}',
    "Mutation.login": 'input: {email: "personne@example.be", password: "pas le bon"}',
    "Mutation.verifyAddress": 'input: {code: "2222-2222"}',
    "Mutation.issueVerificationLetter": 'input: {accountId: "$unverified"}',
    "Mutation.createPost": 'input: {kind: DISCUSSION, title: "Chat perdu", body: "Gris."}',
    "Mutation.editPost": 'input: {postId: "$missing_post", title: "Trouvé", expectedVersion: 1}',
    "Mutation.deletePost": 'input: {postId: "$missing_post"}',
    "Mutation.deleteComment": 'input: {commentId: "$missing_comment"}',
    "Mutation.deleteAccount": 'input: {password: "pas le bon mot de passe"}',
    "Mutation.addComment": 'input: {postId: "$post", body: "Vu rue Guyaux."}',
    "Mutation.toggleReaction": 'input: {postId: "$post"}',
    "Mutation.sendMessage": 'input: {recipientId: "$alice", body: "Bonjour"}',
    "Mutation.markConversationRead": 'input: {conversationId: "$conversation"}',
    "Mutation.reportContent": 'input: {contentId: "$post", reason: SPAM, note: "Pub."}',
    "Mutation.publishAnnouncement": 'input: {kind: INFO, title: "Marché", body: "Samedi.", '
    "target: {scope: CITY}}",
    "Mutation.answerConsultation": 'input: {consultationId: "$consultation", optionId: "$option"}',
    "Mutation.markNotificationsRead": "input: {}",
    "Mutation.moderate": 'input: {kind: HIDE_CONTENT, reason: "Non", contentIds: []}',
    "Mutation.appealModeration": 'input: {actionId: "$missing_action", message: "Injuste."}',
    "Mutation.decideAppeal": 'input: {appealId: "$appeal", accept: false, reason: "Non"}',
    "Query.reports": "status: RESOLVED",
    "Mutation.confirmEmail": 'input: {token: "forged"}',
    "Mutation.requestPasswordReset": 'input: {email: "personne@example.be"}',
    "Mutation.resetPassword": 'input: {token: "forged", newPassword: "un mot de passe long"}',
    "Mutation.changePassword": 'input: {currentPassword: "pas le bon", newPassword: "x"}',
    "Mutation.changeEmail": 'input: {newEmail: "autre@example.be", currentPassword: "non"}',
    "Mutation.setPreferences": "input: {}",
    "Neighbourhood.search": 'query: "bruit"',
    "Mutation.attendEvent": 'input: {postId: "$post"}',
    "Mutation.leaveEvent": 'input: {postId: "$missing_post"}',
}
CONDITIONS = {"shared": {"post": "shared_post"}, "closed": {"consultation": "closed_consultation"}}


# --- queries -----------------------------------------------------------------------------


def _field_text(type_name: str, name: str, ids: dict[str, str]) -> str:
    arguments = ARGUMENTS.get(f"{type_name}.{name}")
    return f"{name}({Template(arguments).substitute(ids)})" if arguments else name


def _brief(field: GraphQLField) -> Tree:
    """Enough of a field to tell a value from null or empty."""
    named = get_named_type(field.type)
    if is_leaf_type(named):
        return {}
    if isinstance(named, GraphQLObjectType) and "edges" in named.fields:
        return {"edges": {"node": {"__typename": {}}}}
    return {"__typename": {}}


def _steps(probe: Probe) -> list[tuple[str, str, str]]:
    """Each step of the probe's path: the type it is on, the field, and the type it leads to
    ("content:Message" follows the union `content` to its `Message` member)."""
    steps, type_name = [], probe.root
    for step in probe.path:
        name, _, member = step.partition(":")
        target = member or get_named_type(TYPES[type_name].fields[name].type).name
        steps.append((type_name, name, member))
        type_name = target
    return steps


def _tree(probe: Probe, ids: dict[str, str], names: list[str]) -> Tree:
    type_ = TYPES[probe.type_name]
    tree: Tree = {_field_text(probe.type_name, n, ids): _brief(type_.fields[n]) for n in names}
    for type_name, name, member in reversed(_steps(probe)):
        tree = {_field_text(type_name, name, ids): {f"... on {member}": tree} if member else tree}
    return tree


def _merge(a: Tree, b: Tree) -> Tree:
    return {key: _merge(a.get(key, {}), b.get(key, {})) for key in a | b}


def _render(tree: Tree) -> str:
    return " ".join(f"{key} {{ {_render(sub)} }}" if sub else key for key, sub in tree.items())


# --- outcomes ----------------------------------------------------------------------------


def _resolve(outcome: Outcome, condition: str) -> Outcome:
    if outcome is Outcome.HIDDEN_UNLESS_SHARED:
        return Outcome.VALUE if condition == "shared" else Outcome.HIDDEN
    if outcome is Outcome.HIDDEN_UNTIL_CLOSED:
        return Outcome.VALUE if condition == "closed" else Outcome.HIDDEN
    return outcome


def _rule(key: str, caller: Caller, condition: str) -> str:
    access = FIELDS.get(key)
    return _resolve(access.outcomes[caller], condition).name if access else "UNCLASSIFIED"


def _walk(data: Any, path: tuple[str, ...]) -> tuple[list[str | int], Any, int | None]:
    """The concrete path to the probed object, the object, and the step where the way
    stopped (None when the object came back)."""
    node, concrete = data, []
    for index, step in enumerate(path):
        name = step.partition(":")[0]
        value = node.get(name) if isinstance(node, dict) else None
        concrete.append(name)
        if isinstance(value, list) and value:
            concrete.append(0)
            value = value[0]
        if value is None or value == []:
            return concrete, None, index
        node = value
    return concrete, node, None


def _seen(value: Any) -> str:
    if value is None or value == [] or (isinstance(value, dict) and value.get("edges") == []):
        return Outcome.HIDDEN.name
    return Outcome.VALUE.name


# On the way to an object, an error stops the caller; a field that may be null or empty
# (an empty connection is still an object) lets the data decide; a value lets them through.
ERRORS = {Outcome.UNAUTHENTICATED.name, Outcome.FORBIDDEN.name, Outcome.BAD_USER_INPUT.name}
FOLLOW_DATA = {Outcome.ANSWERED.name, Outcome.HIDDEN.name}


@dataclass
class Check:
    expected: str
    observed: str

    @property
    def holds(self) -> bool:
        if self.expected == Outcome.ANSWERED.name:
            return self.observed in (Outcome.VALUE.name, Outcome.HIDDEN.name)
        return self.expected == self.observed


class Session:
    """One caller's requests, and what each field answered them."""

    def __init__(self, api, given: Given, caller: Caller) -> None:
        self.api = api
        self.given = given
        self.caller = caller
        self.checks: dict[str, Check] = {}

    async def ask(self, operation: str, tree: Tree) -> dict[str, Any]:
        response = await self.api(
            f"{operation} {{ {_render(tree)} }}", token=self.given.tokens[self.caller]
        )
        unplaced = [e for e in response.get("errors", []) if not e.get("path")]
        assert unplaced == [], unplaced
        return response

    def ids(self, probe: Probe) -> dict[str, str]:
        ids = self.given.ids
        return ids | {k: ids[v] for k, v in CONDITIONS.get(probe.condition, {}).items()}

    def record(self, probe: Probe, response: dict[str, Any], names: list[str]) -> None:
        concrete, node, stopped = _walk(response.get("data"), probe.path)
        reachable = True
        for index, (type_name, name, _) in enumerate(_steps(probe)):
            outcome = _rule(f"{type_name}.{name}", self.caller, probe.condition)
            if outcome in ERRORS or (outcome in FOLLOW_DATA and stopped == index):
                reachable = False
        suffix = f" ({probe.condition})" if probe.condition else ""
        for name in names:
            key = f"{probe.type_name}.{name}"
            expected = _rule(key, self.caller, probe.condition) if reachable else "UNREACHABLE"
            observed = self._observed(response, concrete, node, stopped, name)
            self.checks[key + suffix] = Check(expected, observed)

    @staticmethod
    def _observed(response, concrete, node, stopped, name) -> str:
        target = [*concrete, name]
        for error in response.get("errors", []):
            if error["path"][: len(target)] == target:
                code = (error.get("extensions") or {}).get("code")
                return code or f"error: {error['message']}"
        if stopped is not None or node is None:
            return "UNREACHABLE"
        return _seen(node[name])

    def groups(self, root: str) -> list[list[tuple[Probe, list[str]]]]:
        """The root field's own check and the probes through it, one request per root field
        (and object); a mutation runs once, so everything read through it is asked at once."""
        groups: dict[tuple[str, str], list[tuple[Probe, list[str]]]] = {}
        for name in TYPES[root].fields:
            if not name.startswith("_"):
                groups[(name, "")] = [(Probe(root, (), root=root), [name])]
        for each in PROBES:
            if each.root == root and self.caller in each.callers:
                members = groups.setdefault((each.path[0], each.condition), [])
                members.append((each, list(TYPES[each.type_name].fields)))
        # logout revokes the token: last.
        return [groups[key] for key in sorted(groups, key=lambda key: key[0] == "logout")]

    def tree(self, members: list[tuple[Probe, list[str]]]) -> Tree:
        tree: Tree = {}
        for each, names in members:
            tree = _merge(tree, _tree(each, self.ids(each), names))
        return tree

    async def queries(self) -> None:
        for members in self.groups("Query"):
            response = await self.ask("query", self.tree(members))
            if not any(len(e["path"]) > 1 for e in response.get("errors", [])):
                for each, names in members:
                    self.record(each, response, names)
                continue
            # An error on a non-null field nulls its parent: ask each field alone.
            for each, names in members:
                for name in names:
                    single = await self.ask("query", self.tree([(each, [name])]))
                    self.record(each, single, [name])

    async def mutations(self) -> None:
        for members in self.groups("Mutation"):
            response = await self.ask("mutation", self.tree(members))
            for each, names in members:
                self.record(each, response, names)


@pytest.mark.parametrize("caller", list(Caller), ids=lambda caller: caller.name.lower())
async def test_every_field_answers_every_caller_as_the_table_says(
    api, world, moderator_token, caller
):
    given = await given_a_world(api, world, moderator_token)
    session = Session(api, given, caller)

    await session.queries()
    await session.mutations()

    assert {key.split(" ")[0] for key in session.checks} == set(served_fields()) - live_fields()
    mismatches = {
        key: f"expected {check.expected}, got {check.observed}"
        for key, check in session.checks.items()
        if not check.holds
    }
    assert mismatches == {}
