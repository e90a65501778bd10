/**
 * One escaping helper per target language. Templates put answers into data
 * files through real serializers (JSON) wherever they can; these helpers are
 * for the few places where a value must sit inside source text.
 */

/** A POSIX shell word that expands to exactly s (single quotes, ' as '\''). */
export function shellQuote(s: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(s)) return s;
  return "'" + s.replace(/'/g, "'\\''") + "'";
}

/**
 * An HCL quoted string literal whose value is exactly s: no ${…} or %{…}
 * interpolation survives. HCL normalizes every string to Unicode NFC, escaped
 * or not, so s must be NFC (validateAnswers rejects answers that are not).
 */
export function hclString(s: string): string {
  let out = "";
  for (const ch of s) {
    switch (ch) {
      case "\\":
        out += "\\\\";
        break;
      case '"':
        out += '\\"';
        break;
      case "\n":
        out += "\\n";
        break;
      case "\r":
        out += "\\r";
        break;
      case "\t":
        out += "\\t";
        break;
      default: {
        const c = ch.codePointAt(0)!;
        if (c < 0x20 || c === 0x7f) out += "\\u" + c.toString(16).padStart(4, "0");
        else out += ch;
      }
    }
  }
  // Replacer functions: in a replacement string "$$" would stand for a single "$".
  return '"' + out.replace(/\$\{/g, () => "$${").replace(/%\{/g, () => "%%{") + '"';
}

/** A YAML double-quoted scalar whose value is exactly s (JSON strings are valid YAML). */
export function yamlString(s: string): string {
  return JSON.stringify(s).replace(
    /[\u2028\u2029\u0085]/g,
    (c) => "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0"),
  );
}

/** Deterministic JSON: keys sorted at every level, two-space indent, trailing newline. */
export function stableJson(value: unknown): string {
  return JSON.stringify(sortKeys(value), null, 2) + "\n";
}

export function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

/**
 * Markdown inline text whose rendering is exactly s: every ASCII punctuation
 * character is backslash-escaped (no emphasis, link, HTML, heading, list or
 * table syntax survives), and whitespace Markdown would collapse or trim (runs
 * of spaces, leading/trailing spaces, other Unicode spaces) becomes a numeric
 * character reference. For one line of text; s holds no control characters.
 */
export function markdownText(s: string): string {
  const chars = [...s];
  let out = "";
  chars.forEach((ch, i) => {
    if (/[!-/:-@[-`{-~]/.test(ch)) out += "\\" + ch;
    else if (ch === " ") {
      const lone = i > 0 && i < chars.length - 1 && !/\s/u.test(chars[i - 1]) && !/\s/u.test(chars[i + 1]);
      out += lone ? " " : "&#32;";
    } else if (/\s/u.test(ch)) out += `&#x${ch.codePointAt(0)!.toString(16)};`;
    else out += ch;
  });
  return out;
}
