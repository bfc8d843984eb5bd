"""The one-student visibility check agrees with the course-wide set it stands in for."""

from __future__ import annotations

import pytest

from mockcanvas import permissions
from mockcanvas.seed import build_world


@pytest.mark.parametrize("seed", [1, 2])
def test_can_see_student_is_membership_of_visible_student_ids(seed):
    store = build_world(seed, "small")
    graders = {e.user_id for e in store.enrollments.values() if e.type != "StudentEnrollment"}
    graders |= {a.user_id for a in store.admins.values()}
    limited = store.landmarks["section_limited_ta"]
    assert limited in graders
    checked = hidden = 0
    for course in store.courses.values():
        for grader_id in sorted(graders):
            grader = store.users[grader_id]
            visible = permissions.visible_student_ids(store, grader, course)
            for user_id in store.users:
                seen = permissions.can_see_student(store, grader, course, user_id)
                assert seen == (user_id in visible), (course.id, grader_id, user_id)
                checked += 1
                hidden += (
                    grader_id == limited
                    and not seen
                    and user_id in {e.user_id for e in store.course_enrollments(course.id)}
                )
    # The section-limited TA really is limited: some students of a course are hidden from them.
    assert checked > 1000 and hidden > 0
