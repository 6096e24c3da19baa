/**
 * Memory and CPU time of a process tree from /proc, for benchmarks that drive Chromium (which
 * spreads its work over a browser, renderer, GPU and utility processes).
 *
 * Deliberately does not: work outside Linux, or count processes that already exited.
 */
import { readdirSync, readFileSync } from 'node:fs';

/**
 * Summed RSS (bytes) and CPU time (s, user + system, from /proc/PID/stat at 100 ticks a second)
 * of every descendant of `pid` (default: this process): CPU time that stops growing while a
 * model runs means a stall, not slow work.
 */
export function descendants(pid = process.pid): { rss: number; cpuS: number } {
  const children = new Map<number, number[]>();
  const rss = new Map<number, number>();
  const cpu = new Map<number, number>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ppid = Number(fields[1]);
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${d}/status`, 'utf8'));
      children.set(ppid, [...(children.get(ppid) ?? []), Number(d)]);
      rss.set(Number(d), m ? Number(m[1]) * 1024 : 0);
      // utime and stime are fields 14 and 15 of stat, 12 and 13 after the command name.
      cpu.set(Number(d), (Number(fields[11]) + Number(fields[12])) / 100);
    } catch {
      // The process ended while being read.
    }
  }
  let total = 0;
  let cpuS = 0;
  const todo = [...(children.get(pid) ?? [])];
  while (todo.length) {
    const p = todo.pop()!;
    total += rss.get(p) ?? 0;
    cpuS += cpu.get(p) ?? 0;
    todo.push(...(children.get(p) ?? []));
  }
  return { rss: total, cpuS };
}
