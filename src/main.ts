/**
 * Browser entry: global styles (the app's and KaTeX's), the scoring worker's client, and the app.
 * If the worker cannot start (very old browser), the page still runs without scores and says so.
 */
import 'katex/dist/katex.min.css';
import './app/styles.css';
import { mount } from 'svelte';
import App from './app/App.svelte';
import { EngineClient } from './engine/client.ts';

const target = document.getElementById('app');
if (!target) throw new Error('index.html has no #app element');

function startEngine(): EngineClient | null {
  try {
    return EngineClient.start();
  } catch (err) {
    console.error('The scoring worker could not start:', err);
    return null;
  }
}

export default mount(App, { target, props: { client: startEngine() } });
