"""Saying one comes to an event, or no longer comes."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from permissions import IsResident, requires
from resolvers import attendance
from schema.base import attempt
from schema.community import PostPayload, post_errors, post_payload


@strawberry.input
class AttendEventInput:
    post_id: strawberry.ID


@strawberry.input
class LeaveEventInput:
    post_id: strawberry.ID


@strawberry.type
class AttendanceMutation:
    @strawberry.mutation(
        description="Say one comes to an event of one's neighbourhood (verified resident); "
        "saying it twice changes nothing. The event's attendees then see one's name.",
        extensions=requires(IsResident),
    )
    async def attend_event(self, info: Info, input: AttendEventInput) -> PostPayload:
        action = attendance.attend(info.context, post_id=input.post_id)
        return await attempt(action, post_payload, post_errors)

    @strawberry.mutation(
        description="Say one no longer comes to an event.", extensions=requires(IsResident)
    )
    async def leave_event(self, info: Info, input: LeaveEventInput) -> PostPayload:
        action = attendance.leave(info.context, post_id=input.post_id)
        return await attempt(action, post_payload, post_errors)
