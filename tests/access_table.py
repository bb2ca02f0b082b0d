"""Who may see what: one rule for every field of the served schema, and what each caller gets.

`FIELDS` names every field as "Type.field". Its rule says, for each kind of caller, what the
field answers once the caller holds its parent object (for a root field: always). Whether a
caller can hold an object at all follows from the rules of the fields that lead to it: a
comment is out of the city's reach because `Post.comments` is hidden from it (unless shared). The table
follows `../shared/contract/README.md`; tests/test_field_access.py runs it against the API. It is
the tests' oracle, written by hand apart from the permission classes it checks, and no part
of the running server.
"""

from __future__ import annotations

from enum import Enum


class Caller(Enum):
    """The kinds of caller, relative to the object asked about."""

    ANONYMOUS = "no account"
    UNVERIFIED = "a resident of the object's neighbourhood who has not verified their address"
    NEIGHBOUR = "a verified resident of the object's neighbourhood (of a conversation: in it)"
    OUTSIDER = "a verified resident of another neighbourhood of the same city"
    CITY_STAFF = "the city's communication team"
    CITY_INTEGRATION = "a read-only integration of the city"
    MODERATOR = "the platform's moderators, who belong to no city"
    ADMIN = "the platform's administrators, who belong to no city"


class Outcome(Enum):
    """What a field answers a caller."""

    VALUE = "the value: not null, not an empty list or connection"
    ANSWERED = "whatever the data holds, null included, without an error"
    HIDDEN = "null, an empty list or an empty connection, without an error"
    HIDDEN_UNLESS_SHARED = "HIDDEN, but VALUE when the author shared the post with the city"
    HIDDEN_UNTIL_CLOSED = "HIDDEN, but VALUE once the consultation has closed"
    UNAUTHENTICATED = "an error with extensions.code UNAUTHENTICATED"
    FORBIDDEN = "an error with extensions.code FORBIDDEN"
    BAD_USER_INPUT = "an error with extensions.code BAD_USER_INPUT"
    NOT_FOUND = "an error with extensions.code NOT_FOUND"


V = Outcome.VALUE
ANS = Outcome.ANSWERED
H = Outcome.HIDDEN
SHARED = Outcome.HIDDEN_UNLESS_SHARED
CLOSED = Outcome.HIDDEN_UNTIL_CLOSED
UA = Outcome.UNAUTHENTICATED
F = Outcome.FORBIDDEN
BAD = Outcome.BAD_USER_INPUT
NF = Outcome.NOT_FOUND


class Access(Enum):
    """A rule: what it covers, and the outcome for each `Caller`, in their order."""

    def __init__(self, summary: str, outcomes: tuple[Outcome, ...]) -> None:
        self.summary = summary
        self.outcomes = dict(zip(Caller, outcomes, strict=True))

    # fmt: off
    #   anonymous, unverified, neighbour, outsider, city staff, integration, moderator, admin
    PUBLIC = (
        "No check of its own: whoever holds the object.",
        (ANS, ANS, ANS, ANS, ANS, ANS, ANS, ANS),
    )
    STRUCTURE = (
        "Connections, edges, page info, payloads and user errors: as their parent.",
        (ANS, ANS, ANS, ANS, ANS, ANS, ANS, ANS),
    )
    ANYONE = (
        "A root field anyone may use, signed in or not.",
        (V, V, V, V, V, V, V, V),
    )
    BY_ID = (
        "`node`/`nodes`: each object when the caller could reach it along another path, else "
        "null; tests/test_nodes.py compares them type by type and caller by caller.",
        (ANS, ANS, ANS, ANS, ANS, ANS, ANS, ANS),
    )
    SIGNED_IN = (
        "A root field for any account.",
        (UA, V, V, V, V, V, V, V),
    )
    OWN = (
        "The signed-in account's own data (null without an account), no one else's.",
        (H, ANS, ANS, ANS, ANS, ANS, ANS, ANS),
    )
    OWN_CITY = (
        "The caller's city's taxonomy; moderators and admins belong to no city: empty.",
        (UA, V, V, V, V, V, H, H),
    )
    IN_REACH = (
        "A neighbourhood (its name, activity and progress): its residents, verified or not, "
        "its city's accounts and moderators; null for residents elsewhere.",
        (UA, V, V, H, V, V, V, V),
    )
    POST_IN_REACH = (
        "A post: its neighbourhood's verified residents, its city's accounts and moderators; "
        "null for an unverified account and for residents elsewhere.",
        (UA, H, V, H, V, V, V, V),
    )
    POST_METADATA = (
        "A post's kind, createdAt (the day alone for city roles, unless shared), topics, "
        "counts and sharedWithCity, and the feed that lists them: verified neighbours, city "
        "roles, moderators.",
        (H, H, V, H, V, V, V, V),
    )
    POST_CONTENT = (
        "A post's title, body, photos and event details: verified neighbours and moderators; "
        "city roles only while the author shares the post with the city.",
        (H, H, V, H, SHARED, SHARED, V, V),
    )
    PRECISE_TIME = (
        "A post's updatedAt and version: as POST_CONTENT (city roles get createdAt's day).",
        (H, H, V, H, SHARED, SHARED, V, V),
    )
    NEIGHBOURS_ONLY = (
        "A neighbourhood's upcoming events, an event's attendees (to its attendees and "
        "organiser): its verified residents and moderators; hidden from everyone else.",
        (H, H, V, H, H, H, V, V),
    )
    SEARCH = (
        "Full-text search in a neighbourhood: its verified residents and moderators; FORBIDDEN "
        "for city roles (probing would reveal content) and unverified accounts.",
        (UA, F, V, F, F, F, V, V),
    )
    # As the contract README: author and comments go with title and body. Comments and the
    # author reached through a shared post carry the post's consent (CanReadResidentContent).
    DISCUSSION = (
        "Who wrote a post, its comments (an empty connection when hidden), their text: as "
        "POST_CONTENT.",
        (H, H, V, H, SHARED, SHARED, V, V),
    )
    COMMENTER = (
        "Who wrote a comment: verified neighbours and moderators; under a shared post city "
        "roles see only the post's author named (the world's comment is a neighbour's: null).",
        (H, H, V, H, H, H, V, V),
    )
    PROGRESS = (
        "A neighbourhood's registered and verified counts: exact for its own residents, "
        "verified or not, and moderators; anyone else gets null below the threshold.",
        (ANS, V, V, ANS, ANS, ANS, V, V),
    )
    PARTICIPANTS = (
        "Private conversations: their participants only.",
        (UA, H, V, H, H, H, H, H),
    )
    PRIVATE_MESSAGE = (
        "A private message: its participants; moderators once reported (the reports queue).",
        (UA, H, V, H, H, H, V, V),
    )
    MODERATION_NOTE = (
        "Why content is hidden: its author and moderators; null while it is not hidden.",
        (H, H, H, H, H, H, ANS, ANS),
    )
    INBOX = (
        "What the city sent the signed-in resident: the verified residents it targeted.",
        (H, H, V, H, H, H, H, H),
    )
    ANNOUNCEMENTS = (
        "An announcement: the residents it targets, its city's accounts, moderators.",
        (UA, H, V, H, V, V, V, V),
    )
    CITY_AGGREGATE = (
        "Figures about residents (topic insights, whether a count is suppressed): city roles "
        "and moderators; null or empty for residents.",
        (H, H, H, H, V, V, V, V),
    )
    CITY_FIGURE = (
        "A count of residents for city roles and moderators (recipients, readers, audience): "
        "null when small; null or empty for residents.",
        (H, H, H, H, ANS, ANS, ANS, ANS),
    )
    RESULTS_BY_PLACE = (
        "Answers per neighbourhood: moderators; city roles once the consultation has closed.",
        (H, H, H, H, CLOSED, CLOSED, V, V),
    )
    RESULTS = (
        "A consultation's totals: city roles and moderators; residents once it has closed.",
        (H, CLOSED, CLOSED, CLOSED, V, V, V, V),
    )
    CITY_OR_STAFF = (
        "A root or city field for city roles and moderators only.",
        (UA, F, F, F, V, V, V, V),
    )
    AUDIENCE = (
        "A draft announcement's audience: city roles; moderators pass the permission but, "
        "belonging to no city, get BAD_USER_INPUT.",
        (UA, F, F, F, V, V, BAD, BAD),
    )
    CITY_STAFF_ONLY = (
        "Speaking for the city: its staff, not its read-only integrations.",
        (UA, F, F, F, V, F, F, F),
    )
    RESIDENT_ONLY = (
        "What residents do; one who may not do it yet gets userErrors, not an error.",
        (UA, V, V, V, F, F, F, F),
    )
    STAFF_ONLY = (
        "A root field for moderators and admins only.",
        (UA, F, F, F, F, F, V, V),
    )
    STAFF = (
        "Verification letters, who reported what, moderation decisions: moderators, admins.",
        (H, H, H, H, H, H, V, V),
    )
    FILED = (
        "A report or an appeal: who filed it (in their mutation's answer) and moderators.",
        (H, ANS, ANS, ANS, H, H, V, V),
    )
    # Subscriptions: VALUE is "receives the event", HIDDEN "subscribed, receives nothing",
    # UNAUTHENTICATED "the connection is refused at connection_init (4403)". The event's
    # fields then answer as their own rows say.
    LIVE_POSTS = (
        "New posts of a neighbourhood: whoever may read its feed, as the feed shows them (an "
        "unverified resident may subscribe to their own, and receives nothing until verified); "
        "NOT_FOUND for a neighbourhood out of reach.",
        (UA, H, V, NF, V, V, V, V),
    )
    LIVE_COMMENTS = (
        "New comments under a post: whoever may read its comments; NOT_FOUND for a post out "
        "of reach (to an unverified resident, every post is).",
        (UA, NF, V, NF, SHARED, SHARED, V, V),
    )
    LIVE_OWN = (
        "New messages or notifications of the caller's own: theirs, nobody else's.",
        (UA, H, V, H, H, H, H, H),
    )
    # fmt: on


FIELDS: dict[str, Access] = {
    # Root fields.
    "Query.node": Access.BY_ID,
    "Query.nodes": Access.BY_ID,
    "Query.viewer": Access.OWN,
    "Query.verificationLetters": Access.STAFF_ONLY,
    "Query.city": Access.SIGNED_IN,
    "Query.streets": Access.ANYONE,
    "Query.neighbourhood": Access.IN_REACH,
    "Query.topics": Access.OWN_CITY,
    "Query.post": Access.POST_IN_REACH,
    "Query.conversation": Access.PARTICIPANTS,
    "Query.announcementAudience": Access.AUDIENCE,
    "Query.consultation": Access.ANNOUNCEMENTS,
    "Query.topicInsights": Access.CITY_OR_STAFF,
    "Query.reports": Access.STAFF_ONLY,
    "Query.moderationLog": Access.STAFF_ONLY,
    "Query.appeals": Access.STAFF_ONLY,
    "Mutation.register": Access.ANYONE,
    "Mutation.login": Access.ANYONE,
    "Mutation.logout": Access.SIGNED_IN,
    "Mutation.verifyAddress": Access.RESIDENT_ONLY,
    "Mutation.issueVerificationLetter": Access.STAFF_ONLY,
    "Mutation.createPost": Access.RESIDENT_ONLY,
    "Mutation.editPost": Access.RESIDENT_ONLY,
    "Mutation.deletePost": Access.RESIDENT_ONLY,
    "Mutation.deleteComment": Access.RESIDENT_ONLY,
    "Mutation.deleteAccount": Access.SIGNED_IN,
    "Mutation.addComment": Access.RESIDENT_ONLY,
    "Mutation.toggleReaction": Access.RESIDENT_ONLY,
    "Mutation.attendEvent": Access.RESIDENT_ONLY,
    "Mutation.leaveEvent": Access.RESIDENT_ONLY,
    "Mutation.sendMessage": Access.RESIDENT_ONLY,
    "Mutation.markConversationRead": Access.RESIDENT_ONLY,
    "Mutation.reportContent": Access.RESIDENT_ONLY,
    "Mutation.moderate": Access.STAFF_ONLY,
    "Mutation.appealModeration": Access.SIGNED_IN,
    "Mutation.decideAppeal": Access.STAFF_ONLY,
    "Mutation.publishAnnouncement": Access.CITY_STAFF_ONLY,
    "Mutation.answerConsultation": Access.RESIDENT_ONLY,
    "Mutation.markNotificationsRead": Access.SIGNED_IN,
    # An account's e-mail and password: the link's token is the proof where no sign-in is.
    "Mutation.confirmEmail": Access.ANYONE,
    "Mutation.resendEmailConfirmation": Access.SIGNED_IN,
    "Mutation.requestPasswordReset": Access.ANYONE,
    "Mutation.resetPassword": Access.ANYONE,
    "Mutation.changePassword": Access.SIGNED_IN,
    "Mutation.changeEmail": Access.SIGNED_IN,
    "Mutation.setPreferences": Access.SIGNED_IN,
    "Subscription.postAdded": Access.LIVE_POSTS,
    "Subscription.commentAdded": Access.LIVE_COMMENTS,
    "Subscription.messageAdded": Access.LIVE_OWN,
    "Subscription.notificationAdded": Access.LIVE_OWN,
    "MessageEvent.conversation": Access.STRUCTURE,
    "MessageEvent.message": Access.STRUCTURE,
    # Accounts.
    "Account.id": Access.PUBLIC,
    "Account.displayName": Access.PUBLIC,
    "Account.email": Access.OWN,
    "Account.roles": Access.PUBLIC,
    "Account.resident": Access.PUBLIC,
    "Account.isVerified": Access.PUBLIC,
    "Account.street": Access.OWN,
    "Account.houseNumber": Access.OWN,
    "Account.neighbourhood": Access.PUBLIC,
    "Account.conversations": Access.PARTICIPANTS,
    "Account.announcements": Access.INBOX,
    "Account.notifications": Access.INBOX,
    "Account.unreadNotificationCount": Access.PUBLIC,
    "Account.emailConfirmed": Access.OWN,
    "Account.language": Access.OWN,
    "Account.notificationPreferences": Access.OWN,
    "NotificationPreference.kind": Access.PUBLIC,
    "NotificationPreference.inApp": Access.PUBLIC,
    "NotificationPreference.email": Access.PUBLIC,
    "Resident.id": Access.PUBLIC,
    "Resident.displayName": Access.DISCUSSION,
    "VerificationLetter.id": Access.PUBLIC,
    "VerificationLetter.code": Access.STAFF,
    "VerificationLetter.status": Access.STAFF,
    "VerificationLetter.failedAttempts": Access.STAFF,
    "VerificationLetter.recipient": Access.STAFF,
    "VerificationLetter.recipientName": Access.STAFF,
    "VerificationLetter.street": Access.STAFF,
    # The README's table says house numbers are for ADMIN only, but the contract's own
    # VerificationLetters document (MODERATOR or ADMIN) asks for it: moderators post the
    # letters. The document wins; the note on the issue says so.
    "VerificationLetter.houseNumber": Access.STAFF,
    "VerificationLetter.createdAt": Access.STAFF,
    # Places and topics.
    "City.id": Access.PUBLIC,
    "City.name": Access.PUBLIC,
    "City.timeZone": Access.PUBLIC,
    "City.neighbourhoods": Access.PUBLIC,
    "City.announcements": Access.CITY_OR_STAFF,
    "Neighbourhood.id": Access.PUBLIC,
    "Neighbourhood.name": Access.PUBLIC,
    "Neighbourhood.isActive": Access.PUBLIC,
    "Neighbourhood.registeredCount": Access.PROGRESS,
    "Neighbourhood.registeredCountSuppressed": Access.PUBLIC,
    "Neighbourhood.verifiedCount": Access.PROGRESS,
    "Neighbourhood.verifiedCountSuppressed": Access.PUBLIC,
    "Neighbourhood.activationThreshold": Access.PUBLIC,
    "Neighbourhood.posts": Access.POST_METADATA,
    "Neighbourhood.upcomingEvents": Access.NEIGHBOURS_ONLY,
    "Neighbourhood.search": Access.SEARCH,
    "Street.id": Access.PUBLIC,
    "Street.name": Access.PUBLIC,
    "Street.postalCode": Access.PUBLIC,
    "Street.neighbourhood": Access.PUBLIC,
    "Topic.id": Access.PUBLIC,
    "Topic.slug": Access.PUBLIC,
    "Topic.label": Access.PUBLIC,
    # The feed.
    "Post.id": Access.PUBLIC,
    "Post.kind": Access.POST_METADATA,
    "Post.title": Access.POST_CONTENT,
    "Post.body": Access.POST_CONTENT,
    "Post.author": Access.DISCUSSION,
    "Post.createdAt": Access.POST_METADATA,
    "Post.updatedAt": Access.PRECISE_TIME,
    "Post.version": Access.PRECISE_TIME,
    "Post.sharedWithCity": Access.POST_METADATA,
    "Post.topics": Access.POST_METADATA,
    "Post.hidden": Access.PUBLIC,
    "Post.hiddenReason": Access.MODERATION_NOTE,
    "Post.commentCount": Access.POST_METADATA,
    "Post.reactionCount": Access.POST_METADATA,
    "Post.viewerHasReacted": Access.PUBLIC,
    "Post.neighbourhood": Access.PUBLIC,
    "Post.comments": Access.DISCUSSION,
    "Post.photos": Access.POST_CONTENT,
    "Post.startsAt": Access.POST_CONTENT,
    "Post.endsAt": Access.POST_CONTENT,
    "Post.place": Access.POST_CONTENT,
    "Post.placeStreet": Access.POST_CONTENT,
    "Post.attendeeCount": Access.POST_CONTENT,
    "Post.viewerAttends": Access.PUBLIC,
    "Post.attendees": Access.NEIGHBOURS_ONLY,
    "Photo.id": Access.PUBLIC,
    "Photo.width": Access.PUBLIC,
    "Photo.height": Access.PUBLIC,
    "Photo.url": Access.PUBLIC,
    "SearchHit.post": Access.PUBLIC,
    "SearchHit.comment": Access.PUBLIC,
    "SearchHit.excerpt": Access.PUBLIC,
    "TextFragment.text": Access.PUBLIC,
    "TextFragment.highlighted": Access.PUBLIC,
    "Comment.id": Access.PUBLIC,
    "Comment.body": Access.DISCUSSION,
    "Comment.author": Access.COMMENTER,
    "Comment.createdAt": Access.PUBLIC,
    "Comment.hidden": Access.PUBLIC,
    "Comment.hiddenReason": Access.MODERATION_NOTE,
    # Private messages.
    "Conversation.id": Access.PUBLIC,
    "Conversation.participants": Access.PARTICIPANTS,
    "Conversation.unreadCount": Access.PARTICIPANTS,
    "Conversation.lastMessage": Access.PARTICIPANTS,
    "Conversation.messages": Access.PARTICIPANTS,
    "Message.id": Access.PUBLIC,
    "Message.body": Access.PRIVATE_MESSAGE,
    "Message.sender": Access.PRIVATE_MESSAGE,
    "Message.createdAt": Access.PRIVATE_MESSAGE,
    "Message.hidden": Access.PUBLIC,
    "Message.hiddenReason": Access.MODERATION_NOTE,
    "Message.aboutPost": Access.PRIVATE_MESSAGE,
    "Message.photo": Access.PRIVATE_MESSAGE,
    # The city's side.
    "Notification.id": Access.PUBLIC,
    "Notification.kind": Access.PUBLIC,
    "Notification.read": Access.PUBLIC,
    "Notification.createdAt": Access.PUBLIC,
    "Notification.subjectId": Access.PUBLIC,
    "Notification.reason": Access.PUBLIC,
    "Announcement.id": Access.PUBLIC,
    "Announcement.kind": Access.PUBLIC,
    "Announcement.title": Access.PUBLIC,
    "Announcement.body": Access.PUBLIC,
    "Announcement.publishedAt": Access.PUBLIC,
    "Announcement.target": Access.PUBLIC,
    "Announcement.recipientCount": Access.CITY_FIGURE,
    "Announcement.recipientCountSuppressed": Access.CITY_AGGREGATE,
    "Announcement.readCount": Access.CITY_FIGURE,
    "Announcement.readCountSuppressed": Access.CITY_AGGREGATE,
    "Announcement.consultation": Access.PUBLIC,
    "AnnouncementTarget.scope": Access.PUBLIC,
    "AnnouncementTarget.neighbourhoods": Access.PUBLIC,
    "AnnouncementTarget.streets": Access.PUBLIC,
    "AnnouncementAudience.recipientCount": Access.CITY_FIGURE,
    "AnnouncementAudience.recipientCountSuppressed": Access.PUBLIC,
    "Consultation.id": Access.PUBLIC,
    "Consultation.question": Access.PUBLIC,
    "Consultation.closesAt": Access.PUBLIC,
    "Consultation.isClosed": Access.PUBLIC,
    "Consultation.options": Access.PUBLIC,
    "Consultation.viewerAnswer": Access.PUBLIC,
    "Consultation.responseCount": Access.RESULTS,
    "Consultation.results": Access.RESULTS,
    "Consultation.resultsByNeighbourhood": Access.RESULTS_BY_PLACE,
    "ConsultationOption.id": Access.PUBLIC,
    "ConsultationOption.label": Access.PUBLIC,
    "ConsultationResult.option": Access.PUBLIC,
    "ConsultationResult.count": Access.PUBLIC,
    "ConsultationResult.suppressed": Access.PUBLIC,
    "NeighbourhoodConsultationResult.neighbourhood": Access.PUBLIC,
    "NeighbourhoodConsultationResult.option": Access.PUBLIC,
    "NeighbourhoodConsultationResult.count": Access.PUBLIC,
    "NeighbourhoodConsultationResult.suppressed": Access.PUBLIC,
    "TopicInsight.neighbourhood": Access.PUBLIC,
    "TopicInsight.topic": Access.PUBLIC,
    "TopicInsight.periodStart": Access.PUBLIC,
    "TopicInsight.postCount": Access.CITY_AGGREGATE,
    "TopicInsight.commentCount": Access.CITY_AGGREGATE,
    "TopicInsight.reactionCount": Access.CITY_AGGREGATE,
    "TopicInsight.suppressed": Access.CITY_AGGREGATE,
    # Moderation.
    "Report.id": Access.PUBLIC,
    "Report.reason": Access.FILED,
    "Report.note": Access.FILED,
    "Report.status": Access.FILED,
    "Report.createdAt": Access.FILED,
    "Report.reportCount": Access.STAFF,
    "Report.reporter": Access.STAFF,
    "Report.content": Access.STAFF,
    "ModerationAction.id": Access.PUBLIC,
    "ModerationAction.kind": Access.STAFF,
    "ModerationAction.reason": Access.STAFF,
    "ModerationAction.createdAt": Access.STAFF,
    "ModerationAction.until": Access.STAFF,
    "ModerationAction.subjectId": Access.STAFF,
    "ModerationAction.moderator": Access.STAFF,
    "Appeal.id": Access.PUBLIC,
    "Appeal.message": Access.FILED,
    "Appeal.status": Access.FILED,
    "Appeal.createdAt": Access.FILED,
    "Appeal.action": Access.STAFF,
    # Plumbing: pages, user errors, connections, edges and payloads.
    "AddCommentPayload.comment": Access.STRUCTURE,
    "AddCommentPayload.post": Access.STRUCTURE,
    "AddCommentPayload.userErrors": Access.STRUCTURE,
    "AnnouncementConnection.edges": Access.STRUCTURE,
    "AnnouncementConnection.pageInfo": Access.STRUCTURE,
    "AnnouncementEdge.cursor": Access.STRUCTURE,
    "AnnouncementEdge.node": Access.STRUCTURE,
    "AnswerConsultationPayload.consultation": Access.STRUCTURE,
    "AnswerConsultationPayload.userErrors": Access.STRUCTURE,
    "AppealConnection.edges": Access.STRUCTURE,
    "AppealConnection.pageInfo": Access.STRUCTURE,
    "AppealEdge.cursor": Access.STRUCTURE,
    "AppealEdge.node": Access.STRUCTURE,
    "AppealPayload.appeal": Access.STRUCTURE,
    "AppealPayload.userErrors": Access.STRUCTURE,
    "AuthPayload.token": Access.STRUCTURE,
    "AuthPayload.viewer": Access.STRUCTURE,
    "AuthPayload.userErrors": Access.STRUCTURE,
    "CommentConnection.edges": Access.STRUCTURE,
    "CommentConnection.pageInfo": Access.STRUCTURE,
    "CommentEdge.cursor": Access.STRUCTURE,
    "CommentEdge.node": Access.STRUCTURE,
    "ConversationConnection.edges": Access.STRUCTURE,
    "ConversationConnection.pageInfo": Access.STRUCTURE,
    "ConversationEdge.cursor": Access.STRUCTURE,
    "ConversationEdge.node": Access.STRUCTURE,
    "DeletePostPayload.deletedPostId": Access.STRUCTURE,
    "DeleteCommentPayload.deletedCommentId": Access.STRUCTURE,
    "DeleteCommentPayload.post": Access.STRUCTURE,
    "DeleteCommentPayload.userErrors": Access.STRUCTURE,
    "DeleteAccountPayload.deletedAccountId": Access.STRUCTURE,
    "DeleteAccountPayload.userErrors": Access.STRUCTURE,
    "DeletePostPayload.userErrors": Access.STRUCTURE,
    "IssueVerificationLetterPayload.letter": Access.STRUCTURE,
    "IssueVerificationLetterPayload.userErrors": Access.STRUCTURE,
    "LogoutPayload.ok": Access.STRUCTURE,
    "AccountActionPayload.ok": Access.STRUCTURE,
    "AccountActionPayload.userErrors": Access.STRUCTURE,
    "ChangeEmailPayload.pendingEmail": Access.STRUCTURE,
    "ChangeEmailPayload.userErrors": Access.STRUCTURE,
    "SetPreferencesPayload.viewer": Access.STRUCTURE,
    "SetPreferencesPayload.userErrors": Access.STRUCTURE,
    "MarkConversationReadPayload.conversation": Access.STRUCTURE,
    "MarkConversationReadPayload.userErrors": Access.STRUCTURE,
    "MarkNotificationsReadPayload.unreadNotificationCount": Access.STRUCTURE,
    "MarkNotificationsReadPayload.userErrors": Access.STRUCTURE,
    "MessageConnection.edges": Access.STRUCTURE,
    "MessageConnection.pageInfo": Access.STRUCTURE,
    "MessageEdge.cursor": Access.STRUCTURE,
    "MessageEdge.node": Access.STRUCTURE,
    "ModeratePayload.actions": Access.STRUCTURE,
    "ModeratePayload.userErrors": Access.STRUCTURE,
    "ModerationActionConnection.edges": Access.STRUCTURE,
    "ModerationActionConnection.pageInfo": Access.STRUCTURE,
    "ModerationActionEdge.cursor": Access.STRUCTURE,
    "ModerationActionEdge.node": Access.STRUCTURE,
    "NotificationConnection.edges": Access.STRUCTURE,
    "NotificationConnection.pageInfo": Access.STRUCTURE,
    "NotificationEdge.cursor": Access.STRUCTURE,
    "NotificationEdge.node": Access.STRUCTURE,
    "PageInfo.hasNextPage": Access.STRUCTURE,
    "PageInfo.hasPreviousPage": Access.STRUCTURE,
    "PageInfo.startCursor": Access.STRUCTURE,
    "PageInfo.endCursor": Access.STRUCTURE,
    "PostConnection.edges": Access.STRUCTURE,
    "PostConnection.pageInfo": Access.STRUCTURE,
    "PostEdge.cursor": Access.STRUCTURE,
    "PostEdge.node": Access.STRUCTURE,
    "PostPayload.post": Access.STRUCTURE,
    "PostPayload.userErrors": Access.STRUCTURE,
    "PublishAnnouncementPayload.announcement": Access.STRUCTURE,
    "PublishAnnouncementPayload.userErrors": Access.STRUCTURE,
    "ReportConnection.edges": Access.STRUCTURE,
    "ReportConnection.pageInfo": Access.STRUCTURE,
    "ReportContentPayload.report": Access.STRUCTURE,
    "ReportContentPayload.userErrors": Access.STRUCTURE,
    "ReportEdge.cursor": Access.STRUCTURE,
    "ResidentConnection.edges": Access.STRUCTURE,
    "ResidentConnection.pageInfo": Access.STRUCTURE,
    "ResidentEdge.cursor": Access.STRUCTURE,
    "ResidentEdge.node": Access.STRUCTURE,
    "SearchHitConnection.edges": Access.STRUCTURE,
    "SearchHitConnection.pageInfo": Access.STRUCTURE,
    "SearchHitEdge.cursor": Access.STRUCTURE,
    "SearchHitEdge.node": Access.STRUCTURE,
    "ReportEdge.node": Access.STRUCTURE,
    "SendMessagePayload.message": Access.STRUCTURE,
    "SendMessagePayload.conversation": Access.STRUCTURE,
    "SendMessagePayload.userErrors": Access.STRUCTURE,
    "StreetConnection.edges": Access.STRUCTURE,
    "StreetConnection.pageInfo": Access.STRUCTURE,
    "StreetEdge.cursor": Access.STRUCTURE,
    "StreetEdge.node": Access.STRUCTURE,
    "UserError.field": Access.STRUCTURE,
    "UserError.code": Access.STRUCTURE,
    "UserError.message": Access.STRUCTURE,
    "UserError.retryAfter": Access.STRUCTURE,
    "VerificationLetterConnection.edges": Access.STRUCTURE,
    "VerificationLetterConnection.pageInfo": Access.STRUCTURE,
    "VerificationLetterEdge.cursor": Access.STRUCTURE,
    "VerificationLetterEdge.node": Access.STRUCTURE,
    "VerifyAddressPayload.viewer": Access.STRUCTURE,
    "VerifyAddressPayload.userErrors": Access.STRUCTURE,
}
