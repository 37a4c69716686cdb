"""toolrouter's exceptions: one tree, so callers can catch exactly what they mean.

::

    ToolrouterError
    ├── SpecError               a tool spec or table definition is malformed (names the item)
    │   └── DuplicateNameError  two items share a name in one registry
    ├── SchemaParseError        DDL that sqlglot cannot parse (keeps line and col)
    ├── RegistryFileError       a registry file cannot be written, or is unreadable, truncated or invalid
    ├── RerankerError           a model cannot be found, loaded or run
    ├── MissingDependencyError  an optional package is missing (names the pip extra)
    ├── ProxyError              the HTTP proxy cannot forward a request
    └── SQLError                generated SQL is refused or fails
        ├── SQLGenerationError  the model did not produce usable SQL
        ├── SQLValidationError  unparseable SQL, unknown table/column, write statement
        └── SQLExecutionError   the database refused the statement or timed out

Catch the base class around anything toolrouter does::

    try:
        router.add_tools(specs)
    except toolrouter.ToolrouterError as exc:
        print(exc)
"""

from __future__ import annotations


class ToolrouterError(Exception):
    """Base class of every error toolrouter raises on purpose."""


class SpecError(ToolrouterError, ValueError):
    """A tool spec or table definition is malformed.

    Args:
        item: The tool or table name (or a positional description like ``tools[3]``).
        problem: What is wrong, in words.
        pointer: JSON pointer of the offending part of the spec, when known.
    """

    def __init__(self, item: str, problem: str, pointer: str | None = None) -> None:
        self.item = item
        self.problem = problem
        self.pointer = pointer
        where = f" at {pointer}" if pointer else ""
        super().__init__(f"{item}{where}: {problem}")


class DuplicateNameError(SpecError):
    """Two items in one registry share a name."""


class SchemaParseError(ToolrouterError, ValueError):
    """DDL that sqlglot cannot parse.

    Args:
        statement: The statement (or its start) that failed.
        problem: sqlglot's description.
        line: 1-based line within the statement, when known.
        col: 1-based column within that line, when known.
    """

    def __init__(self, statement: str, problem: str, line: int | None = None, col: int | None = None) -> None:
        self.statement = statement
        self.problem = problem
        self.line = line
        self.col = col
        snippet = statement.strip().splitlines()[0][:80] if statement.strip() else "<empty>"
        position = f" (line {line}, col {col})" if line is not None else ""
        super().__init__(f"cannot parse DDL statement {snippet!r}{position}: {problem}")


class RegistryFileError(ToolrouterError):
    """A registry file cannot be written, or cannot be read back; the message names the file.

    Args:
        path: The registry file.
        problem: What is wrong, in words.
    """

    def __init__(self, path: str, problem: str) -> None:
        self.path = path
        super().__init__(f"registry file {path}: {problem}")


class RerankerError(ToolrouterError):
    """A reranker model cannot be found, loaded or run."""


class MissingDependencyError(ToolrouterError, ImportError):
    """An optional dependency is not installed.

    Args:
        package: The importable package that is missing.
        extra: The toolrouter extra that installs it.
    """

    def __init__(self, package: str, extra: str) -> None:
        self.package = package
        self.extra = extra
        super().__init__(f"{package} is not installed: pip install 'toolrouter[{extra}]'")


class ProxyError(ToolrouterError):
    """The proxy cannot forward a request; answered with ``status`` in OpenAI's error JSON.

    Args:
        message: What went wrong, for the client (never contains credentials).
        status: The HTTP status to answer with. Defaults to 502.
        code: OpenAI's machine-readable ``error.code`` (``upstream_timeout`` ...). Defaults to None.
        param: The request field at fault, when one is. Defaults to None.
    """

    def __init__(self, message: str, status: int = 502, code: str | None = None, param: str | None = None) -> None:
        self.message = message
        self.status = status
        self.code = code
        self.param = param
        super().__init__(message)


class SQLError(ToolrouterError):
    """Base class of the text-to-SQL pipeline's errors."""


class SQLGenerationError(SQLError):
    """The language model did not produce usable SQL."""


class SQLValidationError(SQLError, ValueError):
    """SQL that is unparseable, references unknown tables/columns, or writes.

    Args:
        problem: What is wrong, naming the table or column.
        line: 1-based line of the offending token, when known.
        col: 1-based column of that token, when known.
    """

    def __init__(self, problem: str, line: int | None = None, col: int | None = None) -> None:
        self.problem = problem
        self.line = line
        self.col = col
        position = f" (line {line}, col {col})" if line is not None else ""
        super().__init__(f"{problem}{position}")


class SQLExecutionError(SQLError):
    """The database refused the statement, or it ran past its timeout.

    Args:
        problem: What went wrong.
        timed_out: True when the statement was stopped at its timeout.
    """

    def __init__(self, problem: str, *, timed_out: bool = False) -> None:
        self.timed_out = timed_out
        super().__init__(problem)
