/**
 * The theme choice (system / light / dark), kept in localStorage and applied as `data-theme` on
 * <html> ("system" removes it so the prefers-color-scheme media query in styles.css decides).
 */
export type ThemeChoice = 'system' | 'light' | 'dark';

export const THEME_KEY = 'prm-playground:theme';

export function readThemeChoice(storage: Pick<Storage, 'getItem'> | null): ThemeChoice {
  try {
    const v = storage?.getItem(THEME_KEY);
    return v === 'light' || v === 'dark' ? v : 'system';
  } catch {
    return 'system';
  }
}

export function saveThemeChoice(storage: Pick<Storage, 'setItem'> | null, choice: ThemeChoice): void {
  try {
    storage?.setItem(THEME_KEY, choice);
  } catch {
    // Without storage the choice lasts for this page only.
  }
}

/** Sets or removes `data-theme` on the root element. */
export function applyTheme(root: HTMLElement, choice: ThemeChoice): void {
  if (choice === 'system') root.removeAttribute('data-theme');
  else root.setAttribute('data-theme', choice);
}
