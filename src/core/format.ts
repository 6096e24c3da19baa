/**
 * Numbers written for people: sizes in messages and panels. Pure; shared by the worker, the app
 * and the CLI.
 */

/**
 * A human size, e.g. for messages about downloads and limits.
 *
 * @example
 * formatBytes(1536); // '1.5 KB'
 * formatBytes(1.2e9); // '1.12 GB'
 */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const units = ['bytes', 'KB', 'MB', 'GB', 'TB'];
  let v = n;
  let u = 0;
  while (Math.abs(v) >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${v} bytes` : `${Number(v.toFixed(2))} ${units[u]}`;
}
