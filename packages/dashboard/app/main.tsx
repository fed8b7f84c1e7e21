/** The dashboard's entry: renders the app into #app (the page has no inline script; CSP forbids it). */
import { render } from 'preact';
import { App } from './app.js';

const root = document.getElementById('app');
if (root !== null) {
  root.textContent = '';
  render(<App />, root);
}
