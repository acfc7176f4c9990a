"""Every example in README.md and docs/*.md runs, so the docs stay true.

Each fenced block is an example, run in document order in a sandbox of its own per
document (a temporary working directory with the repository's ``corpus/`` and ``eval/``,
``HOME`` there, no ``QA_*`` variable from outside, the Hugging Face hub offline):

* ``bash``: each command runs (shell variables carry over to later commands and blocks);
  ``qa serve`` starts the documented server in the background on a free port, and
  ``localhost:8000`` / ``127.0.0.1:8000`` in later commands and snippets point at it.
* ``console``: each ``$ command`` runs and its documented output must appear, in order
  (``...`` and ``…`` match anything; the sandbox's home reads ``~``).
* ``python``: the snippet runs in a fresh interpreter.

An HTML comment right above a block says what else to do with it:

* ``<!-- example: output -->``: the block is the output of the command before it (JSON:
  the same keys and the same stable values; text: its lines in order, with wildcards);
* ``<!-- example: skip: REASON -->``: not run, for the reason given (what a test cannot
  have: a model download, a Docker daemon, a benchmark run of tens of minutes);
* ``<!-- example: skip-line PATTERN: REASON -->``: commands containing PATTERN are not run;
* ``<!-- example: before: COMMAND -->``: run COMMAND first (what the example assumes);
* ``<!-- example: fields -->``: ``Type(field, ...)`` lines list the fields of those types;
* ``<!-- example: same-as MODULE:NAME -->``: the Python block is an excerpt of that class;
* ``<!-- example: question-set -->``: the JSON is a valid line of a JSONL question set.

A block with none of these and of another language fails the test: every block is either
run or skipped with its reason.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
RUNNABLE = {"bash", "console", "python"}
DOCUMENTED_PORT = "8000"
_DIRECTIVE = re.compile(r"^<!-- example: (?P<body>.*?) -->$")
_SERVE = re.compile(r"^(?P<env>(?:[A-Z_]+=\S*\s+)*)qa serve\b(?P<args>.*)$")

# JSON values that differ from run to run or machine to machine: ids derive from the path
# the articles were read from, times from the clock, scores and counts from what earlier
# examples added.
_VOLATILE_KEYS = {"id", "doc_id", "chunk_id", "created", "source", "deleted"}
_STABLE_INTS = {"marker", "rank", "start", "end", "k", "limit", "offset", "index"}


@dataclass
class Block:
    """A fenced block of a Markdown file and the directives above it."""

    path: Path
    line: int
    lang: str
    text: str
    directives: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}"

    def directive(self, prefix: str) -> list[str]:
        """The rest of each directive that starts with ``prefix``."""
        return [d[len(prefix) :].strip() for d in self.directives if d.startswith(prefix)]


def parse_blocks(path: Path) -> list[Block]:
    """The fenced blocks of ``path``, with the ``<!-- example: ... -->`` lines above each."""
    lines = path.read_text(encoding="utf-8").splitlines()
    blocks: list[Block] = []
    i = 0
    while i < len(lines):
        opening = re.match(r"^```(\w*)\s*$", lines[i])
        if not opening:
            i += 1
            continue
        directives = []
        j = i - 1
        while j >= 0 and (m := _DIRECTIVE.match(lines[j].strip())):
            directives.insert(0, m["body"])
            j -= 1
        end = i + 1
        while end < len(lines) and not lines[end].startswith("```"):
            end += 1
        blocks.append(
            Block(path, i + 1, opening[1] or "text", "\n".join(lines[i + 1 : end]), directives)
        )
        i = end + 1
    return blocks


def logical_lines(script: str) -> list[str]:
    """Shell lines with ``\\`` continuations and multi-line quoted strings joined."""
    result: list[str] = []
    buf = ""
    continued = False
    for raw in script.splitlines():
        buf = (f"{buf} {raw.strip()}" if continued else f"{buf}\n{raw}") if buf else raw
        continued = buf.endswith("\\")
        if continued:
            buf = buf[:-1].rstrip()
            continue
        if buf.count("'") % 2 or buf.count('"') % 2:  # a quoted string goes on
            continue
        if buf.strip():
            result.append(buf.strip())
        buf = ""
    if buf.strip():
        result.append(buf.strip())
    return result


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wildcard(line: str) -> re.Pattern[str]:
    parts = re.split(r"\.\.\.|…", line.strip())
    return re.compile(".*?".join(re.escape(p) for p in parts), re.DOTALL)


def assert_lines_in_order(documented: str, actual: str, what: str) -> None:
    """Each non-blank documented line matches an actual line, in order."""
    lines = [x.strip() for x in actual.splitlines() if x.strip()]
    at = 0
    for expected in (x for x in documented.splitlines() if x.strip()):
        if expected.strip() in ("...", "…"):
            continue
        pattern = _wildcard(expected)
        while at < len(lines) and not pattern.fullmatch(lines[at]):
            at += 1
        assert at < len(lines), f"{what}: documented line not in the output:\n{expected}\n" + (
            f"--- output ---\n{actual}"
        )
        at += 1


def assert_json_like(documented: Any, actual: Any, where: str = "$") -> None:
    """The same keys; equal stable values (see the module docstring)."""
    if isinstance(documented, dict):
        assert isinstance(actual, dict), f"{where}: expected an object, got {actual!r}"
        assert set(documented) == set(actual), f"{where}: keys {sorted(actual)}"
        for key, value in documented.items():
            if key in _VOLATILE_KEYS:
                continue
            if isinstance(value, int | float) and not isinstance(value, bool):
                if key in _STABLE_INTS:
                    assert value == actual[key], f"{where}.{key}: {actual[key]!r}"
                continue
            assert_json_like(value, actual[key], f"{where}.{key}")
    elif isinstance(documented, list):
        assert isinstance(actual, list), f"{where}: expected a list, got {actual!r}"
        items = [x for x in documented if x != "…"]
        assert len(actual) >= len(items), f"{where}: {len(actual)} items"
        for i, (d, a) in enumerate(zip(items, actual, strict=False)):
            assert_json_like(d, a, f"{where}[{i}]")
    elif isinstance(documented, str):
        assert isinstance(actual, str), f"{where}: {actual!r}"
        if "…" in documented:
            assert _wildcard(documented).fullmatch(actual), f"{where}: {actual!r}"
        else:
            assert documented == actual, f"{where}: {actual!r}"
    elif not isinstance(documented, int | float) or isinstance(documented, bool):
        assert documented == actual, f"{where}: {actual!r}"


class Sandbox:
    """Where one document's examples run, in order, sharing state."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.home = root / "home"
        self.home.mkdir()
        for name in ("corpus", "eval", "tests", "docs"):
            (root / name).symlink_to(ROOT / name)
        articles = root / "my-articles"
        articles.mkdir()
        note = (
            "示例新闻网杭州3月18日电 浙江省能源集团牵头共建的白马湖实验室今天发布了"
            "无人智能清舱装备。"
        )
        (articles / "note.txt").write_text(note, encoding="utf-8")
        (root / "article.txt").write_text(note, encoding="utf-8")
        (root / "more.jsonl").write_text(
            json.dumps({"title": "又一篇", "text": "长三角绿色低碳产业链联盟新增成员。"}) + "\n",
            encoding="utf-8",
        )
        self.state = root / ".state.sh"
        self.state.write_text("", encoding="utf-8")
        env = {k: v for k, v in os.environ.items() if not k.startswith("QA_")}
        env.pop("XDG_CACHE_HOME", None)
        env.update(
            HOME=str(self.home),
            PYTHONPATH=str(ROOT),
            HF_HUB_OFFLINE="1",
            TRANSFORMERS_OFFLINE="1",
            PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
            COLUMNS="200",
        )
        self.env = env
        self.port: int | None = None
        self.server: subprocess.Popen[bytes] | None = None
        self.last_output = ""

    def close(self) -> None:
        if self.server is not None:
            self.server.terminate()
            try:
                self.server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.server.kill()

    def rewrite(self, text: str) -> str:
        if self.port is None:
            return text
        return re.sub(
            rf"(?:localhost|127\.0\.0\.1):{DOCUMENTED_PORT}\b", f"127.0.0.1:{self.port}", text
        )

    def shell(self, command: str, *, merge: bool = False, timeout: float = 300) -> str:
        """Run one command with the state of earlier ones; returns stdout and stderr
        (as one stream where ``merge``: in the order the command wrote them)."""
        # set -a: every variable the command sets is exported, and so kept for later ones.
        script = (
            f"set -a; . {self.state}\n{self.rewrite(command)}\n"
            f"rc=$?; export -p > {self.state}.new; mv {self.state}.new {self.state}; exit $rc\n"
        )
        run = subprocess.run(
            ["bash", "-c", script],
            cwd=self.root,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT if merge else subprocess.PIPE,
            text=True,
            timeout=timeout,
        )
        output = run.stdout + (run.stderr or "")
        assert run.returncode == 0, f"`{command}` exited {run.returncode}:\n{output}"
        self.last_output = run.stdout
        return output

    def serve(self, command: str) -> None:
        """Start the documented ``qa serve`` in the background and wait until ready."""
        m = _SERVE.match(command)
        assert m is not None
        self.close()
        self.port = _free_port()
        args = re.sub(r"--port\s+\d+", "", m["args"].split("#")[0])
        line = f"{m['env']}exec qa serve{args} --port {self.port}"
        exports = " ".join(f"export {a};" for a in m["env"].split())
        self.shell(exports or ":")  # the documented variables hold for later commands
        log = open(self.root / "serve.log", "wb")  # noqa: SIM115 - closed with the process
        self.server = subprocess.Popen(
            ["bash", "-c", f"set -a; . {self.state}; set +a\n{line}"],
            cwd=self.root,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            assert self.server.poll() is None, (self.root / "serve.log").read_text()
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/readyz", timeout=2):
                    return
            except OSError:
                time.sleep(0.3)
        raise AssertionError("the documented server did not become ready")

    def run_shell_block(self, block: Block) -> None:
        skips = [d.split(":", 1)[0].strip() for d in block.directive("skip-line")]
        for command in logical_lines(block.text):
            if command.startswith("#") or any(p in command for p in skips):
                continue
            if _SERVE.match(command):
                self.serve(command)
            else:
                self.shell(command)

    def run_console_block(self, block: Block) -> None:
        documented: list[tuple[str, list[str]]] = []
        for line in block.text.splitlines():
            if line.startswith("$ "):
                documented.append((line[2:], []))
            elif documented:
                documented[-1][1].append(line)
        for command, expected in documented:
            output = self.shell(command, merge=True).replace(str(self.home), "~")
            assert_lines_in_order("\n".join(expected), output, f"{block.name}: $ {command}")

    def run_python_block(self, block: Block) -> None:
        script = self.root / f"example_{block.line}.py"
        script.write_text(self.rewrite(block.text), encoding="utf-8")
        self.shell(f"{sys.executable} {script.name}")

    def check_output(self, block: Block) -> None:
        if block.lang == "json":
            actual = json.loads(self.last_output)
            assert_json_like(json.loads(block.text), actual)
        else:
            assert_lines_in_order(block.text, self.last_output, f"{block.name} (output)")


def check_fields(block: Block) -> None:
    import qa

    entries: list[str] = []
    for line in block.text.splitlines():
        if entries and entries[-1].count("(") > entries[-1].count(")"):
            entries[-1] += " " + line.strip()
        elif line.strip():
            entries.append(line.strip())
    for line in entries:
        m = re.match(r"^(\w+)\((.*?)\)", line)
        assert m, f"{block.name}: not a Type(field, ...) line: {line}"
        cls = getattr(qa, m[1])
        names = [f.name for f in dataclasses.fields(cls)]
        assert [x.strip() for x in m[2].split(",")] == names, f"{m[1]} fields are {names}"


def check_same_as(block: Block, target: str) -> None:
    module_name, _, class_name = target.partition(":")
    module = importlib.import_module(module_name)
    namespace = dict(vars(module))
    source = "from __future__ import annotations\n" + block.text
    exec(compile(source, block.name, "exec"), namespace)
    documented, real = namespace[class_name], getattr(module, class_name)
    assert documented is not real
    for name, member in vars(documented).items():
        if name.startswith("__"):
            continue
        assert hasattr(real, name), f"{target} has no {name}"
        if callable(member):
            assert str(inspect.signature(member)) == str(inspect.signature(getattr(real, name)))
    for name in getattr(documented, "__annotations__", {}):
        assert hasattr(real, name), f"{target} has no {name}"


def check_question_set(block: Block, tmp: Path) -> None:
    from eval import load_jsonl

    path = tmp / "question.jsonl"
    path.write_text(block.text + "\n", encoding="utf-8")
    assert load_jsonl(path)


ALL_BLOCKS = [b for path in DOCS for b in parse_blocks(path)]


@pytest.fixture(scope="module")
def sandboxes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[Path, Sandbox]]:
    boxes: dict[Path, Sandbox] = {}
    yield boxes
    for box in boxes.values():
        box.close()


@pytest.mark.parametrize("block", ALL_BLOCKS, ids=lambda b: b.name)
def test_example(
    block: Block, sandboxes: dict[Path, Sandbox], tmp_path_factory: pytest.TempPathFactory
) -> None:
    if block.path not in sandboxes:
        sandboxes[block.path] = Sandbox(tmp_path_factory.mktemp(block.path.stem))
    box = sandboxes[block.path]
    skipped = block.directive("skip:")
    if skipped:
        pytest.skip(f"{block.name}: {skipped[0]}")
    for command in block.directive("before:"):
        box.shell(command)
    if block.directive("output"):
        box.check_output(block)
    elif block.directive("fields"):
        check_fields(block)
    elif targets := block.directive("same-as"):
        check_same_as(block, targets[0])
    elif block.directive("question-set"):
        check_question_set(block, box.root)
    elif block.lang in ("bash", "sh"):
        box.run_shell_block(block)
    elif block.lang == "console":
        box.run_console_block(block)
    elif block.lang == "python":
        box.run_python_block(block)
    else:
        pytest.fail(
            f"{block.name}: a ```{block.lang} block that is neither run nor marked: add "
            "<!-- example: output --> or <!-- example: skip: REASON --> above it"
        )


def test_every_document_has_examples() -> None:
    assert {b.path for b in ALL_BLOCKS} == set(DOCS)
    assert any(b.lang == "console" for b in ALL_BLOCKS)


def test_readme_set_up_commands_match_ci() -> None:
    """The README's two commands (set up + run, set up + test) and .ci/run agree: the same
    package set-up (torch first, then the project with constraints.txt, on the pip the
    virtualenv brings: neither upgrades it) and the same test command."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    blocks = {b.line: b for b in parse_blocks(ROOT / "README.md")}
    setup = [b for b in blocks.values() if "python3 -m venv .venv" in b.text]
    assert len(setup) == 2, "the README keeps its two commands: set up + run, set up + test"
    run, test = (" ".join(b.text.replace("\\\n", " ").split()) for b in setup)
    project = 'pip install -e ".[dev]" -c constraints.txt'
    for command in (run, test):
        assert "pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu" in (
            command
        )
        assert project in command
        assert command.index("torch==2.13.0") < command.index(project)
    assert run.endswith('qa ask "长三角国资百企联盟创新子联盟由哪些企业牵头组建?"')
    assert test.endswith("pytest && pytest -m slow")
    ci_lines = [
        line.strip().replace(" --quiet", "")
        for line in ci.splitlines()
        if not line.lstrip().startswith("#")
    ]
    assert "pytest" in ci_lines and "pytest -m slow" in ci_lines
    torch = ci_lines.index("python -m pip install torch==2.13.0")
    install = ci_lines.index(f"python -m {project}")
    assert torch < install < ci_lines.index("python -m pip check") < ci_lines.index("pytest")
    # The same pip as a user's: neither the README nor CI upgrades it.
    for text in (run, test, *ci_lines):
        assert not re.search(r"pip install .*(-U|--upgrade)\b.*\bpip\b", text), text
    assert "fonts-noto-cjk" in ci
    assert "## Set up and run" in readme and "## Set up and test" in readme


def test_shell_lines_are_split_like_a_shell() -> None:
    script = "a \\\n  b\ncurl -d '{\n  \"x\": 1}'\n\n# note\nc"
    assert logical_lines(script) == ["a b", "curl -d '{\n  \"x\": 1}'", "# note", "c"]


@pytest.mark.parametrize(
    ("documented", "actual", "ok"),
    [
        ('{"a": "x…z", "id": "1"}', '{"a": "xyz", "id": "2"}', True),
        ('{"a": "x"}', '{"a": "y"}', False),
        ('{"a": 1.5}', '{"a": 2.5}', True),
        ('{"a": 1}', '{"a": 1, "b": 2}', False),
        ('{"l": [{"k": 1}, "…"]}', '{"l": [{"k": 1}, {"k": 2}]}', True),
        ('{"marker": 1}', '{"marker": 2}', False),
    ],
)
def test_json_comparison(documented: str, actual: str, ok: bool) -> None:
    if ok:
        assert_json_like(json.loads(documented), json.loads(actual))
    else:
        with pytest.raises(AssertionError):
            assert_json_like(json.loads(documented), json.loads(actual))


def test_lines_in_order_with_wildcards() -> None:
    assert_lines_in_order("a ... c\n…\nlast", "x\na b c\nmiddle\nlast\n", "ok")
    with pytest.raises(AssertionError):
        assert_lines_in_order("last\na b c", "a b c\nlast", "order")
