// A real tmux for the terminal tests: a server of our own on a dedicated socket (-L), run
// in the foreground (-D) as a child_process child so that libuv reaps it, one detached
// session running sh at a given size, send-keys, and capture-pane polled until the screen
// shows what a test waits for (a bounded wait, never a sleep).
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** Whether tmux is installed; the terminal tests are skipped otherwise. */
export const haveTmux = spawnSync('tmux', ['-V'], { encoding: 'utf8' }).status === 0;

let serial = 0;

/** One tmux server with one session (`main`) running sh. */
export class Tmux {
  readonly socket: string;
  private server: ChildProcess | undefined;
  private serverExit: Promise<void> | undefined;
  private socketPath: string | undefined;

  constructor(
    readonly columns: number,
    readonly rows: number,
  ) {
    this.socket = `unixproc-test-${process.pid}-${++serial}`;
  }

  private tmux(args: readonly string[]): string {
    const r = spawnSync('tmux', ['-L', this.socket, ...args], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`tmux ${args.join(' ')}: exit ${r.status}: ${r.stderr}`);
    return r.stdout;
  }

  /** Starts the server and the session; `env` is the shell's environment. */
  async start(env: NodeJS.ProcessEnv): Promise<void> {
    this.server = spawn('tmux', ['-L', this.socket, '-D', '-f', '/dev/null'], { env, stdio: 'ignore' });
    this.serverExit = new Promise((resolve) => this.server!.once('exit', () => resolve()));
    const deadline = Date.now() + 10000;
    for (;;) {
      // -N: never start a server of its own. Without it, a new-session sent before the -D
      // server listens starts a second, daemonized server, which a subreaper test process
      // adopts and, once killed, keeps as a zombie that a later test file's wait() takes.
      const r = spawnSync('tmux', ['-N', '-L', this.socket, 'new-session', '-d', '-x', String(this.columns), '-y', String(this.rows), '-s', 'main', '--', 'sh'], {
        encoding: 'utf8',
        env,
      });
      if (r.status === 0) break;
      // the server may not be listening yet
      if (Date.now() > deadline) throw new Error(`tmux new-session: ${r.stderr}`);
      await new Promise((res) => setTimeout(res, 20));
    }
    this.socketPath = this.display('#{socket_path}');
    // dash gives root the prompt '# ' whatever PS1 says at start: set it once it runs
    this.type("PS1='utop$ '");
    await this.waitFor('the shell prompt', (s) => /^utop\$ /m.test(s));
  }

  /** `tmux send-keys` (key names such as Enter, C-c; -l for literal text). */
  send(...keys: string[]): void {
    this.tmux(['send-keys', '-t', 'main', ...keys]);
  }

  /** Types `text` literally, then Enter. */
  type(text: string): void {
    this.send('-l', text);
    this.send('Enter');
  }

  /**
   * What the pane shows, one string per row: with `escapes`, with the SGR sequences of
   * each cell's attributes (capture-pane -e); always with wrapped lines joined (-J), so a
   * line that wrapped reads longer than the pane.
   */
  capture(escapes = false): string[] {
    const text = this.tmux(['capture-pane', '-p', '-J', ...(escapes ? ['-e'] : []), '-t', 'main']);
    return text.replace(/\n$/, '').split('\n');
  }

  /** A format of the pane (`#{alternate_on}`, `#{cursor_flag}`, `#{pane_pid}`). */
  display(format: string): string {
    return this.tmux(['display-message', '-p', '-t', 'main', format]).trim();
  }

  resize(columns: number, rows: number): void {
    this.tmux(['resize-window', '-t', 'main', '-x', String(columns), '-y', String(rows)]);
  }

  /** Polls capture-pane every 25 ms until `cond` holds of the screen; throws after `ms`. */
  async waitFor(what: string, cond: (screen: string) => boolean, ms = 20000, escapes = false): Promise<string[]> {
    const deadline = Date.now() + ms;
    for (;;) {
      const lines = this.capture(escapes);
      if (cond(lines.join('\n'))) return lines;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; the screen:\n${lines.join('\n')}`);
      await new Promise((res) => setTimeout(res, 25));
    }
  }

  /** Kills the server by its socket and waits until child_process has reaped it. */
  async kill(): Promise<void> {
    if (this.server === undefined) return;
    spawnSync('tmux', ['-L', this.socket, 'kill-server'], { encoding: 'utf8' });
    const t = setTimeout(() => this.server?.kill('SIGKILL'), 5000);
    await this.serverExit;
    clearTimeout(t);
    this.server = undefined;
    // the server leaves its socket file behind when it is killed
    if (this.socketPath !== undefined) fs.rmSync(this.socketPath, { force: true });
  }
}

/**
 * A directory holding `t`, a shell script that runs `unixproc top` from the sources
 * (short, so the command line typed into a 40-column pane stays readable).
 */
export function topScript(root: string): { dir: string; remove(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'unixproc-top-'));
  const register = path.join(root, 'test', 'helpers', 'ts-register.js');
  const main = path.join(root, 'lib', 'cli', 'main.ts');
  fs.writeFileSync(path.join(dir, 't'), `#!/bin/sh\nexec '${process.execPath}' -r '${register}' '${main}' top "$@"\n`, { mode: 0o755 });
  return { dir, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}
