/**
 * Arrow-key movement over the heatmap's cells: each solution has a PRM row and, when the checker
 * ran, a check row under it; Up/Down walk those rows in screen order, Left/Right/Home/End move
 * along one. Pure, so the keyboard map is unit-tested without a browser.
 */

export interface CellFocus {
  row: number;
  col: number;
  /** True on the check row of solution `row`. */
  check: boolean;
}

/**
 * The cell `key` moves to from `at`, or null when the key is not a movement key. `prm[i]` and
 * `check[i]` are the number of cells in solution i's PRM and check rows (0 where none).
 *
 * @example
 * nextFocus({ row: 0, col: 2, check: false }, 'ArrowDown', [3], [3]); // { row: 0, col: 2, check: true }
 */
export function nextFocus(
  at: CellFocus,
  key: string,
  prm: readonly number[],
  check: readonly number[],
): CellFocus | null {
  const width = (f: CellFocus): number => (f.check ? check[f.row] : prm[f.row]) ?? 0;
  if (key === 'ArrowRight') return { ...at, col: Math.min(width(at) - 1, at.col + 1) };
  if (key === 'ArrowLeft') return { ...at, col: Math.max(0, at.col - 1) };
  if (key === 'Home') return { ...at, col: 0 };
  if (key === 'End') return { ...at, col: width(at) - 1 };
  if (key !== 'ArrowDown' && key !== 'ArrowUp') return null;
  // Screen order: row 0 PRM, row 0 check, row 1 PRM, ...; rows without cells are skipped.
  const order: CellFocus[] = prm.flatMap((_, row) => [
    { row, col: 0, check: false },
    { row, col: 0, check: true },
  ]);
  const here = order.findIndex((f) => f.row === at.row && f.check === at.check);
  const step = key === 'ArrowDown' ? 1 : -1;
  for (let i = here + step; i >= 0 && i < order.length; i += step) {
    const w = width(order[i]);
    if (w > 0) return { ...order[i], col: Math.min(at.col, w - 1) };
  }
  return at;
}
