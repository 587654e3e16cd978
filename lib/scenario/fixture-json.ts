// JSON parsing with line:column errors. V8's JSON.parse is fast and strict but
// reports "at position N" only for some errors (a trailing comma gives just a
// snippet), and can overflow the stack on deeply nested input. So JSON.parse does
// the work, and when it fails a small iterative scanner (RFC 8259 grammar, no
// recursion, linear time) finds the offset of the first bad character.

import { ScenarioError } from "./fixture-error.js";

/** Parses `text` (BOM already removed) or throws ScenarioError with line:column. */
export function parseJsonText(text: string, source: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    const v8 = err instanceof Error ? err.message : String(err);
    let offset = findJsonErrorOffset(text);
    // Our scanner accepts what JSON.parse rejected: only nesting depth can do that.
    if (offset === undefined) offset = positionFromMessage(v8) ?? 0;
    const description = err instanceof SyntaxError ? cleanMessage(v8) : "nested too deeply";
    const { line, column } = lineColumn(text, offset);
    throw ScenarioError.syntax(source, line, column, description);
  }
}

/** V8's message without the position (we give line:column) or the quoted snippet. */
function cleanMessage(message: string): string {
  return message
    .replace(/, [\s\S]* is not valid JSON$/, "")
    .replace(/ \(line \d+ column \d+\)$/, "")
    .replace(/ (in JSON )?at position \d+$/, "")
    .trim();
}

function positionFromMessage(message: string): number | undefined {
  const m = /at position (\d+)/.exec(message);
  return m?.[1] === undefined ? undefined : Number(m[1]);
}

/** 1-based line and column (in UTF-16 units) of `offset`; CRLF, LF and lone CR end lines. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  const end = Math.min(offset, text.length);
  for (let i = 0; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x0a || (c === 0x0d && text.charCodeAt(i + 1) !== 0x0a)) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: end - lineStart + 1 };
}

const isWs = (c: number) => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
const isDigit = (c: number) => c >= 0x30 && c <= 0x39;
const isHex = (c: number) => isDigit(c) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);

const LITERALS = ["true", "false", "null"] as const;

/** Offset of the first character that makes `text` invalid JSON, or undefined if it is valid. */
export function findJsonErrorOffset(text: string): number | undefined {
  return new JsonScanner(text).firstError();
}

/** What scanning where a value is expected did: failed, opened a container, or read a whole value. */
type ValueStep = "bad" | "opened" | "scanned";
/** What scanning after a value did: failed, reached the next element, or closed every container. */
type AfterStep = "bad" | "next" | "end";

/**
 * An iterative RFC 8259 scanner: an explicit stack of open containers instead
 * of recursion, so nesting depth costs no stack. Every step that fails leaves
 * `i` at the bad character.
 */
class JsonScanner {
  private i = 0;
  private readonly n: number;
  /** The open containers: 0x5b '[' or 0x7b '{'. */
  private readonly stack: number[] = [];

  constructor(private readonly text: string) {
    this.n = text.length;
  }

  /** Alternates between the two states, expecting a value and after a value, until the text fails or ends. */
  firstError(): number | undefined {
    for (;;) {
      const value = this.value();
      if (value === "bad") return this.i;
      if (value === "opened") continue;
      const after = this.afterValue();
      if (after === "bad") return this.i;
      if (after === "end") return this.i < this.n ? this.i : undefined;
    }
  }

  /** Expecting a value: opens a container (reading an object's first key), or reads a scalar or an empty container whole. */
  private value(): ValueStep {
    this.ws();
    const c = this.text.charCodeAt(this.i);
    if (c === 0x7b || c === 0x5b) return this.open(c);
    if (c === 0x22) return this.str() ? "scanned" : "bad";
    if (c === 0x2d || isDigit(c)) return this.num() ? "scanned" : "bad";
    return this.literal() ? "scanned" : "bad";
  }

  private open(c: number): ValueStep {
    this.i++;
    this.ws();
    // "{}" or "[]": '}' = '{' + 2, ']' = '[' + 2
    if (this.text.charCodeAt(this.i) === c + 2) {
      this.i++;
      return "scanned";
    }
    this.stack.push(c);
    if (c === 0x7b && !this.keyColon()) return "bad";
    return "opened";
  }

  /** After a value: closes containers, then passes the comma to the next element (and an object's next key). */
  private afterValue(): AfterStep {
    for (;;) {
      this.ws();
      const top = this.stack[this.stack.length - 1];
      if (top === undefined) return "end";
      const d = this.text.charCodeAt(this.i);
      if (d === top + 2) {
        this.stack.pop();
        this.i++;
        continue;
      }
      if (d !== 0x2c) return "bad";
      this.i++;
      return top === 0x7b && !this.keyColon() ? "bad" : "next";
    }
  }

  private ws(): void {
    while (this.i < this.n && isWs(this.text.charCodeAt(this.i))) this.i++;
  }

  private str(): boolean {
    const text = this.text;
    if (text.charCodeAt(this.i) !== 0x22) return false;
    this.i++;
    while (this.i < this.n) {
      const c = text.charCodeAt(this.i);
      if (c === 0x22) {
        this.i++;
        return true;
      }
      if (c < 0x20) return false;
      if (c !== 0x5c) {
        this.i++;
        continue;
      }
      const e = text[this.i + 1];
      if (e === "u") {
        for (let k = 2; k < 6; k++) {
          if (!isHex(text.charCodeAt(this.i + k))) {
            this.i += k;
            return false;
          }
        }
        this.i += 6;
      } else if (e !== undefined && '"\\/bfnrt'.includes(e)) this.i += 2;
      else {
        this.i += 1;
        return false;
      }
    }
    return false;
  }

  private digits(): boolean {
    const start = this.i;
    while (this.i < this.n && isDigit(this.text.charCodeAt(this.i))) this.i++;
    return this.i > start;
  }

  private num(): boolean {
    const text = this.text;
    if (text[this.i] === "-") this.i++;
    if (text[this.i] === "0") this.i++;
    else if (!this.digits()) return false;
    if (text[this.i] === ".") {
      this.i++;
      if (!this.digits()) return false;
    }
    if (text[this.i] === "e" || text[this.i] === "E") {
      this.i++;
      if (text[this.i] === "+" || text[this.i] === "-") this.i++;
      if (!this.digits()) return false;
    }
    return true;
  }

  private literal(): boolean {
    for (const word of LITERALS) {
      if (this.text.startsWith(word, this.i)) {
        this.i += word.length;
        return true;
      }
    }
    // Point at the first character that diverges from every literal.
    let best = this.i;
    for (const word of LITERALS) {
      let k = 0;
      while (k < word.length && this.text[this.i + k] === word[k]) k++;
      best = Math.max(best, this.i + k);
    }
    this.i = best;
    return false;
  }

  private keyColon(): boolean {
    this.ws();
    if (!this.str()) return false;
    this.ws();
    if (this.text[this.i] !== ":") return false;
    this.i++;
    return true;
  }
}
