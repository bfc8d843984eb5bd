"""The cost limits Canvas sets on a GraphQL document, checked before it runs.

Canvas configures graphql-ruby (``CanvasSchema.execute`` with ``GraphQLTuning``'s defaults, and
the ``CanvasAntiabuseAnalyzer`` query analyzer): at most 5,000 tokens, 100 validation errors,
depth 15, complexity 375,000, 20 aliases and 5 directives. Over-limit documents get graphql-ruby's
answers, HTTP 200 with only ``errors``:

- too many tokens: a parse error, ``This query is too large to execute.`` at the first token
  past the limit (also what graphql-ruby says when parsing overflows the stack);
- analysis, in graphql-ruby's order (schema analyzers, then depth, then complexity):
  ``max query aliases exceeded`` (or ``max query directives exceeded``), ``Query has depth of
  16, which exceeds max depth of 15``, ``Query has complexity of N, which exceeds max complexity
  of 375000``.

Ours, not Canvas's: a document over ``MAX_DOCUMENT_BYTES`` is refused before it is lexed, with
the parse error's wording and no location; complexity counts one per field selected, with
fragments expanded where they are spread (graphql-ruby's default field cost; Canvas's
connection fields cost more there, and this schema has none). Everything here is pure work on
the document and runs outside the write lock; fragments are measured once each, so the
analysis is linear in the document even where spreads multiply the expanded size.
"""

from __future__ import annotations

from dataclasses import dataclass

from graphql import GraphQLError, GraphQLSchema, parse, validate
from graphql.language import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)

MAX_DOCUMENT_BYTES = 128 * 1024  # our own bound: Canvas's front end sends a few KB at most
MAX_TOKENS = 5_000  # GraphQLTuning.max_query_string_tokens
MAX_VALIDATION_ERRORS = 100  # GraphQLTuning.validate_max_errors
MAX_DEPTH = 15  # GraphQLTuning.max_depth
MAX_COMPLEXITY = 375_000  # GraphQLTuning.max_complexity
MAX_ALIASES = 20  # GraphQLTuning.max_query_aliases
MAX_DIRECTIVES = 5  # GraphQLTuning.max_query_directives

TOO_LARGE = "This query is too large to execute."


@dataclass(frozen=True)
class Cost:
    """What one selection set costs with its fragments expanded."""

    depth: int = 0
    fields: int = 0
    aliases: int = 0
    directives: int = 0

    def __add__(self, other: Cost) -> Cost:
        return Cost(
            max(self.depth, other.depth),
            self.fields + other.fields,
            self.aliases + other.aliases,
            self.directives + other.directives,
        )


def _too_large(locations: list | None = None) -> list[dict]:
    return [{"message": TOO_LARGE, "locations": locations or []}]


class _Measure:
    def __init__(self, document: DocumentNode) -> None:
        self.fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        self.memo: dict[str, Cost] = {}

    def fragment(self, name: str) -> Cost:
        if name not in self.memo:
            definition = self.fragments.get(name)
            self.memo[name] = Cost()  # a cycle (refused by validation) costs nothing more
            if definition is not None:
                self.memo[name] = self.selections(definition.selection_set)
        return self.memo[name]

    def selections(self, selection_set: SelectionSetNode | None) -> Cost:
        total = Cost()
        for node in selection_set.selections if selection_set else ():
            if isinstance(node, FieldNode):
                below = self.selections(node.selection_set)
                total += Cost(
                    below.depth + 1,
                    below.fields + 1,
                    below.aliases + (node.alias is not None),
                    below.directives + len(node.directives or ()),
                )
            elif isinstance(node, InlineFragmentNode):
                total += self.selections(node.selection_set)
            elif isinstance(node, FragmentSpreadNode):
                total += self.fragment(node.name.value)
        return total


def measure(document: DocumentNode) -> Cost:
    """The cost of the document's operations, fragments expanded where spread."""
    measure = _Measure(document)
    total = Cost()
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            total += measure.selections(definition.selection_set)
    return total


def analysis_errors(cost: Cost) -> list[dict]:
    """graphql-ruby's analysis errors for ``cost``, in the order its analyzers run."""
    errors: list[dict] = []
    if cost.aliases > MAX_ALIASES:
        errors.append({"message": "max query aliases exceeded"})
    elif cost.directives > MAX_DIRECTIVES:
        errors.append({"message": "max query directives exceeded"})
    if cost.depth > MAX_DEPTH:
        errors.append(
            {"message": f"Query has depth of {cost.depth}, which exceeds max depth of {MAX_DEPTH}"}
        )
    if cost.fields > MAX_COMPLEXITY:
        errors.append(
            {
                "message": f"Query has complexity of {cost.fields}, which exceeds max"
                f" complexity of {MAX_COMPLEXITY}"
            }
        )
    return errors


def prepare(schema: GraphQLSchema, query: str) -> DocumentNode | list[dict]:
    """The parsed, valid document within every limit, or the ``errors`` to answer with."""
    if len(query) > MAX_DOCUMENT_BYTES or len(query.encode("utf-8")) > MAX_DOCUMENT_BYTES:
        return _too_large()
    try:
        document = parse(query, max_lexical_tokens=MAX_TOKENS)
    except GraphQLError as error:
        if error.message.endswith("tokens. Parsing aborted."):
            return _too_large(error.formatted.get("locations"))
        return [dict(error.formatted)]  # a plain dict (graphql-core types it as a TypedDict)
    except RecursionError:
        return _too_large()
    try:
        errors = validate(schema, document, max_errors=MAX_VALIDATION_ERRORS)
        if errors:
            return [dict(error.formatted) for error in errors]
        over = analysis_errors(measure(document))
    except RecursionError:  # nesting the interpreter's stack cannot walk
        return _too_large()
    return over or document
