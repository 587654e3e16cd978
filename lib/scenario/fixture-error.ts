// ScenarioError: the one error type for a bad scenario file or a bad value in
// one. It carries where (file, JSON path or line:column), what was expected and
// what was found, so the CLI can print it verbatim and exit 2, and tests can
// assert on the fields rather than parse the message.

export interface ScenarioErrorInit {
  /** The file (or flag, e.g. "--mix") the bad value came from; "" if none. */
  source: string;
  /** JSON path such as `[0].events[2].money`; "" for the whole file. */
  path: string;
  expected: string;
  found: string;
  /** 1-based position of a JSON syntax error. */
  line?: number;
  column?: number;
}

export class ScenarioError extends Error {
  override name = "ScenarioError";
  readonly source: string;
  readonly path: string;
  readonly expected: string;
  readonly found: string;
  readonly line: number | undefined;
  readonly column: number | undefined;

  constructor(init: ScenarioErrorInit, message?: string) {
    super(message ?? `${where(init.source, init.path)}: expected ${init.expected}, found ${init.found}`);
    this.source = init.source;
    this.path = init.path;
    this.expected = init.expected;
    this.found = init.found;
    this.line = init.line;
    this.column = init.column;
  }

  /** `fixture.json:22:1: invalid JSON: <what the parser said>`, the form editors can jump to. */
  static syntax(source: string, line: number, column: number, description: string): ScenarioError {
    return new ScenarioError(
      { source, path: "", expected: "valid JSON", found: description, line, column },
      `${source}:${line}:${column}: invalid JSON: ${description}`,
    );
  }
}

function where(source: string, path: string): string {
  if (source === "") return path;
  return path === "" ? source : `${source} ${path}`;
}

const MAX_FOUND_CHARS = 40;

/**
 * A short, unambiguous rendering of a value for "found ...": strings keep their
 * quotes (so "400" and 400 differ), containers are named not printed (they may
 * be huge or deeply nested).
 */
export function describeFound(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (Array.isArray(value)) return value.length === 0 ? "an empty array" : "an array";
  switch (typeof value) {
    case "number":
    case "boolean":
      return String(value);
    case "string": {
      const s = value.length > MAX_FOUND_CHARS ? `${value.slice(0, MAX_FOUND_CHARS)}…` : value;
      return JSON.stringify(s);
    }
    case "object":
      return "an object";
    default:
      return typeof value;
  }
}
