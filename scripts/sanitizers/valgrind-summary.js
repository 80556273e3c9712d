'use strict';
// Reads a memcheck log; prints how many error and definite-leak records there are and
// which of them pass through our addons (the only ones that fail the run: see valgrind.sh).
const fs = require('node:fs');

const text = fs.readFileSync(process.argv[2], 'utf8');
// A record: lines "==pid== ..." from a header up to the next blank "==pid== " line.
const records = [];
let cur;
for (const line of text.split('\n')) {
  const m = /^==\d+== ?(.*)$/.exec(line);
  if (!m) continue;
  const body = m[1];
  if (body === '') {
    if (cur) records.push(cur);
    cur = undefined;
  } else if (cur) cur.lines.push(body);
  else cur = { head: body, lines: [body] };
}
if (cur) records.push(cur);
const isError = (r) => /^(Invalid (read|write|free)|Conditional jump|Use of uninitialised|Syscall param|Mismatched free|Source and destination overlap|Argument .* of function)/.test(r.head);
const isDefiniteLeak = (r) => /definitely lost in loss record/.test(r.head);
const ours = (r) => r.lines.some((l) => /unixproc(_fork)?\.node|native\/[a-z_]+\.(cc|h)|fork-addon\/src\//.test(l));
const errors = records.filter(isError);
const leaks = records.filter(isDefiniteLeak);
const summary = /ERROR SUMMARY: (\d+) errors/.exec(text);
const ourErrors = errors.filter(ours);
const ourLeaks = leaks.filter(ours);
for (const r of [...ourErrors, ...ourLeaks]) console.log(`--- ours:\n${r.lines.join('\n')}`);
console.log(
  `test:valgrind: ${errors.length} error records, ${leaks.length} definite-leak records ` +
    `(valgrind ERROR SUMMARY ${summary ? summary[1] : '?'}); through our addons: ${ourErrors.length} errors, ${ourLeaks.length} definite leaks`,
);
process.exitCode = ourErrors.length + ourLeaks.length === 0 && /ERROR SUMMARY/.test(text) ? 0 : 1;
