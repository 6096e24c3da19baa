/**
 * Long test texts: `unit(0) + unit(1) + ...` until at least `size` characters (the markup
 * linear-cost test and bench/markup.ts build the same shapes).
 */
export function fillText(unit: (i: number) => string, size: number): string {
  const parts: string[] = [];
  let n = 0;
  for (let i = 0; n < size; i++) {
    const u = unit(i);
    parts.push(u);
    n += u.length;
  }
  return parts.join('');
}
