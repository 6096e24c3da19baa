/**
 * What the CLI prints passes through `terminalSafe`: characters a terminal would act on instead
 * of showing - C0/C1 controls (escape sequences, carriage returns, NULs) and bidi overrides and
 * isolates that reorder the rest of the line (Trojan Source, CVE-2021-42574) - are written as
 * `\uXXXX`. Inside JSON strings that is the same escape JSON uses, so `--json` output stays valid
 * and parses to the same strings. Newlines and tabs are kept.
 */

// C0 controls except \t and \n, DEL, C1 controls, the Arabic letter mark, LRM/RLM, the bidi
// embeddings/overrides (U+202A-U+202E), line/paragraph separators and the isolates (U+2066-U+2069).
// eslint-disable-next-line no-control-regex -- matching controls is this module's purpose
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/g;

/** The progress bars' own redraw controls (carriage return, erase line), kept on stderr. */
// eslint-disable-next-line no-control-regex -- the redraw controls we write ourselves
const REDRAW = /(\r|\x1b\[2?K)/;

/**
 * `text` with terminal controls escaped; `keepRedraw` leaves the progress bars' redraw controls.
 *
 * @example
 * terminalSafe('2 + 2 = 4 \u202eevil'); // '2 + 2 = 4 \\u202eevil'
 */
export function terminalSafe(text: string, keepRedraw = false): string {
  const escape = (part: string) =>
    part.replace(UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  if (!keepRedraw) return escape(text);
  return text
    .split(REDRAW)
    .map((part, i) => (i % 2 === 1 ? part : escape(part)))
    .join('');
}
