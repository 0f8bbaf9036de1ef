"""The configuration's YAML, read exactly and with bounds.

- a key given twice in one mapping is an error (PyYAML would silently keep the last);
- mapping keys are strings: a list, a mapping, null, a number, a boolean or a date as a key is an error;
  these two are reported with the document's other problems (`Document.problems`), the rest stop the reading;
- nesting is at most MAX_DEPTH levels deep;
- aliases never recurse (`x: &a [*a]`) and add at most MAX_ALIAS_NODES nodes to the document (the "billion
  laughs" bomb fails from the node graph, before anything is expanded);
- whatever makes PyYAML fail (including a ValueError of a constructor, such as a bad `!!timestamp`) is a
  ConfigError with the line and column, never quoting the line itself (it may hold a secret).

`load_marked` also keeps where each key was written: the line of every dotted key path (`github.sources[0].token`),
so that an error about a key names its `file:line`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import yaml
from yaml.composer import ComposerError
from yaml.constructor import ConstructorError
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.scanner import ScannerError
from yaml.tokens import Token

from syncer.config import problems
from syncer.config.problems import Problem
from syncer.config.values import kind
from syncer.errors import ConfigError

MAX_DEPTH = 64
MAX_ALIAS_NODES = 100_000
_MERGE = "tag:yaml.org,2002:merge"
_NODE_KINDS: dict[type[Node], str] = {SequenceNode: "a list", MappingNode: "a mapping"}


@dataclass(frozen=True)
class Document:
    """A parsed document and the 1-based line of every key path in it (`github.sources[0].token`: 12)."""

    data: object
    lines: dict[str, int] = field(default_factory=dict)
    problems: tuple[Problem, ...] = ()  # keys given twice, keys that are not strings (left out of `data`)


def load(text: str, origin: str) -> object:
    """The document in `text` (None when empty); ConfigError naming `origin` and the place when it is wrong."""
    document = load_marked(text, origin)
    if document.problems:
        raise ConfigError(problems.render(origin, document.problems))
    return document.data


def load_marked(text: str, origin: str) -> Document:
    """`load`, keeping the line of every key path; ConfigError `origin:line: not valid YAML: ...` when it is wrong."""
    try:
        loader = ExactLoader(text)  # the reader checks the characters here
        try:
            node = loader.get_single_node()
            if node is None:
                return Document(None)
            data = loader.construct_document(node)
            return Document(data, _lines(node), tuple(loader.problems))
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        line, problem = _problem(exc)
        raise problems.single(origin, f"not valid YAML: {problem}", line) from None
    except RecursionError:
        raise problems.single(origin, "not valid YAML: nested too deeply") from None


class ExactLoader(yaml.SafeLoader):
    """SafeLoader with the rules of this module."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0
        self.problems: list[Problem] = []  # what construction found and went on past

    def fetch_flow_collection_start(self, TokenClass: type[Token]) -> None:  # noqa: N803 - PyYAML's name
        if self.flow_level >= MAX_DEPTH:
            mark = self.get_mark()
            raise ScannerError(None, None, f"nested deeper than {MAX_DEPTH} levels", mark)
        super().fetch_flow_collection_start(TokenClass)

    def compose_node(self, parent: Node | None, index: int) -> Node | None:
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]  # PyYAML's parser is unannotated
                raise ComposerError(None, None, f"nested deeper than {MAX_DEPTH} levels", mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def get_single_node(self) -> Node | None:
        node = super().get_single_node()
        if node is not None:
            check_aliases(node)
        return node

    def construct_object(self, node: Node, deep: bool = False) -> object:
        try:
            return super().construct_object(node, deep=deep)
        except (ValueError, TypeError, OverflowError, ArithmeticError, LookupError, AttributeError) as exc:
            problem = f"cannot read this value ({type(exc).__name__})"
            raise ConstructorError(problem=problem, problem_mark=node.start_mark) from None

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[object, object]:
        """The mapping, with a key given twice or a key that is not a string reported (and the latter left out)."""
        seen: set[str] = set()
        own: list[tuple[Node, Node]] = []
        for key_node, value_node in node.value:
            if key_node.tag != _MERGE:
                key = self._key(key_node, deep)
                if key is None:
                    continue
                if key in seen:
                    self._report(key_node, f"key {key!r} is given twice in one mapping")
                seen.add(key)
            own.append((key_node, value_node))
        node.value = own
        self.flatten_mapping(node)
        node.value = [(k, v) for k, v in node.value if self._key(k, deep) is not None]
        return super().construct_mapping(node, deep=deep)

    def _key(self, key_node: Node, deep: bool) -> str | None:
        """A mapping key, which must be a string; None (and a problem reported) when it is not."""
        if not isinstance(key_node, ScalarNode):
            what = _NODE_KINDS.get(type(key_node), "not a string")
            self._report(key_node, f"a mapping key must be a string, not {what}")
            return None
        key = self.construct_object(key_node, deep=deep)
        if not isinstance(key, str):
            self._report(key_node, f"a mapping key must be a string, not {kind(key)} (quote it)")
            return None
        return key

    def _report(self, node: Node, problem: str) -> None:
        """Record a problem at `node`, once (a merged mapping's keys are looked at again where it is merged)."""
        mark = node.start_mark
        found = Problem("", f"not valid YAML: {problem} (column {mark.column + 1})", mark.line + 1)
        if found not in self.problems:
            self.problems.append(found)


def check_aliases(root: Node) -> None:
    """Refuse an alias that contains itself, and aliases that would add more than MAX_ALIAS_NODES nodes.

    Walks the node graph once (shared nodes are aliases): the expanded size of every node is computed from its
    children's, so a bomb is measured without being expanded.
    """
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()
    distinct = 0
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, leaving = stack.pop()
        key = id(node)
        if leaving:
            open_nodes.discard(key)
            sizes[key] = 1 + sum(sizes[id(child)] for child in _children(node))
            distinct += 1
            if sizes[key] - distinct > MAX_ALIAS_NODES:
                raise ComposerError(None, None, f"aliases expand to more than {MAX_ALIAS_NODES} nodes", node.start_mark)
            continue
        if key in sizes:
            continue
        if key in open_nodes:
            raise ComposerError(None, None, "an alias refers to the node that contains it", node.start_mark)
        open_nodes.add(key)
        stack.append((node, True))
        stack.extend((child, False) for child in _children(node))


def _children(node: Node) -> list[Node]:
    if isinstance(node, SequenceNode):
        return list(node.value)
    if isinstance(node, MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def _lines(root: Node) -> dict[str, int]:
    """The line of every key path under `root` (after construction, so merged `<<` keys are in place).

    A key's line is where the key is written; a list item's, where the item starts. The first writing of a path
    wins (an alias repeats its anchor's lines under each path that uses it, bounded by check_aliases).
    """
    lines: dict[str, int] = {}
    stack: list[tuple[Node, str]] = [(root, "")]
    while stack:
        node, path = stack.pop()
        if isinstance(node, MappingNode):
            for key_node, value_node in node.value:
                if key_node.tag == _MERGE or not isinstance(key_node, ScalarNode):
                    continue
                child = f"{path}.{key_node.value}" if path else str(key_node.value)
                lines.setdefault(child, key_node.start_mark.line + 1)
                stack.append((value_node, child))
        elif isinstance(node, SequenceNode):
            for index, item in enumerate(node.value):
                child = f"{path}[{index}]"
                lines.setdefault(child, item.start_mark.line + 1)
                stack.append((item, child))
    return lines


def _problem(exc: yaml.YAMLError) -> tuple[int | None, str]:
    """The line (if known) and what is wrong, without PyYAML's snippet of the line (it may hold a secret)."""
    if isinstance(exc, yaml.reader.ReaderError):
        return None, f"character #x{exc.character:04x} is not allowed (position {exc.position})"
    problem = getattr(exc, "problem", None) or getattr(exc, "context", None) or type(exc).__name__
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    if mark is None:
        return None, str(problem)
    return mark.line + 1, f"{problem} (column {mark.column + 1})"
