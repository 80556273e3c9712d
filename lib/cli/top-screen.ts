/**
 * The full-screen side of `unixproc top`: the alternate screen, raw keyboard input, a
 * redraw per refresh and per key, the terminal's size followed on SIGWINCH ('resize'), and
 * the terminal given back as it was on every way out (q, Ctrl-C, a signal, an error, -n
 * frames done): alternate screen off, cursor shown, raw mode off.
 * @see console_codes(4) (CSI ?1049h/l, ?25h/l, K, H, SGR), termios(3) (raw mode)
 * @internal
 */
import type { Key } from './top-keys';
import { decodeKeys } from './top-keys';
import { filterRows, PlacedRow, Sample, SampleOptions, SORT_KEYS, sortRows, takeSample, treeRows, uidOf } from './top-model';
import { buildFrame, cellWidth, Line, LineStyle, Status, View } from './top-render';

/** The terminal a session draws on and reads keys from. */
export interface Terminal {
  write(s: string): void;
  readonly columns: number;
  readonly rows: number;
  /** Calls `listener` when the size changes; returns what removes it. */
  onResize(listener: () => void): () => void;
  /** Raw-mode key input; undefined when there is no keyboard (stdin is not a terminal). */
  readonly input?: {
    setRaw(on: boolean): void;
    onData(listener: (data: string) => void): () => void;
  };
}

/** How a session runs. */
export interface SessionOptions {
  readonly view: View;
  readonly sample: Omit<SampleOptions, 'threads' | 'cmdline'>;
  /** Frames to draw before exiting; undefined for no limit. */
  readonly iterations: number | undefined;
  readonly colour: boolean;
}

/** The first %CPU is measured over this long (procps top waits 150 ms before its first frame). */
export const PRIME_MS = 200;

const SGR: Readonly<Record<LineStyle, string>> = {
  plain: '',
  heading: '\x1b[7m',
  zombie: '\x1b[1;31m',
  orphan: '\x1b[1;33m',
  status: '\x1b[1m',
};

const ENTER = '\x1b[?1049h\x1b[?25l\x1b[H\x1b[2J';
const LEAVE = '\x1b[0m\x1b[?25h\x1b[?1049l';

/**
 * The escape sequences that draw `lines` on a `columns` x `rows` screen from its top left:
 * each line in its style, the rest of a short line erased (never after a full one: on a
 * terminal with a pending wrap, erasing would take its last cell), every row below the
 * frame erased.
 */
export function screenText(lines: readonly Line[], columns: number, rows: number, colour: boolean): string {
  const out: string[] = [];
  for (let i = 0; i < rows; i++) {
    const line = lines[i];
    let s = '';
    if (line !== undefined) {
      const sgr = colour ? SGR[line.style] : '';
      s = sgr === '' ? line.text : `${sgr}${line.text}\x1b[0m`;
    }
    const full = line !== undefined && cellWidth(line.text) >= columns;
    out.push(full ? s : `${s}\x1b[K`);
  }
  return `\x1b[H${out.join('\r\n')}`;
}

/** One interactive run of top; resolves to the exit code when it ends. */
export class TopSession {
  private sample: Sample | undefined;
  private timer: NodeJS.Timeout | undefined;
  private prompt: { label: string; text: string; apply: (text: string) => string | undefined } | undefined;
  private message: string | undefined;
  private frames = 0;
  private finished = false;
  private readonly cleanups: (() => void)[] = [];
  private resolve!: (code: number) => void;
  private reject!: (e: unknown) => void;
  private readonly done: Promise<number>;
  private readonly view: View;

  constructor(
    private readonly term: Terminal,
    private readonly options: SessionOptions,
  ) {
    this.view = options.view;
    this.done = new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }

  /** Takes over the terminal and runs until quit. */
  run(): Promise<number> {
    this.term.write(ENTER);
    this.cleanups.push(() => this.term.write(LEAVE));
    const input = this.term.input;
    if (input !== undefined) {
      input.setRaw(true);
      this.cleanups.push(() => input.setRaw(false));
      this.cleanups.push(input.onData((d) => this.guard(() => this.keys(decodeKeys(d)))));
    }
    this.cleanups.push(this.term.onResize(() => this.guard(() => this.draw())));
    // Signals end the session with the terminal restored: 128 + the signal's number.
    for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143], ['SIGHUP', 129]] as const) {
      const listener = (): void => this.finish(code);
      process.on(signal, listener);
      this.cleanups.push(() => process.removeListener(signal, listener));
    }
    // Continued after a stop someone else sent: the screen may have been drawn over.
    const cont = (): void => this.guard(() => this.resume());
    process.on('SIGCONT', cont);
    this.cleanups.push(() => process.removeListener('SIGCONT', cont));
    // The last resort: whatever ends the process, the terminal is given back.
    const atExit = (): void => this.restore();
    process.on('exit', atExit);
    this.cleanups.push(() => process.removeListener('exit', atExit));
    this.guard(() => this.prime());
    return this.done;
  }

  private sampleOptions(): SampleOptions {
    return { ...this.options.sample, threads: this.view.threads, cmdline: this.view.cmdline };
  }

  /** A sample now, and the first frame PRIME_MS later (or after the delay, if shorter). */
  private prime(): void {
    this.sample = takeSample(this.sampleOptions(), undefined);
    this.schedule(Math.min(PRIME_MS, this.view.delay * 1000));
  }

  private schedule(ms: number): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.guard(() => this.tick()), ms);
  }

  private tick(): void {
    this.sample = takeSample(this.sampleOptions(), this.sample);
    this.frames++;
    this.draw();
    if (this.options.iterations !== undefined && this.frames >= this.options.iterations) this.finish(0);
    else this.schedule(this.view.delay * 1000);
  }

  /** The rows as the view wants them. */
  private placed(): PlacedRow[] {
    if (this.sample === undefined) return [];
    const sorted = sortRows(filterRows(this.sample.rows, this.view.filter), this.view.sort, this.view.ascending);
    return this.view.tree ? treeRows(sorted) : sorted.map((row) => ({ row, branch: '' }));
  }

  private draw(): void {
    if (this.finished || this.sample === undefined || this.sample.interval === undefined) return;
    const columns = Math.max(1, this.term.columns);
    const rows = Math.max(1, this.term.rows);
    const status: Status = this.prompt !== undefined ? { prompt: this.prompt } : this.message !== undefined ? { message: this.message } : {};
    const lines = buildFrame(this.sample, this.placed(), this.view, { columns, rows }, status, new Date());
    this.term.write(screenText(lines, columns, rows, this.options.colour));
  }

  private resume(): void {
    if (this.finished) return;
    this.term.write(ENTER);
    this.term.input?.setRaw(true);
    this.draw();
  }

  /** Ctrl-Z: the terminal given back, then stopped as a shell's job; redrawn when continued. */
  private suspend(): void {
    this.term.write(LEAVE);
    this.term.input?.setRaw(false);
    // The default action of SIGTSTP stops the whole process before kill() returns; it
    // returns once continued (fg), and the screen is taken back here, before anything
    // else is drawn (the SIGCONT listener runs later, and only redraws).
    process.kill(process.pid, 'SIGTSTP');
    this.resume();
  }

  private keys(keys: readonly Key[]): void {
    for (const key of keys) {
      if (this.finished) return;
      if (this.prompt !== undefined) this.promptKey(key);
      else this.command(key);
    }
    this.draw();
  }

  private promptKey(key: Key): void {
    const p = this.prompt!;
    if (key.kind === 'char') p.text += key.ch;
    else if (key.kind === 'backspace') p.text = [...p.text].slice(0, -1).join('');
    else if (key.kind === 'escape') this.prompt = undefined;
    else if (key.kind === 'ctrl-c') this.finish(0);
    else if (key.kind === 'enter') {
      this.prompt = undefined;
      this.message = p.apply(p.text);
    }
  }

  /** Starts a prompt; it starts empty, as procps top's do. */
  private ask(label: string, apply: (text: string) => string | undefined): void {
    this.prompt = { label, text: '', apply };
  }

  /** A key outside a prompt. Every key is listed in docs/cli.md. */
  private command(key: Key): void {
    this.message = undefined;
    const v = this.view;
    if (key.kind === 'ctrl-c') return this.finish(0);
    if (key.kind === 'ctrl-z') return this.suspend();
    if (key.kind === 'enter') return this.schedule(0);
    if (key.kind === 'up') v.offset = Math.max(0, v.offset - 1);
    else if (key.kind === 'down') v.offset += 1;
    else if (key.kind === 'pageup') v.offset = Math.max(0, v.offset - Math.max(1, this.term.rows - 6));
    else if (key.kind === 'pagedown') v.offset += Math.max(1, this.term.rows - 6);
    else if (key.kind === 'home') v.offset = 0;
    else if (key.kind === 'end') v.offset = Number.MAX_SAFE_INTEGER;
    if (key.kind !== 'char') return;
    const sortBy = (k: View['sort']): void => {
      v.sort = k;
      v.ascending = false;
      v.offset = 0;
    };
    switch (key.ch) {
      case 'q':
        return this.finish(0);
      case ' ':
        return this.schedule(0);
      case 'P':
        return sortBy('cpu');
      case 'M':
        return sortBy('mem');
      case 'N':
        return sortBy('pid');
      case 'T':
        return sortBy('time');
      case 'R':
        v.ascending = !v.ascending;
        return;
      case '<':
      case '>': {
        const i = SORT_KEYS.indexOf(v.sort) + (key.ch === '<' ? -1 : 1);
        if (i >= 0 && i < SORT_KEYS.length) sortBy(SORT_KEYS[i]);
        return;
      }
      case 'H':
        v.threads = !v.threads;
        return this.prime();
      case 'V':
        v.tree = !v.tree;
        return;
      case 'c':
        v.cmdline = !v.cmdline;
        return this.schedule(0);
      case '/':
      case 'o':
      case 'O':
        return this.ask('name (empty: all)', (text) => {
          v.filter = { ...v.filter, name: text };
          v.offset = 0;
          return undefined;
        });
      case 'u':
      case 'U':
        return this.ask('user name or uid (empty: all)', (text) => {
          if (text === '') {
            v.filter = { ...v.filter, uid: undefined };
            v.userText = '';
            return undefined;
          }
          const uid = uidOf(text);
          if (uid === undefined) return `unknown user '${text}'`;
          v.filter = { ...v.filter, uid };
          v.userText = text;
          v.offset = 0;
          return undefined;
        });
      case '=':
        v.filter = { ...v.filter, name: '', uid: undefined };
        v.userText = '';
        return;
      case 'd':
      case 's':
        return this.ask(`delay from ${v.delay} to (0.1 to 3600 seconds)`, (text) => {
          if (text === '') return undefined;
          const d = parseDelay(text);
          if (d === undefined) return `not a delay: '${text}' (seconds, 0.1 to 3600)`;
          v.delay = d;
          this.schedule(d * 1000);
          return undefined;
        });
      case 'h':
      case '?':
        this.message = 'P cpu M mem N pid T time </> column R reverse / filter u user = clear H threads V tree c cmdline d delay q quit';
        return;
      default:
        this.message = `unknown key '${key.ch}' (h for help)`;
    }
  }

  private guard(f: () => void): void {
    if (this.finished) return;
    try {
      f();
    } catch (e) {
      this.restore();
      this.finished = true;
      this.reject(e);
    }
  }

  private restore(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    for (const c of this.cleanups.splice(0).reverse()) {
      try {
        c();
      } catch {
        // a terminal gone away (SIGHUP): nothing left to give back
      }
    }
  }

  private finish(code: number): void {
    if (this.finished) return;
    this.finished = true;
    this.restore();
    this.resolve(code);
  }
}

/** A delay in seconds: a decimal number from 0.1 to 3600; undefined otherwise. */
export function parseDelay(text: string): number | undefined {
  if (!/^\d{1,4}(\.\d{1,3})?$|^\.\d{1,3}$/.test(text)) return undefined;
  const d = Number(text);
  return d >= 0.1 && d <= 3600 ? d : undefined;
}
