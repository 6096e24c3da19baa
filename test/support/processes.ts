/**
 * The test tools' view of child processes on Linux (/proc): find a process by a command-line
 * argument, list a process's descendants, describe them for a stall report, kill them. Elsewhere
 * (no /proc) nothing is found and nothing is killed.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';

function pids(): number[] {
  if (!existsSync('/proc')) return [];
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map(Number);
}

/** Pids of the processes that have `arg` as one of their command-line arguments. */
export function pidsWithArg(arg: string): number[] {
  return pids().filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(arg);
    } catch {
      return false; // ended while we looked
    }
  });
}

/** Every descendant of `pid`, children before grandchildren. */
export function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const p of pids()) {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      // Fields after "(comm)": state, ppid, ...
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), p]);
    } catch {
      // ended while we looked
    }
  }
  const out: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    for (const c of children.get(queue.shift()!) ?? []) {
      out.push(c);
      queue.push(c);
    }
  }
  return out;
}

/**
 * `ps` lines for `list`: pid, state, %cpu, kernel wait channel, and the command's name with its
 * `--type=` / `--utility-sub-type=` (what a Chromium process is) or its first arguments.
 */
export function describeProcesses(list: number[]): string[] {
  if (list.length === 0) return [];
  const ps = spawnSync('ps', ['-o', 'pid=,stat=,pcpu=,wchan:24=,args=', '-p', list.join(',')], {
    encoding: 'utf8',
  });
  return (ps.stdout ?? '')
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [pid, stat, cpu, wchan, cmd, ...args] = line.trim().split(/\s+/);
      const kind = args.filter((a) => /^--(type|utility-sub-type)=/.test(a));
      const what = kind.length > 0 ? kind : args.slice(0, 3);
      return [pid, stat, cpu, wchan, cmd?.split('/').at(-1), ...what].join(' ').slice(0, 200);
    });
}

/** SIGKILLs `list`, ignoring processes that are already gone. */
export function killAll(list: number[]): void {
  for (const pid of list) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}
