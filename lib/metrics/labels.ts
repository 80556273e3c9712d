/**
 * Label values made from text a process chose (its comm, a parent's comm): what the
 * collectors put in a label so that it reads the same in Prometheus, in Grafana and in a
 * terminal showing `unixproc metrics --once`.
 * @internal
 */
import { escapeText, hex } from '../escape';

/**
 * `s` as a label value: {@link escapeText}'s form (a backslash as `\\`, a newline as `\n`,
 * other control characters as `\xHH`, bidi controls as `\uHHHH`), and each byte that is
 * not UTF-8 (a lone U+DC80..U+DCFF from the surrogateescape decoding of /proc) as `\xHH`.
 * The result is valid UTF-8 and unambiguous: a name holding a real backslash-x reads
 * `\\x`. The exposition then escapes the label value per the text format on top.
 */
export function labelText(s: string): string {
  let out = '';
  for (const ch of s) {
    const cp = ch.codePointAt(0) as number;
    if (cp >= 0xdc80 && cp <= 0xdcff) out += `\\x${hex(cp - 0xdc00, 2)}`;
    else if (cp >= 0xd800 && cp <= 0xdfff) out += `\\u${hex(cp, 4)}`; // a lone surrogate that stands for no byte
    else out += escapeText(ch);
  }
  return out;
}
