"""Intake: turn a submission into normalised text, parse it safely and guess what kind of AI artifact it is.

Artifact text is untrusted. Decoding refuses binary and oversize input; parsing only ever loads plain
data (no object construction), gives up on alias bombs and over-deep or over-large trees, and never
raises. Type detection is cheap heuristics; the submitter can always declare the type instead. Its
regexes stay linear in the text (tests/test_linear.py): no two `[ \t]*` in a row with only optional
items between them, which Python's backtracking `re` would try to split every way on a run of spaces.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Iterator

import yaml

from reviewer.patterns import compile_fixed

ARTIFACT_TYPES: tuple[str, ...] = ("prompt", "transcript", "custom_instructions", "workflow", "agent_config", "code",
                                   "eval_config", "output_with_edits", "other")
DEFAULT_MAX_BYTES = 1_000_000
MAX_STRUCTURE_DEPTH = 64
MAX_STRUCTURE_NODES = 100_000
MAX_YAML_ALIASES = 50
BINARY_CONTROL_SHARE = 0.10


class IntakeError(ValueError):
    """A submission we refuse; str(error) is one sentence meant for the submitter."""


# --- decoding -------------------------------------------------------------------------------------------------

_BOM_CODECS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))
# Control characters that never occur in real text; tab, LF, FF and CR do.
_NON_TEXT_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")
_NOT_TEXT_HINT = "submit text such as a prompt, transcript or config"


def decode_text(data: bytes | str, max_bytes: int = DEFAULT_MAX_BYTES) -> str:
    """Submitted bytes or str as normalised text: LF line ends, no trailing whitespace; IntakeError if unusable."""
    if isinstance(data, str):
        raw = _utf8_bytes(data)
        _check_size(len(raw), max_bytes)
        text = data.removeprefix("\ufeff")
    else:
        raw = bytes(data)
        _check_size(len(raw), max_bytes)
        text = _decode_bytes(raw)
    text = _normalise_line_endings(text).rstrip()
    if not text:
        raise IntakeError("artifact is empty")
    _check_looks_textual(text)
    return text


def _normalise_line_endings(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _utf8_bytes(text: str) -> bytes:
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        raise IntakeError("artifact contains invalid Unicode (unpaired surrogate characters); "
                          "save it as UTF-8 text and submit again") from None


def _check_size(size: int, max_bytes: int) -> None:
    if size > max_bytes:
        shown, limit = _human_size(size), _human_size(max_bytes)
        if shown == limit:  # rounding would make "1.0 MB, over the 1.0 MB limit"
            shown, limit = f"{size:,} bytes", f"{max_bytes:,}-byte"
        raise IntakeError(f"artifact is {shown}, over the {limit} limit")


def _human_size(n: int) -> str:
    if n >= 1_000_000:
        return f"{n / 1_000_000:.1f} MB"
    if n >= 1_000:
        return f"{n / 1_000:.1f} KB"
    return f"{n} bytes"


def _decode_bytes(raw: bytes) -> str:
    for bom, encoding in _BOM_CODECS:
        if raw.startswith(bom):
            try:
                return raw[len(bom):].decode(encoding)
            except UnicodeDecodeError:
                raise IntakeError(f"artifact starts with a {encoding.upper()} byte-order mark "
                                  f"but is not valid {encoding.upper()} text") from None
    if b"\x00" in raw:  # without a UTF-16 BOM, NUL bytes mean binary (images, archives, office files)
        raise IntakeError(f"artifact looks binary (NUL bytes); {_NOT_TEXT_HINT}")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise IntakeError(f"artifact is not UTF-8 or UTF-16 text; {_NOT_TEXT_HINT}, saved as UTF-8") from None


def _check_looks_textual(text: str) -> None:
    if "\x00" in text:
        raise IntakeError(f"artifact looks binary (NUL bytes); {_NOT_TEXT_HINT}")
    if len(_NON_TEXT_CONTROL.findall(text)) > BINARY_CONTROL_SHARE * len(text):
        raise IntakeError(f"artifact looks binary (mostly control characters); {_NOT_TEXT_HINT}")


# --- safe parsing ---------------------------------------------------------------------------------------------

class _TooComplex(Exception):
    """A document over our alias, depth or node budget."""


class _GuardedSafeLoader(yaml.SafeLoader):
    """SafeLoader that counts aliases, nodes and nesting while composing, so bombs fail before any tree is built."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._aliases = 0
        self._nodes = 0
        self._depth = 0

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_YAML_ALIASES:
                raise _TooComplex("too many YAML aliases")
        self._nodes += 1
        self._depth += 1
        try:
            if self._nodes > MAX_STRUCTURE_NODES or self._depth > MAX_STRUCTURE_DEPTH:
                raise _TooComplex("YAML document too large or too deep")
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


# Everything a hostile or merely odd document can make the loaders raise (ValueError covers JSON syntax
# errors, bad timestamps and over-long integers; RecursionError is how json reports deep nesting).
_PARSE_FAILURES = (yaml.YAMLError, _TooComplex, ValueError, TypeError, OverflowError, RecursionError)

_FRONT_MATTER = re.compile(r"\s*---[ \t]*\n(.*?\n)?---[ \t]*(?:\n|\Z)", re.DOTALL)  # blank lines before it change nothing
_YAML_START_LINE = re.compile(r"---[ \t]*$|-(?:[ \t]|$)|[^\s#:{}\[\]-][^:\n]{0,100}:(?:[ \t]|$)", re.MULTILINE)
_YAML_KEY_LINE = re.compile(r"^[ \t]*(?:-[ \t]+)?[^\s#:{}\[\]-][^:\n]{0,100}:(?:[ \t]|$)", re.MULTILINE)


def parse_structured(text: str) -> tuple[str, object | None]:
    """(format, tree): "json", "yaml", "markdown_front_matter" ({"front_matter", "body"}) or ("text", None).

    Never raises; anything unparseable, unsafe or over the size budget comes back as ("text", None).
    """
    front = _split_front_matter(text)
    if front is not None:
        return "markdown_front_matter", front
    if text.lstrip().startswith(("{", "[")):
        tree = _load_json(text)
        if tree is not None:
            return "json", tree
    if _looks_like_yaml(text):
        tree = _load_yaml(text)
        if isinstance(tree, (dict, list)):
            return "yaml", tree
    return "text", None


def _split_front_matter(text: str) -> dict | None:
    match = _FRONT_MATTER.match(text)
    if not match:
        return None
    front = _load_yaml(match.group(1) or "")
    if front is None:
        front = {}
    if not isinstance(front, dict):
        return None
    return {"front_matter": front, "body": text[match.end():]}


def _load_json(text: str) -> object | None:
    try:
        tree = json.loads(text)
    except _PARSE_FAILURES:
        return None
    return tree if _within_limits(tree) else None


def _load_yaml(text: str) -> object | None:
    try:
        tree = yaml.load(text, Loader=_GuardedSafeLoader)  # noqa: S506 - a SafeLoader subclass
    except _PARSE_FAILURES:
        return None
    return tree if _within_limits(tree) else None


def _looks_like_yaml(text: str) -> bool:
    """YAML would read most prose as one big string; only try it on text shaped like keys or list items."""
    lines = [line for line in text.split("\n", 50) if line.strip() and not line.lstrip().startswith(("#", "%"))]
    return (len(lines) >= 2 and _YAML_START_LINE.match(lines[0]) is not None
            and _YAML_KEY_LINE.search(text) is not None)


def _within_limits(tree: object) -> bool:
    """False if the tree is deeper or larger than our budget; shared (aliased) subtrees count every time."""
    stack = [(tree, 1)]
    seen = 0
    while stack:
        node, depth = stack.pop()
        seen += 1
        if seen > MAX_STRUCTURE_NODES or depth > MAX_STRUCTURE_DEPTH:
            return False
        stack.extend((child, depth + 1) for child in _children(node))
    return True


def _children(node: object) -> list:
    if isinstance(node, dict):
        return list(node.values())
    if isinstance(node, (list, tuple, set)):
        return list(node)
    return []


def _walk(tree: object) -> Iterator[object]:
    """Nodes depth first without recursion, at most MAX_STRUCTURE_NODES (a caller's tree may even be cyclic)."""
    stack = [tree]
    for _ in range(MAX_STRUCTURE_NODES):
        if not stack:
            return
        node = stack.pop()
        yield node
        stack.extend(_children(node))


# --- type detection -------------------------------------------------------------------------------------------

def detect_type(text: str, fmt: str, parsed: object | None) -> str:
    """Best guess at the artifact type (one of ARTIFACT_TYPES); structure first, then text cues, strongest first."""
    # RE2 reads UTF-8: a lone surrogate (which decode_text never lets through) must not make it raise
    text = text.encode("utf-8", "replace").decode("utf-8")
    if fmt == "markdown_front_matter" and isinstance(parsed, dict):
        body = parsed.get("body")
        return _front_matter_type(parsed.get("front_matter")) or _text_type(body if isinstance(body, str) else text)
    if isinstance(parsed, (dict, list)):
        found = _structured_type(parsed, text)
        if found:
            return found
        if not _is_prose_like(parsed):
            return "other"
    return _text_type(text)


# Structured data (JSON / YAML trees)

_N8N_NODE_TYPE = re.compile(r"n8n-nodes-|@n8n/")
# A CI job or script that runs an eval suite is eval configuration even when its shape is generic YAML.
_EVAL_RUNNER = compile_fixed(r"\bpromptfoo(?:@[\w.^~-]+)?\s+(?:eval|redteam)\b|promptfooconfig\.ya?ml|\boaieval\b"
                             r"|\binspect\s+eval\b|\bdeepeval\s+test\s+run\b")
_USER_ROLES = {"user", "human"}
_ASSISTANT_ROLES = {"assistant", "model", "ai", "bot"}


def _structured_type(tree: dict | list, text: str) -> str | None:
    if _is_eval_tree(tree):
        return "eval_config"
    if _is_workflow_tree(tree):
        return "workflow"
    if _is_agent_tree(tree):
        return "agent_config"
    if _EVAL_RUNNER.search(text):
        return "eval_config"
    notebook_code = _notebook_code(tree)
    if notebook_code is not None:
        return _code_type(notebook_code, assume_code=True) or "code"
    return _chat_type(tree)


def _dicts(tree: object) -> Iterator[dict]:
    return (node for node in _walk(tree) if isinstance(node, dict))


def _is_eval_tree(tree: object) -> bool:
    if isinstance(tree, dict):
        keys = set(tree)
        if keys & {"prompts", "providers", "targets"} and keys & {"tests", "defaultTest", "scenarios", "redteam"}:
            return True  # promptfoo
        if "providers" in keys and any("assert" in d for d in _dicts(tree)):
            return True  # promptfoo with inline assertions
    # OpenAI Evals registry entries name their eval class, e.g. evals.elsuite.basic.match:Match
    return any(isinstance(d.get("class"), str) and d["class"].startswith("evals.") for d in _dicts(tree))


def _is_workflow_tree(tree: object) -> bool:
    return any(_is_n8n(d) or _is_zapier(d) or _is_make(d) or _is_power_automate(d) for d in _dicts(tree))


def _is_n8n(d: dict) -> bool:
    nodes = d.get("nodes")
    return isinstance(nodes, list) and any(
        isinstance(n, dict) and isinstance(n.get("type"), str) and _N8N_NODE_TYPE.match(n["type"]) for n in nodes)


def _is_zapier(d: dict) -> bool:
    """Zap steps name an app (or, in full exports, a selected_api) and the action run on it."""
    steps = d.get("steps")
    nodes = d.get("nodes")
    nodes = list(nodes.values()) if isinstance(nodes, dict) else nodes
    return (isinstance(steps, list) and any(isinstance(s, dict) and "app" in s and "action" in s for s in steps)
            or isinstance(nodes, list) and any(isinstance(n, dict) and "selected_api" in n and "action" in n
                                               for n in nodes))


def _is_make(d: dict) -> bool:
    flow = d.get("flow")
    return isinstance(flow, list) and any(
        isinstance(m, dict) and isinstance(m.get("module"), str) and ":" in m["module"] for m in flow)


def _is_power_automate(d: dict) -> bool:
    schema = d.get("$schema")
    if isinstance(schema, str) and "Microsoft.Logic" in schema:
        return True
    definition = d.get("definition")
    return isinstance(definition, dict) and "triggers" in definition and "actions" in definition


def _is_agent_tree(tree: object) -> bool:
    if isinstance(tree, dict):
        keys = set(tree)
        if "mcpServers" in keys or _is_mcp_server_map(tree.get("servers")):
            return True
        if {"instructions", "model", "tools"} <= keys:
            return True  # OpenAI Assistants / Agents definition
        if "agent" in keys and keys & {"tools", "model", "instructions", "system_prompt"}:
            return True  # a single agent's runtime config
        if _is_collection_of_dicts(tree.get("agents")):
            return True  # crew / orchestrator with named agents
        if _is_litellm_model_list(tree.get("model_list")) or _is_prompt_registry(tree.get("prompts")):
            return True  # LLM gateway and prompt-registry configs that agents run on
    return any(_is_crewai_entry(d) or _is_autogen_component(d) for d in _dicts(tree))


def _is_mcp_server_map(servers: object) -> bool:
    return isinstance(servers, dict) and bool(servers) and all(
        isinstance(s, dict) and ("command" in s or "url" in s) for s in servers.values())


def _is_collection_of_dicts(value: object) -> bool:
    items = list(value.values()) if isinstance(value, dict) else value
    return isinstance(items, list) and bool(items) and all(isinstance(item, dict) for item in items)


def _is_litellm_model_list(value: object) -> bool:
    return isinstance(value, list) and any(isinstance(m, dict) and "litellm_params" in m for m in value)


def _is_prompt_registry(value: object) -> bool:
    entries = list(value.values()) if isinstance(value, dict) else value
    return isinstance(entries, list) and any(isinstance(e, dict) and "versions" in e for e in entries)


def _is_crewai_entry(d: dict) -> bool:
    return {"role", "goal"} <= set(d) or {"description", "expected_output"} <= set(d)


def _is_autogen_component(d: dict) -> bool:
    provider = d.get("provider")
    return isinstance(provider, str) and provider.startswith("autogen")


def _notebook_code(tree: object) -> str | None:
    """The code cells of a Jupyter notebook, joined; None if the tree is not a notebook."""
    if not (isinstance(tree, dict) and "nbformat" in tree and isinstance(tree.get("cells"), list)):
        return None
    sources = []
    for cell in tree["cells"]:
        if isinstance(cell, dict) and cell.get("cell_type") == "code":
            source = cell.get("source")
            sources.append("".join(s for s in source if isinstance(s, str)) if isinstance(source, list) else str(source))
    return "\n".join(sources)


def _chat_type(tree: object) -> str | None:
    """transcript for chat exports and message lists with both sides; prompt for a request payload."""
    if isinstance(tree, dict) and (isinstance(tree.get("mapping"), dict) or isinstance(tree.get("chat_messages"), list)):
        return "transcript"  # a ChatGPT / Claude conversation export
    if isinstance(tree, list) and tree and all(isinstance(c, dict) and ("mapping" in c or "chat_messages" in c)
                                               for c in tree):
        return "transcript"
    messages = tree.get("messages") if isinstance(tree, dict) else tree
    if not (isinstance(messages, list) and messages
            and all(isinstance(m, dict) and isinstance(m.get("role"), str) for m in messages)):
        return None
    roles = {m["role"].lower() for m in messages}
    return "transcript" if roles & _USER_ROLES and roles & _ASSISTANT_ROLES else "prompt"


def _front_matter_type(front: object) -> str | None:
    if not isinstance(front, dict):
        return None
    if "name" in front and "description" in front:
        return "agent_config"  # Claude Code subagent / skill
    if set(front) & {"applyTo", "globs", "alwaysApply"}:
        return "custom_instructions"  # Copilot .instructions.md / Cursor rules
    return None


def _is_prose_like(tree: dict | list) -> bool:
    """Flat key/value text such as "Task: ...\\nTone: ..." that happens to parse as YAML; judged as text instead."""
    if not _within_depth(tree, 2):
        return False
    return any(isinstance(node, str) and len(node.split()) >= 3 for node in _walk(tree))


def _within_depth(tree: object, max_depth: int) -> bool:
    stack = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        children = _children(node)
        if children and depth >= max_depth:
            return False
        stack.extend((child, depth + 1) for child in children)
    return True


# Plain text

# Fenced blocks are found line by line (_without_fenced_blocks): a regex searching for each opening
# fence's close rescans the rest of the text for every unclosed one.
_FENCE_OPEN = re.compile(r"[ \t]*```")
_FENCE_CLOSE = re.compile(r"[ \t]*```[ \t]*")
_WHOLE_FENCE = re.compile(r"[ \t]*```[^\n]*\n(.*)\n[ \t]*```[ \t]*", re.DOTALL)
_UNIFIED_DIFF_HUNK = re.compile(r"^@@ -[0-9]+(?:,[0-9]+)? \+[0-9]+(?:,[0-9]+)? @@", re.MULTILINE)
_CODE_LINE = re.compile(r"""[ \t]*(?:
      (?:from[ \t]+[\w.]+[ \t]+)?import[ \t]+[\w.{*]      # python / js imports
    | (?:async[ \t]+)?def[ \t]+\w+[ \t]*\(
    | class[ \t]+\w+[ \t]*[(:{]
    | (?:export[ \t]+)?(?:default[ \t]+)?(?:async[ \t]+)?function\b
    | (?:export[ \t]+)?(?:const|let|var)[ \t]+[\w{\[]
    | (?:return|await|yield|raise|throw)\b
    | (?:if|elif|for|while|with|except)\b.*:[ \t]*$
    | (?:if|for|while|switch|catch)[ \t]*\(
    | (?:else|try|finally)\b[ \t]*[:{]
    | @\w+
    | [})\]][\s,;)\]}]*$
    | [\w.\[\]'"]+[ \t]*(?:[-+*/]?=|:=)[ \t]*[^=\s]
    | [\w.]+\(                                          # a call
    | \#include\b | package[ \t]+\w+ | (?:public|private|protected)[ \t]
)""", re.VERBOSE)
_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*")
_LLM_API = compile_fixed(r"\b(?:openai|anthropic|litellm|ollama|genai|generativeai|mistralai|cohere|groq|vertexai|bedrock)\b"
                         r"|chat\.completions|messages\.create|responses\.create|generate_content|ChatOpenAI|ChatAnthropic"
                         r"|api\.openai\.com|api\.anthropic\.com", re.IGNORECASE)
_EVAL_CODE = compile_fixed(r"^[ \t]*(?:from|import)[ \t]+(?:inspect_ai|deepeval|ragas|evals)\b"
                           r"|\bassert_test\(|\bGEval\(", re.MULTILINE)
_AGENT_CODE = compile_fixed(r"^[ \t]*(?:from|import)[ \t]+(?:autogen\w*|langgraph|crewai|agents|swarm|smolagents|pydantic_ai)\b"
                            r"|['\"]@openai/agents['\"]|['\"]@langchain/langgraph"
                            r"|\b(?:AssistantAgent|UserProxyAgent|ConversableAgent|GroupChat|GroupChatManager|StateGraph"
                            r"|create_react_agent)\(|\.add_node\(", re.MULTILINE)
_SPEAKER_LINE = re.compile(
    r"^[ \t]*(?:#{1,6}[ \t]*|>[ \t]*)?(?:\*\*|__)?"
    r"(user|assistant|human|ai|chatgpt|gpt-?4o?|claude|gemini|copilot|bard|bot|you|me)"
    r"(?:[ \t]+said)?[ \t]*(?:(?:\*\*|__)[ \t]*)?(?::|$)", re.IGNORECASE | re.MULTILINE)
_INLINE_EDIT = re.compile(r"~~[^~\n]{1,500}~~|\[(?:edited|edit|deleted|removed|added|inserted|changed)\b[^\]\n]{0,200}\]"
                          r"|\{\+\+[^\n]{0,500}?\+\+\}|\{--[^\n]{0,500}?--\}|</?(?:del|ins)>", re.IGNORECASE)
_ORIGINAL_SIDE = compile_fixed(
    r"^[ \t#>*_]*(?:original\b[^\n:]{0,30}|(?:ai|chatgpt|claude|copilot|gpt)[- ](?:generated[- ])?"
    r"(?:draft|output|version|response|answer)|(?:first|initial)[ \t]+draft)[ \t*_]*(?::|$)"
    r"|\b(?:ai|chatgpt|claude|copilot|gpt)[- ](?:generated[- ])?(?:draft|output|version)\b"
    r"|\boriginal (?:ai )?(?:draft|output|version|text)\b", re.IGNORECASE | re.MULTILINE)
_EDITED_SIDE = compile_fixed(
    r"^[ \t#>*_]*(?:(?:my[ \t]+)?(?:edited|revised|corrected|final|human[- ]edited)(?:[ \t]+(?:version|text|draft|copy))?"
    r"|my[ \t]+(?:edits|version|changes|corrections))[ \t*_]*(?::|$)"
    r"|\bmy (?:edits|edited version|changes|corrections|revisions)\b|\b(?:edited|revised|corrected) (?:version|text|draft)\b"
    r"|\btrack(?:ed)? changes\b", re.IGNORECASE | re.MULTILINE)
_CUSTOM_INSTRUCTIONS_PHRASE = re.compile(
    r"custom instructions|conversation starters?|knowledge files?|custom gpt\b"
    r"|what would you like chatgpt to know|how would you like chatgpt to respond|copilot[- ]instructions",
    re.IGNORECASE)
_BUILDER_FIELD = re.compile(r"^[ \t#*_]*(instructions|knowledge|capabilities|conversation starters|name|description)"
                            r"[ \t*_]*:", re.IGNORECASE | re.MULTILINE)
_PERSONA = compile_fixed(r"\byou are\b[^.\n]{0,100}?\b(?:assistant|gpt|chatbot|bot|copilot|agent|coach|tutor|advisor|adviser"
                         r"|helper|companion)\b", re.IGNORECASE)
_RULE_ABOUT_USERS = compile_fixed(
    r"\b(?:when|if|whenever|unless|once)[ \t]+(?:the[ \t]+|a[ \t]+)?users?\b|\busers?[ \t]+(?:will|may|might|can|often|usually)\b"
    r"|\b(?:ask|tell|remind|help|greet|guide|encourage)[ \t]+(?:the[ \t]+)?users?\b", re.IGNORECASE)
_STANDING_RULE = re.compile(r"\b(?:always|never|do not|don't)\b", re.IGNORECASE)
_MARKDOWN_HEADING = re.compile(r"^#{1,6}[ \t]+\S", re.MULTILINE)
_REQUEST_VERBS = (
    "write|create|generate|summari[sz]e|explain|translate|draft|rewrite|list|give|make|analy[sz]e|review|describe"
    "|suggest|compare|classify|extract|convert|fix|improve|edit|proofread|brainstorm|outline|plan|find|identify"
    "|answer|respond|return|output|tell|show|help|provide|produce|compose|design|build|implement|debug|refactor"
    "|calculate|estimate|evaluate|recommend|propose|format|use|include|keep|avoid|do not|don't|never|always|focus"
    "|act|imagine|pretend|consider|read|check|categori[sz]e|rank|rate|score|turn|transform|shorten|expand|simplify"
    "|paraphrase|continue|complete|fill|think|pick|choose|put|mark|add|remove|cite|quote|ask|assume|start|end")
# A verb opening a sentence, paragraph or list item; a wrapped line that merely starts with "use" is not a request.
_IMPERATIVE = compile_fixed(r"(?:\A[ \t]*|[.!?:]\**[ \t]*(?:\n[ \t]*)?|\n[ \t]*\n[ \t]*|^[ \t]*(?:[-*•>]|[0-9]+[.)])[ \t]+)"
                            r"(?:please[ \t]+|now[ \t]+|then[ \t]+|also[ \t]+|finally,?[ \t]+)?(?:" + _REQUEST_VERBS + r")\b",
                            re.IGNORECASE | re.MULTILINE)
_REQUEST_PHRASE = re.compile(r"\b(?:please|can you|could you|would you|will you|help me|i need you|i want you|i'd like you"
                             r"|i would like you|act as|you are an?|your (?:task|job|role|goal) is|let's)\b"
                             r"|\{\{[ \t]*[\w.]+[ \t]*\}\}|\?\s*\Z", re.IGNORECASE)


def _text_type(text: str) -> str:
    if _UNIFIED_DIFF_HUNK.search(text):
        return "output_with_edits"
    code_kind = _code_type(text)
    if code_kind:
        return code_kind
    if _is_transcript(text):
        return "transcript"
    if _has_edits(text):
        return "output_with_edits"
    if _is_custom_instructions(text):
        return "custom_instructions"
    if _is_request(text):
        return "prompt"
    if _is_finished_document(text):
        return "output_with_edits"  # a polished multi-section document, most likely AI output pasted as is
    return "other"


def _code_type(text: str, assume_code: bool = False) -> str | None:
    """eval_config / agent_config for code built on those frameworks, code for other source; None for non-code."""
    if not (assume_code or _looks_like_code(text)):
        return None
    if _EVAL_CODE.search(text):
        return "eval_config"
    if _AGENT_CODE.search(text):
        return "agent_config"
    return "code"


def _looks_like_code(text: str) -> bool:
    """Mostly source lines, not prose with a snippet; code fenced inside prose does not count."""
    whole = _WHOLE_FENCE.fullmatch(text)
    body = whole.group(1) if whole else _without_fenced_blocks(text)
    code = prose = 0
    for line in body.split("\n"):
        if _CODE_LINE.match(line):
            code += 1
        elif len(_WORD.findall(line)) >= 4 and not line.lstrip().startswith(("#", "//", "*", "/*")):
            prose += 1
    return code >= (2 if _LLM_API.search(text) else 3) and code >= prose


def _without_fenced_blocks(text: str) -> str:
    """The text with each ``` block, from its opening line to the next bare ``` line, cut to an empty line."""
    if "```" not in text:
        return text
    lines = text.split("\n")
    closes = [i for i, line in enumerate(lines) if _FENCE_CLOSE.fullmatch(line)]
    kept, i, c = [], 0, 0
    while i < len(lines):
        while c < len(closes) and closes[c] <= i:
            c += 1
        if c == len(closes):  # no bare fence below: nothing further is a block
            kept.extend(lines[i:])
            break
        if _FENCE_OPEN.match(lines[i]):
            kept.append("")
            i = closes[c] + 1
        else:
            kept.append(lines[i])
            i += 1
    return "\n".join(kept)


def _is_transcript(text: str) -> bool:
    """At least two turns from two different speakers, and not a completion template ending on an empty turn."""
    turns = list(_SPEAKER_LINE.finditer(_without_fenced_blocks(text)))
    if len(turns) < 2 or len({t.group(1).lower() for t in turns}) < 2:
        return False
    last = turns[-1]
    return bool(last.string[last.end():].strip())


def _has_edits(text: str) -> bool:
    return bool(_INLINE_EDIT.search(text)) or bool(_ORIGINAL_SIDE.search(text) and _EDITED_SIDE.search(text))


def _is_custom_instructions(text: str) -> bool:
    if _CUSTOM_INSTRUCTIONS_PHRASE.search(text):
        return True
    fields = {m.group(1).lower() for m in _BUILDER_FIELD.finditer(text)}
    builder = fields & {"instructions", "knowledge", "capabilities", "conversation starters"}
    if len(builder) >= 2 or (builder and fields & {"name", "description"}):
        return True  # a pasted GPT-builder form
    rules = len(_RULE_ABOUT_USERS.findall(text))
    return rules >= 1 and (bool(_PERSONA.search(text)) or (rules >= 2 and bool(_STANDING_RULE.search(text))))


def _is_finished_document(text: str) -> bool:
    return len(_MARKDOWN_HEADING.findall(text)) >= 2 and len(_WORD.findall(text)) >= 150


def _is_request(text: str) -> bool:
    if "\n" not in text.strip():
        return bool(_WORD.search(text))  # a one-liner is a prompt
    return bool(_REQUEST_PHRASE.search(text) or _IMPERATIVE.search(text))


# --- the declared type ---------------------------------------------------------------------------------------

def requested_type(declared_type: str | None) -> str | None:
    """The submitter's type, or None to detect; an unknown type is refused."""
    value = (declared_type or "").strip().lower()
    if value in ("", "detect"):
        return None
    if value not in ARTIFACT_TYPES:
        raise IntakeError(f"unknown artifact type {declared_type!r}; use one of: {', '.join(ARTIFACT_TYPES)}, "
                          "or 'detect'")
    return value
