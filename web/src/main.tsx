import { render } from 'preact';
import { App } from './app';
import './styles.css';

const root = document.getElementById('app')!;
// Drop the static "Loading…" placeholder from index.html before the app takes over.
root.textContent = '';
render(<App />, root);
