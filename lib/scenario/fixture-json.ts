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

/** Offset of the first character that makes `text` invalid JSON, or undefined if it is valid. */
export function findJsonErrorOffset(text: string): number | undefined {
  const n = text.length;
  const stack: number[] = []; // 0x5b '[' or 0x7b '{'
  let i = 0;
  const ws = () => {
    while (i < n && isWs(text.charCodeAt(i))) i++;
  };
  // Each returns false with i at the bad character.
  const str = (): boolean => {
    if (text.charCodeAt(i) !== 0x22) return false;
    i++;
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        i++;
        return true;
      }
      if (c < 0x20) return false;
      if (c === 0x5c) {
        const e = text[i + 1];
        if (e === "u") {
          for (let k = 2; k < 6; k++) if (!isHex(text.charCodeAt(i + k))) return ((i += k), false);
          i += 6;
        } else if (e !== undefined && '"\\/bfnrt'.includes(e)) i += 2;
        else return ((i += 1), false);
      } else i++;
    }
    return false;
  };
  const digits = (): boolean => {
    const start = i;
    while (i < n && isDigit(text.charCodeAt(i))) i++;
    return i > start;
  };
  const num = (): boolean => {
    if (text[i] === "-") i++;
    if (text[i] === "0") i++;
    else if (!digits()) return false;
    if (text[i] === ".") {
      i++;
      if (!digits()) return false;
    }
    if (text[i] === "e" || text[i] === "E") {
      i++;
      if (text[i] === "+" || text[i] === "-") i++;
      if (!digits()) return false;
    }
    return true;
  };
  const literal = (): boolean => {
    for (const word of ["true", "false", "null"]) {
      if (text.startsWith(word, i)) return ((i += word.length), true);
    }
    // Point at the first character that diverges from every literal.
    let best = i;
    for (const word of ["true", "false", "null"]) {
      let k = 0;
      while (k < word.length && text[i + k] === word[k]) k++;
      best = Math.max(best, i + k);
    }
    i = best;
    return false;
  };
  const keyColon = (): boolean => {
    ws();
    if (!str()) return false;
    ws();
    if (text[i] !== ":") return false;
    i++;
    return true;
  };

  for (;;) {
    // Expecting a value.
    ws();
    const c = text.charCodeAt(i);
    if (c === 0x7b || c === 0x5b) {
      i++;
      ws();
      if (text.charCodeAt(i) === c + 2) i++; // "{}" or "[]": '}' = '{' + 2, ']' = '[' + 2
      else {
        stack.push(c);
        if (c === 0x7b && !keyColon()) return i;
        continue;
      }
    } else if (c === 0x22) {
      if (!str()) return i;
    } else if (c === 0x2d || isDigit(c)) {
      if (!num()) return i;
    } else if (!literal()) return i;
    // After a value: close containers or move to the next element.
    for (;;) {
      ws();
      const top = stack[stack.length - 1];
      if (top === undefined) return i < n ? i : undefined;
      const d = text.charCodeAt(i);
      if (d === top + 2) {
        stack.pop();
        i++;
        continue;
      }
      if (d !== 0x2c) return i;
      i++;
      if (top === 0x7b && !keyColon()) return i;
      break;
    }
  }
}
