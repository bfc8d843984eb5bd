"""Matching request paths against client-supplied globs and regexes in time linear in the path.

Python's ``re`` backtracks: a glob compiled to ``.*a.*a.*b`` or a regex such as ``(a+)+$`` takes
polynomial or exponential time on a path the client chooses, holding a worker (and, for a fault, a
request every client may send). Both kinds of pattern here run as a set of automaton states
stepped over the path once, as RE2 does, so a match costs O(len(path) x len(pattern)) at worst:

- a glob is a bit-parallel automaton (one Python integer holds every state), a few integer
  operations per character;
- a regex is parsed with Python's own parser, so the syntax and meaning are ``re``'s, and compiled
  to a Thompson automaton whose state sets are cached as they appear (a lazy DFA). Constructs whose
  meaning needs backtracking (backreferences, lookaround, possessive and atomic groups, ``\\b``)
  and flags other than ``s`` and ``x`` are refused rather than run slowly.
"""

from __future__ import annotations

import re
from collections.abc import Callable

# The regex parser (private since Python 3.11, so absent from typeshed) is the reference for the
# syntax accepted here.
from re import _constants as _c  # type: ignore[attr-defined]
from re import _parser as _sre_parse  # type: ignore[attr-defined]
from typing import cast

MAX_GLOB_LENGTH = 1024
MAX_REGEX_LENGTH = 1024
MAX_REGEX_STATES = 1000
# The lazy DFA's memory: cached transitions, counted in the automaton states their targets hold
# (about 100 bytes each), so a pattern whose state sets are large and many cannot grow it past a
# few megabytes; when full it starts over, and matching stays linear, only less cached.
_DFA_CACHE_BUDGET = 50_000


class PatternError(ValueError):
    """A pattern this module refuses; the message says why, for a 400 answer."""


# -- globs -------------------------------------------------------------------------------------


class Glob:
    """A path glob: ``*`` any run without ``/``, ``**`` any run at all, ``?`` one character other
    than ``/``, everything else itself; it matches the whole path.

    States are bit positions in one integer: bit i means "the first i tokens have matched".
    Adjacent stars are merged first (``*`` then ``**`` is ``**``), so the empty match of a star
    needs a single shift and every step is a constant number of integer operations.
    """

    __slots__ = ("_accept", "_any_one", "_globstar", "_literal", "_star", "_start", "glob")

    def __init__(self, glob: str) -> None:
        if len(glob) > MAX_GLOB_LENGTH:
            raise PatternError(f"a path glob is at most {MAX_GLOB_LENGTH} characters")
        self.glob = glob
        tokens: list[str] = []
        position = 0
        while position < len(glob):
            token = "**" if glob.startswith("**", position) else glob[position]
            position += len(token)
            if token in ("*", "**") and tokens and tokens[-1] in ("*", "**"):
                tokens[-1] = "**" if "**" in (token, tokens[-1]) else "*"
            else:
                tokens.append(token)
        self._literal: dict[str, int] = {}
        self._any_one = self._star = self._globstar = 0
        for index, token in enumerate(tokens):
            bit = 1 << index
            if token == "**":
                self._globstar |= bit
            elif token == "*":
                self._star |= bit
            elif token == "?":
                self._any_one |= bit
            else:
                self._literal[token] = self._literal.get(token, 0) | bit
        self._accept = 1 << len(tokens)
        self._start = self._close(1)

    def _close(self, states: int) -> int:
        """Add the states reached by letting a star match nothing."""
        return states | ((states & (self._star | self._globstar)) << 1)

    def match(self, path: str) -> bool:
        """True when the glob matches all of ``path``."""
        states = self._start
        literal, any_one, star, globstar = self._literal, self._any_one, self._star, self._globstar
        stars = star | globstar
        for char in path:
            if char == "/":
                advance, loop = literal.get("/", 0), globstar
            else:
                advance, loop = literal.get(char, 0) | any_one, stars
            states = ((states & advance) << 1) | (states & loop)
            if not states:
                return False
            states |= (states & stars) << 1
        return bool(states & self._accept)


# -- regular expressions -----------------------------------------------------------------------

_CHAR, _SPLIT, _ASSERT, _MATCH = range(4)
_START, _END_LINE, _END = "start", "end_line", "end"
_ALLOWED_FLAGS = _c.SRE_FLAG_UNICODE | _c.SRE_FLAG_DOTALL | _c.SRE_FLAG_VERBOSE


def _between(low: int, high: int) -> Callable[[str], bool]:
    return lambda ch: low <= ord(ch) <= high


def _category(name: object) -> Callable[[str], bool]:
    """Python's Unicode meaning of ``\\d``, ``\\s``, ``\\w`` and their negations."""
    tests: dict[object, Callable[[str], bool]] = {
        _c.CATEGORY_DIGIT: str.isdecimal,
        _c.CATEGORY_SPACE: str.isspace,
        _c.CATEGORY_WORD: lambda ch: ch.isalnum() or ch == "_",
    }
    for positive, negative in (
        (_c.CATEGORY_DIGIT, _c.CATEGORY_NOT_DIGIT),
        (_c.CATEGORY_SPACE, _c.CATEGORY_NOT_SPACE),
        (_c.CATEGORY_WORD, _c.CATEGORY_NOT_WORD),
    ):
        if name == positive:
            return tests[positive]
        if name == negative:
            test = tests[positive]
            return lambda ch: not test(ch)
    raise PatternError(f"a fault regex cannot use {name}")


def _char_class(items: list) -> Callable[[str], bool]:
    negate = False
    tests: list[Callable[[str], bool]] = []
    chars: set[str] = set()
    for op, arg in items:
        if op is _c.NEGATE:
            negate = True
        elif op is _c.LITERAL:
            chars.add(chr(arg))
        elif op is _c.RANGE:
            low, high = arg
            tests.append(_between(low, high))
        elif op is _c.CATEGORY:
            tests.append(_category(arg))
        else:
            raise PatternError(f"a fault regex cannot use {str(op).lower()} in a class")

    def test(ch: str) -> bool:
        found = ch in chars or any(t(ch) for t in tests)
        return found != negate

    return test


class _Builder:
    """Thompson construction over the parse tree ``re`` itself produces."""

    def __init__(self, dotall: bool) -> None:
        self.dotall = dotall
        self.kind: list[int] = []
        self.test: list[Callable[[str], bool] | None] = []
        self.out: list[list[int]] = []
        self.assertion: list[str | None] = []

    def state(self, kind: int, test=None, assertion: str | None = None) -> int:
        if len(self.kind) >= MAX_REGEX_STATES:
            raise PatternError(f"regex is too complex (over {MAX_REGEX_STATES} states)")
        self.kind.append(kind)
        self.test.append(test)
        self.out.append([])
        self.assertion.append(assertion)
        return len(self.kind) - 1

    # A fragment is (entry state, list of states whose exits are still open).
    def sequence(self, items) -> tuple[int, list[int]]:
        entry = self.state(_SPLIT)
        exits = [entry]
        for op, arg in items:
            frag_entry, frag_exits = self.item(op, arg)
            for state in exits:
                self.out[state].append(frag_entry)
            exits = frag_exits
        return entry, exits

    def char(self, test: Callable[[str], bool]) -> tuple[int, list[int]]:
        state = self.state(_CHAR, test)
        return state, [state]

    def item(self, op, arg) -> tuple[int, list[int]]:
        if op is _c.LITERAL:
            return self.char(chr(arg).__eq__)
        if op is _c.NOT_LITERAL:
            return self.char(chr(arg).__ne__)
        if op is _c.ANY:
            return self.char((lambda ch: True) if self.dotall else (lambda ch: ch != "\n"))
        if op is _c.IN:
            return self.char(_char_class(arg))
        if op is _c.AT:
            kinds = {
                _c.AT_BEGINNING: _START,
                _c.AT_BEGINNING_STRING: _START,
                _c.AT_END: _END_LINE,
                _c.AT_END_STRING: _END,
            }
            if arg not in kinds:
                raise PatternError("a fault regex cannot use word boundaries (\\b, \\B)")
            state = self.state(_ASSERT, assertion=kinds[arg])
            return state, [state]
        if op is _c.SUBPATTERN:
            _group, add_flags, del_flags, body = arg
            if (add_flags | del_flags) & ~_ALLOWED_FLAGS:
                raise PatternError("a fault regex can set only the flags s and x")
            if add_flags & _c.SRE_FLAG_DOTALL or del_flags & _c.SRE_FLAG_DOTALL:
                saved, self.dotall = self.dotall, bool(add_flags & _c.SRE_FLAG_DOTALL)
                try:
                    return self.sequence(body)
                finally:
                    self.dotall = saved
            return self.sequence(body)
        if op is _c.BRANCH:
            entry = self.state(_SPLIT)
            exits: list[int] = []
            for alternative in arg[1]:
                alt_entry, alt_exits = self.sequence(alternative)
                self.out[entry].append(alt_entry)
                exits.extend(alt_exits)
            return entry, exits
        if op in (_c.MAX_REPEAT, _c.MIN_REPEAT):  # laziness changes no yes/no answer
            return self.repeat(*arg)
        names = {
            _c.GROUPREF: "backreferences",
            _c.GROUPREF_EXISTS: "conditional groups",
            _c.ASSERT: "lookaround",
            _c.ASSERT_NOT: "lookaround",
        }
        if op in names:
            raise PatternError(f"a fault regex cannot use {names[op]}")
        if "POSSESSIVE" in str(op) or "ATOMIC" in str(op):
            raise PatternError("a fault regex cannot use possessive or atomic groups")
        raise PatternError(f"a fault regex cannot use {str(op).lower()}")

    def repeat(self, low: int, high: int, body) -> tuple[int, list[int]]:
        entry = self.state(_SPLIT)
        exits = [entry]
        for _ in range(low):
            part_entry, part_exits = self.sequence(body)
            for state in exits:
                self.out[state].append(part_entry)
            exits = part_exits
        if high == _c.MAXREPEAT:
            loop = self.state(_SPLIT)
            for state in exits:
                self.out[state].append(loop)
            part_entry, part_exits = self.sequence(body)
            self.out[loop].append(part_entry)
            for state in part_exits:
                self.out[state].append(loop)
            return entry, [loop]
        optional_exits: list[int] = []
        for _ in range(high - low):
            gate = self.state(_SPLIT)
            for state in exits:
                self.out[state].append(gate)
            optional_exits.append(gate)
            part_entry, exits = self.sequence(body)
            self.out[gate].append(part_entry)
        return entry, optional_exits + exits


class SafeRegex:
    """A regular expression in ``re`` syntax, searched in linear time; see the module doc."""

    __slots__ = ("_b", "_cache", "_cached", "_final", "_start", "pattern")

    def __init__(self, pattern: str) -> None:
        if len(pattern) > MAX_REGEX_LENGTH:
            raise PatternError(f"a regex is at most {MAX_REGEX_LENGTH} characters")
        try:
            re.compile(pattern)  # re's own error messages for bad syntax
            parsed = _sre_parse.parse(pattern, 0)
        except (re.error, RecursionError, OverflowError) as error:
            raise PatternError(f"regex does not compile: {error}") from None
        flags = parsed.state.flags
        if flags & ~_ALLOWED_FLAGS:
            raise PatternError("a fault regex can set only the flags s and x")
        self.pattern = pattern
        builder = _Builder(bool(flags & _c.SRE_FLAG_DOTALL))
        # search(): the match may start anywhere, so a "skip one character" loop comes first.
        start = builder.state(_SPLIT)
        skip = builder.state(_CHAR, lambda ch: True)
        builder.out[skip].append(start)
        entry, exits = builder.sequence(list(parsed))
        final = builder.state(_MATCH)
        for state in exits:
            builder.out[state].append(final)
        builder.out[start].extend([skip, entry])
        self._b = builder
        self._start = start
        self._final = final
        self._cache: dict[tuple[frozenset[int], str], frozenset[int]] = {}
        self._cached = 0  # states held by the cached targets, against _DFA_CACHE_BUDGET

    def _closure(self, states, at_start: bool, at_end: bool, end_line: bool) -> frozenset[int]:
        kind, out, assertion = self._b.kind, self._b.out, self._b.assertion
        seen: set[int] = set()
        stack = list(states)
        result: set[int] = set()
        while stack:
            state = stack.pop()
            if state in seen:
                continue
            seen.add(state)
            what = kind[state]
            if what == _SPLIT:
                stack.extend(out[state])
            elif what == _ASSERT:
                check = assertion[state]
                if (
                    (check == _START and at_start)
                    or (check == _END and at_end)
                    or (check == _END_LINE and end_line)
                ):
                    stack.extend(out[state])
            else:
                result.add(state)
        return frozenset(result)

    def search(self, text: str) -> bool:
        """True when the regex matches somewhere in ``text``, as ``re.search`` would say."""
        size = len(text)
        final, kind, out = self._final, self._b.kind, self._b.out
        # only _CHAR states call their test, and each of them has one
        test = cast("list[Callable[[str], bool]]", self._b.test)
        line_end = size - 1 if size and text[-1] == "\n" else -1

        def context(position: int) -> tuple[bool, bool, bool]:
            at_end = position == size
            return position == 0, at_end, at_end or position == line_end

        states = self._closure([self._start], *context(0))
        cache = self._cache
        for position, char in enumerate(text, 1):
            if final in states:
                return True
            special = position >= size - 1  # only the last two positions see $ or \Z
            key = (states, char)
            following = None if special else cache.get(key)
            if following is None:
                moved = [out[s][0] for s in states if kind[s] == _CHAR and test[s](char)]
                following = self._closure(moved, *context(position))
                if not special:
                    self._cached += len(following) + 1
                    if self._cached > _DFA_CACHE_BUDGET:
                        cache.clear()
                        self._cached = len(following) + 1
                    cache[key] = following
            states = following
        return final in states
