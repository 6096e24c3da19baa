/**
 * The app's views, shown as tabs in the header. The playground is in the main bundle; other views
 * load on first use. To add one (e.g. the Evaluate view), append an entry; nothing else changes.
 */
import type { Component } from 'svelte';
import type { AppState } from './state.svelte.ts';
import type { Theme } from './lib/heatmap-layout.ts';
import Playground from './Playground.svelte';

export interface ViewProps {
  app: AppState;
  /** Switches to another view (e.g. "open this item in the playground"). */
  show: (id: string) => Promise<void>;
  /** The theme in effect (for charts, which carry explicit colours). */
  theme: Theme;
}

export interface View {
  id: string;
  label: string;
  load: () => Promise<Component<ViewProps>>;
}

export const VIEWS: View[] = [
  { id: 'playground', label: 'Playground', load: async () => Playground },
  {
    id: 'evaluate',
    label: 'Evaluate',
    load: async () => (await import('./evaluate/EvaluateTab.svelte')).default,
  },
];
